/* pix2pix serve: a generator as a local HTTP service (app/serve runs it). */
#include <stdio.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/backend.h"
#include "app/common/resources.h"
#include "app/serve/serve.h"

/* What --help says of pix2pix serve: its usage line, and the text below it. */
static const char usage[] =
    "pix2pix serve --model FILE [--device D] [--port 8080] [--host 127.0.0.1]";
static const char summary[] =
    "Serves a generator over HTTP: POST /translate with a PNG or JPEG body (or a multipart\n"
    "form with a file) answers the translated PNG, as 'pix2pix translate' writes it for\n"
    "the same file and options (?full_res=1, ?eval=1, ?bit_depth=16). GET / is a page to\n"
    "draw or upload on; GET /model, /health and /metrics (Prometheus) describe the\n"
    "service. Errors answer a JSON body {\"error\": reason, \"status\": code}. SIGINT or\n"
    "SIGTERM answer the requests in flight, then exit.\n"
    "\n"
    "Exit status: 0 stopped by a signal; 1 the model, a device or the address could not\n"
    "be used; 2 invalid command line.";

/* Memory per pixel of a request's image (as translate's): decoded, resized back, encoded. */
#define SERVE_PIXEL_BYTES 12

static int check_config(const serve_config *c)
{
    const char *bad = !c->model ? "--model is required"
                      : c->port > 65535 ? "--port must be in 0..65535"
                      : c->batch < 1 ? "--batch must be at least 1"
                      : c->queue < 1 ? "--queue must be at least 1"
                      : c->timeout_s < 1 ? "--timeout must be at least 1"
                      : c->connections < 1 ? "--connections must be at least 1"
                      : c->max_body < 1 ? "--max-body must be at least 1"
                      : c->max_pixels < 1 ? "--max-pixels must be at least 1"
                      : c->token && !c->token[0] ? "--token must not be empty" : NULL;
    if (bad)
        fprintf(stderr, "pix2pix serve: %s\n", bad);
    return bad ? 2 : 0;
}

int cmd_serve(int argc, char **argv)
{
    serve_config c = {.device = app_default_device(), .host = "127.0.0.1", .port = 8080,
                      .batch = 8, .batch_ms = 3, .queue = 64, .timeout_s = 30,
                      .connections = 2048, .max_pixels = 4096 * 4096,
                      .max_body = 64 << 20};
    const cli_opt opts[] = {
        {"model", CLI_STR, &c.model, "generator file: .safetensors, or a PyTorch .pth state_dict"},
        {"device", CLI_STR, &c.device, APP_DEVICE_HELP "; a list (vulkan:0,cpu) serves from "
                                       "each device at once"},
        {"host", CLI_STR, &c.host, "address to listen on (0.0.0.0: every interface, reachable "
                                   "from the network)"},
        {"port", CLI_INT, &c.port, "TCP port (0: any free one, printed at start)"},
        {"token", CLI_STR, &c.token, "requests but the page and /health need the header "
                                     "'Authorization: Bearer TOKEN' (the page: open it as "
                                     "/#token=TOKEN)"},
        {"eval", CLI_FLAG, &c.eval, "BatchNorm running statistics and no dropout (a request's "
                                    "?eval=0|1 chooses)"},
        {"seed", CLI_U64, &c.seed, "dropout seed (without --eval): every request takes the "
                                   "masks translate gives one image"},
        {"full-res", CLI_FLAG, &c.full_res, "run at the image's own resolution (a request's "
                                            "?full_res=0|1 chooses)"},
        {"palette", CLI_STR, &c.palette, "a folder of a few training A images of a labels "
                                         "model: their colours are the page's palette"},
        {"batch", CLI_INT, &c.batch, "requests a device takes at once, at most"},
        {"batch-ms", CLI_INT, &c.batch_ms, "how long a batch waits to fill, in milliseconds"},
        {"queue", CLI_INT, &c.queue, "requests waiting at most; more are answered 503 with "
                                     "Retry-After"},
        {"max-body", CLI_U64, &c.max_body, "largest request body in bytes (413 past it)"},
        {"max-pixels", CLI_U64, &c.max_pixels, "larger images (width x height) are refused "
                                               "before decoding (413)"},
        {"timeout", CLI_INT, &c.timeout_s, "seconds a request's body may take to arrive, and "
                                           "a connection may stay idle"},
        {"connections", CLI_INT, &c.connections, "open connections at most"},
        {"threads", CLI_INT, &c.threads, "CPU threads of each cpu device (0: all cores)"},
        {"quiet", CLI_FLAG, &c.quiet, "no notes on stderr"},
    };
    const cli_spec spec = {"serve", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if (check_config(&c) || app_cap_threads("serve", "--threads", &c.threads))
        return 2;
    app_cap_by_memory("serve", "--max-pixels", &c.max_pixels, SERVE_PIXEL_BYTES, "pixel");
    return serve_run(&c);
}
