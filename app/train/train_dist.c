/* Data-parallel training on dist.h (see train_dist.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "app/parallel/dist.h"
#include "app/train/train_dist.h"

static const char *or_none(const char *s) { return s ? s : "(none)"; }

/* The shortest decimal form that reads back as v (0.001, not 0.00100000005). */
static const char *shortest(float v, char *buf)
{
    for (int digits = 6; digits < 9; digits++) {
        snprintf(buf, 32, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            return buf;
    }
    snprintf(buf, 32, "%.9g", (double)v);
    return buf;
}

/* The options every rank must share, one "name=value" line each. */
static char *options_lines(const train_config *c)
{
    char num[8][32];
    const char *fmt =
        "data=%s\ndirection=%s\nname=%s\ncheckpoints-dir=%s\nepochs=%d\nepochs-decay=%d\n"
        "batch-size=%d\nlr=%s\nbeta1=%s\nlambda-l1=%s\ngan-mode=%s\nnum-d=%d\nlambda-feat=%s\n"
        "spectral-norm=%d\n"
        "netG=%s\nupsample=%s\nnetD=%s\n"
        "n-layers-d=%d\nngf=%d\nn-downsample-global=%d\nn-blocks-global=%d\n"
        "n-local-enhancers=%d\nn-blocks-local=%d\nniter-fix-global=%d\nndf=%d\n"
        "norm=%s\nno-dropout=%d\ninput-nc=%d\noutput-nc=%d\n"
        "load-size=%d\ncrop-size=%d\npreprocess=%s\nno-flip=%d\nserial-batches=%d\nseed=%llu\n"
        "save-epoch-freq=%d\ncontinue=%d\ninit-g=%s\ninit-d=%s\ndisplay-freq=%d\n"
        "max-steps=%d\ntime-limit=%s\ncheck-every=%d\nema-decay=%s\nlambda-mismatch=%s\n"
        "lambda-vgg=%s\nvgg-weights=%s\n";
#define OPTION_VALUES                                                                            \
    or_none(c->data), c->direction, c->name, c->checkpoints_dir, c->epochs, c->epochs_decay,    \
        c->batch_size, shortest(c->lr, num[0]), shortest(c->beta1, num[1]),                     \
        shortest(c->lambda_l1, num[2]), c->gan_mode, c->num_d, shortest(c->lambda_feat, num[4]), \
        c->spectral_norm, c->netG, c->upsample, c->netD, c->n_layers_d, c->ngf,                 \
        c->n_downsample_global, c->n_blocks_global, c->n_local_enhancers, c->n_blocks_local,    \
        c->niter_fix_global,                                                                     \
        c->ndf, c->norm, c->no_dropout, c->input_nc, c->output_nc,                              \
        c->load_size, c->crop_size, c->preprocess, c->no_flip,                                  \
        c->serial_batches, (unsigned long long)c->seed, c->save_epoch_freq, c->continue_train,  \
        or_none(c->init_g), or_none(c->init_d), c->display_freq, c->max_steps,                 \
        shortest(c->time_limit, num[3]), c->check_every, shortest(c->ema_decay, num[5]),        \
        shortest(c->lambda_mismatch, num[6]), shortest(c->lambda_vgg, num[7]),                 \
        or_none(c->vgg_weights)
    int len = snprintf(NULL, 0, fmt, OPTION_VALUES);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s)
        snprintf(s, (size_t)len + 1, fmt, OPTION_VALUES);
#undef OPTION_VALUES
    return s;
}

/* The first line where ours differs from rank 0's; 0 when they are the same. */
static int report_difference(const char *ours, const char *theirs)
{
    while (*ours || *theirs) {
        size_t a = strcspn(ours, "\n"), b = strcspn(theirs, "\n");
        if (a != b || memcmp(ours, theirs, a)) {
            fprintf(stderr, "pix2pix train: rank %d was started with %.*s where rank 0 has "
                    "%.*s: every rank of a job needs the same options (only --device, "
                    "--threads, --workers and --quiet may differ)\n", dist_rank(), (int)a, ours,
                    (int)b, theirs);
            return 1;
        }
        ours += a + (ours[a] == '\n');
        theirs += b + (theirs[b] == '\n');
    }
    return 0;
}

int train_dist_check_options(const train_config *c)
{
    if (dist_size() == 1)
        return 0;
    char *ours = options_lines(c);
    long long len = ours ? (long long)strlen(ours) : -1;
    dist_broadcast(&len, sizeof len);
    char *theirs = len >= 0 ? malloc((size_t)len + 1) : NULL;
    int differs = !ours || !theirs;
    if (theirs) {
        if (dist_rank() == 0)
            memcpy(theirs, ours, (size_t)len + 1);
        dist_broadcast(theirs, (size_t)len + 1);
        differs = differs || (ours && report_difference(ours, theirs));
    }
    free(ours);
    free(theirs);
    return train_dist_any(differs) ? -1 : 0;
}

int train_dist_any(int failed)
{
    dist_max(&failed, 1);
    return failed != 0;
}

/* Broadcasts node n's values from rank 0 (buf holds numel floats). */
static void share_node(eng_plan *p, const eng_node *n, float *buf)
{
    if (dist_rank() == 0)
        eng_plan_read(p, n, buf);
    dist_broadcast(buf, eng_node_numel(n) * sizeof *buf);
    if (dist_rank() != 0)
        eng_plan_write(p, n, buf);
}

static size_t largest(const net *n)
{
    size_t m = 1;
    for (int i = 0; i < n->n; i++)
        if (eng_node_numel(n->t[i].node) > m)
            m = eng_node_numel(n->t[i].node);
    return m;
}

void train_dist_share_state(trainer *t, int *epoch, int *iter)
{
    if (dist_size() == 1)
        return;
    size_t most = largest(&t->G) > largest(&t->D) ? largest(&t->G) : largest(&t->D);
    float *buf = malloc(most * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "pix2pix train: out of memory sharing the weights\n");
        exit(1); /* mpirun ends the other ranks */
    }
    const net *nets[2] = {&t->G, &t->D};
    eng_adam *opts[2] = {t->opt_g, t->opt_d};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < nets[k]->n; i++)
            share_node(t->plan, nets[k]->t[i].node, buf);
        for (int i = 0; i < eng_adam_nparams(opts[k]); i++) {
            share_node(t->plan, eng_adam_exp_avg(opts[k], i), buf);
            share_node(t->plan, eng_adam_exp_avg_sq(opts[k], i), buf);
            if (eng_adam_average(opts[k], i)) /* --ema-decay */
                share_node(t->plan, eng_adam_average(opts[k], i), buf);
        }
        int64_t steps = eng_adam_steps(opts[k]);
        dist_broadcast(&steps, sizeof steps);
        eng_adam_set_steps(opts[k], steps);
    }
    /* fp16's loss scaler: scaled gradients of different scales must not be averaged */
    float scale = eng_plan_loss_scale(t->plan);
    int good_runs = eng_plan_loss_scale_good_runs(t->plan);
    dist_broadcast(&scale, sizeof scale);
    dist_broadcast(&good_runs, sizeof good_runs);
    if (eng_plan_fp16(t->plan))
        eng_plan_set_loss_scale(t->plan, scale, ENG_LOSS_SCALE_GROWTH_INTERVAL, good_runs);
    int pos[2] = {*epoch, *iter};
    dist_broadcast(pos, sizeof pos);
    *epoch = pos[0];
    *iter = pos[1];
    free(buf);
}

void train_dist_step(float losses[LOSS_COUNT], int *stop)
{
    if (dist_size() == 1)
        return;
    dist_sum(losses, LOSS_COUNT);
    for (int i = 0; i < LOSS_COUNT; i++)
        losses[i] /= (float)dist_size();
    dist_max(stop, 1);
}

/* Whether the ranks must agree on a tensor: the parameters, and spectral normalization's u
 * and v (every rank does the same power iterations on the same weights); the running
 * statistics are each rank's own. */
static int shared_tensor(const net_tensor *t) { return t->trainable || t->init == INIT_UNIT; }

/* FNV-1a over the bytes of every tensor of G and D the ranks share (shared_tensor), and of
 * G's average with --ema-decay. */
static uint64_t weights_checksum(const trainer *t)
{
    size_t most = largest(&t->G) > largest(&t->D) ? largest(&t->G) : largest(&t->D);
    float *buf = malloc(most * sizeof *buf);
    uint64_t h = 0xcbf29ce484222325ull;
    const net *nets[3] = {&t->G, &t->D, &t->G_ema};
    for (int k = 0; k < 3 && buf; k++)
        for (int i = 0; i < nets[k]->n; i++) {
            const eng_node *n = nets[k]->t[i].node;
            if (!shared_tensor(&nets[k]->t[i]) || eng_plan_read(t->plan, n, buf))
                continue;
            const unsigned char *b = (const unsigned char *)buf;
            size_t bytes = eng_node_numel(n) * sizeof *buf;
            for (size_t j = 0; j < bytes; j++)
                h = (h ^ b[j]) * 0x100000001b3ull;
        }
    int ok = buf != NULL;
    free(buf);
    return ok ? h : 0;
}

int train_dist_check_weights(const trainer *t, long long step)
{
    int size = dist_size();
    if (size == 1)
        return 0;
    uint64_t *all = malloc((size_t)size * sizeof *all), mine = weights_checksum(t);
    if (!all) {
        fprintf(stderr, "pix2pix train: out of memory comparing the weights\n");
        exit(1);
    }
    dist_gather(mine, all);
    int differ = 0;
    for (int r = 1; r < size; r++)
        if (all[r] != all[0]) {
            if (dist_rank() == 0)
                fprintf(stderr, "pix2pix train: step %lld: the weights of rank %d differ from "
                        "rank 0's (checksum %016llx, rank 0 %016llx); training stopped: the "
                        "ranks no longer train one model (mixed devices, or a fault)\n", step,
                        r, (unsigned long long)all[r], (unsigned long long)all[0]);
            differ = 1;
        }
    free(all);
    return differ ? -1 : 0;
}

double train_dist_cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u))
        return 0;
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void train_dist_report(const eng_reducer *const reducers[TRAIN_REDUCERS], long steps, double seconds,
                       double cpu_seconds, int batch)
{
    if (!dist_launched_by_mpi() || dist_rank() != 0 || steps <= 0)
        return;
    double rate = seconds > 0 ? steps / seconds : 0;
    if (dist_size() == 1) {
        printf("1 rank: %.3f steps/s (%.3f pairs/s), %.2f CPU-s per step, no allreduce\n",
               rate, rate * batch, cpu_seconds / steps);
        return;
    }
    dist_reduce_stats total = {0};
    for (int k = 0; k < TRAIN_REDUCERS && reducers[k]; k++) {
        dist_reduce_stats s;
        dist_reducer_stats(reducers[k], &s);
        total.floats += s.floats;
        total.buckets += s.buckets;
        total.in_flight_s += s.in_flight_s;
        total.waited_s += s.waited_s;
    }
    printf("%d ranks: %.3f steps/s (%.3f pairs/s), %.2f CPU-s per step on rank 0; allreduce "
           "per step: %.2f MB in %.0f buckets, %.1f ms in flight, %.1f ms of it waited for\n",
           dist_size(), rate, rate * dist_size() * batch, cpu_seconds / steps, total.floats * 4 / 1e6 / steps, total.buckets / steps,
           1e3 * total.in_flight_s / steps, 1e3 * total.waited_s / steps);
}
