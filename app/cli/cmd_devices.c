/* pix2pix devices: the Vulkan devices this machine offers, in --device vulkan:N numbering. */
#include <stdio.h>
#include <string.h>

#include "app/cli/commands.h"
#include "engine/device.h"

#define MAX_DEVICES 16

static void print_version(const char *label, uint32_t v)
{
    printf("    %-18s %u.%u.%u\n", label, (v >> 22) & 0x7fu, (v >> 12) & 0x3ffu, v & 0xfffu);
}

static void print_device(const eng_device_info *d)
{
    printf("vulkan:%d  %s\n", d->index, d->name);
    printf("    %-18s %s%s\n", "type", d->type,
           !strcmp(d->type, "cpu") ? " (software; used only when asked for)" : "");
    print_version("vulkan", d->api_version);
    if (d->driver_name[0])
        printf("    %-18s %s (%s)\n", "driver", d->driver_name, d->driver_info);
    printf("    %-18s 0x%08x\n", "driver version", d->driver_version);
    for (int h = 0; h < d->nheaps; h++)
        printf("    %-18s %.0f MiB%s\n", h == 0 ? "memory heaps" : "",
               (double)d->heap_bytes[h] / (1024.0 * 1024.0),
               d->heap_device_local[h] ? " device-local" : "");
    printf("    %-18s %u\n", "subgroup size", d->subgroup_size);
    printf("    %-18s %s\n", "float16 shaders", d->shader_float16 ? "yes" : "no");
    printf("    %-18s %s\n", "16-bit storage", d->storage_16bit ? "yes" : "no");
    printf("    %-18s %s\n", "cooperative matrix", d->cooperative_matrix ? "yes" : "no");
    if (!d->usable)
        printf("    %-18s no (needs Vulkan 1.1 and a compute queue)\n", "usable");
}

int cmd_devices(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: pix2pix devices\n\nLists the Vulkan devices; select one with "
               "--device vulkan:N (--device auto picks a GPU, else the CPU).\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "pix2pix devices: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    eng_device_info devices[MAX_DEVICES];
    char err[512];
    int count = eng_device_list(devices, MAX_DEVICES, err, sizeof err);
    if (count < 0) {
        fprintf(stderr, "pix2pix devices: %s\n", err);
        return 1;
    }
    if (count == 0)
        printf("no Vulkan devices (is a Vulkan driver installed?)\n");
    for (int i = 0; i < count && i < MAX_DEVICES; i++)
        print_device(&devices[i]);
    return 0;
}
