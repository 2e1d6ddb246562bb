/* pix2pix serve's run (the command's options: app/cli/cmd_serve.c): the model
 * is loaded and its plan built once per device; SIGINT or SIGTERM stop taking requests,
 * answer those in flight, and exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "app/common/backend.h"
#include "app/common/resources.h"
#include "app/model/model_file.h"
#include "app/serve/serve.h"
#include "base/text_line.h"

#define SERVE_DRAIN_SECONDS 60

/* Room for the connections in the file descriptor limit (raised as far as allowed). */
static void fit_connections(serve_config *c)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    rlim_t want = (rlim_t)c->connections + 64;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want && rl.rlim_cur > 128) {
        c->connections = (int)(rl.rlim_cur - 64);
        fprintf(stderr, "note: --connections lowered to %d (the open file limit is %llu)\n",
                c->connections, (unsigned long long)rl.rlim_cur);
    }
}

static int loopback(const char *host)
{
    return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1");
}

static void startup_line(const serve_config *c, const char *devices, int port)
{
    int v6 = strchr(c->host, ':') != NULL;
    printf("serving %s on http://%s%s%s:%d/ (%s)", c->model, v6 ? "[" : "", c->host,
           v6 ? "]" : "", port, devices);
    if (!loopback(c->host))
        printf("; reachable from the network%s",
               c->token ? ", with the bearer token" : ", by anyone (no --token)");
    printf("; Ctrl-C stops it\n");
    fflush(stdout);
}

/* Serves until SIGINT or SIGTERM (blocked in every thread, taken here). */
static int serve_until_signal(serve_config *c, eng_backend **be, int nb, const char *devices,
                              const char *palette)
{
    char err[1024];
    serve_metrics m;
    serve_metrics_init(&m);
    serve_queue *q = serve_queue_start(c, be, nb, &m, err, sizeof err);
    if (!q) {
        text_line(stderr, "pix2pix serve: %s", err);
        return 1;
    }
    char *model_json = serve_model_json(c, serve_queue_model(q), devices, palette);
    int port = 0;
    serve_http *h = model_json ? serve_http_start(c, q, &m, model_json, &port, err, sizeof err)
                               : NULL;
    if (!h) {
        text_line(stderr, "pix2pix serve: %s", model_json ? err : "out of memory");
        serve_queue_stop(q);
        free(model_json);
        return 1;
    }
    startup_line(c, devices, port);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig;
    sigwait(&set, &sig);
    if (!c->quiet)
        fprintf(stderr, "pix2pix serve: %s: answering the requests in flight, then exiting\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    serve_http_drain(h, SERVE_DRAIN_SECONDS);
    serve_queue_stop(q);
    serve_http_stop(h);
    free(model_json);
    return 0;
}

static int serve_on_devices(serve_config *c)
{
    char err[1024], devices[512] = "";
    st_file *f = model_file_open(c->model);
    if (!f) {
        text_line(stderr, "pix2pix serve: %s", eng_last_error());
        return 1;
    }
    st_close(f);
    char *palette = NULL;
    if (c->palette && !(palette = serve_palette_json(c->palette, err, sizeof err))) {
        text_line(stderr, "pix2pix serve: --palette %s: %s", c->palette, err);
        return 1;
    }
    eng_backend *be[SERVE_MAX_DEVICES];
    int nb = app_backends_open(c->device, c->threads, c->quiet, be, SERVE_MAX_DEVICES, err,
                               sizeof err);
    if (nb < 0) {
        text_line(stderr, "pix2pix serve: %s", err);
        free(palette);
        return 1;
    }
    for (int k = 0; k < nb; k++)
        snprintf(devices + strlen(devices), sizeof devices - strlen(devices), "%s%s",
                 k ? "," : "", eng_backend_name(be[k]));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
    signal(SIGPIPE, SIG_IGN);
    int rc = serve_until_signal(c, be, nb, devices, palette);
    for (int k = 0; k < nb; k++)
        eng_backend_free(be[k]);
    free(palette);
    return rc;
}


int serve_run(serve_config *c)
{
    fit_connections(c);
    return serve_on_devices(c);
}
