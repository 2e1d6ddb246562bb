/* Training runs on a tiny dataset for the end-to-end tests of training options: four 32x32
 * synthetic pairs, networks of 2 filters, the CPU, two steps. Include after app_test.h. */
#ifndef TESTS_APP_TINY_TRAIN_H
#define TESTS_APP_TINY_TRAIN_H

#include "app/cli/commands.h"

#define TINY_MAX_ARGS 48

/* Makes root (a mkdtemp template) with the dataset in data and the checkpoints folder name in
 * ckpt (each of 256 bytes); 0 or -1. */
static inline int tiny_dataset(char *root, char *data, char *ckpt)
{
    if (!mkdtemp(root))
        return -1;
    snprintf(data, 256, "%s/data", root);
    snprintf(ckpt, 256, "%s/checkpoints", root);
    char *synth[] = {"dataset", "synth", "--out", data, "--count", "4", "--size", "32",
                     "--val-fraction", "0", "--test-fraction", "0", "--quiet", NULL};
    CHECK(run_captured(cmd_dataset, synth) == 0, "synth: %s", out_text);
    return 0;
}

/* pix2pix train on that dataset into ckpt/name with the extra arguments (NULL-terminated;
 * they come last, so they override the defaults here). Its exit status. */
static inline int tiny_train(const char *data, const char *ckpt, const char *name,
                             const char *const *extra)
{
    char *argv[TINY_MAX_ARGS] = {"train", "--data", (char *)data, "--checkpoints-dir",
                                 (char *)ckpt, "--name", (char *)name, "--ngf", "2", "--ndf",
                                 "2", "--load-size", "32", "--crop-size", "32", "--device",
                                 "cpu", "--threads", "1", "--max-steps", "2", "--quiet"};
    int argc = 22;
    while (*extra && argc < TINY_MAX_ARGS - 1)
        argv[argc++] = (char *)*extra++;
    argv[argc] = NULL;
    return run_captured(cmd_train, argv);
}

/* ckpt/name/latest_net_G.safetensors, its name in path (of len bytes); NULL after a failed
 * CHECK. */
static inline st_file *tiny_open_g(const char *ckpt, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s/latest_net_G.safetensors", ckpt, name);
    st_file *f = st_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    return f;
}

#endif
