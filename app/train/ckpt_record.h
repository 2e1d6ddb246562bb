/* The commit record of a checkpoint set (see ckpt_set.h): a text file naming the set's step
 * and each of its staged files with its size, ended by an end line:
 *   pix2pix-vk checkpoint set TAG of step STEP
 *   TAG_NAME.safetensors.next SIZE        (one line per file)
 *   end
 * Only a record that parses to its end line, and whose files are the staged files of its step
 * with their sizes, commits a set: anything else (a damaged record, one left beside files of
 * another save) must not roll stale files over the committed set. */
#ifndef APP_CKPT_RECORD_H
#define APP_CKPT_RECORD_H

#include <stddef.h>

#include "app/train/ckpt_set.h"

#define CKPT_NAME_MAX 256
#define CKPT_NEXT_SUFFIX ".safetensors.next"
#define CKPT_COMMIT_SUFFIX ".commit"

typedef struct {
    long long step;
    int count;
    char names[CKPT_SET_MAX_FILES][CKPT_NAME_MAX]; /* TAG_NAME.safetensors.next */
    long long sizes[CKPT_SET_MAX_FILES];
} ckpt_record;

/* Whether name (a folder entry) is a staged file of set tag, TAG_*.safetensors.next (of any
 * set when tag is NULL). */
int ckpt_is_staged(const char *name, const char *tag);
/* Whether name is a commit record, TAG.commit; its tag in tag[len]. */
int ckpt_is_record(const char *name, char *tag, size_t len);
/* The record's text. Returns 0, or -1 when it does not fit in len bytes. */
int ckpt_record_format(const ckpt_record *r, const char *tag, char *text, size_t len);
/* Reads DIR/TAG.commit into r. 0, or -1 with the reason it is not a complete record of tag. */
int ckpt_record_read(const char *path, const char *tag, ckpt_record *r, char *why, size_t len);
/* Whether r names exactly the staged files of tag in dir, each with its size and of r's step
 * (a file already renamed into place by an interrupted commit counts under its final name).
 * 0, or -1 with the reason. */
int ckpt_record_check(const ckpt_record *r, const char *dir, const char *tag,
                      ckpt_step_fn step_of, char *why, size_t len);

#endif
