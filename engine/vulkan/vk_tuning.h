/* Kernel shapes per device (vk_tuning.c): the conv_gemm tile and the split-K threshold from a
 * small table keyed by vendor, subgroup size and shared memory (or PIX2PIX_VK_ROW,
 * PIX2PIX_VK_TILE), and per conv GEMM the row's tile that fits its shape best. */
#ifndef ENGINE_VULKAN_VK_TUNING_H
#define ENGINE_VULKAN_VK_TUNING_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/* conv_gemm.comp's specialization: TX x TY threads, each computing TM x TN outputs, BK deep. */
typedef struct {
    uint32_t tx, ty, tm, tn, bk;
} vk_conv_tile;

/* A row's tile shapes: its default (square) tile, a large one, a tall and a wide one (twice
 * the square's rows or columns: 64 output channels, or 8x8 outputs, fill them where the large
 * one would be half empty), one for few output channels (thin M), one for few output positions
 * (thin N: 4x4 outputs in one tile) and one for a handful of them (few N: 4 columns, for
 * outputs of 2x2 and 1x1, whose products are GEMVs). */
enum {
    VK_SHAPE_SQUARE,
    VK_SHAPE_LARGE,
    VK_SHAPE_TALL,
    VK_SHAPE_WIDE,
    VK_SHAPE_THIN_M,
    VK_SHAPE_THIN_N,
    VK_SHAPE_FEW_N,
    VK_CONV_SHAPES
};
#define VK_MAX_TILES 24 /* distinct conv tiles per process (vk_conv_tile_of ids) */

/* One conv GEMM dispatch as the kernel choice sees it: the mode (CONV_GATHER, CONV_SCATTER,
 * CONV_WEIGHT of shaders/opcodes.h) and conv_gemm's geometry (shaders/push.h). */
typedef struct {
    uint32_t mode, n, c, hi, wi, m, ho, wo, kh, kw, stride, pad;
} vk_conv_key;

/* Its GEMM: rows (output channels), columns (positions), depth, workgroups along z (samples
 * and stride phases) besides the depth slices, and the most slices its depth and work area
 * allow (1: none). */
typedef struct {
    size_t rows, cols, depth, parts, max_splits;
} vk_gemm_size;

/* How one conv GEMM runs: a tile (an id of vk_conv_tile_of) and its depth slices (0: as the
 * split-K rule says; else this many, within the rule's bounds on depth and work area). */
typedef struct {
    uint32_t tile_id;
    uint32_t splits;
    int coopmat; /* conv_coopmat.comp (cooperative matrices) instead of the tile */
} vk_conv_choice;

/* A choice measured on this device (the tuner's), preferred to the estimate. */
typedef struct {
    vk_conv_key key;
    vk_conv_choice choice;
} vk_conv_tuned;

typedef struct {
    vk_conv_tile tile;     /* the default tile (the row's square one, or PIX2PIX_VK_TILE) */
    uint32_t tile_id;      /* its id: the conv pipelines' variant (vk_conv_tile_of) */
    uint32_t shape_ids[VK_CONV_SHAPES]; /* the candidates per GEMM that fit the device */
    int nshapes;
    uint32_t split_groups; /* split a conv's depth when its output has fewer workgroups */
    double parallel;       /* threads the device runs at once (estimated) */
    double shared_cost;    /* a thread's read of shared memory, in multiply-adds (estimated) */
    int subgroup_norm;     /* norm statistics reduce with subgroupAdd */
    /* conv_coopmat.comp's workgroup tile as the lowering counts it (TX x TY its BN columns x
     * BM rows, one output each, BK deep), all zero where it is not in use (vk_coopmat.c);
     * forced (PIX2PIX_VK_COOPMAT=1): every conv GEMM takes it, else a measured choice may */
    vk_conv_tile coopmat_tile;
    int coopmat_forced;
    const vk_conv_tuned *tuned; /* measured choices, by key (not owned) */
    size_t ntuned;
    char reason[160];
} vk_tuning;

/* What the table reads of a device. */
typedef struct {
    uint32_t vendor;
    int software;          /* VK_PHYSICAL_DEVICE_TYPE_CPU (lavapipe, SwiftShader) */
    uint32_t subgroup_size;
    int subgroup_arithmetic; /* ARITHMETIC in compute (VkPhysicalDeviceSubgroupProperties) */
    const VkPhysicalDeviceLimits *limits;
} vk_device_traits;

/* The table's row for the device; PIX2PIX_VK_ROW=NAME (nvidia, amd-wave64, amd-wave32, intel,
 * software, generic) takes that row's tiles on any device, PIX2PIX_VK_TILE=TXxTY:TMxTN:BK one
 * tile for every conv; PIX2PIX_VK_SUBGROUP=0 turns the subgroup reductions off. -1 with the
 * reason in eng_last_error() when an override is malformed or does not fit the device. */
int vk_tuning_choose(const vk_device_traits *dev, vk_tuning *out);
/* Whether a tile is valid and fits the device's limits; 0, or -1 with the reason in
 * eng_last_error(). */
int vk_conv_tile_check(const vk_conv_tile *t, const VkPhysicalDeviceLimits *lim);
size_t vk_conv_tile_shared_bytes(const vk_conv_tile *t);
/* The table's rows (for the tests: each row's tiles on any device). */
int vk_tuning_rows(void);
vk_conv_tile vk_tuning_row_tile(int row, int shape);
const char *vk_tuning_row_name(int row);

/* The choice for one conv GEMM: the measured one for its key, else the candidate tile with
 * the least estimated time; the cooperative-matrix kernel where it is forced, or measured and
 * still in use. */
vk_conv_choice vk_conv_choose(const vk_tuning *tu, const vk_conv_key *key, const vk_gemm_size *g);
/* The depth slices of a GEMM with a tile: split when its tiles are fewer than the device's
 * split_groups (within g->max_splits), or as many as asked (splits > 0). */
size_t vk_conv_split_count(const vk_tuning *tu, const vk_conv_tile *t, const vk_gemm_size *g,
                           uint32_t splits);

/* "16x16:4x4:16 split 2", or "coopmat split 1": a kernel as the tuner and profile print it. */
void vk_conv_kernel_text(const vk_conv_tile *t, int coopmat, size_t splits, char *s, size_t len);

/* The tiles in use in this process, by id (a conv pipeline's variant). */
vk_conv_tile vk_conv_tile_of(uint32_t id);

#endif
