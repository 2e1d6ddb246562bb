#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/resources.h"
#include "engine/device.h"

const char *app_default_device(void)
{
    const char *env = getenv("PIX2PIX_DEVICE");
    return env && env[0] ? env : "auto";
}

eng_backend *app_backend_open(const char *device, int threads, int quiet)
{
    /* Once per process: the demo, for one, opens a backend for training and one for testing. */
    static int noted;
    int n = threads > 0 ? threads : app_default_threads();
    eng_backend *be = eng_backend_open(device, n);
    if (be && eng_backend_note(be) && !quiet && !noted) {
        fprintf(stderr, "pix2pix: %s; running on the CPU\n", eng_backend_note(be));
        noted = 1;
    }
    return be;
}

int app_backends_open(const char *list, int threads, int quiet, eng_backend **out, int max,
                      char *err, size_t errlen)
{
    char specs[1024];
    if (snprintf(specs, sizeof specs, "%s", list) >= (int)sizeof specs) {
        snprintf(err, errlen, "the device list is too long");
        return -1;
    }
    int cpus = 0, n = 0;
    for (const char *p = specs; (p = strstr(p, "cpu")); p += 3)
        cpus += (p == specs || p[-1] == ',') && (p[3] == ',' || p[3] == '\0');
    if (threads <= 0 && cpus > 1) {
        int cores = app_default_threads();
        threads = cores > cpus ? cores / cpus : 1;
    }
    char *save = NULL;
    for (char *spec = strtok_r(specs, ",", &save); spec; spec = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            snprintf(err, errlen, "more than %d devices", max);
        } else if ((out[n] = app_backend_open(spec, threads, quiet))) {
            n++;
            continue;
        } else {
            snprintf(err, errlen, "%s", eng_last_error());
        }
        while (n > 0)
            eng_backend_free(out[--n]);
        return -1;
    }
    if (!n)
        snprintf(err, errlen, "no device in '%s'", list);
    return n ? n : -1;
}
