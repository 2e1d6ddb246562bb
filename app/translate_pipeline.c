#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/fsutil.h"
#include "app/progress.h"
#include "app/translate.h"
#include "app/translate_pipeline.h"

/* Encoding (PNG above all) is the slowest stage for small models: two threads share it. */
#define SAVERS 2
/* Images in flight at once: one decoding, one waiting, one computing, one per saver. */
#define SLOTS (3 + SAVERS)
/* Room for every slot and the end markers. */
#define QUEUE_CAP (SLOTS + SAVERS)

/* One file travelling through the stages. A stage that fails writes msg and the later stages
 * pass the job on untouched; a saver prints it. */
typedef struct {
    int index;
    image in, out;
    char msg[8800];
} job;

/* A bounded blocking FIFO of job pointers (NULL marks the end of a stream). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    job *items[QUEUE_CAP];
    int head, count;
} queue;

typedef struct {
    generator *r;
    const translate_settings *s;
    char **files;
    const int *owner;
    int n, first, step; /* files first, first + step, ... of the n */
    job slots[SLOTS];
    queue free_slots, loaded, computed;
    pthread_mutex_t report_mu; /* the savers' reports below and stderr */
    progress prog;
    int failed;
    double load_s, compute_s, save_s; /* load_s, compute_s: each written by one thread only */
} pipeline;

static void queue_init(queue *q)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->changed, NULL);
    q->head = q->count = 0;
}

static void queue_destroy(queue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->changed);
}

static void queue_push(queue *q, job *j)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == QUEUE_CAP)
        pthread_cond_wait(&q->changed, &q->mu);
    q->items[(q->head + q->count++) % QUEUE_CAP] = j;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static job *queue_pop(queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->changed, &q->mu);
    job *j = q->items[q->head];
    q->head = (q->head + 1) % QUEUE_CAP;
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
    const char *path = p->files[i];
    double t0 = now_seconds();
    j->index = i;
    j->msg[0] = '\0';
    if (p->owner && p->owner[i] != i)
        fail(j, "%s: skipped: %s has the same base name, and so the same output name\n", path,
             p->files[p->owner[i]]);
    else if (image_load(path, p->s->max_pixels, &j->in, err, sizeof err))
        fail(j, "%s: %s\n", path, err);
    p->load_s += now_seconds() - t0;
}

static void compute_stage(pipeline *p, job *j)
{
    char err[512];
    if (j->msg[0])
        return;
    double t0 = now_seconds();
    p->r->image = j->index;
    int rc = translate_image(p->r, &j->in, p->s->full_res, &j->out, err, sizeof err);
    p->compute_s += now_seconds() - t0;
    image_free(&j->in);
    if (rc)
        fail(j, "%s: %s\n", p->files[j->index], err);
}

/* Writes the result (atomically, as image_save_* do), reports a failure, counts progress. */
static void save_stage(pipeline *p, job *j)
{
    const char *path = p->files[j->index];
    char err[512], stem[1024], out_path[4096];
    double t0 = now_seconds();
    if (!j->msg[0]) {
        fs_stem(path, stem, sizeof stem);
        snprintf(out_path, sizeof out_path, "%s/%s.%s", p->s->output, stem,
                 p->s->jpg ? "jpg" : "png");
        if (fs_same_file(path, out_path))
            fail(j, "%s: the output would overwrite the input (choose another --output)\n",
                 path);
        else if (p->s->jpg ? image_save_jpeg(out_path, &j->out, p->s->quality, err, sizeof err)
                           : image_save_png(out_path, &j->out, err, sizeof err))
            fail(j, "%s: %s\n", out_path, err);
    }
    image_free(&j->in);
    image_free(&j->out);
    pthread_mutex_lock(&p->report_mu);
    p->save_s += now_seconds() - t0;
    if (j->msg[0]) {
        fputs(j->msg, stderr);
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
    queue_push(&p->loaded, NULL);
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

int translate_share(const translate_settings *s, int n)
{
    if (s->step <= 1)
        return n;
    return n > s->first ? (n - s->first + s->step - 1) / s->step : 0;
}

int translate_files(generator *r, const translate_settings *s, char **files, const int *owner,
                    int n, translate_stats *stats)
{
    pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    *p = (pipeline){.r = r, .s = s, .files = files, .owner = owner, .n = n,
                    .first = s->step > 1 ? s->first : 0, .step = s->step > 1 ? s->step : 1};
    queue_init(&p->free_slots);
    queue_init(&p->loaded);
    queue_init(&p->computed);
    pthread_mutex_init(&p->report_mu, NULL);
    for (int k = 0; k < SLOTS; k++)
        queue_push(&p->free_slots, &p->slots[k]);
    progress_init(&p->prog, "img", translate_share(s, n), s->quiet || n == 1);
    double t0 = now_seconds();
    pthread_t loader, savers[SAVERS];
    if (pthread_create(&loader, NULL, loader_main, p)) {
        /* No threads to be had: the same stages one file after another. */
        for (int i = p->first; i < n; i += p->step) {
            load_stage(p, &p->slots[0], i);
            compute_stage(p, &p->slots[0]);
            save_stage(p, &p->slots[0]);
        }
    } else {
        int saving = 0;
        while (saving < SAVERS && !pthread_create(&savers[saving], NULL, saver_main, p))
            saving++;
        for (job *j; (j = queue_pop(&p->loaded));) {
            compute_stage(p, j);
            if (saving) {
                queue_push(&p->computed, j);
            } else {
                save_stage(p, j);
                queue_push(&p->free_slots, j);
            }
        }
        for (int k = 0; k < saving; k++)
            queue_push(&p->computed, NULL);
        for (int k = 0; k < saving; k++)
            pthread_join(savers[k], NULL);
        pthread_join(loader, NULL);
    }
    progress_end(&p->prog);
    *stats = (translate_stats){p->failed, now_seconds() - t0, p->load_s, p->compute_s,
                               p->save_s};
    queue_destroy(&p->free_slots);
    queue_destroy(&p->loaded);
    queue_destroy(&p->computed);
    pthread_mutex_destroy(&p->report_mu);
    free(p);
    return 0;
}
