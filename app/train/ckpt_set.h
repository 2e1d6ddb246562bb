/* Checkpoint sets: the files of one training step (G, D, the optimizer and run state) are
 * committed together, so that a reader sees the old set or the new one, never a mix.
 *
 * Saving a set tagged TAG ("latest", or an epoch number) in DIR:
 *   1. every file is written (atomically, fsynced) as DIR/TAG_NAME.safetensors.next;
 *   2. the commit record DIR/TAG.commit (ckpt_record.h: the step, each file and its size) is
 *      written atomically: from here on the set is the new one;
 *   3. each .next file is renamed over its final name, then the record is removed.
 * A process killed before step 2 leaves .next files that recovery deletes (the old set
 * stays); killed after it, recovery finishes the renames (the new set). A record that does
 * not describe the staged files exactly commits nothing: recovery removes it with them. */
#ifndef APP_CKPT_SET_H
#define APP_CKPT_SET_H

#include <stddef.h>

#define CKPT_SET_MAX_FILES 4
#define CKPT_PATH_MAX 4400

typedef struct {
    char dir[4096];
    char tag[32];
    long long step;
    int count;
    char staged[CKPT_SET_MAX_FILES][CKPT_PATH_MAX];
} ckpt_set;

/* A set of the files of training step step (which each of them records). */
void ckpt_set_begin(ckpt_set *s, const char *dir, const char *tag, long long step);
/* The path to write the set's file TAG_NAME.safetensors to (a .next name), or NULL with a
 * reason naming the file: more than CKPT_SET_MAX_FILES, or a final name that is not a regular
 * file (a FIFO, device or folder by the outputs' rule, base/out_path.h; a symbolic link too,
 * which the commit's rename would replace instead of writing through it). */
const char *ckpt_set_stage(ckpt_set *s, const char *name, char *err, size_t errlen);
/* Commits the staged files (all must have been written). Returns 0 or -1 with a reason
 * naming the file. */
int ckpt_set_commit(ckpt_set *s, char *err, size_t errlen);
/* Removes the staged files of a set that will not be committed. */
void ckpt_set_abort(ckpt_set *s);

/* The step a checkpoint file records, or -1 when it cannot be read. */
typedef long long (*ckpt_step_fn)(const char *path);

/* What recovery did in a folder. */
typedef struct {
    int finished;       /* sets whose commit was finished */
    int refused;        /* commit records refused (removed, nothing rolled forward) */
    int discarded;      /* staged files removed (of uncommitted or refused sets) */
    char refused_why[CKPT_PATH_MAX + 1100]; /* the first refused record and why */
} ckpt_recovery;

/* Finishes the sets whose record in DIR is complete and names exactly their staged files,
 * each of the record's step as step_of reads it (so that stale files of another save are
 * never renamed into place); removes the other records and deletes the .next files left.
 * Run it while holding the experiment's lock. Returns 0, or -1 with a reason. */
int ckpt_set_recover(const char *dir, ckpt_step_fn step_of, ckpt_recovery *r, char *err,
                     size_t errlen);

#endif
