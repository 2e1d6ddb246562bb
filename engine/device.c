/* --device parsing and the device list, with or without the Vulkan backend compiled in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/device.h"
#include "engine/engine.h"
#include "graph.h"
#ifdef PIX2PIX_HAVE_VULKAN
#include "engine/vulkan/vulkan_backend.h"
#endif

#define NO_VULKAN "this build has no Vulkan backend (configured with PIX2PIX_VULKAN=OFF or " \
                  "without the Vulkan SDK)"

int eng_device_list(eng_device_info *out, int max)
{
#ifdef PIX2PIX_HAVE_VULKAN
    return eng_vulkan_list_devices(out, max);
#else
    (void)out;
    (void)max;
    return eng_set_error(ENG_EBACKEND, "%s", NO_VULKAN);
#endif
}

static eng_backend *open_vulkan(int index, int allow_software)
{
#ifdef PIX2PIX_HAVE_VULKAN
    return eng_vulkan_backend_new(index, allow_software);
#else
    (void)index;
    (void)allow_software;
    eng_set_error(ENG_EBACKEND, "%s", NO_VULKAN);
    return NULL;
#endif
}

static eng_backend *open_cpu(int threads)
{
    eng_backend *be = eng_cpu_backend_new(threads);
    if (!be)
        eng_set_error(ENG_EBACKEND, "cannot create the CPU backend: %s", eng_last_error());
    return be;
}

eng_backend *eng_backend_open(const char *spec, int threads)
{
    if (!spec || !strcmp(spec, "auto")) {
        eng_backend *be = open_vulkan(-1, 0);
        if (be)
            return be;
        char why[sizeof be->note];
        snprintf(why, sizeof why, "%s", eng_last_error());
        if ((be = open_cpu(threads))) /* the caller's to show: why it is not on a GPU */
            snprintf(be->note, sizeof be->note, "%s", why);
        return be;
    }
    if (!strcmp(spec, "cpu"))
        return open_cpu(threads);
    if (!strcmp(spec, "vulkan"))
        return open_vulkan(-1, 1);
    if (!strncmp(spec, "vulkan:", 7)) {
        char *end;
        long index = strtol(spec + 7, &end, 10);
        if (end != spec + 7 && *end == '\0' && index >= 0 && index < 1000)
            return open_vulkan((int)index, 1);
    }
    eng_set_error(ENG_EINVAL, "unknown device '%s' (expected auto, cpu, vulkan or vulkan:N)", spec);
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
