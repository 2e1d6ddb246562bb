#include <stdio.h>
#include <string.h>

#include "app/backend.h"

eng_backend *app_backend_open(const char *device, int threads, char *err, size_t errlen)
{
    if (!strcmp(device, "cpu")) {
        eng_backend *be = eng_cpu_backend_new(threads);
        if (!be)
            snprintf(err, errlen, "cannot start the CPU backend: %s", eng_last_error());
        return be;
    }
    snprintf(err, errlen, "device '%s' is not available (available: cpu)", device);
    return NULL;
}
