/* pix2pix devices: the Vulkan devices this machine offers, in --device vulkan:N numbering,
 * with (--peak) their measured peak FP32 and FP16 multiply-add rates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "engine/device.h"
#include "engine/engine.h"

/* What --help says of pix2pix devices: its usage line, and the text below it. */
static const char usage[] = "pix2pix devices [OPTIONS]";
static const char summary[] =
    "Lists the Vulkan devices; select one with --device vulkan:N (--device auto picks a\n"
    "GPU, else the CPU).\n"
    "\n"
    "Exit status: 0 listed (also when there is none); 1 Vulkan could not list them;\n"
    "2 invalid command line.";

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
    printf("    %-18s %s\n", "cooperative matrix", d->cooperative_matrix);
    if (d->kernel_config[0])
        printf("    %-18s %s\n", "kernels", d->kernel_config);
    if (!d->usable)
        printf("    %-18s no (needs Vulkan 1.1 and a compute queue)\n", "usable");
}

/* One "peak fp32/fp16" line: the rate, or why there is none. */
static void print_peak(eng_backend *be, int fp16, double seconds)
{
    double flops;
    const char *label = fp16 ? "peak fp16 FMA" : "peak fp32 FMA";
    if (eng_device_peak_flops(be, fp16, seconds, &flops) == 0)
        printf("    %-18s %.3f TFLOP/s\n", label, flops / 1e12);
    else
        printf("    %-18s not measured: %s\n", label, eng_last_error());
}

static void measure_peaks(const eng_device_info *d, double seconds)
{
    char spec[32];
    snprintf(spec, sizeof spec, "vulkan:%d", d->index);
    eng_backend *be = d->usable ? eng_backend_open(spec, 0) : NULL;
    if (!be) {
        printf("    %-18s not measured: %s\n", "peak FMA",
               d->usable ? eng_last_error() : "device not usable");
        return;
    }
    print_peak(be, 0, seconds);
    print_peak(be, 1, seconds);
    fflush(stdout);
    eng_backend_free(be);
}

int cmd_devices(int argc, char **argv)
{
    int peak = 0;
    float seconds = 0.5f;
    const cli_opt opts[] = {
        {"peak", CLI_FLAG, &peak,
         "also measure each device's peak FP32 and FP16 multiply-add rate with a shader of its "
         "own (an FMA counts as 2 FLOPs)"},
        {"peak-seconds", CLI_FLOAT, &seconds,
         "length of each measured run of --peak, in (0, 60]"},
    };
    const cli_spec spec = {"devices", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if (!(seconds > 0 && seconds <= 60)) {
        fprintf(stderr, "pix2pix devices: --peak-seconds must be in (0, 60], not %g\n",
                (double)seconds);
        return 2;
    }
    eng_device_info devices[MAX_DEVICES];
    int count = eng_device_list(devices, MAX_DEVICES);
    if (count < 0) {
        fprintf(stderr, "pix2pix devices: %s\n", eng_last_error());
        return 1;
    }
    if (count == 0)
        printf("no Vulkan devices (is a Vulkan driver installed?)\n");
    for (int i = 0; i < count && i < MAX_DEVICES; i++) {
        print_device(&devices[i]);
        if (peak)
            measure_peaks(&devices[i], seconds);
    }
    return 0;
}
