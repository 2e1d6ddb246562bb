/* Running pix2pix commands in-process from the app tests (after app_test.h): an argument list
 * made of a test's fixed part and a case's extras, and the small datasets the commands train
 * and test on. */
#ifndef TESTS_APP_CMD_RUN_H
#define TESTS_APP_CMD_RUN_H

#include <sys/stat.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "datasets/image.h"

#define CMD_RUN_MAX_ARGS 96

/* run_captured(cmd, ...) on the arguments of base followed by those of extra (both end with
 * NULL; extra may be NULL). */
static inline int run_joined(int (*cmd)(int, char **), const char *const *base,
                             const char *const *extra)
{
    char *argv[CMD_RUN_MAX_ARGS];
    int argc = 0;
    for (; base && *base && argc < CMD_RUN_MAX_ARGS - 1; base++)
        argv[argc++] = (char *)*base;
    for (; extra && *extra && argc < CMD_RUN_MAX_ARGS - 1; extra++)
        argv[argc++] = (char *)*extra;
    argv[argc] = NULL;
    return run_captured(cmd, argv);
}

/* pix2pix dataset synth into out: count pairs of size x size, the fractions given to val and
 * test. The command's exit status (its output in out_text). */
static inline int synth_dataset(const char *out, const char *count, const char *size,
                                const char *val_fraction, const char *test_fraction)
{
    const char *const args[] = {"dataset", "synth", "--out", out, "--count", count,
                                "--size", size, "--val-fraction", val_fraction,
                                "--test-fraction", test_fraction, "--quiet", NULL};
    return run_joined(cmd_dataset, args, NULL);
}

/* mkdtemp(root); data: root/data holding count synthesized 32x32 pairs, val_fraction of them in
 * val and none in test; ckpt: the name root/checkpoints (data and ckpt hold len bytes). 0, or
 * -1 with the reason printed. */
static inline int tiny_training_root(char *root, char *data, char *ckpt, size_t len,
                                     const char *count, const char *val_fraction)
{
    if (!mkdtemp(root)) {
        perror(root);
        return -1;
    }
    snprintf(data, len, "%s/data", root);
    snprintf(ckpt, len, "%s/checkpoints", root);
    if (synth_dataset(data, count, "32", val_fraction, "0") != 0) {
        fprintf(stderr, "synth: %s\n", out_text);
        return -1;
    }
    return 0;
}

/* The fixture pair train_pair.png (64x32, A|B) saved as data/split/file, making the folders.
 * 0, or -1 with the reason in err. */
static inline int put_fixture_pair(const char *data, const char *split, const char *file,
                                   char *err, size_t err_len)
{
    char path[768];
    snprintf(path, sizeof path, "%s/%s", data, split);
    mkdir(data, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", data, split, file);
    image pair = {0};
    int rc = image_load(FIXTURE_DIR "/train_pair.png", 0, &pair, err, err_len) ||
                     image_save_png(path, &pair, err, err_len)
                 ? -1
                 : 0;
    image_free(&pair);
    return rc;
}

#endif
