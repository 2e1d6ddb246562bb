#include <stdlib.h>

#include "app/backend.h"
#include "engine/device.h"

const char *app_default_device(void)
{
    const char *env = getenv("PIX2PIX_DEVICE");
    return env && env[0] ? env : "auto";
}

eng_backend *app_backend_open(const char *device, int threads, char *err, size_t errlen)
{
    return eng_backend_open(device, threads, err, errlen);
}
