/* The HTTP side of pix2pix serve, on libmicrohttpd (its threads poll the connections; no HTTP
 * is parsed here). POST /translate reads the body (raw, or the file of a multipart form) up
 * to max_body, decodes it on the connection's thread, queues it, suspends the connection
 * until a device worker is done, then encodes the PNG on the connection's thread. Every other
 * route answers at once. Errors are JSON bodies with translate's one-line reason. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/common/progress.h"
#include "app/serve/serve.h"
#include "app/serve/serve_http_req.h"
#include "app/serve/serve_watch.h"

#define HTTP_THREADS 4

struct serve_http {
    const serve_config *c;
    serve_queue *q;
    serve_metrics *m;
    const char *model_json;
    struct MHD_Daemon *d;
    serve_watch *watch;      /* the deadline of requests that arrive too slowly */
    pthread_mutex_t mu;      /* the fields below and the suspending of connections */
    pthread_cond_t idle;
    int inflight, draining;
};

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *mime,
                             void *data, size_t size, int retry_after)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(size, data,
                                                                                 free);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (retry_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

/* An error answer: {"error": reason, "status": status}, counted under its reason. */
static enum MHD_Result fail(serve_http *h, serve_request *r, int status, const char *tag,
                            const char *reason)
{
    serve_metrics_response(h->m, status, tag, r && r->route == ROUTE_TRANSLATE
                                                  ? now_seconds() - r->t0 : -1);
    char *json = serve_error_json(status, reason);
    if (!json)
        return MHD_NO;
    return reply(r->conn, status, "application/json", json, strlen(json), status == 503);
}

static enum MHD_Result ok_text(serve_http *h, serve_request *r, const char *mime, char *text)
{
    serve_metrics_response(h->m, 200, NULL, -1);
    if (!text)
        return fail(h, r, 500, "memory", "out of memory");
    return reply(r->conn, 200, mime, text, strlen(text), 0);
}

static enum MHD_Result answer_get(serve_http *h, serve_request *r, const char *url)
{
    if (r->route == ROUTE_MODEL)
        return ok_text(h, r, "application/json", strdup(h->model_json));
    if (r->route == ROUTE_HEALTH) {
        char *s = malloc(96);
        if (s)
            snprintf(s, 96, "{\"status\":\"%s\",\"queue\":%d}\n",
                     h->draining ? "draining" : "ok", serve_queue_depth(h->q));
        return ok_text(h, r, "application/json", s);
    }
    if (r->route == ROUTE_METRICS) {
        serve_device_memory dev[SERVE_MAX_DEVICES];
        int ndev = serve_queue_device_memory(h->q, dev);
        return ok_text(h, r, "text/plain; version=0.0.4",
                       serve_metrics_text(h->m, serve_queue_depth(h->q), dev, ndev));
    }
    size_t size;
    const char *mime;
    const uint8_t *file = serve_page_file(url, &size, &mime);
    void *copy = malloc(size ? size : 1);
    if (!copy)
        return fail(h, r, 500, "memory", "out of memory");
    memcpy(copy, file, size);
    serve_metrics_response(h->m, 200, NULL, -1);
    return reply(r->conn, 200, mime, copy, size, 0);
}

/* The first call of a request: its route, and the checks that need no body. */
static enum MHD_Result begin(serve_http *h, serve_request *r, const char *url,
                             const char *method)
{
    const char *reason;
    int status = serve_request_route(r, h->c, url, method, &reason);
    if (status)
        return fail(h, r, status, status == 401 ? "unauthorized"
                                  : status == 404 ? "not_found"
                                  : status == 405 ? "method"
                                                  : "bad_request", reason);
    if (r->route != ROUTE_TRANSLATE)
        return answer_get(h, r, url);
    pthread_mutex_lock(&h->mu);
    int draining = h->draining;
    pthread_mutex_unlock(&h->mu);
    if (draining)
        return fail(h, r, 503, "draining", "the server is shutting down");
    if (serve_queue_depth(h->q) >= h->c->queue)
        return fail(h, r, 503, "queue_full", "the queue is full: try again shortly");
    if (r->declared > h->c->max_body)
        return fail(h, r, 413, "body_too_large", r->limit_msg);
    return MHD_YES;
}

static void job_done(serve_job *j)
{
    serve_request *r = j->ctx;
    serve_http *h = r->http;
    pthread_mutex_lock(&h->mu);
    r->job_done = 1;
    MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&h->mu);
}

/* The whole body is in: decode it and queue it (the connection waits, suspended). */
static enum MHD_Result body_done(serve_http *h, serve_request *r)
{
    char err[512];
    serve_job *j = &r->job;
    serve_watch_complete(h->watch, r->conn, 1);
    int status = serve_request_finish(r, err, sizeof err);
    if (!status)
        status = serve_body_image(r->body, r->len, (long long)h->c->max_pixels, j->depth,
                                  &j->in, err, sizeof err);
    free(r->body);
    r->body = NULL;
    if (status)
        return fail(h, r, status, status == 413 ? "too_many_pixels"
                                  : status == 415 ? "not_an_image"
                                                  : "bad_image", err);
    j->done = job_done;
    j->ctx = r;
    j->t_start = now_seconds();
    pthread_mutex_lock(&h->mu);
    int queued = !h->draining && serve_queue_push(h->q, j) == 0;
    if (queued) {
        h->inflight++;
        r->inflight = 1;
        MHD_suspend_connection(r->conn);
    }
    pthread_mutex_unlock(&h->mu);
    if (!queued) {
        image_free(&j->in);
        return fail(h, r, 503, "queue_full", "the queue is full: try again shortly");
    }
    return MHD_YES;
}

/* The worker is done: the PNG, or the reason it failed. */
static enum MHD_Result answer_job(serve_http *h, serve_request *r)
{
    serve_job *j = &r->job;
    char err[512];
    if (j->status != 200)
        return fail(h, r, j->status, "translate", j->err);
    uint8_t *png;
    size_t size;
    /* zlib's fastest level: about 3x faster than its default on photos, for 5% more bytes */
    int rc = image_encode_png_level(&j->out, 1, &png, &size, err, sizeof err);
    image_free(&j->out);
    if (rc)
        return fail(h, r, 500, "encode", err);
    serve_metrics_response(h->m, 200, NULL, now_seconds() - r->t0);
    return reply(r->conn, 200, "image/png", png, size, 0);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    serve_http *h = cls;
    serve_request *r = *con_cls;
    if (!r) {
        r = serve_request_new(h, conn, h->c);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        pthread_mutex_lock(&h->m->mu);
        h->m->requests++;
        pthread_mutex_unlock(&h->m->mu);
        return begin(h, r, url, method);
    }
    if (r->job_done)
        return answer_job(h, r);
    if (now_seconds() - r->t0 > h->c->timeout_s)
        return fail(h, r, 408, "timeout", "the body did not arrive in time (--timeout)");
    if (*upload_size) {
        int rc = serve_request_receive(r, upload_data, *upload_size);
        *upload_size = 0;
        if (rc)
            return fail(h, r, rc, rc == 413 ? "body_too_large" : "bad_form",
                        rc == 413 ? r->limit_msg : "a malformed multipart form");
        return MHD_YES;
    }
    return body_done(h, r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    serve_http *h = cls;
    serve_request *r = *con_cls;
    serve_watch_complete(h->watch, conn, 0); /* the next request's time starts */
    if (!r)
        return;
    pthread_mutex_lock(&h->mu);
    if (r->inflight && --h->inflight == 0)
        pthread_cond_broadcast(&h->idle);
    pthread_mutex_unlock(&h->mu);
    serve_request_free(r);
    *con_cls = NULL;
}

/* The URL and query as libmicrohttpd unescapes them, but for any holding %00, left as they
 * came: a NUL inside would cut a path short ("/%00" is no page, 404). */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strstr(s, "%00") ? strlen(s) : MHD_http_unescape(s);
}

/* host:port resolved (numeric or a name) into addr; 0 or -1 with a reason. */
static int resolve(const char *host, int port, struct sockaddr_storage *addr, int *v6,
                   char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *res;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "--host %s: %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

serve_http *serve_http_start(const serve_config *c, serve_queue *q, serve_metrics *m,
                             const char *model_json, int *port, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    int v6;
    if (resolve(c->host, c->port, &addr, &v6, err, errlen))
        return NULL;
    serve_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *h = (serve_http){.c = c, .q = q, .m = m, .model_json = model_json};
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->idle, NULL);
    if (!(h->watch = serve_watch_start(c->timeout_s))) {
        snprintf(err, errlen, "cannot start a thread");
        free(h);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     (v6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(
        flags, (uint16_t)c->port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)c->connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_CONNECTION, serve_watch_notify,
        h->watch, MHD_OPTION_END);
    if (!h->d) {
        serve_watch_stop(h->watch);
        snprintf(err, errlen, "cannot listen on %s port %d (in use, or not an address here)",
                 c->host, c->port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : c->port;
    return h;
}

void serve_http_drain(serve_http *h, int timeout_s)
{
    pthread_mutex_lock(&h->mu);
    h->draining = 1;
    pthread_mutex_unlock(&h->mu);
    MHD_socket s = MHD_quiesce_daemon(h->d);
    if (s != MHD_INVALID_SOCKET)
        close(s);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(&h->mu);
    while (h->inflight > 0 && pthread_cond_timedwait(&h->idle, &h->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&h->mu);
}

void serve_http_stop(serve_http *h)
{
    MHD_stop_daemon(h->d);
    serve_watch_stop(h->watch);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->idle);
    free(h);
}
