/* --device parsing and the device list, with or without the Vulkan backend compiled in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/device.h"
#include "engine/engine.h"
#include "graph.h" /* eng_set_error */
#ifdef PIX2PIX_HAVE_VULKAN
#include "engine/vulkan/vulkan_backend.h"
#endif

#define NO_VULKAN "this build has no Vulkan backend (configured with PIX2PIX_VULKAN=OFF or " \
                  "without the Vulkan SDK)"

int eng_device_list(eng_device_info *out, int max, char *err, size_t errlen)
{
#ifdef PIX2PIX_HAVE_VULKAN
    return eng_vulkan_list_devices(out, max, err, errlen);
#else
    (void)out;
    (void)max;
    snprintf(err, errlen, "%s", NO_VULKAN);
    return eng_set_error(ENG_EBACKEND, "%s", NO_VULKAN);
#endif
}

static eng_backend *open_vulkan(int index, int allow_software, char *err, size_t errlen)
{
#ifdef PIX2PIX_HAVE_VULKAN
    return eng_vulkan_backend_new(index, allow_software, err, errlen);
#else
    (void)index;
    (void)allow_software;
    snprintf(err, errlen, "%s", NO_VULKAN);
    return NULL;
#endif
}

static eng_backend *open_cpu(int threads, char *err, size_t errlen)
{
    eng_backend *be = eng_cpu_backend_new(threads);
    if (!be)
        snprintf(err, errlen, "cannot create the CPU backend: %s", eng_last_error());
    return be;
}

eng_backend *eng_backend_open(const char *spec, int threads, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!spec || !strcmp(spec, "auto")) {
        char why[512];
        eng_backend *be = open_vulkan(-1, 0, why, sizeof why);
        if (be)
            return be;
        be = open_cpu(threads, err, errlen);
        if (be) /* the caller's to show: why it is not on a GPU */
            snprintf(err, errlen, "%s", why);
        return be;
    }
    if (!strcmp(spec, "cpu"))
        return open_cpu(threads, err, errlen);
    if (!strcmp(spec, "vulkan"))
        return open_vulkan(-1, 1, err, errlen);
    if (!strncmp(spec, "vulkan:", 7)) {
        char *end;
        long index = strtol(spec + 7, &end, 10);
        if (end != spec + 7 && *end == '\0' && index >= 0 && index < 1000)
            return open_vulkan((int)index, 1, err, errlen);
    }
    snprintf(err, errlen, "unknown device '%s' (expected auto, cpu, vulkan or vulkan:N)", spec);
    return NULL;
}

int eng_device_peak_flops(eng_backend *be, int fp16, double seconds, double *flops)
{
    if (strncmp(eng_backend_name(be), "vulkan:", 7))
        return eng_set_error(ENG_EINVAL, "%s: the peak rate is measured on Vulkan devices only",
                             eng_backend_name(be));
#ifdef PIX2PIX_HAVE_VULKAN
    return eng_vulkan_peak_flops(be, fp16, seconds, flops);
#else
    (void)fp16;
    (void)seconds;
    (void)flops;
    return eng_set_error(ENG_EINVAL, "%s", NO_VULKAN);
#endif
}
