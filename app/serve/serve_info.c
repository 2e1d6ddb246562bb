/* What pix2pix serve tells about itself: the metrics (Prometheus text), the model card
 * (JSON), JSON error bodies, and the palette of a labels model for the page. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/progress.h"
#include "app/model/model_file.h"
#include "app/serve/serve.h"

const double serve_latency_bounds[SERVE_LATENCY_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,  0.5,  1,     2.5,  5,
                                                            10,    30};

void serve_metrics_init(serve_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    m->started = m->window_t0 = now_seconds();
}

void serve_metrics_response(serve_metrics *m, int status, const char *reason, double latency)
{
    pthread_mutex_lock(&m->mu);
    int cls = status / 100;
    m->responses_by_class[cls >= 1 && cls <= 5 ? cls : 0]++;
    if (reason) {
        int i = 0;
        while (i < m->nreasons && strcmp(m->reasons[i], reason))
            i++;
        if (i == m->nreasons && i < 16)
            snprintf(m->reasons[m->nreasons++], sizeof m->reasons[0], "%s", reason);
        if (i < 16)
            m->reason_counts[i]++;
    }
    if (latency >= 0) {
        m->latency_sum += latency;
        m->latency_count++;
        for (int b = 0; b < SERVE_LATENCY_BUCKETS; b++)
            m->latency_buckets[b] += latency <= serve_latency_bounds[b];
    }
    pthread_mutex_unlock(&m->mu);
}

void serve_metrics_batch(serve_metrics *m, int images)
{
    pthread_mutex_lock(&m->mu);
    m->batches++;
    m->batch_images += (uint64_t)images;
    m->images += (uint64_t)images;
    double t = now_seconds();
    m->window_images += (uint64_t)images;
    if (t - m->window_t0 >= 5) { /* images/s over windows of 5 s */
        m->last_rate = m->window_images / (t - m->window_t0);
        m->window_t0 = t;
        m->window_images = 0;
    }
    pthread_mutex_unlock(&m->mu);
}

/* Appends to a growing string; the text stays bounded (a few kB). */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

char *serve_metrics_text(serve_metrics *m, int queue_depth, const serve_device_memory *dev,
                         int ndev)
{
    size_t cap = 8192, len = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    b[0] = '\0';
    pthread_mutex_lock(&m->mu);
    double t = now_seconds(), up = t - m->started;
    double rate = t - m->window_t0 < 5 && m->last_rate > 0
                      ? m->last_rate
                      : m->window_images / (t - m->window_t0 > 1e-9 ? t - m->window_t0 : 1);
    add(b, cap, &len, "# TYPE pix2pix_requests_total counter\npix2pix_requests_total %llu\n",
        (unsigned long long)m->requests);
    add(b, cap, &len, "# TYPE pix2pix_responses_total counter\n");
    for (int c = 1; c <= 5; c++)
        add(b, cap, &len, "pix2pix_responses_total{class=\"%dxx\"} %llu\n", c,
            (unsigned long long)m->responses_by_class[c]);
    add(b, cap, &len, "# TYPE pix2pix_errors_total counter\n");
    for (int i = 0; i < m->nreasons; i++)
        add(b, cap, &len, "pix2pix_errors_total{reason=\"%s\"} %llu\n", m->reasons[i],
            (unsigned long long)m->reason_counts[i]);
    add(b, cap, &len, "# TYPE pix2pix_queue_depth gauge\npix2pix_queue_depth %d\n", queue_depth);
    add(b, cap, &len, "# TYPE pix2pix_translate_seconds histogram\n");
    for (int i = 0; i < SERVE_LATENCY_BUCKETS; i++)
        add(b, cap, &len, "pix2pix_translate_seconds_bucket{le=\"%g\"} %llu\n",
            serve_latency_bounds[i], (unsigned long long)m->latency_buckets[i]);
    add(b, cap, &len,
        "pix2pix_translate_seconds_bucket{le=\"+Inf\"} %llu\npix2pix_translate_seconds_sum %.6f\n"
        "pix2pix_translate_seconds_count %llu\n",
        (unsigned long long)m->latency_count, m->latency_sum,
        (unsigned long long)m->latency_count);
    add(b, cap, &len,
        "# TYPE pix2pix_images_total counter\npix2pix_images_total %llu\n"
        "# TYPE pix2pix_batches_total counter\npix2pix_batches_total %llu\n"
        "# TYPE pix2pix_images_per_second gauge\npix2pix_images_per_second %.3f\n"
        "# TYPE pix2pix_uptime_seconds gauge\npix2pix_uptime_seconds %.1f\n",
        (unsigned long long)m->images, (unsigned long long)m->batches, rate, up);
    for (int budget = 0; budget <= 1; budget++) {
        const char *name = budget ? "pix2pix_device_memory_budget_bytes"
                                  : "pix2pix_device_memory_bytes";
        add(b, cap, &len, "# TYPE %s gauge\n", name);
        for (int k = 0; k < ndev; k++)
            add(b, cap, &len, "%s{device=\"%d\",backend=\"%s\"} %zu\n", name, k, dev[k].backend,
                budget ? dev[k].budget : dev[k].bytes);
    }
    pthread_mutex_unlock(&m->mu);
    return b;
}

char *serve_error_json(int status, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", reason);
    cJSON_AddNumberToObject(o, "status", status);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *serve_model_json(const serve_config *c, const generator *g, const char *devices,
                       const char *palette_json)
{
    char name[64];
    gen_name(&g->cfg, name, sizeof name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "architecture", name);
    cJSON_AddNumberToObject(o, "input_nc", g->cfg.input_nc);
    cJSON_AddNumberToObject(o, "output_nc", g->cfg.output_nc);
    cJSON_AddNumberToObject(o, "ngf", g->cfg.ngf);
    cJSON_AddStringToObject(o, "norm", net_norm_name(g->cfg.norm));
    cJSON_AddNumberToObject(o, "image_size", g->image_size);
    cJSON_AddNumberToObject(o, "stride", gen_stride(&g->cfg));
    cJSON_AddNumberToObject(o, "min_side", gen_min_side(&g->cfg));
    cJSON_AddBoolToObject(o, "eval", c->eval);
    cJSON_AddBoolToObject(o, "full_res", c->full_res);
    cJSON_AddStringToObject(o, "devices", devices);
    const char *slash = strrchr(c->model, '/');
    cJSON_AddStringToObject(o, "file", slash ? slash + 1 : c->model);
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    st_file *f = model_file_open(c->model);
    for (int i = 0; f && i < st_meta_count(f); i++)
        cJSON_AddStringToObject(meta, st_meta_key(f, i), st_meta(f, st_meta_key(f, i)));
    const char *dir = f ? st_meta(f, "direction") : NULL;
    cJSON_AddStringToObject(o, "direction", dir ? dir : "AtoB");
    if (f)
        st_close(f);
    cJSON *pal = palette_json ? cJSON_Parse(palette_json) : NULL;
    cJSON_AddItemToObject(o, "palette", pal ? pal : cJSON_CreateNull());
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
