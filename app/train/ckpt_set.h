/* Checkpoint sets: the files of one training step (G, D, the optimizer and run state) are
 * committed together, so that a reader sees the old set or the new one, never a mix.
 *
 * Saving a set tagged TAG ("latest", or an epoch number) in DIR:
 *   1. every file is written (atomically, fsynced) as DIR/TAG_NAME.safetensors.next;
 *   2. the commit record DIR/TAG.commit is written atomically: from here on the set is
 *      the new one;
 *   3. each .next file is renamed over its final name, then the record is removed.
 * A process killed before step 2 leaves .next files that recovery deletes (the old set
 * stays); killed after it, recovery finishes the renames (the new set). Readers that do not
 * recover (a second process) resolve each name through ckpt_set_path. */
#ifndef APP_CKPT_SET_H
#define APP_CKPT_SET_H

#include <stddef.h>

#define CKPT_SET_MAX_FILES 4
#define CKPT_PATH_MAX 4400

typedef struct {
    char dir[4096];
    char tag[32];
    int count;
    char staged[CKPT_SET_MAX_FILES][CKPT_PATH_MAX];
} ckpt_set;

void ckpt_set_begin(ckpt_set *s, const char *dir, const char *tag);
/* The path to write the set's file TAG_NAME.safetensors to (a .next name). At most
 * CKPT_SET_MAX_FILES per set. */
const char *ckpt_set_stage(ckpt_set *s, const char *name);
/* Commits the staged files (all must have been written). Returns 0 or -1 with a reason
 * naming the file. */
int ckpt_set_commit(ckpt_set *s, char *err, size_t errlen);
/* Removes the staged files of a set that will not be committed. */
void ckpt_set_abort(ckpt_set *s);

/* Finishes the sets whose record is in DIR and deletes the .next files of the sets that
 * were never committed. Run it while holding the experiment's lock. Returns how many sets
 * were finished (>= 0), or -1 with a reason. */
int ckpt_set_recover(const char *dir, int *discarded, char *err, size_t errlen);
/* The file a reader should open for DIR/TAG_NAME.safetensors: the .next file of a
 * committed but unfinished set, else the final name. */
void ckpt_set_path(const char *dir, const char *tag, const char *name, char *out, size_t len);

#endif
