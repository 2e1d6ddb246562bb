/* The per-device kernel table (engine/vulkan/vk_tuning.c): its choice for made-up devices, and
 * on whatever device is present: every row's conv tiles, each forced with PIX2PIX_VK_TILE,
 * equal the CPU backend (the deep shapes taking the split-K path); each row's per-GEMM choice
 * (PIX2PIX_VK_ROW) picks its thin and large tiles where they fit; malformed or oversized tiles are
 * refused with the reason; norm statistics equal the CPU with the subgroup reduction and with
 * the shared-memory fallback (PIX2PIX_VK_SUBGROUP=0). Under the validation layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vulkan_backend.h"
#include "tests/vulkan/vk_compare.h"

#define TOLERANCE 1e-4

static eng_node *case_conv(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 2, 19, 13, 15);
    return eng_conv2d(g, x, eng_param4(g, "w", 70, 19, 3, 3), eng_param1(g, "b", 70), 1, 1);
}

static eng_node *case_convt(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 1, 67, 7, 6);
    return eng_conv_transpose2d(g, x, eng_param4(g, "w", 67, 21, 4, 4), eng_param1(g, "b", 21),
                                2, 1, 0);
}

/* more elements per group than a workgroup has threads, and fewer */
static eng_node *case_batch_norm(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 2, 3, 15, 13);
    return eng_batch_norm2d(g, x, eng_param1(g, "weight", 3), eng_param1(g, "bias", 3),
                            eng_state1(g, "running_mean", 3), eng_state1(g, "running_var", 3),
                            eng_state1(g, "num_batches", 1), 1, 0.1f, 1e-5f);
}

static eng_node *case_instance_norm(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    return eng_instance_norm2d(g, eng_input4(g, "x", 2, 5, 3, 7), NULL, NULL, 1e-5f);
}

typedef struct {
    const char *name;
    vkt_build_fn build;
} test_case;

static const test_case conv_cases[] = {
    {"conv2d (multi-tile)", case_conv},
    {"conv_transpose2d (multi-tile)", case_convt},
    {"conv2d 512ch 2x2 (split-K)", vkt_deep_conv},
    {"conv_transpose2d 512ch (split-K)", vkt_deep_convt},
};
static const test_case norm_cases[] = {
    {"batch_norm2d train", case_batch_norm},
    {"instance_norm2d", case_instance_norm},
};

static int run_cases(eng_backend *cpu, eng_backend *vk, const test_case *cases, int n)
{
    int failures = 0;
    for (int c = 0; c < n; c++) {
        vkt_errors e;
        if (vkt_compare(cases[c].name, cases[c].build, 7u + (uint32_t)c, 2, cpu, vk, &e)) {
            failures++;
            continue;
        }
        int ok = e.value_err <= TOLERANCE && e.grad_err <= TOLERANCE;
        printf("  %-4s %-32s forward %.2e  backward %.2e\n", ok ? "ok" : "FAIL", cases[c].name,
               e.value_err, e.grad_err);
        failures += !ok;
    }
    return failures;
}

/* The backend under the current environment, its tuning checked; NULL after printing why. */
static eng_backend *open_backend(void)
{
    eng_backend *vk = eng_vulkan_backend_new(-1, 1);
    if (!vk)
        printf("FAIL: the backend failed: %s\n", eng_last_error());
    return vk;
}

/* One tile of a row, forced with PIX2PIX_VK_TILE, unless an earlier row had it. */
static int run_tile(eng_backend *cpu, int row, int shape)
{
    static char done[64][64];
    static int ndone;
    vk_conv_tile t = vk_tuning_row_tile(row, shape);
    char spec[64];
    snprintf(spec, sizeof spec, "%ux%u:%ux%u:%u", t.tx, t.ty, t.tm, t.tn, t.bk);
    for (int i = 0; i < ndone; i++)
        if (!strcmp(done[i], spec))
            return 0;
    if (ndone < 64)
        snprintf(done[ndone++], sizeof done[0], "%s", spec);
    setenv("PIX2PIX_VK_TILE", spec, 1);
    eng_backend *vk = open_backend();
    if (!vk)
        return 1;
    const vk_ctx *ctx = vk->impl;
    int failures = memcmp(&ctx->tuning.tile, &t, sizeof t) != 0;
    printf("row %s, shape %d: %s (%s)%s\n", vk_tuning_row_name(row), shape, spec,
           ctx->tuning.reason, failures ? ": not chosen" : "");
    failures += run_cases(cpu, vk, conv_cases, (int)(sizeof conv_cases / sizeof conv_cases[0]));
    if (shape != VK_SHAPE_THIN_M) { /* many tiles even at 1x1: no split */
        failures += vkt_check_splits(vk, "conv2d 512ch 2x2", vkt_deep_conv);
        failures += vkt_check_splits(vk, "conv_transpose2d 512ch", vkt_deep_convt);
    }
    failures += vkt_check_validation(vk);
    eng_backend_free(vk);
    return failures;
}

/* A row's tiles chosen per GEMM (PIX2PIX_VK_ROW): the choice for made-up GEMMs of the
 * U-Net's extremes, then the cases with whatever each conv gets. */
static int run_row_choice(eng_backend *cpu, int row)
{
    unsetenv("PIX2PIX_VK_TILE");
    setenv("PIX2PIX_VK_ROW", vk_tuning_row_name(row), 1);
    eng_backend *vk = open_backend();
    unsetenv("PIX2PIX_VK_ROW");
    if (!vk)
        return 1;
    const vk_tuning *tu = &((const vk_ctx *)vk->impl)->tuning;
    static const struct {
        vk_gemm_size size;
        int shape;
        const char *what;
        const char *other_row; /* a row that takes other_shape instead, or NULL */
        int other_shape;
    } gemms[] = {
        {{3, 128 * 128, 128 * 4, 4, 1}, VK_SHAPE_THIN_M, "3 channels at 256x256 (last layer)",
         NULL, 0},
        {{512, 4 * 4, 512 * 16, 1, 16}, VK_SHAPE_THIN_N, "512 channels at 4x4", NULL, 0},
        /* a GEMV: 16 columns would leave 15 of them past the edge */
        {{512, 1, 512 * 16, 1, 16}, VK_SHAPE_FEW_N, "512 channels at 1x1 (innermost)",
         NULL, 0},
        {{512, 2 * 2, 512 * 16, 1, 16}, VK_SHAPE_FEW_N, "512 channels at 2x2", NULL, 0},
        {{256, 128 * 128, 128 * 16, 1, 4}, VK_SHAPE_LARGE, "256 channels at 128x128", NULL, 0},
        /* the large tile would leave half its rows (columns) past the edge: Intel's large
         * tile has 64 rows */
        {{64, 128 * 128, 3 * 16, 1, 1}, VK_SHAPE_WIDE, "64 channels at 128x128 (first layer)",
         "intel", VK_SHAPE_LARGE},
        {{512, 8 * 8, 512 * 16, 1, 16}, VK_SHAPE_TALL, "512 channels at 8x8", NULL, 0},
        /* few rows and few columns: thin-M's 8 tiles are mostly past the edge, and on this
         * software device their threads are not free */
        {{32, 4 * 4, 32 * 16, 1, 1}, VK_SHAPE_THIN_N, "32 channels at 4x4, no split",
         NULL, 0},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof gemms / sizeof gemms[0]; i++) {
        vk_conv_key key = {0};
        vk_conv_choice c = vk_conv_choose(tu, &key, &gemms[i].size);
        vk_conv_tile got = vk_conv_tile_of(c.tile_id);
        int other = gemms[i].other_row && !strcmp(gemms[i].other_row, vk_tuning_row_name(row));
        vk_conv_tile want = vk_tuning_row_tile(row, other ? gemms[i].other_shape : gemms[i].shape);
        int ok = !memcmp(&got, &want, sizeof got);
        printf("  %-4s row %s, %s: %ux%u:%ux%u:%u\n", ok ? "ok" : "FAIL",
               vk_tuning_row_name(row), gemms[i].what, got.tx, got.ty, got.tm, got.tn, got.bk);
        failures += !ok;
    }
    failures += run_cases(cpu, vk, conv_cases, (int)(sizeof conv_cases / sizeof conv_cases[0]));
    failures += vkt_check_validation(vk);
    eng_backend_free(vk);
    return failures;
}

/* A refused override: no backend, and the reason names the problem. */
static int refused(const char *spec, const char *expected)
{
    setenv("PIX2PIX_VK_TILE", spec, 1);
    eng_backend *vk = eng_vulkan_backend_new(-1, 1);
    int ok = !vk && strstr(eng_last_error(), expected);
    printf("%-4s PIX2PIX_VK_TILE=%s refused: %s\n", ok ? "ok" : "FAIL", spec,
           vk ? "(accepted)" : eng_last_error());
    if (vk)
        eng_backend_free(vk);
    return !ok;
}

static int refused_row(const char *name, const char *expected)
{
    unsetenv("PIX2PIX_VK_TILE");
    setenv("PIX2PIX_VK_ROW", name, 1);
    eng_backend *vk = eng_vulkan_backend_new(-1, 1);
    unsetenv("PIX2PIX_VK_ROW");
    int ok = !vk && strstr(eng_last_error(), expected);
    printf("%-4s PIX2PIX_VK_ROW=%s refused: %s\n", ok ? "ok" : "FAIL", name,
           vk ? "(accepted)" : eng_last_error());
    if (vk)
        eng_backend_free(vk);
    return !ok;
}

/* Norm statistics with the subgroup reduction (where the device has it) and without. */
static int run_norms(eng_backend *cpu, int subgroup)
{
    unsetenv("PIX2PIX_VK_TILE");
    if (subgroup)
        unsetenv("PIX2PIX_VK_SUBGROUP");
    else
        setenv("PIX2PIX_VK_SUBGROUP", "0", 1);
    eng_backend *vk = open_backend();
    if (!vk)
        return 1;
    const vk_ctx *ctx = vk->impl;
    int failures = !subgroup && ctx->tuning.subgroup_norm;
    printf("norm statistics: %s reduction%s\n",
           ctx->tuning.subgroup_norm ? "subgroup" : "shared-memory",
           subgroup && !ctx->tuning.subgroup_norm ? " (no subgroup arithmetic here)" : "");
    failures += run_cases(cpu, vk, norm_cases, (int)(sizeof norm_cases / sizeof norm_cases[0]));
    failures += vkt_check_validation(vk);
    eng_backend_free(vk);
    return failures;
}

/* The table's choice for made-up devices: vendor, subgroup size, and a shared memory too
 * small for the vendor's row falling back to the generic one. */
static int table_choice(uint32_t vendor, int software, uint32_t subgroup, uint32_t shared,
                        const char *expected)
{
    VkPhysicalDeviceLimits lim = {.maxComputeSharedMemorySize = shared,
                                  .maxComputeWorkGroupInvocations = 1024,
                                  .maxComputeWorkGroupSize = {1024, 1024, 64}};
    vk_device_traits dev = {vendor, software, subgroup, 1, &lim};
    vk_tuning t;
    char tile[64] = "none";
    int status = vk_tuning_choose(&dev, &t);
    if (status == 0)
        snprintf(tile, sizeof tile, "%ux%u:%ux%u:%u", t.tile.tx, t.tile.ty, t.tile.tm, t.tile.tn,
                 t.tile.bk);
    int ok = !strcmp(tile, expected);
    printf("%-4s vendor 0x%04x%s subgroup %u, %u bytes shared: %s (%s)\n", ok ? "ok" : "FAIL",
           vendor, software ? " (software)" : "", subgroup, shared, tile,
           status ? eng_last_error() : t.reason);
    return !ok;
}

static int table_choices(void)
{
    unsetenv("PIX2PIX_VK_TILE");
    return table_choice(0x10de, 0, 32, 49152, "16x16:8x4:16") +
           table_choice(0x10de, 0, 32, 12000, "16x16:4x4:16") + /* 12544 bytes do not fit */
           table_choice(0x1002, 0, 64, 65536, "16x16:4x4:32") +
           table_choice(0x1002, 0, 32, 65536, "16x16:4x4:16") +
           table_choice(0x8086, 0, 32, 65536, "16x8:4x4:16") +
           table_choice(0x10005, 1, 8, 32768, "8x8:8x8:16") + /* lavapipe */
           table_choice(0x13b5, 0, 16, 32768, "16x16:4x4:16") +
           table_choice(0x13b5, 0, 16, 4096, "none");
}

int main(void)
{
    int skip;
    eng_backend *probe = vkt_open_vulkan(&skip);
    if (!probe)
        return skip ? VKT_SKIP : 1;
    eng_backend_free(probe);
    eng_backend *cpu = eng_cpu_backend_new(1);
    int failures = table_choices();
    for (int row = 0; row < vk_tuning_rows(); row++) {
        for (int shape = 0; shape < VK_CONV_SHAPES; shape++)
            failures += run_tile(cpu, row, shape);
        failures += run_row_choice(cpu, row);
    }
    failures += refused_row("gpu", "PIX2PIX_VK_ROW='gpu': expected nvidia");
    failures += refused("16x16:4x4", "TXxTY:TMxTN:BK");
    failures += refused("16x16:4x4:16x", "TXxTY:TMxTN:BK");
    failures += refused("16x16:8x8:256", "shared memory");
    failures += refused("16x16:3x4:16", "multiple");
    failures += run_norms(cpu, 1);
    failures += run_norms(cpu, 0);
    eng_backend_free(cpu);
    printf("%s\n", failures ? "FAILED"
                            : "every tile and both norm reductions match the CPU backend");
    return failures != 0;
}
