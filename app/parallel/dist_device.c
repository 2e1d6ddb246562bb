/* Devices of the ranks (see dist_device.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/parallel/dist.h"
#include "app/parallel/dist_device.h"
#include "engine/device.h"

#define MAX_DEVICES 64

int dist_local_gpu(int k, int local_size)
{
    static eng_device_info list[MAX_DEVICES];
    int n = eng_device_list(list, MAX_DEVICES), gpus = 0, index = -1;
    for (int i = 0; i < n && i < MAX_DEVICES; i++) {
        if (!list[i].usable ||
            (strcmp(list[i].type, "discrete") && strcmp(list[i].type, "integrated")))
            continue;
        if (gpus++ == k)
            index = list[i].index;
    }
    return gpus >= local_size ? index : -1;
}

void dist_device(const char *spec, int threads, const char **device, int *threads_out,
                 char *buf, size_t len)
{
    *device = spec;
    *threads_out = threads;
    if (dist_size() == 1)
        return;
    if (!strcmp(spec, "auto")) {
        int gpu = dist_local_gpu(dist_local_rank(), dist_local_size());
        if (gpu >= 0)
            snprintf(buf, len, "vulkan:%d", gpu);
        else
            snprintf(buf, len, "cpu");
        *device = buf;
    }
    if (!strcmp(*device, "cpu") && threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        *threads_out = cores > dist_local_size() ? (int)(cores / dist_local_size()) : 1;
    }
}
