/* Device selection and failure handling: eng_device_list, eng_backend_open's --device specs,
 * auto's choice and CPU fallback, a tensor over the device's buffer limit, and the devices
 * command. With --no-driver (ctest points the loader at a missing driver), every Vulkan request
 * must fail with a message and auto must fall back to the CPU. Also: tensors spanning several
 * memory blocks and staging chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/commands.h"
#include "engine/device.h"
#include "engine/engine.h"
#include "engine/graph.h"
#include "tests/vulkan/vk_compare.h"

/* Opens spec; expects a backend whose name starts with want (NULL: expects failure whose
 * message contains fragment). */
static void expect_open(const char *spec, const char *want, const char *fragment)
{
    eng_backend *be = eng_backend_open(spec, 1);
    if (want) {
        CHECK(be && !strncmp(eng_backend_name(be), want, strlen(want)),
              "'%s' should open a %s backend, got %s (%s)", spec, want,
              be ? eng_backend_name(be) : "nothing", eng_last_error());
    } else {
        CHECK(!be && strstr(eng_last_error(), fragment),
              "'%s' should fail with '%s', got %s ('%s')", spec, fragment,
              be ? eng_backend_name(be) : "NULL", eng_last_error());
    }
    eng_backend_free(be);
}

static int has_gpu(const eng_device_info *d, int count)
{
    for (int i = 0; i < count && i < 8; i++)
        if (d[i].usable && (!strcmp(d[i].type, "discrete") || !strcmp(d[i].type, "integrated") ||
                            !strcmp(d[i].type, "virtual") || !strcmp(d[i].type, "other")))
            return 1;
    return 0;
}

/* A tensor beyond maxStorageBufferRange (at most 4 GiB) is refused at plan time. */
static void check_oversized_tensor(void)
{
    eng_backend *vk = eng_backend_open("vulkan", 1);
    CHECK(vk != NULL, "vulkan backend: %s", eng_last_error());
    if (!vk)
        return;
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "huge", 1100, 1000, 1000, 1);
    eng_forward(g, eng_relu(g, x));
    size_t host = 0;
    CHECK(eng_plan_estimate(g, vk, NULL, &host) == ENG_EBACKEND &&
              strstr(eng_last_error(), "storage buffer limit"),
          "the estimate of a 4.4 GB tensor should fail, got %zu bytes (%s)", host,
          eng_last_error());
    eng_plan *p = eng_plan_new(g, vk);
    CHECK(!p && strstr(eng_last_error(), "storage buffer limit"),
          "a 4.4 GB tensor should be refused, got %s", p ? "a plan" : eng_last_error());
    eng_plan_free(p);
    eng_graph_free(g);
    eng_backend_free(vk);
}

/* Two 100 MB tensors: transfers in several 16 MB staging chunks and, where blocks are bounded
 * by a small storage buffer range (128 MB on lavapipe), two memory blocks; the values must
 * survive exactly. */
static void check_large_tensors(void)
{
    eng_backend *vk = eng_backend_open("vulkan", 1);
    if (!vk)
        return; /* reported by check_oversized_tensor */
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, 25, 1000, 1000), *y = eng_relu(g, x);
    eng_forward(g, y);
    size_t bytes = 0, host = 0;
    CHECK(eng_plan_estimate(g, vk, &bytes, &host) == ENG_OK, "estimate: %s", eng_last_error());
    eng_plan *p = eng_plan_new(g, vk);
    /* lavapipe's device memory is host memory; a GPU's host share is its staging buffers. */
    int software = strstr(eng_backend_name(vk), "llvmpipe") != NULL;
    CHECK(!p || (software ? host == eng_plan_bytes(p) : host < eng_plan_bytes(p) / 4),
          "%s: estimated %zu host bytes for a plan of %zu", eng_backend_name(vk), host,
          p ? eng_plan_bytes(p) : 0);
    CHECK(!p || bytes == eng_plan_bytes(p), "estimated %zu bytes in all for a plan of %zu", bytes,
          p ? eng_plan_bytes(p) : 0);
    float *in = malloc(x->numel * sizeof *in), *out = malloc(x->numel * sizeof *out);
    CHECK(p && in && out, "planning two 100 MB tensors: %s", eng_last_error());
    if (p && in && out) {
        for (size_t i = 0; i < x->numel; i++)
            in[i] = (float)(int)(i % 1999) - 999.0f;
        int status = eng_plan_write(p, x, in) || eng_plan_run(p) || eng_plan_read(p, y, out);
        CHECK(!status, "large tensors: %s", eng_last_error());
        size_t bad = 0;
        for (size_t i = 0; i < x->numel && !status; i++)
            bad += out[i] != (in[i] > 0.0f ? in[i] : 0.0f);
        CHECK(bad == 0, "%zu of %zu relu values wrong after chunked transfers", bad, x->numel);
        CHECK(eng_plan_bytes(p) >= 2 * x->numel * sizeof(float), "plan holds %zu bytes",
              eng_plan_bytes(p));
    }
    free(in);
    free(out);
    eng_plan_free(p);
    eng_graph_free(g);
    eng_backend_free(vk);
}

static void check_devices_command(void)
{
    char *ok_args[] = {"devices", NULL};
    char *bad_args[] = {"devices", "--bogus", NULL};
    CHECK(cmd_devices(1, ok_args) == 0, "pix2pix devices should succeed");
    CHECK(cmd_devices(2, bad_args) == 2, "pix2pix devices --bogus should exit 2");
}

/* The peak-rate shaders run and give a rate (its size is the machine's: not asserted); the
 * CPU backend and float16 on a device without it are refused. The fp32 run is given the
 * default 0.5 s of `devices --peak`, long enough that its dispatches grow past the 256
 * workgroups whose results fill the buffer (the shader wraps its index). */
static void check_peak_rate(const eng_device_info *d)
{
    eng_backend *vk = eng_backend_open("vulkan:0", 0);
    eng_backend *cpu = eng_backend_open("cpu", 1);
    CHECK(vk && cpu, "open: %s", eng_last_error());
    if (!vk || !cpu)
        return;
    double flops = -1;
    CHECK(eng_device_peak_flops(vk, 0, 0.5, &flops) == ENG_OK && flops > 0 && flops < 1e18,
          "fp32 peak: %g (%s)", flops, eng_last_error());
    flops = -1;
    int fp16 = eng_device_peak_flops(vk, 1, 0.02, &flops);
    if (d->shader_float16)
        CHECK(fp16 == ENG_OK && flops > 0 && flops < 1e18, "fp16 peak: %g (%s)", flops,
              eng_last_error());
    else
        CHECK(fp16 == ENG_EINVAL && strstr(eng_last_error(), "float16"), "fp16 without it: %d",
              fp16);
    CHECK(eng_device_peak_flops(cpu, 0, 0.02, &flops) == ENG_EINVAL &&
              strstr(eng_last_error(), "Vulkan devices only"),
          "the CPU backend has no peak rate: %s", eng_last_error());
    CHECK(vkt_check_validation(vk) == 0, "validation errors in the peak-rate shaders");
    eng_backend_free(vk);
    eng_backend_free(cpu);
}

int main(int argc, char **argv)
{
    int no_driver = argc > 1 && !strcmp(argv[1], "--no-driver");
    eng_device_info d[8];
    int count = eng_device_list(d, 8);
    expect_open("cpu", "cpu", NULL);
    expect_open("gpu", NULL, "unknown device 'gpu'");
    expect_open("vulkan:x", NULL, "unknown device 'vulkan:x'");
    expect_open("vulkan:-1", NULL, "unknown device");
    if (no_driver) {
        CHECK(count <= 0, "no devices expected without a driver, got %d", count);
        expect_open("vulkan", NULL, "Vulkan");
        expect_open("vulkan:0", NULL, "Vulkan");
        expect_open("auto", "cpu", NULL);
        return vkt_failures() != 0;
    }
    if (count <= 0) {
        printf("SKIP: no Vulkan device (%s)\n", count < 0 ? eng_last_error() : "none listed");
        return VKT_SKIP;
    }
    for (int i = 0; i < count && i < 8; i++) {
        printf("vulkan:%d %s (%s)\n", i, d[i].name, d[i].type);
        CHECK(d[i].index == i && d[i].name[0] && d[i].nheaps >= 1, "device %d description", i);
        CHECK(!d[i].usable || d[i].subgroup_size >= 1, "device %d subgroup size", i);
    }
    expect_open("vulkan", "vulkan:", NULL);
    expect_open("vulkan:0", "vulkan:0", NULL);
    expect_open("vulkan:99", NULL, "no Vulkan device 99");
    /* auto takes a GPU when there is one, never a software device */
    expect_open("auto", has_gpu(d, count) ? "vulkan:" : "cpu", NULL);
    check_oversized_tensor();
    check_large_tensors();
    check_devices_command();
    check_peak_rate(&d[0]);
    printf("%s\n", vkt_failures() ? "FAILED" : "ok");
    return vkt_failures() != 0;
}
