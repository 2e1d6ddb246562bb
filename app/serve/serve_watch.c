/* Connection deadlines of pix2pix serve (see serve_watch.h): a list of the open connections
 * and a thread that looks at it twice a second. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "app/serve/serve.h"
#include "app/serve/serve_watch.h"

typedef struct watched {
    MHD_socket fd;
    double since;     /* the current request's start */
    int complete;     /* its body is in: no deadline */
    struct watched *prev, *next;
} watched;

struct serve_watch {
    pthread_mutex_t mu; /* the list; held while a socket is shut down, and by the callback
                           that removes a connection (before libmicrohttpd closes its fd) */
    pthread_cond_t wake;
    watched *head;
    int timeout_s, stop;
    pthread_t thread;
};

static void *watch_main(void *arg)
{
    serve_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 500000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->wake, &w->mu, &until);
        double now = serve_now();
        for (watched *c = w->head; c; c = c->next)
            if (!c->complete && now - c->since > w->timeout_s) {
                shutdown(c->fd, SHUT_RDWR);
                c->complete = 1; /* once */
            }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

serve_watch *serve_watch_start(int timeout_s)
{
    serve_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->timeout_s = timeout_s;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, watch_main, w)) {
        free(w);
        return NULL;
    }
    return w;
}

void serve_watch_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    serve_watch *w = cls;
    watched *c = *socket_context;
    pthread_mutex_lock(&w->mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = info ? calloc(1, sizeof *c) : NULL;
        if (c) {
            *c = (watched){.fd = info->connect_fd, .since = serve_now(), .next = w->head};
            if (w->head)
                w->head->prev = c;
            w->head = c;
        }
        *socket_context = c;
    } else if (c) {
        if (c->prev)
            c->prev->next = c->next;
        else
            w->head = c->next;
        if (c->next)
            c->next->prev = c->prev;
        free(c);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&w->mu);
}

void serve_watch_complete(serve_watch *w, struct MHD_Connection *conn, int complete)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    watched *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&w->mu);
    c->complete = complete;
    c->since = serve_now();
    pthread_mutex_unlock(&w->mu);
}

void serve_watch_stop(serve_watch *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    free(w); /* the daemon is stopped: no connection is left in the list */
}
