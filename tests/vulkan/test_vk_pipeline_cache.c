/* The pipeline cache on disk (engine/vulkan/vk_pipeline_cache.c): a first start writes it
 * under $XDG_CACHE_HOME/pix2pix-vk, a second start begins with its data, and a file that is
 * not this device's, this driver's and this build's (or is cut short) is ignored and then
 * rewritten. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vulkan_backend.h"
#include "test_files.h"
#include "tests/vulkan/vk_compare.h"

static char cache_file[4300];

/* Opens the device, runs a convolution and a ReLU (so that pipelines are compiled), and
 * returns the bytes of driver data the cache started with (-1: no device). */
static long start_once(VkPhysicalDeviceProperties *props)
{
    eng_backend *be = eng_vulkan_backend_new(-1, 1);
    if (!be)
        return -1;
    const vk_ctx *ctx = be->impl;
    long loaded = (long)ctx->cache_loaded_bytes;
    *props = ctx->props;
    snprintf(cache_file, sizeof cache_file, "%s/pix2pix-vk/pipelines-%04x-%04x.bin",
             getenv("XDG_CACHE_HOME"), props->vendorID, props->deviceID);
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, 2, 5, 5), *w = eng_param4(g, "w", 3, 2, 3, 3);
    eng_node *y = eng_relu(g, eng_conv2d(g, x, w, NULL, 1, 1));
    eng_forward(g, y);
    eng_plan *p = eng_plan_new(g, be);
    CHECK(p && eng_plan_run(p) == ENG_OK, "run: %s", eng_last_error());
    eng_plan_free(p);
    eng_graph_free(g);
    eng_backend_free(be);
    return loaded;
}

static void write_all(const char *path, const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, size, f) == size, "cannot write %s", path);
    if (f)
        fclose(f);
}

/* The file as written must be usable, and one changed byte at `at` (or the file cut to
 * `cut` bytes) must not be. */
static void check_file_checks(const VkPhysicalDeviceProperties *props)
{
    size_t size;
    unsigned char *data = read_whole_file(cache_file, &size);
    CHECK(data && size >= 48, "%s: missing or short (%zu bytes)", cache_file, size);
    if (!data)
        return;
    CHECK(!memcmp(data, "P2PVKPC1", 8), "no magic");
    CHECK(vk_pipeline_cache_usable(data, size, props), "the cache as written is not usable");
    const struct { const char *what; size_t at; } changes[] = {
        {"magic", 0}, {"shaders' hash", 9}, {"driver header size", 16},
        {"vendor", 24}, {"device", 28}, {"pipelineCacheUUID", 40},
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        data[changes[i].at] ^= 0x5a;
        CHECK(!vk_pipeline_cache_usable(data, size, props), "a changed %s is accepted",
              changes[i].what);
        data[changes[i].at] ^= 0x5a;
    }
    CHECK(!vk_pipeline_cache_usable(data, 47, props), "a file cut short is accepted");
    free(data);
}

int main(void)
{
    char dir[] = "/tmp/p2p_vkcache_XXXXXX";
    temp_dir(dir);
    setenv("XDG_CACHE_HOME", dir, 1);
    VkPhysicalDeviceProperties props;
    long cold = start_once(&props);
    if (cold < 0) {
        printf("skipped: no Vulkan device\n");
        return 77;
    }
    CHECK(cold == 0, "a first start found %ld bytes of cache", cold);
    check_file_checks(&props);
    size_t size;
    unsigned char *data = read_whole_file(cache_file, &size);
    long warm = start_once(&props);
    CHECK(data && warm == (long)size - 16, "a second start loaded %ld bytes of a %zu-byte file",
          warm, size);
    /* Another device's cache in the file: ignored, then replaced by this one's. */
    if (data) {
        data[40] ^= 0xff;
        write_all(cache_file, data, size);
        CHECK(start_once(&props) == 0, "a cache of another driver was loaded");
        free(data);
        data = read_whole_file(cache_file, &size);
        CHECK(data && vk_pipeline_cache_usable(data, size, &props),
              "the foreign cache was not replaced");
    }
    free(data);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    if (vkt_failures())
        printf("%d failure(s)\n", vkt_failures());
    else
        printf("pipeline cache: cold start 0 bytes, warm start %ld bytes\n", warm);
    return vkt_failures() ? 1 : 0;
}
