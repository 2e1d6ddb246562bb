#include <stdio.h>
#include <stdlib.h>

#include "app/backend.h"
#include "app/resources.h"
#include "engine/device.h"

const char *app_default_device(void)
{
    const char *env = getenv("PIX2PIX_DEVICE");
    return env && env[0] ? env : "auto";
}

eng_backend *app_backend_open(const char *device, int threads, int quiet, char *err,
                              size_t errlen)
{
    /* Once per process: the demo, for one, opens a backend for training and one for testing. */
    static int noted;
    int n = threads > 0 ? threads : app_default_threads();
    eng_backend *be = eng_backend_open(device, n, err, errlen);
    if (be && err[0] && !quiet && !noted) {
        fprintf(stderr, "pix2pix: %s; running on the CPU\n", err);
        noted = 1;
    }
    return be;
}
