/* The prefetching pair loader.
 *
 * Epoch e visits the pairs in the order perm_e(0), perm_e(1), ... (a keyed bijection of
 * [0, N), the identity when serial); a shard r of R visits perm_e((r + k R) mod N), k = 0 ..
 * ceil(N / R) - 1, as DistributedSampler pads and strides (N stands for that length below). An epoch serves batches_per_epoch batches, i.e. `need`
 * good items. The first P = min(N, need) positions of every epoch form one sequence
 * s = e * P + k that worker threads decode ahead into a ring of slots; the consumer takes the
 * slots in sequence order. Positions from P on are only visited when bad files (or N < need)
 * leave the epoch short; the consumer decodes those itself, cycling through the permutation.
 * Each item's crop and flip come from (seed, epoch, index, lap), never from a shared RNG, so
 * the stream is the same for any thread count and timing. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text_line.h"
#include "datasets/loader.h"
#include "datasets/pairs.h"
#include "rng.h"

enum { SLOT_EMPTY, SLOT_OK, SLOT_BAD };

typedef struct {
    int state;
    uint64_t seq;
    float *a, *b;
} slot;

struct pair_loader {
    pair_list pairs;
    pair_transform t;
    uint64_t seed;
    int serial, quiet, batch;
    size_t shard_rank, shard_count, shard_len; /* shard_len: positions per epoch */
    size_t shard_pairs, shard_bad; /* distinct pairs in the shard, how many are unusable */
    unsigned char *in_shard;
    int item_w, item_h;
    size_t a_len, b_len; /* floats per item */
    size_t need, prefetch; /* good items per epoch; P */

    pthread_mutex_t mu;
    pthread_cond_t work_cv, ready_cv;
    unsigned char *bad; /* per pair, reported once */
    size_t nbad, skipped;
    slot *slots;
    size_t nslots;
    uint64_t next_claim, next_consume;
    int stop;
    pthread_t *threads;
    int nthreads;

    uint64_t epoch; /* consumer position */
    size_t pos, good;
};

/* Keyed bijection of [0, n): a 4-round Feistel network over the next even power of two,
 * cycle-walking until the value falls inside [0, n). */
static size_t shuffle_index(size_t k, size_t n, uint64_t key)
{
    if (n <= 1)
        return 0;
    int bits = 2;
    while (((uint64_t)1 << bits) < n)
        bits += 2;
    int half = bits / 2;
    uint64_t mask = ((uint64_t)1 << half) - 1, x = k;
    do {
        uint64_t l = x >> half, r = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t f = rng_splitmix(r ^ rng_splitmix(key + round)) & mask;
            uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        x = l << half | r;
    } while (x >= n);
    return (size_t)x;
}

/* The pair at position pos of the shard's epoch (positions past the shard cycle through it):
 * position shard_rank + pos * shard_count of the epoch's order padded by wrapping. */
static size_t pair_at(const pair_loader *l, uint64_t epoch, size_t pos)
{
    size_t n = l->pairs.count;
    size_t q = (l->shard_rank + (pos % l->shard_len) * l->shard_count) % n;
    if (l->serial)
        return q;
    return shuffle_index(q, n, rng_derive(l->seed, epoch, 0x5348554646ull, 0));
}

/* Marks a pair unusable and reports it the first time. Called with mu held. */
static void mark_bad(pair_loader *l, size_t idx, const char *why)
{
    if (l->bad[idx])
        return;
    l->bad[idx] = 1;
    l->nbad++;
    l->shard_bad += l->in_shard[idx];
    l->skipped++;
    if (!l->quiet)
        text_line(stderr, "pix2pix: skipping %s: %s", l->pairs.items[idx].a_path, why);
}

/* Decodes pair idx into a and b; -1 with a reason when it is unusable. */
static int decode_item(const pair_loader *l, size_t idx, uint64_t epoch, size_t lap, float *a,
                       float *b, char *err, size_t errlen)
{
    image in, tg;
    uint64_t rng = rng_derive(l->seed, epoch + 1, idx, lap);
    if (pair_decode(&l->t, &l->pairs.items[idx], rng, &in, &tg, err, errlen))
        return -1;
    int rc = -1;
    if (in.width != l->item_w || in.height != l->item_h) {
        snprintf(err, errlen, "preprocessed to %dx%d, not the %dx%d of the dataset's first pair",
                 in.width, in.height, l->item_w, l->item_h);
    } else {
        preprocess_to_float(&in, a);
        preprocess_to_float(&tg, b);
        rc = 0;
    }
    image_free(&in);
    image_free(&tg);
    return rc;
}

static void *worker_main(void *arg)
{
    pair_loader *l = arg;
    char err[512];
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->next_claim >= l->next_consume + l->nslots)
            pthread_cond_wait(&l->work_cv, &l->mu);
        if (l->stop)
            break;
        uint64_t s = l->next_claim++;
        slot *sl = &l->slots[s % l->nslots];
        uint64_t epoch = s / l->prefetch;
        size_t idx = pair_at(l, epoch, (size_t)(s % l->prefetch));
        int known_bad = l->bad[idx];
        pthread_mutex_unlock(&l->mu);
        int ok = !known_bad && !decode_item(l, idx, epoch, 0, sl->a, sl->b, err, sizeof err);
        pthread_mutex_lock(&l->mu);
        if (!ok && !known_bad)
            mark_bad(l, idx, err);
        sl->seq = s;
        sl->state = ok ? SLOT_OK : SLOT_BAD;
        pthread_cond_broadcast(&l->ready_cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* The next item of the consumer's position into a and b: 1 good, 0 bad (skipped). */
static int take_item(pair_loader *l, float *a, float *b, size_t *idx_out)
{
    size_t pos = l->pos++;
    if (pos < l->prefetch && l->nthreads > 0) {
        uint64_t s = l->epoch * l->prefetch + pos;
        slot *sl = &l->slots[s % l->nslots];
        pthread_mutex_lock(&l->mu);
        while (sl->state == SLOT_EMPTY || sl->seq != s)
            pthread_cond_wait(&l->ready_cv, &l->mu);
        int ok = sl->state == SLOT_OK;
        if (ok) {
            memcpy(a, sl->a, l->a_len * sizeof(float));
            memcpy(b, sl->b, l->b_len * sizeof(float));
        }
        sl->state = SLOT_EMPTY;
        l->next_consume = s + 1;
        pthread_cond_broadcast(&l->work_cv);
        pthread_mutex_unlock(&l->mu);
        *idx_out = pair_at(l, l->epoch, pos);
        return ok;
    }
    size_t idx = pair_at(l, l->epoch, pos);
    *idx_out = idx;
    pthread_mutex_lock(&l->mu);
    int known_bad = l->bad[idx];
    pthread_mutex_unlock(&l->mu);
    if (known_bad)
        return 0;
    char err[512];
    if (!decode_item(l, idx, l->epoch, pos / l->shard_len, a, b, err, sizeof err))
        return 1;
    pthread_mutex_lock(&l->mu);
    mark_bad(l, idx, err);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int pair_loader_next(pair_loader *l, float *a, float *b, char (*names)[256], int *epoch_done)
{
    if (epoch_done)
        *epoch_done = 0;
    for (int filled = 0; filled < l->batch;) {
        pthread_mutex_lock(&l->mu);
        int all_bad = l->shard_bad == l->shard_pairs;
        pthread_mutex_unlock(&l->mu);
        if (all_bad)
            return -1;
        size_t idx;
        if (!take_item(l, a + filled * l->a_len, b + filled * l->b_len, &idx))
            continue;
        if (names)
            snprintf(names[filled], 256, "%s", l->pairs.items[idx].name);
        filled++;
        l->good++;
    }
    if (l->good >= l->need) {
        l->epoch++;
        l->pos = 0;
        l->good = 0;
        if (epoch_done)
            *epoch_done = 1;
    }
    return 0;
}

/* Finds the item size from the first pair that decodes; bad ones met on the way are
 * reported and remembered. */
static int probe_item_size(pair_loader *l, char *err, size_t errlen)
{
    char why[512];
    for (size_t i = 0; i < l->pairs.count; i++) {
        image in, tg;
        if (pair_decode(&l->t, &l->pairs.items[i], rng_derive(l->seed, 0, i, 0), &in, &tg, why,
                        sizeof why)) {
            mark_bad(l, i, why);
            continue;
        }
        l->item_w = in.width;
        l->item_h = in.height;
        image_free(&in);
        image_free(&tg);
        return 0;
    }
    snprintf(err, errlen, "no usable pair among the %zu found (every file failed to decode)",
             l->pairs.count);
    return -1;
}

/* The shard's length and which pairs it holds (the same ones every epoch: a permutation of
 * the padded positions is a permutation of the pairs they name). */
static int mark_shard(pair_loader *l, const pair_loader_opts *o)
{
    size_t n = l->pairs.count;
    l->shard_count = o->shard_count > 1 ? (size_t)o->shard_count : 1;
    l->shard_rank = o->shard_count > 1 ? (size_t)o->shard_rank : 0;
    l->shard_len = (n + l->shard_count - 1) / l->shard_count;
    l->in_shard = calloc(n, 1);
    if (!l->in_shard)
        return -1;
    for (size_t k = 0; k < l->shard_len; k++) {
        size_t q = (l->shard_rank + k * l->shard_count) % n;
        l->shard_pairs += !l->in_shard[q];
        l->in_shard[q] = 1;
    }
    return 0;
}

static int check_opts(const pair_loader_opts *o, char *err, size_t errlen)
{
    int crops = o->preprocess == PREPROCESS_RESIZE_AND_CROP || o->preprocess == PREPROCESS_CROP ||
                o->preprocess == PREPROCESS_SCALE_WIDTH_AND_CROP;
    if (!o->root || !o->split)
        snprintf(err, errlen, "no dataset folder or split given");
    else if (o->batch_size < 1)
        snprintf(err, errlen, "batch size %d must be at least 1", o->batch_size);
    else if ((o->input_nc != 1 && o->input_nc != 3) || (o->output_nc != 1 && o->output_nc != 3))
        snprintf(err, errlen, "channel counts must be 1 or 3 (got %d and %d)", o->input_nc,
                 o->output_nc);
    else if (o->preprocess != PREPROCESS_CROP && o->preprocess != PREPROCESS_NONE &&
             o->load_size < 1)
        snprintf(err, errlen, "load size %d must be positive", o->load_size);
    else if (crops && o->crop_size < 1)
        snprintf(err, errlen, "crop size %d must be positive", o->crop_size);
    else if (crops && o->preprocess != PREPROCESS_CROP && o->load_size < o->crop_size)
        snprintf(err, errlen, "load size %d is smaller than the crop size %d", o->load_size,
                 o->crop_size);
    else if (o->shard_count > 1 && (o->shard_rank < 0 || o->shard_rank >= o->shard_count))
        snprintf(err, errlen, "shard %d of %d does not exist", o->shard_rank, o->shard_count);
    else if (o->threads < 0 || o->threads > 256)
        snprintf(err, errlen, "thread count %d is outside 0..256", o->threads);
    else
        return 0;
    return -1;
}

static int spawn_workers(pair_loader *l, int threads)
{
    for (; l->nthreads < threads; l->nthreads++)
        if (pthread_create(&l->threads[l->nthreads], NULL, worker_main, l))
            return -1;
    return 0;
}

/* Stops and joins the decode workers; returns how many there were. */
static int stop_workers(pair_loader *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->nthreads; i++)
        pthread_join(l->threads[i], NULL);
    int n = l->nthreads;
    l->nthreads = 0;
    return n;
}

static int start_workers(pair_loader *l, int threads)
{
    l->nslots = (size_t)l->batch + 2 * (size_t)threads;
    l->slots = calloc(l->nslots, sizeof *l->slots);
    l->threads = calloc((size_t)threads, sizeof *l->threads);
    if (!l->slots || !l->threads)
        return -1;
    for (size_t i = 0; i < l->nslots; i++) {
        l->slots[i].a = malloc(l->a_len * sizeof(float));
        l->slots[i].b = malloc(l->b_len * sizeof(float));
        if (!l->slots[i].a || !l->slots[i].b)
            return -1;
    }
    return spawn_workers(l, threads);
}

pair_loader *pair_loader_open(const pair_loader_opts *opts, char *err, size_t errlen)
{
    if (check_opts(opts, err, errlen))
        return NULL;
    pair_loader *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work_cv, NULL);
    pthread_cond_init(&l->ready_cv, NULL);
    l->t.pre = (preprocess_opts){opts->preprocess, opts->load_size, opts->crop_size, opts->no_flip};
    l->t.direction_btoa = opts->direction_btoa;
    l->t.input_nc = opts->input_nc;
    l->t.output_nc = opts->output_nc;
    l->t.max_pixels = opts->max_pixels;
    l->seed = opts->seed;
    l->serial = opts->serial;
    l->quiet = opts->quiet;
    l->batch = opts->batch_size;
    if (pair_list_scan(opts->root, opts->split, opts->quiet, &l->pairs, err, errlen)) {
        pair_loader_close(l);
        return NULL;
    }
    if (opts->max_pairs)
        pair_list_truncate(&l->pairs, opts->max_pairs);
    l->skipped = l->pairs.unpartnered;
    l->bad = calloc(l->pairs.count, 1);
    if (!l->bad || mark_shard(l, opts)) {
        snprintf(err, errlen, "out of memory");
        pair_loader_close(l);
        return NULL;
    }
    if (probe_item_size(l, err, errlen)) {
        pair_loader_close(l);
        return NULL;
    }
    size_t plane = (size_t)l->item_w * l->item_h;
    l->a_len = (size_t)opts->input_nc * plane;
    l->b_len = (size_t)opts->output_nc * plane;
    l->need = pair_loader_batches_per_epoch(l) * (size_t)l->batch;
    l->prefetch = l->need < l->shard_len ? l->need : l->shard_len;
    if (opts->threads > 0 && start_workers(l, opts->threads)) {
        snprintf(err, errlen, "cannot start %d loader threads (out of memory?)", opts->threads);
        pair_loader_close(l);
        return NULL;
    }
    return l;
}

int pair_loader_seek(pair_loader *l, uint64_t epoch, size_t batches)
{
    size_t per_epoch = pair_loader_batches_per_epoch(l);
    epoch += batches / per_epoch;
    size_t pos = batches % per_epoch * (size_t)l->batch;
    int threads = stop_workers(l); /* the ring restarts at the new position */
    l->epoch = epoch;
    l->pos = l->good = pos;
    l->next_claim = epoch * l->prefetch + (pos < l->prefetch ? pos : l->prefetch);
    l->next_consume = l->next_claim;
    for (size_t i = 0; i < l->nslots; i++)
        l->slots[i].state = SLOT_EMPTY;
    l->stop = 0;
    return spawn_workers(l, threads);
}

void pair_loader_close(pair_loader *l)
{
    if (!l)
        return;
    stop_workers(l);
    for (size_t i = 0; l->slots && i < l->nslots; i++) {
        free(l->slots[i].a);
        free(l->slots[i].b);
    }
    free(l->slots);
    free(l->threads);
    free(l->bad);
    free(l->in_shard);
    pair_list_free(&l->pairs);
    pthread_cond_destroy(&l->work_cv);
    pthread_cond_destroy(&l->ready_cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

size_t pair_loader_size(const pair_loader *l)
{
    return l->pairs.count;
}

size_t pair_loader_batches_per_epoch(const pair_loader *l)
{
    size_t n = l->shard_len / (size_t)l->batch;
    return n ? n : 1;
}

void pair_loader_item_size(const pair_loader *l, int *height, int *width)
{
    *height = l->item_h;
    *width = l->item_w;
}

size_t pair_loader_skipped(const pair_loader *l)
{
    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
    size_t n = l->skipped;
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
    return n;
}
