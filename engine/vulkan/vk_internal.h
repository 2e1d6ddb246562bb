/* Vulkan backend internals: the device context, memory regions, pipelines and the recorded
 * dispatch list. */
#ifndef ENGINE_VULKAN_VK_INTERNAL_H
#define ENGINE_VULKAN_VK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "engine/device.h"
#include "engine/engine.h"
#include "engine/graph.h"
#include "engine/memplan/memplan.h"
#include "engine/vulkan/vk_tuning.h"

/* ---- device context (vk_context.c) ------------------------------------------------------- */
typedef enum {
    VK_KERNEL_ELTWISE,
    VK_KERNEL_REDUCE,
    VK_KERNEL_ADAM,
    VK_KERNEL_EMA,
    VK_KERNEL_LAYOUT,
    VK_KERNEL_NORM_STATS,
    VK_KERNEL_NORM_APPLY,
    VK_KERNEL_NORM_BACKWARD,
    VK_KERNEL_CONV_GATHER,
    VK_KERNEL_CONV_SCATTER,
    VK_KERNEL_CONV_WEIGHT,
    VK_KERNEL_POOL,
    VK_KERNEL_SPECTRAL,
    VK_KERNEL_COUNT
} vk_kernel;

/* Cooperative matrices for the conv GEMMs (vk_coopmat.c). */
typedef struct {
    int usable;                /* the conv GEMMs may run conv_coopmat.comp on the device */
    int forced;                /* PIX2PIX_VK_COOPMAT=1: every conv GEMM runs it */
    uint32_t m, n, k;          /* its subgroup shape: A m x k, B k x n float16, C float32 */
    uint32_t subgroup_size;    /* the kernel's workgroup is 4 subgroups of it */
    int require_subgroup_size; /* the device's size varies: pipelines ask for that one */
    char note[160];            /* "yes (16x16x16 f16->f32, subgroup 32)", or why not */
    /* the features vk_coopmat_chain enables */
#ifdef VK_KHR_cooperative_matrix
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR enable_coop;
#endif
    VkPhysicalDeviceSubgroupSizeControlFeatures enable_size_control;
    VkPhysicalDeviceVulkanMemoryModelFeatures enable_model;
} vk_coopmat;

/* What this build and device offer, with PIX2PIX_VK_COOPMAT applied (0: off; 1: on a software
 * device too, where it is otherwise off). */
void vk_coopmat_probe(VkInstance instance, VkPhysicalDevice pd, vk_coopmat *cm);
/* The device features to enable for it in front of next (a vkCreateDevice pNext chain), or
 * next when it is not used; its extension's name, or NULL. */
void *vk_coopmat_chain(vk_coopmat *cm, void *next);
const char *vk_coopmat_extension(const vk_coopmat *cm);
/* Puts the kernel, where it is usable, among the conv choices of t (vk_conv_choose). */
void vk_coopmat_tuning(const vk_coopmat *cm, vk_tuning *t);
/* Its specialization constants 0..4: the matrix shape, matrices per subgroup, the threads. */
void vk_coopmat_constants(const vk_coopmat *cm, uint32_t constants[5]);
/* Its shader stage's pNext: info asking for the subgroup size where the device's varies, or
 * NULL. */
const void *vk_coopmat_stage_next(const vk_coopmat *cm,
                                  VkPipelineShaderStageRequiredSubgroupSizeCreateInfo *info);

/* A conv kernel's pipeline variant (vk_conv_variant.c): its tile slot, a tile id
 * (vk_conv_tile_of) or VK_CONV_COOPMAT for conv_coopmat.comp, and its kernel geometry,
 * specialization constants of the shader (conv_index.glsl) so that the index math divides by
 * constants; geometry id 0 is the generic kernel, which reads it from the push constants. */
typedef struct {
    uint32_t kh, kw, stride, pad;
} vk_conv_geometry;
#define VK_CONV_COOPMAT VK_MAX_TILES
#define VK_CONV_TILE_SLOTS (VK_MAX_TILES + 1)
#define VK_CONV_GEOMETRIES 8
uint32_t vk_conv_variant(uint32_t tile_slot, const vk_conv_geometry *g);
uint32_t vk_conv_variant_tile(uint32_t variant);
/* The variant's geometry; 0 (and g zeroed) for the generic kernel. */
int vk_conv_variant_geometry(uint32_t variant, vk_conv_geometry *g);

#define VK_VARIANTS (VK_CONV_TILE_SLOTS * VK_CONV_GEOMETRIES) /* specializations of one kernel
                                                                (the op, mode, or conv's) */
#define VK_BINDINGS 6          /* storage buffers per dispatch, then the run parameters */
#define VK_PUSH_WORDS 16       /* 64 bytes of push constants, under the 128-byte minimum; each
                                  shader's are a vk_push_<shader> (shaders/push.h) */

typedef struct {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
    VkPhysicalDevice physical;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties memory;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkCommandPool command_pool;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout pipeline_layout;
    /* created on first use, per kernel, variant and fp16 bindings (vk_step.half) */
    VkPipeline pipelines[VK_KERNEL_COUNT][VK_VARIANTS][1 << VK_BINDINGS];
    VkPipelineCache pipeline_cache; /* VK_NULL_HANDLE: none (vk_pipeline_cache.c) */
    size_t cache_loaded_bytes;      /* driver data the cache started with (0: a cold start) */
    int pipelines_compiled;         /* pipelines created by this context */
    int shader_float16;             /* float16 arithmetic enabled on the device */
    int storage_16bit;              /* 16-bit storage buffers enabled: fp16 tensors */
    vk_tuning tuning;               /* kernel shapes for this device (vk_tuning.c) */
    vk_coopmat coopmat;             /* the cooperative-matrix conv kernel (vk_coopmat.c) */
    vk_conv_tuned *tuned;           /* tuning.tuned's storage (vk_tune_load.c) */
    int validation_errors;
    double peak_flops;              /* FP32 FMA/s for the profile: 0 not measured, -1 failed */
    char name[256];
    char backend_name[300];
} vk_ctx;

/* Creates the instance (with validation when PIX2PIX_VK_VALIDATION=1) and the chosen device. */
int vk_ctx_create(vk_ctx *ctx, int device_index, int allow_software);
void vk_ctx_destroy(vk_ctx *ctx);
/* VkResult's name (vk_result.c) and whether a device has an extension (vk_extension.c). */
const char *vk_result_string(VkResult r);
int vk_has_extension(VkPhysicalDevice pd, const char *name);
/* eng_backend_memory_budget of the device (vk_budget.c). */
size_t vk_memory_budget(const vk_ctx *ctx);
/* Maps a failed VkResult to an engine status with a message naming what failed
 * (vk_result.c). */
int vk_fail(VkResult r, const char *what);

/* ---- pipelines (vk_pipelines.c) ---------------------------------------------------------- */
/* The shared descriptor-set and pipeline layouts. */
int vk_pipelines_create(vk_ctx *ctx);
/* Compiles the pipeline of a kernel specialized for variant (its op or mode) and the bindings
 * holding fp16 (bit i: binding i; nonzero takes the shader's _h build) if not yet done. */
int vk_pipeline_prepare(vk_ctx *ctx, vk_kernel kernel, uint32_t variant, unsigned half);
void vk_pipelines_destroy(vk_ctx *ctx);
/* The pipeline cache on disk (vk_pipeline_cache.c): opened with the pipeline layouts (without
 * a usable file it starts empty; without a cache the pipelines compile without one), written
 * back at close when this run added to it. */
void vk_pipeline_cache_open(vk_ctx *ctx);
void vk_pipeline_cache_close(vk_ctx *ctx);
/* Whether a cache file's bytes are ours, of this build's shaders and of this device and
 * driver. */
int vk_pipeline_cache_usable(const void *data, size_t size, const VkPhysicalDeviceProperties *props);
/* The path of the device's cache file STEM-VVVV-DDDD.EXT (vendor and device IDs) in the
 * cache folder, $XDG_CACHE_HOME/pix2pix-vk (else ~/.cache/pix2pix-vk), created; 0 when there
 * is no home to put it in. */
int vk_cache_file(const vk_ctx *ctx, const char *stem, const char *ext, char *path, size_t len);
/* A hash of the built-in shaders (names and SPIR-V): another build gives another. */
uint64_t vk_shaders_hash(void);

/* ---- memory (vk_memory.c) -----------------------------------------------------------------
 * Every tensor is a region of one of a few large device-local blocks. The memory planner's
 * shared region is one arena region, never bound itself, and the tensors living in it are
 * aliases: regions at an offset inside it (several may overlap, at different times). */
typedef struct {
    int block;
    VkDeviceSize offset, size;
    int parent;                /* the arena region of an alias, or -1 */
    VkDeviceSize parent_offset;
    int is_arena;
    int half;                  /* holds fp16 elements (vk_memory_set_half) */
    size_t elements;           /* its tensor's element count (transfers convert fp16) */
} vk_region;

typedef struct {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size, used;
} vk_block;

typedef struct {
    vk_block *blocks;
    int nblocks;
    vk_region *regions;
    int nregions, cap_regions;
    VkDeviceSize block_size, alignment;
    /* host-visible buffers: staging for writes/reads, the per-run parameters */
    VkBuffer staging, params;
    VkDeviceMemory staging_memory, params_memory;
    VkDeviceSize staging_size, params_size;
    void *staging_map, *params_map;
} vk_memory;

/* Reserves a region of floats (rounded up to the alignment); returns its id. */
int vk_memory_reserve(vk_memory *m, size_t floats);
/* Reserves an arena (a region only bound through its aliases) and an alias of floats at
 * offset floats inside it (a multiple of vk_memory_alignment). */
int vk_memory_reserve_arena(vk_memory *m, size_t floats);
int vk_memory_reserve_alias(vk_memory *m, int arena, size_t offset, size_t floats);
/* Makes region a tensor of elements fp16 values (it was reserved with vk_half_floats of them). */
void vk_memory_set_half(vk_memory *m, int region, size_t elements);
/* The floats of storage elements fp16 values take. */
static inline size_t vk_half_floats(size_t elements) { return (elements + 1) / 2; }
/* The alignment in bytes of every region's offset: minStorageBufferOffsetAlignment, at least 16. */
VkDeviceSize vk_memory_alignment(const vk_ctx *ctx);
/* What vk_memory_allocate would create for the regions reserved so far, without creating
 * it: *bytes in all (as vk_memory_bytes will say), *host_bytes of them host-visible. */
int vk_memory_estimate(const vk_ctx *ctx, vk_memory *m, size_t params_bytes, size_t *bytes,
                       size_t *host_bytes);
/* Creates the blocks for all reserved regions and the host buffers. */
int vk_memory_allocate(vk_ctx *ctx, vk_memory *m, size_t params_bytes);
void vk_memory_free(vk_ctx *ctx, vk_memory *m);
size_t vk_memory_bytes(const vk_memory *m);
/* Copies between host memory and a region through the staging buffer (waits). */
int vk_memory_upload(vk_ctx *ctx, vk_memory *m, int region, const float *src);
int vk_memory_download(vk_ctx *ctx, vk_memory *m, int region, float *dst);
/* The 32-bit pattern vkCmdFillBuffer repeats to fill region rg with value (fp16 twice). */
uint32_t vk_fill_pattern(const vk_region *rg, float value);
/* Fills regions with a value's bit pattern in one submission (plan-time initialisation). */
int vk_memory_fill(vk_ctx *ctx, vk_memory *m, const int *regions, const float *values, int count);

/* A buffer bound to new memory of a type with the flags want (errors name the device). */
int vk_buffer_create(vk_ctx *ctx, VkDeviceSize size, VkBufferUsageFlags usage,
                     VkMemoryPropertyFlags want, VkBuffer *buffer, VkDeviceMemory *memory);
/* The device's peak FMA rate (vk_peak.c), FP32 or FP16, measured for about seconds. */
int vk_peak_flops(vk_ctx *ctx, int fp16, double seconds, double *flops);
/* Records, submits and waits for a one-off command buffer. */
typedef void (*vk_record_fn)(VkCommandBuffer cb, void *arg);
int vk_submit_once(vk_ctx *ctx, vk_record_fn record, void *arg);
/* Orders everything recorded after it after everything before (earlier submissions too) and
 * makes the results visible to the host and to later submissions. */
void vk_full_barrier(VkCommandBuffer cb);

/* ---- dispatch list (vk_ops.c) -------------------------------------------------------------
 * The schedule lowered to dispatches and fills, recorded into one command buffer. */
typedef enum { VK_STEP_DISPATCH, VK_STEP_FILL } vk_step_kind;

typedef struct {
    vk_step_kind kind;
    vk_kernel kernel;
    uint32_t variant;           /* specialization constant 0; the conv kernels' tile id */
    int regions[VK_BINDINGS];   /* -1: unused (a dummy region is bound) */
    unsigned writes;            /* bit i: binding i is written */
    uint32_t push[VK_PUSH_WORDS];
    uint32_t groups[3];
    float fill_value;           /* VK_STEP_FILL: regions[0] = value */
    int family;                 /* the op family it times under (vk_profile.c) */
    int gemm;                   /* the conv GEMM it computes (vk_steps.gemms), or -1 */
} vk_step;

/* A conv GEMM as the profile reports it (vk_profile.c): the product, the kernel that computes
 * it and its useful FLOPs (engine/flops.c). */
typedef struct {
    char product[64]; /* "conv2d dx 64->128 128x128->64x64" */
    char kernel[40];  /* "16x16:4x4:16 split 2" */
    double flops;
} vk_gemm_label;

/* Cuts: the recording is split before the Adam steps of each optimizer with a reducer, where
 * the host reduces its gradients between two submissions (vk_reduce.c). */
typedef struct {
    vk_step *steps;
    int nsteps, cap_steps;
    int *cuts;                /* [ncuts] the step index each cut comes before */
    const eng_adam **cut_opts;
    int ncuts;
    vk_gemm_label *gemms;     /* [ngemms] the conv GEMMs of the steps */
    int ngemms, cap_gemms;
} vk_steps;

/* Region ids: per node, and per step of the memory plan (its work area). Values and
 * gradients the plan puts in its shared region are aliases into one arena. */
typedef struct {
    int *data, *grad, *aux; /* [node id], -1 where absent */
    int *scratch;           /* [plan step], -1 where absent */
    int arena, dummy;
    int nadam_slots;
    /* Gradient checks and mixed precision (vk_mixed.c): per ADAM command slot the flags set
     * where a gradient is not finite (one per parameter, flag_stride floats apart: an alias
     * of two floats each, and flags[slot] over them all; NULL beyond 32 slots), the second
     * float of each set by the update where it leaves a moment or weight that is not finite;
     * fp16 tensors; with loss scaling (fp16 with optimizers) the fp32 master weights of the
     * parameters. */
    int fp16, loss_scaling;
    int *master;            /* [node id] an optimized parameter's master weights, or -1 */
    int *param_flag;        /* [slot_first[slot] + i] parameter i's flag in that slot */
    int *slot_first;        /* [slot]: an optimizer stepped twice has a flag per update */
    int *flags;             /* [slot] */
    int all_flags;          /* every slot's, in one region, copied out at each run's end */
    size_t flag_stride;
} vk_layout;

/* What the planner and the layout need of a plan: its device's tuning, fp16 storage or not. */
typedef struct {
    const vk_tuning *tuning;
    int fp16;
} vk_plan_kind;

/* The memory planner's facts of this backend for a plan of that kind (vk_ops.c). */
eng_plan_facts vk_plan_facts(const vk_ctx *ctx, const vk_plan_kind *kind);
/* Reserves the regions of every node of g where mp, planned with facts, puts them. */
int vk_layout_reserve(vk_layout *l, vk_memory *m, const eng_graph *g, const eng_memplan *mp,
                      const eng_plan_facts *facts);
void vk_layout_free(vk_layout *l);
/* Whether op has a lowering (eng_backend.supports). */
int vk_lowers_op(eng_op op);
/* Lowers mp's steps into dispatches; each ADAM command's updates use its parameter slot. */
int vk_lower_schedule(vk_steps *s, const vk_layout *l, const eng_graph *g, const eng_memplan *mp,
                      const vk_tuning *tuning);
void vk_steps_free(vk_steps *s);

/* ---- mixed precision (vk_mixed.c) ----------------------------------------------------------
 * In an fp16 plan, the values and gradients of node n stored as fp16 (grad 0: its values):
 * every tensor but losses and sums, states, consts and parameters' gradients. */
int vk_node_half(const eng_node *n, int grad);
/* eng_plan_facts.tensor_floats of a plan of kind (a vk_plan_kind). */
size_t vk_tensor_floats(const void *kind, const eng_node *n, int grad);
/* The gradient flags of a plan with optimizers, and with l->fp16 the master weights. */
int vk_layout_reserve_checks(vk_layout *l, vk_memory *m, const eng_graph *g);
/* After a run: bit k of *grads for the k-th ADAM command whose gradients were not finite, of
 * *state for the one whose update left a moment or weight that is not finite (read from the
 * staging buffer, where the recording's last command copied the flags). */
void vk_read_nonfinite(const vk_memory *m, const vk_layout *l, unsigned *grads, unsigned *state);

/* ---- recording (vk_record.c) ------------------------------------------------------------- */
typedef struct {
    VkDescriptorPool descriptor_pool;
    VkCommandBuffer *segments; /* one command buffer per part between cuts: ncuts + 1 */
    int nsegments;
    VkFence fence;
    eng_counters counts;       /* of one run, submits aside (vk_record.c) */
    struct vk_profile *profile; /* NULL unless profiling */
} vk_recording;

/* readback (or -1): a region the last segment ends by copying to the start of the staging
 * buffer, for the host to read after the run without a transfer of its own. */
int vk_record(vk_ctx *ctx, vk_memory *m, const vk_steps *s, int dummy_region, int readback,
              vk_recording *r);
void vk_recording_free(vk_ctx *ctx, vk_recording *r);
/* Submits segment k of the recording and waits for it. */
int vk_submit_segment(vk_ctx *ctx, vk_recording *r, int k);

/* ---- gradient reduction (vk_reduce.c) -------------------------------------------------------
 * At a cut, the gradients of the cut's optimizer go to the host, through its reducer as one
 * bucket (started once backward is complete: no overlap with it), and back. */
typedef struct {
    const eng_adam *opt;
    float **grads;
    size_t *counts;
} vk_reduction;
int vk_reductions_new(const vk_steps *s, vk_reduction **out);
void vk_reductions_free(vk_reduction *r, int n);
int vk_reduce(vk_ctx *ctx, vk_memory *m, const vk_layout *l, const vk_reduction *r);

/* ---- step order (vk_order.c) ---------------------------------------------------------------
 * Reorders the steps of each segment by dependency level (after allocation: it compares the
 * regions' bytes), so that independent steps share the stretches between barriers. Both it and
 * the recorder judge a step's accesses by vk_binding_access. */
int vk_order_steps(vk_steps *s, const vk_memory *m, int dummy_region);
/* The region binding i of a step accesses (-1: none) and *writes whether it writes it. A
 * dispatch's unused bindings hold the dummy region, which norm_stats may write (its running
 * statistics, in training mode only: synchronization validation goes by the shader's static
 * accesses); a fill touches its region 0 only. */
static inline int vk_binding_access(const vk_step *st, int i, int dummy, int *writes)
{
    if (st->regions[i] >= 0) {
        *writes = st->writes >> i & 1;
        return st->regions[i];
    }
    *writes = st->kernel == VK_KERNEL_NORM_STATS;
    return st->kind == VK_STEP_DISPATCH ? dummy : -1;
}

/* ---- GPU time per op family (vk_profile.c) ------------------------------------------------
 * With PIX2PIX_PROFILE set (not 0), timestamps between the groups of steps of one family
 * (the dispatches of consecutive commands of one op and direction) and around each conv GEMM
 * give each family's and each GEMM's GPU time; the tables (the GEMMs' with their kernels,
 * GFLOP/s and share of the device's peak) go to stderr when the plan is freed. Independent dispatches overlap on a GPU, so
 * a group's time is from the previous timestamp to the end of its last dispatch. */
enum { VK_FAMILY_GRAD_FILL = 2 * ENG_OP_COUNT, VK_FAMILY_ADAM, VK_FAMILIES }; /* 2 op + bwd */
typedef struct vk_profile vk_profile;
/* *out: NULL unless profiling is asked for, or on a device without timestamps on its queue
 * (after one line saying so). */
int vk_profile_new(vk_ctx *ctx, const vk_steps *s, vk_profile **out);
/* Before segment k's steps (nsteps of them) in cb: its queries' reset, the first timestamp. */
void vk_profile_begin(vk_profile *pr, VkCommandBuffer cb, int k, int nsteps);
/* A timestamp closing the group of steps (that many) of family, and of conv GEMM gemm (or -1),
 * since the previous one. */
void vk_profile_mark(vk_profile *pr, VkCommandBuffer cb, int family, int gemm, int steps);
/* After segment k ran (its fence waited): adds its groups' times. */
int vk_profile_collect(vk_ctx *ctx, vk_profile *pr, int k);
void vk_profile_run_done(vk_profile *pr);
/* Prints the tables of per-run averages (when a run was timed) and frees. */
void vk_profile_free(vk_ctx *ctx, vk_profile *pr);
/* A family's steps and GPU milliseconds per run so far (0 and 0 before any run). */
void vk_profile_family(const vk_profile *pr, int family, int *steps, double *ms);
const char *vk_family_name(int family, char *buf, size_t len);
/* The conv GEMMs timed, and GEMM i's label and GPU milliseconds per run so far. */
int vk_profile_gemms(const vk_profile *pr);
void vk_profile_gemm(const vk_profile *pr, int i, const vk_gemm_label **label, double *ms);

#endif
