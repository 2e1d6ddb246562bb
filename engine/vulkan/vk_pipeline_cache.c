/* The pipeline cache on disk, so that a second start skips compiling the shaders: one file per
 * device model under $XDG_CACHE_HOME/pix2pix-vk (else ~/.cache/pix2pix-vk), written atomically
 * when the run compiled pipelines the file did not have. The file is our 16-byte header (a
 * magic and a hash of the built-in shaders: another build starts afresh) then the driver's
 * data, used only when its own header names this device and driver (pipelineCacheUUID). A
 * cache that cannot be read or written is no error: the run compiles as without one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/atomic_file.h"
#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vk_shaders.h"

#define MAGIC "P2PVKPC1"
#define OUR_HEADER 16
#define DRIVER_HEADER 32 /* VkPipelineCacheHeaderVersionOne */
#define MAX_CACHE_BYTES ((long)256 << 20)

/* FNV-1a over the names and SPIR-V of every built-in shader. */
uint64_t vk_shaders_hash(void)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < vk_shader_count; i++) {
        const unsigned char *parts[2] = {(const unsigned char *)vk_shader_blobs[i].name,
                                         (const unsigned char *)vk_shader_blobs[i].code};
        size_t sizes[2] = {strlen(vk_shader_blobs[i].name), vk_shader_blobs[i].size};
        for (int p = 0; p < 2; p++)
            for (size_t k = 0; k < sizes[p]; k++)
                h = (h ^ parts[p][k]) * 0x100000001b3ULL;
    }
    return h;
}

static uint32_t read_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int vk_pipeline_cache_usable(const void *data, size_t size, const VkPhysicalDeviceProperties *props)
{
    const unsigned char *b = data;
    if (size < OUR_HEADER + DRIVER_HEADER || memcmp(b, MAGIC, 8))
        return 0;
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--)
        h = h << 8 | b[8 + i];
    const unsigned char *d = b + OUR_HEADER;
    return h == vk_shaders_hash() && read_u32(d) >= DRIVER_HEADER && read_u32(d) <= size - OUR_HEADER &&
           read_u32(d + 4) == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
           read_u32(d + 8) == props->vendorID && read_u32(d + 12) == props->deviceID &&
           !memcmp(d + 16, props->pipelineCacheUUID, VK_UUID_SIZE);
}

/* The cache folder, created; 0 when there is no home to put it in. */
static int cache_dir(char *dir, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(dir, len, "%s", xdg);
    else if (home && home[0])
        snprintf(dir, len, "%s/.cache", home);
    else
        return 0;
    size_t n = strlen(dir);
    if (n + 16 >= len)
        return 0;
    if (mkdir(dir, 0755) && errno != EEXIST)
        return 0;
    memcpy(dir + n, "/pix2pix-vk", 12);
    return !mkdir(dir, 0755) || errno == EEXIST;
}

int vk_cache_file(const vk_ctx *ctx, const char *stem, const char *ext, char *path, size_t len)
{
    char dir[4096];
    if (!cache_dir(dir, sizeof dir))
        return 0;
    int w = snprintf(path, len, "%s/%s-%04x-%04x.%s", dir, stem, ctx->props.vendorID,
                     ctx->props.deviceID, ext);
    return w > 0 && (size_t)w < len;
}

/* The file's contents when it is a cache of this device and build (NULL otherwise). */
static unsigned char *load(const vk_ctx *ctx, const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    if (n > 0 && n <= MAX_CACHE_BYTES && !fseek(f, 0, SEEK_SET) && (data = malloc((size_t)n)) &&
        fread(data, 1, (size_t)n, f) == (size_t)n &&
        vk_pipeline_cache_usable(data, (size_t)n, &ctx->props)) {
        *size = (size_t)n;
    } else {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

void vk_pipeline_cache_open(vk_ctx *ctx)
{
    char path[4200];
    size_t size = 0;
    unsigned char *data = vk_cache_file(ctx, "pipelines", "bin", path, sizeof path) ? load(ctx, path, &size) : NULL;
    VkPipelineCacheCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
        .initialDataSize = data ? size - OUR_HEADER : 0,
        .pInitialData = data ? data + OUR_HEADER : NULL,
    };
    VkResult r = vkCreatePipelineCache(ctx->device, &info, NULL, &ctx->pipeline_cache);
    if (r != VK_SUCCESS && data) { /* the driver refused the data: start empty */
        info.initialDataSize = 0;
        info.pInitialData = NULL;
        r = vkCreatePipelineCache(ctx->device, &info, NULL, &ctx->pipeline_cache);
    }
    ctx->cache_loaded_bytes = r == VK_SUCCESS && data ? info.initialDataSize : 0;
    free(data);
    if (r != VK_SUCCESS)
        ctx->pipeline_cache = VK_NULL_HANDLE; /* compile without a cache */
}

/* Writes the cache when this run added to it (atomically: a reader sees the old file or the
 * new one). */
static void save(vk_ctx *ctx)
{
    char path[4200], err[256];
    size_t size = 0;
    if (!ctx->pipelines_compiled || !vk_cache_file(ctx, "pipelines", "bin", path, sizeof path) ||
        vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &size, NULL) != VK_SUCCESS ||
        size < DRIVER_HEADER || size == ctx->cache_loaded_bytes)
        return;
    unsigned char *data = malloc(OUR_HEADER + size);
    if (!data)
        return;
    memcpy(data, MAGIC, 8);
    uint64_t h = vk_shaders_hash();
    for (int i = 0; i < 8; i++)
        data[8 + i] = (unsigned char)(h >> (8 * i));
    atomic_file f;
    if (vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &size, data + OUR_HEADER) ==
            VK_SUCCESS &&
        !atomic_file_open(&f, path, err, sizeof err)) {
        atomic_file_write(&f, data, OUR_HEADER + size);
        atomic_file_commit(&f, err, sizeof err);
    }
    free(data);
}

void vk_pipeline_cache_close(vk_ctx *ctx)
{
    if (!ctx->pipeline_cache)
        return;
    save(ctx);
    vkDestroyPipelineCache(ctx->device, ctx->pipeline_cache, NULL);
    ctx->pipeline_cache = VK_NULL_HANDLE;
}
