/* Model and optimizer checkpoints as safetensors files with the reference's state_dict keys.
 * Files written by pix2pix carry the architecture and options in their metadata; a reference
 * .pth state_dict (read by model_file.h) and a file converted from one have none, and the
 * architecture is inferred from the keys and shapes. */
#ifndef APP_CHECKPOINT_H
#define APP_CHECKPOINT_H

#include <stddef.h>

#include "app/model/networks.h"
#include "engine/safetensors.h"

typedef struct {
    const char *key;
    const char *value;
} ckpt_meta;

/* Saves the network's tensors (num_batches_tracked as an int64 scalar) atomically. Save
 * errors name the file. */
int ckpt_save_net(const net *n, eng_plan *p, const char *path, const ckpt_meta *meta, int nmeta,
                  char *err, size_t errlen);
/* Checks that f holds exactly the network's tensors with its shapes (no plan needed, so a file
 * can be checked before any memory is committed to it). BatchNorm's num_batches_tracked may be
 * absent (files saved by PyTorch before 0.4.1): it is loaded as 0, as torch does. */
int ckpt_check_net(const net *n, const st_file *f, const char *path, char *err, size_t errlen);
/* Checks that every value of f is a number (no NaN, no Inf), naming the first tensor that is
 * not. ckpt_load_net checks the same while loading. */
int ckpt_check_values(const st_file *f, const char *path, char *err, size_t errlen);
/* Loads every tensor of the network from f (named path in messages). Missing, unexpected or
 * differently shaped tensors are errors. */
int ckpt_load_net(const net *n, eng_plan *p, const st_file *f, const char *path, char *err,
                  size_t errlen);

/* The generator (or discriminator) described by a file: from its metadata when present,
 * otherwise from its keys. Returns 0 or -1 with a reason. */
int ckpt_gen_config(const st_file *f, gen_config *c, char *err, size_t errlen);
int ckpt_disc_config(const st_file *f, disc_config *c, char *err, size_t errlen);
/* The generator of f's keys and shapes alone, whatever its metadata says (except a U-Net's
 * dropout, which no key shows: from the metadata when it has it). */
int ckpt_gen_config_keys(const st_file *f, gen_config *c, char *err, size_t errlen);
/* Sum of the sizes of the trainable tensors (all but BatchNorm buffers). */
long long ckpt_param_count(const st_file *f);

/* Optimizer state: exp_avg / exp_avg_sq of every parameter of G and D under "G."/"D."
 * prefixes, the step counts and the position in training (epoch, iterations done in it, and
 * the number of ranks those iterations were spread over: 1 in files that do not say), and in
 * fp16 training the loss scale. */
typedef struct {
    const net *g_net, *d_net;
    eng_adam *g_opt, *d_opt;
    int epoch, epoch_iter, world_size;
} ckpt_train_state;
int ckpt_save_opt(const ckpt_train_state *s, eng_graph *g, eng_plan *p, const char *path,
                  char *err, size_t errlen);
int ckpt_load_opt(ckpt_train_state *s, eng_graph *g, eng_plan *p, const char *path, char *err,
                  size_t errlen);

#endif
