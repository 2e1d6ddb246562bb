/* The tuning file (engine/vulkan/vk_tune_file.c), without a device: a round trip keeps every
 * choice; a file of another device (UUID), driver version or shader build is ignored with the
 * reason; malformed files (not JSON, a field of the wrong type, a bad tile) are ignored; a tile
 * that is not among the run's candidates is dropped. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/vulkan/vk_tune_file.h"
#include "test_files.h"
#include "tests/vulkan/vk_compare.h"

static VkPhysicalDeviceLimits limits(void)
{
    VkPhysicalDeviceLimits l = {0};
    l.maxComputeWorkGroupInvocations = 1024;
    l.maxComputeWorkGroupSize[0] = l.maxComputeWorkGroupSize[1] = 1024;
    l.maxComputeSharedMemorySize = 32768;
    return l;
}

static const vk_tune_identity identity = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                                          42, 0x0123456789abcdefULL};

/* Loads path for id: the return code, the reason in eng_last_error(). */
static int load(const char *path, const vk_tune_identity *id, const vk_tuning *tu, size_t *n,
                vk_conv_tuned **out)
{
    VkPhysicalDeviceLimits lim = limits();
    return vk_tune_file_load(path, id, tu, &lim, out, n);
}

static void expect_ignored(const char *path, const vk_tune_identity *id, const vk_tuning *tu,
                           const char *reason)
{
    vk_conv_tuned *out;
    size_t n;
    int rc = load(path, id, tu, &n, &out);
    const char *why = eng_last_error();
    CHECK(rc == -1 && !out && strstr(why, path) && strstr(why, reason),
          "expected '%s' ignored for '%s', got rc %d: %s", path, reason, rc, why);
}

static void round_trip(const char *path, const vk_tuning *tu)
{
    vk_tune_record recs[3] = {
        {{1, 1, 64, 128, 128, 128, 64, 64, 4, 4, 2, 1}, vk_conv_tile_of(tu->shape_ids[0]), 0, 0, 1.5},
        {{2, 1, 512, 2, 2, 512, 4, 4, 4, 4, 2, 1}, vk_conv_tile_of(tu->shape_ids[tu->nshapes - 1]),
         4, 0, 0.25},
        {{3, 1, 3, 256, 256, 64, 128, 128, 4, 4, 2, 1}, {16, 16, 3, 3, 16}, 0, 0, 2.0},
    };
    CHECK(!vk_tune_file_save(path, &identity, recs, 3), "save: %s", eng_last_error());
    vk_conv_tuned *out;
    size_t n;
    int rc = load(path, &identity, tu, &n, &out);
    CHECK(rc == 0 && n == 2,
          "round trip: rc %d, %zu entries (2 expected: the third tile is no "
          "candidate): %s",
          rc, n, eng_last_error());
    for (size_t i = 0; rc == 0 && i < n && i < 2; i++) {
        vk_conv_tile t = vk_conv_tile_of(out[i].choice.tile_id);
        CHECK(!memcmp(&out[i].key, &recs[i].key, sizeof out[i].key) &&
              !memcmp(&t, &recs[i].tile, sizeof t) && out[i].choice.splits == recs[i].splits &&
              !out[i].choice.coopmat, "entry %zu differs after the round trip", i);
    }
    free(out);
    vk_tune_identity other = identity;
    other.device_uuid[0] ^= 1;
    expect_ignored(path, &other, tu, "another device");
    other = identity;
    other.driver_version++;
    expect_ignored(path, &other, tu, "driver version");
    other = identity;
    other.shader_hash ^= 1;
    expect_ignored(path, &other, tu, "build of the shaders");
}

static void malformed(const char *path, const vk_tuning *tu)
{
    write_text(path, "{\"format\": ");
    expect_ignored(path, &identity, tu, "malformed");
    write_text(path, "[1, 2]");
    expect_ignored(path, &identity, tu, "malformed");
    const char *head = "{\"format\": \"pix2pix-vk conv tuning 1\", \"device_uuid\": "
                       "\"0102030405060708090a0b0c0d0e0f10\", \"driver_version\": 42, "
                       "\"shader_hash\": \"0123456789abcdef\", \"convs\": ";
    const char *bodies[] = {
        "[{\"key\": [1,1,1,1,1,1,1,1,1,1,1], \"tile\": \"16x16:4x4:16\", \"splits\": 0, "
        "\"coopmat\": false, \"ms\": 1}]", /* 11 key fields */
        "[{\"key\": [1,1,1,1,1,1,1,1,1,1,1,-1], \"tile\": \"16x16:4x4:16\", \"splits\": 0, "
        "\"coopmat\": false, \"ms\": 1}]", /* a negative field */
        "[{\"key\": [1,1,1,1,1,1,1,1,1,1,1,1], \"tile\": \"16x16:4x4\", \"splits\": 0, "
        "\"coopmat\": false, \"ms\": 1}]", /* a short tile */
        "[{\"key\": [1,1,1,1,1,1,1,1,1,1,1,1], \"tile\": \"16x16:4x4:16\", \"splits\": \"2\", "
        "\"coopmat\": false, \"ms\": 1}]", /* splits as a string */
        "[7]",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s}", head, bodies[i]);
        write_text(path, text);
        expect_ignored(path, &identity, tu, "malformed");
    }
}

int main(void)
{
    VkPhysicalDeviceLimits lim = limits();
    vk_device_traits dev = {0x10005, 1, 8, 1, &lim};
    vk_tuning tu;
    char dir[] = "/tmp/vk_tune_file_XXXXXX", path[400];
    if (vk_tuning_choose(&dev, &tu) || tu.nshapes < 2 || !mkdtemp(dir)) {
        fprintf(stderr, "setup: %s\n", eng_last_error());
        return 1;
    }
    snprintf(path, sizeof path, "%s/conv_tuning.json", dir);
    vk_conv_tuned *out;
    size_t n;
    CHECK(load(path, &identity, &tu, &n, &out) == 1 && !out, "a missing file: rc 1");
    round_trip(path, &tu);
    malformed(path, &tu);
    unlink(path);
    rmdir(dir);
    printf("%s\n", vkt_failures() ? "FAILED" : "ok");
    return vkt_failures() ? 1 : 0;
}
