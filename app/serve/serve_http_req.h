/* One HTTP request of pix2pix serve as it arrives: its route, its query, its body (raw, or
 * the file field of a multipart form through libmicrohttpd's post processor) and its job. */
#ifndef APP_SERVE_HTTP_REQ_H
#define APP_SERVE_HTTP_REQ_H

#include <microhttpd.h>

#include "app/serve/serve.h"

typedef enum { ROUTE_PAGE, ROUTE_MODEL, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_TRANSLATE } serve_route;

typedef struct {
    struct serve_http *http;
    struct MHD_Connection *conn;
    const serve_config *c;
    serve_route route;
    double t0;                  /* its first call */
    uint64_t declared;          /* Content-Length (0: none) */
    uint8_t *body;
    size_t len, cap;
    struct MHD_PostProcessor *pp; /* multipart/form-data */
    char form_key[64];          /* the form field of the file (the first with a file name) */
    char limit_msg[128];
    serve_job job;
    int inflight, job_done;     /* under the server's mu */
} serve_request;

serve_request *serve_request_new(struct serve_http *h, struct MHD_Connection *conn,
                                 const serve_config *c);
/* Sets r->route and reads the query into the job; 0, or an HTTP status (404, 405, 401, 400)
 * with its reason. */
int serve_request_route(serve_request *r, const serve_config *c, const char *url,
                        const char *method, const char **reason);
/* Appends a piece of the body; 0, 413 past max_body (r->limit_msg says so) or 400 (a
 * malformed form). */
int serve_request_receive(serve_request *r, const char *data, size_t size);
/* The body is complete; 0, or 400 with a reason (a form without a file). */
int serve_request_finish(serve_request *r, char *err, size_t errlen);
void serve_request_free(serve_request *r);

#endif
