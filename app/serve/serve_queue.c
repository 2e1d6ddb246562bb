/* The translation queue of pix2pix serve: a bounded FIFO of jobs and one worker thread per
 * device. A worker takes the first job waiting, then gathers more for at most batch_ms or
 * until it holds batch of them, and runs the batch back to back on its device (the plan is
 * built once per image size and kept; the generator runs one image at a time). Each job takes
 * the dropout masks of an image at list position 0 with the --seed, so that its result is
 * that of `pix2pix translate` on the same file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/serve/serve.h"

typedef struct {
    serve_queue *q;
    eng_backend *be;
    generator gens[2];  /* [eval]: opened on first use */
    int open[2];
    double share;       /* of its device's memory budget */
    size_t bytes;       /* its plans' bytes after its last batch (under the queue's mu) */
    pthread_t thread;
} serve_worker;

struct serve_queue {
    const serve_config *c;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    serve_job *head, *tail;
    int depth, closed, ndevices, nthreads;
    serve_worker workers[SERVE_MAX_DEVICES];
    serve_metrics *m;
};

static int open_generator(serve_worker *w, int eval, char *err, size_t errlen)
{
    if (w->open[eval])
        return 0;
    if (generator_open(&w->gens[eval], w->q->c->model, w->be, eval, w->q->c->seed, err,
                       errlen))
        return -1;
    w->open[eval] = 1;
    return 0;
}

static void run_job(serve_worker *w, serve_job *j)
{
    translate_options o = {.full_res = j->full_res, .keep = 1, .depth = j->depth,
                           .overlap = -1, .stats_passes = 1, .budget_share = w->share};
    int rc = open_generator(w, j->eval, j->err, sizeof j->err);
    if (!rc) {
        generator *g = &w->gens[j->eval];
        g->image = 0;
        rc = translate_image(g, &j->in, &o, &j->out, j->err, sizeof j->err);
    }
    image_free(&j->in);
    j->status = rc ? 422 : 200;
}

/* Up to batch jobs: the first waiting, then those arriving within batch_ms. NULL: closed and
 * empty. */
static serve_job *take_batch(serve_queue *q, int *n)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->changed, &q->mu);
    if (q->head && q->depth < q->c->batch && !q->closed && q->c->batch_ms > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + q->c->batch_ms * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (q->depth < q->c->batch && !q->closed &&
               pthread_cond_timedwait(&q->changed, &q->mu, &until) == 0)
            ;
    }
    serve_job *first = q->head, *last = NULL;
    *n = 0;
    for (serve_job *j = q->head; j && *n < q->c->batch; j = j->next) {
        last = j;
        ++*n;
    }
    if (last) {
        q->head = last->next;
        last->next = NULL;
        if (!q->head)
            q->tail = NULL;
        q->depth -= *n;
    }
    pthread_mutex_unlock(&q->mu);
    return first;
}

static void *worker_main(void *arg)
{
    serve_worker *w = arg;
    int n;
    for (serve_job *b; (b = take_batch(w->q, &n));) {
        serve_metrics_batch(w->q->m, n);
        while (b) {
            serve_job *next = b->next;
            run_job(w, b);
            b->done(b); /* b belongs to its connection from here on */
            b = next;
        }
        size_t bytes = 0;
        for (int e = 0; e < 2; e++)
            bytes += w->open[e] ? generator_current_bytes(&w->gens[e]) : 0;
        pthread_mutex_lock(&w->q->mu);
        w->bytes = bytes;
        pthread_mutex_unlock(&w->q->mu);
    }
    return NULL;
}

serve_queue *serve_queue_start(const serve_config *c, eng_backend **be, int nb,
                               serve_metrics *m, char *err, size_t errlen)
{
    serve_queue *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    q->c = c;
    q->m = m;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->changed, NULL);
    for (int k = 0; k < nb; k++) {
        serve_worker *w = &q->workers[k];
        int same = 0;
        for (int i = 0; i < nb; i++)
            same += !strcmp(eng_backend_name(be[i]), eng_backend_name(be[k]));
        *w = (serve_worker){.q = q, .be = be[k], .share = 1.0 / same};
        q->ndevices = k + 1;
        if (open_generator(w, c->eval, err, errlen)) {
            serve_queue_stop(q);
            return NULL;
        }
    }
    for (; q->nthreads < nb; q->nthreads++)
        if (pthread_create(&q->workers[q->nthreads].thread, NULL, worker_main,
                           &q->workers[q->nthreads])) {
            snprintf(err, errlen, "cannot start a worker thread");
            serve_queue_stop(q);
            return NULL;
        }
    return q;
}

int serve_queue_push(serve_queue *q, serve_job *j)
{
    pthread_mutex_lock(&q->mu);
    int ok = !q->closed && q->depth < q->c->queue;
    if (ok) {
        j->next = NULL;
        if (q->tail)
            q->tail->next = j;
        else
            q->head = j;
        q->tail = j;
        q->depth++;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return ok ? 0 : -1;
}

int serve_queue_depth(serve_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int d = q->depth;
    pthread_mutex_unlock(&q->mu);
    return d;
}

const generator *serve_queue_model(serve_queue *q)
{
    return &q->workers[0].gens[q->c->eval];
}

int serve_queue_device_memory(serve_queue *q, serve_device_memory out[SERVE_MAX_DEVICES])
{
    pthread_mutex_lock(&q->mu);
    for (int k = 0; k < q->ndevices; k++)
        out[k].bytes = q->workers[k].bytes;
    pthread_mutex_unlock(&q->mu);
    for (int k = 0; k < q->ndevices; k++) { /* the devices are fixed once started */
        out[k].backend = eng_backend_name(q->workers[k].be);
        out[k].budget = eng_backend_memory_budget(q->workers[k].be);
    }
    return q->ndevices;
}

void serve_queue_stop(serve_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
    for (int k = 0; k < q->nthreads; k++)
        pthread_join(q->workers[k].thread, NULL);
    for (int k = 0; k < q->ndevices; k++) {
        for (int e = 0; e < 2; e++)
            if (q->workers[k].open[e])
                generator_close(&q->workers[k].gens[e]);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->changed);
    free(q);
}
