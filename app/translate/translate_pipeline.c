#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/fsutil.h"
#include "app/common/progress.h"
#include "app/translate/translate_pipeline.h"
#include "base/text_line.h"

/* Encoding (PNG above all) is the slowest stage for small models: two threads share it. */
#define SAVERS 2

/* One file travelling through the stages. A stage that fails writes msg (one line, its end
 * left out) and the later stages pass the job on untouched; a saver prints it, escaped. */
typedef struct {
    int index;
    image in, out;
    char msg[8800];
} job;

/* A bounded blocking FIFO of job pointers (NULL marks the end of a stream). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    job **items;
    int cap, head, count;
} queue;

typedef struct pipeline pipeline;
typedef struct {
    pipeline *p;
    int index;
    const translate_worker *w;
    pthread_t thread;
} worker;

struct pipeline {
    const translate_settings *s;
    char **inputs, **outputs;
    int n, first, step; /* files first, first + step, ... of the n */
    int nworkers, nslots;
    job *slots;
    worker workers[TRANSLATE_MAX_WORKERS];
    queue free_slots, loaded, computed;
    pthread_mutex_t report_mu; /* the savers' reports below and stderr */
    progress prog;
    int failed, saving;
    double load_s, save_s;     /* load_s: written by the loader only */
    translate_stats *stats;    /* compute_s, images: each written by its worker only */
};

static int queue_init(queue *q, int cap)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->changed, NULL);
    q->items = malloc(sizeof *q->items * (size_t)cap);
    q->cap = cap;
    q->head = q->count = 0;
    return q->items ? 0 : -1;
}

static void queue_destroy(queue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->changed);
    free(q->items);
}

static void queue_push(queue *q, job *j)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap)
        pthread_cond_wait(&q->changed, &q->mu);
    q->items[(q->head + q->count++) % q->cap] = j;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static job *queue_pop(queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->changed, &q->mu);
    job *j = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
    return j;
}

static void fail(job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
}

static void load_stage(pipeline *p, job *j, int i)
{
    char err[512];
    const char *path = p->inputs[i];
    double t0 = now_seconds();
    j->index = i;
    j->msg[0] = '\0';
    if (image_load_as(path, p->s->max_pixels, p->s->keep, &j->in, err, sizeof err))
        fail(j, "%s: %s", path, err);
    else
        pair_half_take(&j->in, p->s->half);
    p->load_s += now_seconds() - t0;
}

static void compute_stage(worker *w, job *j)
{
    char err[512];
    if (j->msg[0])
        return;
    double t0 = now_seconds();
    w->w->r->image = j->index;
    int rc = translate_image(w->w->r, &j->in, &w->w->opts, &j->out, err, sizeof err);
    w->p->stats->compute_s[w->index] += now_seconds() - t0;
    w->p->stats->images[w->index]++;
    image_free(&j->in);
    if (rc)
        fail(j, "%s: %s", w->p->inputs[j->index], err);
}

/* The folder of path (made if needed), for outputs in subfolders of --output. */
static int make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return fs_mkdirs(dir);
}

/* Writes the result (atomically, as image_save_* do), reports a failure, counts progress. */
static void save_stage(pipeline *p, job *j)
{
    const char *path = p->inputs[j->index], *out_path = p->outputs[j->index];
    char err[512];
    double t0 = now_seconds();
    if (!j->msg[0]) {
        if (fs_same_file(path, out_path))
            fail(j, "%s: the output would overwrite the input (choose another --output)", path);
        else if (make_parent(out_path))
            fail(j, "%s: cannot make its folder: %s", out_path, strerror(errno));
        else if (p->s->jpg ? image_save_jpeg(out_path, &j->out, p->s->quality, err, sizeof err)
                           : image_save_png(out_path, &j->out, err, sizeof err))
            fail(j, "%s: %s", out_path, err);
    }
    image_free(&j->in);
    image_free(&j->out);
    pthread_mutex_lock(&p->report_mu);
    p->save_s += now_seconds() - t0;
    if (j->msg[0]) {
        text_line(stderr, "%s", j->msg);
        p->failed++;
    }
    progress_add(&p->prog, 1, "translate", 0, 0, NULL);
    pthread_mutex_unlock(&p->report_mu);
}

static void *loader_main(void *arg)
{
    pipeline *p = arg;
    for (int i = p->first; i < p->n; i += p->step) {
        job *j = queue_pop(&p->free_slots);
        load_stage(p, j, i);
        queue_push(&p->loaded, j);
    }
    for (int k = 0; k < p->nworkers; k++)
        queue_push(&p->loaded, NULL);
    return NULL;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    for (job *j; (j = queue_pop(&p->loaded));) {
        compute_stage(w, j);
        if (p->saving) {
            queue_push(&p->computed, j);
        } else {
            save_stage(p, j);
            queue_push(&p->free_slots, j);
        }
    }
    return NULL;
}

static void *saver_main(void *arg)
{
    pipeline *p = arg;
    for (job *j; (j = queue_pop(&p->computed));) {
        save_stage(p, j);
        queue_push(&p->free_slots, j);
    }
    return NULL;
}

/* The stages on their threads: the calling thread is worker 0, the others get threads (as
 * many as can be started). */
static void run_threads(pipeline *p, pthread_t loader)
{
    pthread_t savers[SAVERS];
    while (p->saving < SAVERS && !pthread_create(&savers[p->saving], NULL, saver_main, p))
        p->saving++;
    int started = 1;
    while (started < p->nworkers && !pthread_create(&p->workers[started].thread, NULL,
                                                    worker_main, &p->workers[started]))
        started++;
    worker_main(&p->workers[0]);
    for (int k = 1; k < started; k++)
        pthread_join(p->workers[k].thread, NULL);
    /* Workers that never started leave their end markers: the calling thread took the rest. */
    for (int k = 0; k < p->saving; k++)
        queue_push(&p->computed, NULL);
    for (int k = 0; k < p->saving; k++)
        pthread_join(savers[k], NULL);
    pthread_join(loader, NULL);
}

static void pipeline_free(pipeline *p)
{
    queue_destroy(&p->free_slots);
    queue_destroy(&p->loaded);
    queue_destroy(&p->computed);
    pthread_mutex_destroy(&p->report_mu);
    free(p->slots);
    free(p);
}

int translate_share(const translate_settings *s, int n)
{
    if (s->step <= 1)
        return n;
    return n > s->first ? (n - s->first + s->step - 1) / s->step : 0;
}

int translate_files(const translate_worker *workers, int nworkers, const translate_settings *s,
                    char **inputs, char **outputs, int n, translate_stats *stats)
{
    pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    *stats = (translate_stats){0};
    /* In flight: one decoding, per worker one computing and one waiting, one per saver; the
     * queues also hold the end markers. */
    int nslots = 1 + 2 * nworkers + SAVERS, cap = nslots + nworkers + SAVERS;
    p->s = s;
    p->inputs = inputs;
    p->outputs = outputs;
    p->n = n;
    p->first = s->step > 1 ? s->first : 0;
    p->step = s->step > 1 ? s->step : 1;
    p->nworkers = nworkers;
    p->stats = stats;
    p->slots = calloc((size_t)nslots, sizeof *p->slots);
    pthread_mutex_init(&p->report_mu, NULL);
    /* All three are initialised, whatever fails, so that pipeline_free can destroy them all. */
    int failed = queue_init(&p->free_slots, cap) != 0;
    failed |= queue_init(&p->loaded, cap) != 0;
    failed |= queue_init(&p->computed, cap) != 0;
    if (failed || !p->slots) {
        pipeline_free(p);
        return -1;
    }
    for (int k = 0; k < nworkers; k++)
        p->workers[k] = (worker){.p = p, .index = k, .w = &workers[k]};
    for (int k = 0; k < nslots; k++)
        queue_push(&p->free_slots, &p->slots[k]);
    progress_init(&p->prog, "img", translate_share(s, n), s->quiet || n == 1);
    double t0 = now_seconds();
    pthread_t loader;
    if (pthread_create(&loader, NULL, loader_main, p)) {
        /* No threads to be had: the same stages one file after another, on the first device. */
        for (int i = p->first; i < n; i += p->step) {
            load_stage(p, &p->slots[0], i);
            compute_stage(&p->workers[0], &p->slots[0]);
            save_stage(p, &p->slots[0]);
        }
    } else {
        run_threads(p, loader);
    }
    progress_end(&p->prog);
    stats->failed = p->failed;
    stats->wall_s = now_seconds() - t0;
    stats->load_s = p->load_s;
    stats->save_s = p->save_s;
    pipeline_free(p);
    return 0;
}
