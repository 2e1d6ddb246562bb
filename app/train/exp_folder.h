/* The experiment folder CKDIR/NAME of a training run: created and locked (exp_lock.h), and a
 * run already in it never mixed with a new one. A folder holds a run when it has a checkpoint
 * (*.safetensors, a staged set) or a loss log; an empty folder, or one left with only a lock
 * or an opt.txt by a run that ended before its first step, is reused as it is. */
#ifndef APP_EXP_FOLDER_H
#define APP_EXP_FOLDER_H

typedef enum {
    EXP_NEW,       /* refuse a folder that holds a run */
    EXP_RESUME,    /* --continue: the run in the folder goes on */
    EXP_OVERWRITE, /* --overwrite: the run in the folder is moved aside first */
} exp_mode;

/* Opens dir for a run as mode says; with EXP_OVERWRITE the old run's files move to a new
 * sibling folder NAME.old-YYYYmmdd-HHMMSS (said on stderr), nothing is deleted. Returns the
 * lock's descriptor (exp_lock_release), or -1 with a message printed and the exit status in
 * *status: 2 for a run refused under EXP_NEW, else 1. */
int exp_folder_open(const char *dir, exp_mode mode, int *status);

#endif
