/* pix2pix serve: a generator behind a local HTTP service (libmicrohttpd). The pieces:
 * serve_cmd.c (devices, start and drain; the options: app/cli/cmd_serve.c), serve_http.c (routes, bodies, limits),
 * serve_body.c (a request body to an image), serve_queue.c (the queue and a batching worker
 * per device), serve_info.c (/model, /metrics, JSON error bodies), serve_page.c (the page). */
#ifndef APP_SERVE_H
#define APP_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "app/model/generator.h"
#include "app/translate/translate.h"
#include "datasets/image.h"

#define SERVE_MAX_DEVICES 16
#define SERVE_LATENCY_BUCKETS 12

typedef struct {
    const char *model, *device, *host, *token, *palette;
    int port, eval, full_res, threads, quiet;
    int batch, batch_ms;       /* a batch: up to batch requests, formed within batch_ms */
    int queue;                 /* requests waiting at most; more get 503 */
    int timeout_s;             /* a request's body must arrive within this (and no connection
                                  stays idle longer) */
    int connections;           /* open connections at most */
    uint64_t seed, max_pixels, max_body;
} serve_config;

/* Serves until SIGINT or SIGTERM (serve_cmd.c); the exit status: 0, or 1 when the model, a
 * device or the address cannot be used (said on stderr). Built without libmicrohttpd
 * (serve_absent.c): says so, 1. */
int serve_run(serve_config *c);

/* One translation: the decoded input in, the result (or a reason) out. */
typedef struct serve_job {
    image in, out;
    int eval, full_res, depth;
    int status;                 /* 0 until done; then 200 or the HTTP status of err */
    char err[512];
    double t_start;             /* when its body was complete */
    void (*done)(struct serve_job *j); /* called by the worker (any thread) when finished */
    void *ctx;
    struct serve_job *next;
} serve_job;

/* Counters of the service (each under mu). */
typedef struct {
    pthread_mutex_t mu;
    uint64_t requests, responses_by_class[6];  /* 1xx..5xx */
    uint64_t images, batches, batch_images;
    double latency_sum;
    uint64_t latency_count, latency_buckets[SERVE_LATENCY_BUCKETS];
    int nreasons;
    char reasons[16][32];
    uint64_t reason_counts[16];
    double started;
    double window_t0;           /* images/s over the last whole window */
    uint64_t window_images;
    double last_rate;
} serve_metrics;

extern const double serve_latency_bounds[SERVE_LATENCY_BUCKETS];

/* serve_queue.c: one worker thread per device, each with its generators (one per eval mode,
 * opened on first use) taking batches off one bounded FIFO. */
typedef struct serve_queue serve_queue;
serve_queue *serve_queue_start(const serve_config *c, eng_backend **be, int nb,
                               serve_metrics *m, char *err, size_t errlen);
/* Adds j; -1 when the queue is full or closed (j untouched). */
int serve_queue_push(serve_queue *q, serve_job *j);
int serve_queue_depth(serve_queue *q);
/* The generator of the first device (opened at start: its configuration and sizes). */
const generator *serve_queue_model(serve_queue *q);
/* What one device holds: its plans' bytes after its last batch, and its memory budget. */
typedef struct {
    const char *backend; /* eng_backend_name: lives as long as the queue */
    size_t bytes, budget;
} serve_device_memory;
/* Fills out[0..n) for the queue's devices, in --device order; returns n. */
int serve_queue_device_memory(serve_queue *q, serve_device_memory out[SERVE_MAX_DEVICES]);
/* Finishes the queued jobs, stops the workers, closes the generators. */
void serve_queue_stop(serve_queue *q);

/* serve_body.c: a request body (PNG or JPEG bytes) to an image as translate reads files
 * (grey and alpha kept, 16 bits with depth 16). 0, or the HTTP status (400 corrupt, 413 too
 * many pixels, 415 not an image) with translate's one-line reason in err. */
int serve_body_image(const uint8_t *data, size_t size, long long max_pixels, int depth,
                     image *out, char *err, size_t errlen);

/* serve_info.c */
void serve_metrics_init(serve_metrics *m);
void serve_metrics_response(serve_metrics *m, int status, const char *reason, double latency);
void serve_metrics_batch(serve_metrics *m, int images);
/* The Prometheus text of the metrics (malloc'ed). */
char *serve_metrics_text(serve_metrics *m, int queue_depth, const serve_device_memory *dev,
                         int ndev);
/* {"error": reason, "status": status} (malloc'ed). */
char *serve_error_json(int status, const char *reason);
/* The model card as JSON (malloc'ed): architecture, direction, sizes, metadata, devices,
 * palette. */
char *serve_model_json(const serve_config *c, const generator *g, const char *devices,
                       const char *palette_json);
/* The most frequent colours of the images of dir (a palette for the page), as a JSON array
 * of "#rrggbb" (malloc'ed); NULL with a reason in err. */
char *serve_palette_json(const char *dir, char *err, size_t errlen);

/* serve_page.c: the embedded page's file at path ("/", "/page.js", ...); NULL when none. */
const uint8_t *serve_page_file(const char *path, size_t *size, const char **mime);

/* serve_http.c */
typedef struct serve_http serve_http;
serve_http *serve_http_start(const serve_config *c, serve_queue *q, serve_metrics *m,
                             const char *model_json, int *port, char *err, size_t errlen);
/* Stops taking connections and new translations; waits (at most timeout_s) for the
 * translations in flight to be answered. */
void serve_http_drain(serve_http *h, int timeout_s);
/* Closes every connection and the server (after serve_queue_stop: no connection waits on a
 * worker any more). */
void serve_http_stop(serve_http *h);

#endif
