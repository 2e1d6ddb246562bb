/* The deadline of pix2pix serve's connections: a request must arrive whole (headers and body)
 * within timeout_s of its start (a connection's opening, or the end of its previous request),
 * however slowly its bytes trickle in (slowloris), else its socket is shut down (libmicrohttpd
 * then closes the connection as the client's). Requests whose body is complete (waiting for a
 * device, or being answered) are left alone. */
#ifndef APP_SERVE_WATCH_H
#define APP_SERVE_WATCH_H

#include <microhttpd.h>

typedef struct serve_watch serve_watch;

serve_watch *serve_watch_start(int timeout_s);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the watch). */
void serve_watch_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The connection's request has its body (1), or has been answered and the next may start
 * (0). */
void serve_watch_complete(serve_watch *w, struct MHD_Connection *conn, int complete);
void serve_watch_stop(serve_watch *w);

#endif
