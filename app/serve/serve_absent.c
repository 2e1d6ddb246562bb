/* pix2pix serve in a program built without libmicrohttpd: says so and how to get it. */
#include <stdio.h>

#include "app/serve/serve.h"

int serve_run(serve_config *c)
{
    (void)c;
    fprintf(stderr, "pix2pix serve: this pix2pix was built without the HTTP service: it needs "
            "libmicrohttpd (Debian: libmicrohttpd-dev) when CMake runs (PIX2PIX_SERVE=AUTO or ON)\n");
    return 1;
}
