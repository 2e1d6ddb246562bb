/* A request of pix2pix serve as it arrives (see serve_http_req.h): its route and checks, its
 * query options, its body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/serve/serve_http_req.h"

serve_request *serve_request_new(struct serve_http *h, struct MHD_Connection *conn,
                                 const serve_config *c)
{
    serve_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->http = h;
    r->conn = conn;
    r->c = c;
    r->t0 = serve_now();
    snprintf(r->limit_msg, sizeof r->limit_msg, "the body is larger than the limit of %llu bytes "
             "(--max-body)", (unsigned long long)c->max_body);
    return r;
}

static const char *header(serve_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* "Bearer TOKEN", compared in constant time. */
static int authorized(serve_request *r, const char *token)
{
    const char *auth = header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!token)
        return 1;
    if (!auth || strncmp(auth, "Bearer ", 7))
        return 0;
    auth += 7;
    size_t n = strlen(token);
    if (strlen(auth) != n)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(auth[i] ^ token[i]);
    return diff == 0;
}

/* A 0/1 query option (absent: dflt); -1 when it is something else. */
static int flag(serve_request *r, const char *name, int dflt)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!v)
        return dflt;
    return !strcmp(v, "1") || !strcasecmp(v, "true") ? 1
           : !strcmp(v, "0") || !strcasecmp(v, "false") ? 0 : -1;
}

static int query(serve_request *r, const char **reason)
{
    serve_job *j = &r->job;
    const char *depth = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "bit_depth");
    j->eval = flag(r, "eval", r->c->eval);
    j->full_res = flag(r, "full_res", r->c->full_res);
    j->depth = !depth ? 8 : !strcmp(depth, "8") ? 8 : !strcmp(depth, "16") ? 16 : -1;
    *reason = j->eval < 0 ? "eval must be 0 or 1"
              : j->full_res < 0 ? "full_res must be 0 or 1"
              : j->depth < 0 ? "bit_depth must be 8 or 16" : NULL;
    return *reason ? 400 : 0;
}

static int append(serve_request *r, const char *data, size_t size)
{
    if (size > r->c->max_body - r->len)
        return -1;
    if (r->len + size > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + size)
            cap *= 2;
        uint8_t *b = realloc(r->body, cap);
        if (!b)
            return -1;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, size);
    r->len += size;
    return 0;
}

/* The post processor's fields: the data of the first field that carries a file name. */
static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *transfer_encoding, const char *data,
                                  uint64_t off, size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    serve_request *r = cls;
    if (!r->form_key[0] && filename && key)
        snprintf(r->form_key, sizeof r->form_key, "%s", key);
    if (!r->form_key[0] || !key || strcmp(key, r->form_key))
        return MHD_YES;
    return append(r, data, size) ? MHD_NO : MHD_YES;
}

int serve_request_route(serve_request *r, const serve_config *c, const char *url,
                        const char *method, const char **reason)
{
    size_t page_size;
    const char *mime;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    int page = serve_page_file(url, &page_size, &mime) != NULL;
    r->route = page ? ROUTE_PAGE
               : !strcmp(url, "/model") ? ROUTE_MODEL
               : !strcmp(url, "/health") ? ROUTE_HEALTH
               : !strcmp(url, "/metrics") ? ROUTE_METRICS
               : ROUTE_TRANSLATE;
    if (r->route == ROUTE_TRANSLATE && strcmp(url, "/translate")) {
        *reason = "no such path (GET /, /model, /health, /metrics; POST /translate)";
        return 404;
    }
    if (r->route == ROUTE_TRANSLATE ? !post : !get) {
        *reason = r->route == ROUTE_TRANSLATE ? "/translate takes POST" : "this path takes GET";
        return 405;
    }
    if (r->route != ROUTE_PAGE && r->route != ROUTE_HEALTH && !authorized(r, c->token)) {
        *reason = "a bearer token is needed (Authorization: Bearer TOKEN)";
        return 401;
    }
    if (r->route != ROUTE_TRANSLATE)
        return 0;
    const char *length = header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    r->declared = length ? strtoull(length, NULL, 10) : 0;
    const char *type = header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type && !strncasecmp(type, "multipart/form-data", 19)) {
        r->pp = MHD_create_post_processor(r->conn, 65536, form_field, r);
        if (!r->pp) {
            *reason = "a multipart form without a boundary";
            return 400;
        }
    }
    return query(r, reason);
}

int serve_request_receive(serve_request *r, const char *data, size_t size)
{
    if (!r->pp)
        return append(r, data, size) ? 413 : 0;
    size_t before = r->len;
    if (MHD_post_process(r->pp, data, size) == MHD_YES)
        return 0;
    return r->len == before && r->len + size > r->c->max_body ? 413 : 400;
}

int serve_request_finish(serve_request *r, char *err, size_t errlen)
{
    if (!r->pp)
        return 0;
    MHD_destroy_post_processor(r->pp);
    r->pp = NULL;
    if (r->form_key[0])
        return 0;
    snprintf(err, errlen, "the form has no file field");
    return 400;
}

void serve_request_free(serve_request *r)
{
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    free(r->body);
    image_free(&r->job.in);
    image_free(&r->job.out);
    free(r);
}
