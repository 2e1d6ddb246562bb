/* The per-device kernel table (vk_tuning.h). The rows are starting points from each vendor's
 * hardware shape (threads per SIMD group, registers, shared memory), not measured optima; the
 * first row that matches the device and fits its limits wins. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/vulkan/vk_tuning.h"
#include "engine/engine.h"

#define VENDOR_ANY 0u

typedef struct {
    const char *name;       /* PIX2PIX_VK_ROW */
    uint32_t vendor;
    int software;           /* 1: only software devices; 0: only others */
    uint32_t subgroup_size; /* 0: any */
    vk_conv_tile shapes[VK_CONV_SHAPES]; /* square (the default), large, tall, wide, thin M,
                                          * thin N, few N */
    uint32_t split_groups;
    const char *why;
} row;

/* The large, tall, wide, thin-M, thin-N and few-N shapes of a row of 256 threads: 128x128
 * tiles; 128x64 and 64x128 (8x4 and 4x8 outputs per thread, as the square tiles of NVIDIA's
 * row; on a GPU the estimate takes them only where their fewer workgroups still fill it);
 * 4 rows x 256 columns (the 3-channel last layer) of 64 threads with 4x4 outputs each, as the
 * square tiles (4 threads of one column would each load the same inputs); 128 rows x 16 columns
 * (outputs of 4x4, or a stride phase of them, in one tile: the weights, the large operand, are
 * read once, and 8 threads of a row read consecutive columns); 256 rows x 4 columns (outputs
 * of 2x2 and 1x1: a 16-column tile would spend 3/4 or more of its multiply-adds and reads of
 * shared memory past the last column). */
#define SHAPES_256                                                                               \
    {16, 16, 8, 8, 16}, {16, 16, 8, 4, 16}, {16, 16, 4, 8, 16}, {64, 1, 4, 4, 16},                \
        {8, 32, 4, 2, 16}, {4, 64, 4, 1, 16}

static const row table[] = {
    {"nvidia", 0x10de, 0, 32, {{16, 16, 8, 4, 16}, SHAPES_256}, 512,
     "NVIDIA: 256 threads (8 warps of 32), 128x64 tiles, 8x4 outputs per thread"},
    {"amd-wave64", 0x1002, 0, 64, {{16, 16, 4, 4, 32}, SHAPES_256}, 512,
     "AMD wave64: 256 threads (4 waves), 64x64 tiles, BK 32 (half the barriers)"},
    {"amd-wave32", 0x1002, 0, 32, {{16, 16, 4, 4, 16}, SHAPES_256}, 512,
     "AMD wave32: 256 threads (8 waves), 64x64 tiles"},
    {"intel", 0x8086, 0, 0,
     {{16, 8, 4, 4, 16}, {16, 8, 8, 8, 16}, {16, 8, 8, 4, 16}, {16, 8, 4, 8, 16},
      {32, 1, 4, 4, 16}, {8, 16, 4, 2, 16}, {4, 32, 4, 1, 16}},
     256, "Intel: 128 threads, 32x64 tiles (fewer registers per thread)"},
    {"software", VENDOR_ANY, 1, 0,
     {{8, 8, 8, 8, 16}, {16, 16, 8, 8, 16}, {8, 16, 8, 8, 16}, {16, 8, 8, 8, 16},
      {64, 1, 4, 4, 16}, {8, 8, 8, 2, 16}, {4, 16, 4, 1, 16}},
     128,
     "software device: 64x64 tiles of 64 threads, 8x8 outputs each (shared-memory reads are "
     "gathers), also 128x64 and 64x128; a low split-K threshold (few cores)"},
    {"generic", VENDOR_ANY, 0, 0, {{16, 16, 4, 4, 16}, SHAPES_256}, 256, "generic: 64x64 tiles"},
};
#define ROWS ((int)(sizeof table / sizeof table[0]))

/* Every context's tile gets an id here, the same for the process (contexts are created one at
 * a time), so that a conv step's pipeline variant names its tile on any context. */
static vk_conv_tile tiles[VK_MAX_TILES];
static uint32_t ntiles;

int vk_tuning_rows(void) { return ROWS; }
vk_conv_tile vk_tuning_row_tile(int r, int shape) { return table[r].shapes[shape]; }
const char *vk_tuning_row_name(int r) { return table[r].name; }

size_t vk_conv_tile_shared_bytes(const vk_conv_tile *t)
{
    /* conv_gemm.comp's tile_a (rows BM + 1 apart, BM + 4 where TM reads them as vec4s), tile_b,
     * the one-element view of each tile that its reads do not use (a vec4, or a float beside
     * the vec4 one) and depth_index (a uvec3 counted as 16 bytes) */
    int vec4_a = t->tm % 4 == 0, vec4_b = t->tn % 4 == 0;
    size_t tiles = 4 * (size_t)t->bk * (t->ty * t->tm + (vec4_a ? 4 : 1) + t->tx * t->tn);
    size_t unused_views = (vec4_a ? 4 : 16) + (vec4_b ? 4 : 16);
    return tiles + unused_views + 16 * (size_t)t->bk;
}

int vk_conv_tile_check(const vk_conv_tile *t, const VkPhysicalDeviceLimits *lim)
{
    uint32_t threads = t->tx * t->ty, bm = t->ty * t->tm, bn = t->tx * t->tn;
    size_t shared = vk_conv_tile_shared_bytes(t);
    const char *why = NULL;
    if (!t->tx || !t->ty || !t->tm || !t->tn || !t->bk)
        why = "every size must be positive";
    else if (t->tx > 64 || t->ty > 64 || t->tm * t->tn > 64 || t->bk > 256)
        why = "over TX, TY <= 64, TM*TN <= 64, BK <= 256";
    else if ((threads % bm && bm % threads) || (threads % bn && bn % threads))
        why = "TY*TM and TX*TN must each divide the TX*TY threads or be a multiple of them";
    else if (t->bk > threads)
        why = "BK must not exceed TX*TY";
    else if (threads > lim->maxComputeWorkGroupInvocations ||
             t->tx > lim->maxComputeWorkGroupSize[0] || t->ty > lim->maxComputeWorkGroupSize[1])
        why = "more threads than the device's workgroup limits";
    else if (shared > lim->maxComputeSharedMemorySize)
        why = "more shared memory than maxComputeSharedMemorySize";
    if (!why)
        return 0;
    eng_set_error(-1,
                  "conv tile %ux%u:%ux%u:%u (%zu bytes of shared memory, the device has "
                  "%u): %s",
                  t->tx, t->ty, t->tm, t->tn, t->bk, shared, lim->maxComputeSharedMemorySize, why);
    return -1;
}

static int parse_tile(const char *s, vk_conv_tile *t)
{
    int used = -1;
    if (sscanf(s, "%ux%u:%ux%u:%u%n", &t->tx, &t->ty, &t->tm, &t->tn, &t->bk, &used) != 5 ||
        used != (int)strlen(s)) {
        eng_set_error(-1,
                      "PIX2PIX_VK_TILE='%s': expected TXxTY:TMxTN:BK (threads x, y; "
                      "outputs per thread; depth step), e.g. 16x16:4x4:16",
                      s);
        return -1;
    }
    return 0;
}

/* The id of a tile, registered on first use. */
static int tile_id(const vk_conv_tile *t, uint32_t *id)
{
    for (*id = 0; *id < ntiles; (*id)++)
        if (!memcmp(&tiles[*id], t, sizeof *t))
            return 0;
    if (ntiles == VK_MAX_TILES) {
        eng_set_error(-1, "more than %d conv tiles in one process", VK_MAX_TILES);
        return -1;
    }
    tiles[ntiles] = *t;
    *id = ntiles++;
    return 0;
}

static int matches(const row *r, const vk_device_traits *dev)
{
    return r->software == dev->software && (r->vendor == VENDOR_ANY || r->vendor == dev->vendor) &&
           (r->subgroup_size == 0 || r->subgroup_size == dev->subgroup_size);
}

/* The row's shapes that fit the device as candidates, its square one the default (which
 * must fit). */
static int take_row(const row *r, const VkPhysicalDeviceLimits *lim, vk_tuning *out)
{
    if (vk_conv_tile_check(&r->shapes[0], lim))
        return -1;
    out->tile = r->shapes[0];
    out->split_groups = r->split_groups;
    out->nshapes = 0;
    for (int i = 0; i < VK_CONV_SHAPES; i++) {
        if (vk_conv_tile_check(&r->shapes[i], lim))
            continue; /* not a candidate here: its reason is not an error */
        if (tile_id(&r->shapes[i], &out->shape_ids[out->nshapes]))
            return -1;
        out->nshapes++;
    }
    out->tile_id = out->shape_ids[0];
    snprintf(out->reason, sizeof out->reason, "%s", r->why);
    return 0;
}

/* One tile for every conv. */
static int take_tile(const char *spec, const vk_device_traits *dev, vk_tuning *out)
{
    if (parse_tile(spec, &out->tile) || vk_conv_tile_check(&out->tile, dev->limits) ||
        tile_id(&out->tile, &out->tile_id))
        return -1;
    out->shape_ids[0] = out->tile_id;
    out->nshapes = 1;
    out->split_groups = dev->software ? 128 : 256;
    snprintf(out->reason, sizeof out->reason, "PIX2PIX_VK_TILE=%s", spec);
    return 0;
}

static int named_row(const char *name)
{
    for (int i = 0; i < ROWS; i++)
        if (!strcmp(table[i].name, name))
            return i;
    eng_set_error(-1,
                  "PIX2PIX_VK_ROW='%s': expected nvidia, amd-wave64, amd-wave32, intel, "
                  "software or generic",
                  name);
    return -1;
}

/* Threads the device runs at once: a software device's are its host's cores times the SIMD
 * lanes of each (its subgroup size), whatever row's tiles it takes, so a workgroup of 64
 * threads takes 8 passes of a core's 8 lanes; a GPU's, which Vulkan does not tell, the row's
 * split-K threshold of 256-thread workgroups. A read of shared memory costs a GPU about 2
 * multiply-adds (its bandwidth is a fraction of the ALUs'); a software device runs a
 * workgroup's threads as SIMD lanes, and their reads of different addresses are a gather,
 * about 8. */
static void set_device_costs(const vk_device_traits *dev, vk_tuning *out)
{
    long cores = dev->software ? sysconf(_SC_NPROCESSORS_ONLN) : 0;
    uint32_t lanes = dev->subgroup_size ? dev->subgroup_size : 8;
    out->parallel = cores > 0 ? (double)cores * lanes : out->split_groups * 256.0;
    out->shared_cost = dev->software ? 8.0 : 2.0;
}

static int choose(const vk_device_traits *dev, vk_tuning *out)
{
    const char *tile = getenv("PIX2PIX_VK_TILE"), *sub = getenv("PIX2PIX_VK_SUBGROUP");
    const char *forced = getenv("PIX2PIX_VK_ROW");
    memset(out, 0, sizeof *out);
    out->subgroup_norm = dev->subgroup_arithmetic && !(sub && !strcmp(sub, "0"));
    if (tile && *tile)
        return take_tile(tile, dev, out);
    if (forced && *forced) {
        int r = named_row(forced);
        if (r < 0 || take_row(&table[r], dev->limits, out))
            return -1;
        snprintf(out->reason, sizeof out->reason, "PIX2PIX_VK_ROW=%s: %s", forced, table[r].why);
        return 0;
    }
    int tried = 0;
    for (int i = 0; i < ROWS; i++) {
        if (!matches(&table[i], dev))
            continue;
        if (!take_row(&table[i], dev->limits, out))
            return 0;
        tried = 1;
    }
    /* the generic row fits every device with the 16 KiB of shared memory Vulkan guarantees */
    return eng_set_error(-1, "no conv tile fits the device: %s", tried ? eng_last_error() : "");
}

int vk_tuning_choose(const vk_device_traits *dev, vk_tuning *out)
{
    if (choose(dev, out))
        return -1;
    set_device_costs(dev, out);
    return 0;
}

/* A workgroup's operand loads cost this many multiply-adds each: they gather through index
 * math and bounds checks. */
#define LOAD_COST 4.0

static size_t tiles_of(const vk_conv_tile *t, const vk_gemm_size *g)
{
    size_t bm = t->ty * t->tm, bn = t->tx * t->tn;
    return ((g->rows + bm - 1) / bm) * ((g->cols + bn - 1) / bn) * g->parts;
}

size_t vk_conv_split_count(const vk_tuning *tu, const vk_conv_tile *t, const vk_gemm_size *g,
                           uint32_t splits)
{
    size_t tiles = tiles_of(t, g), n = splits;
    if (!n)
        n = tiles < tu->split_groups ? (tu->split_groups + tiles - 1) / tiles : 1;
    return n > g->max_splits ? g->max_splits : n ? n : 1;
}

/* A float loaded from memory (past the caches close to the ALUs) costs the device this many
 * multiply-adds of its throughput: GPUs do 10-15 FMAs in the time their L2 delivers a float. */
#define BANDWIDTH_COST 8.0

/* The estimated time of a GEMM with a tile, in multiply-adds of one thread (a roofline): the
 * larger of its compute, passes of the device's threads at once over the workgroups' threads
 * (a workgroup's threads all count, busy or past the edge), each thread doing per step of
 * depth its TM x TN multiply-adds, its TM + TN reads of shared memory and its share of the
 * tile's loads from memory, and its memory traffic, every workgroup loading its rows and
 * columns over its slice. */
static double estimate(const vk_tuning *tu, const vk_conv_tile *t, const vk_gemm_size *g)
{
    double bm = t->ty * t->tm, bn = t->tx * t->tn, threads = t->tx * t->ty;
    size_t splits = vk_conv_split_count(tu, t, g, 0);
    size_t groups = tiles_of(t, g) * splits;
    double passes = ceil((double)groups * threads / tu->parallel);
    double slice = (double)g->depth / (double)splits;
    double per_step = t->tm * t->tn + tu->shared_cost * (t->tm + t->tn) +
                      LOAD_COST * (bm + bn) / threads;
    double compute = passes * slice * per_step;
    double traffic = (double)groups * slice * (bm + bn) * BANDWIDTH_COST / tu->parallel;
    return compute > traffic ? compute : traffic;
}

static int same_key(const vk_conv_key *a, const vk_conv_key *b) { return !memcmp(a, b, sizeof *a); }

static vk_conv_choice with_coopmat(const vk_tuning *tu, vk_conv_choice c)
{
    c.coopmat = tu->coopmat_tile.bk && (tu->coopmat_forced || c.coopmat);
    return c;
}

vk_conv_choice vk_conv_choose(const vk_tuning *tu, const vk_conv_key *key, const vk_gemm_size *g)
{
    for (size_t i = 0; i < tu->ntuned; i++)
        if (same_key(&tu->tuned[i].key, key))
            return with_coopmat(tu, tu->tuned[i].choice);
    vk_conv_choice best = {tu->tile_id, 0, 0};
    double least = -1;
    for (int i = 0; i < tu->nshapes; i++) {
        vk_conv_tile t = vk_conv_tile_of(tu->shape_ids[i]);
        double time = estimate(tu, &t, g);
        if (least < 0 || time < least) {
            least = time;
            best.tile_id = tu->shape_ids[i];
        }
    }
    return with_coopmat(tu, best);
}

vk_conv_tile vk_conv_tile_of(uint32_t id)
{
    return id < ntiles ? tiles[id] : table[ROWS - 1].shapes[0]; /* unknown: the generic tile */
}

void vk_conv_kernel_text(const vk_conv_tile *t, int coopmat, size_t splits, char *s, size_t len)
{
    if (coopmat)
        snprintf(s, len, "coopmat split %zu", splits);
    else
        snprintf(s, len, "%ux%u:%ux%u:%u split %zu", t->tx, t->ty, t->tm, t->tn, t->bk, splits);
}
