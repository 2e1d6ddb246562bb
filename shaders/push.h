/* The push constants of every shader, declared once for GLSL and C: each shader's fields as an
 * X-macro of (type, name) pairs, expanded into its GLSL `layout(push_constant) uniform` block
 * (VK_PUSH_BLOCK) and, on the C side (engine/vulkan), into a struct of the same layout
 * (vk_push_<shader>). Every field is 4 bytes, so both layouts are the fields in order. */
#ifndef SHADERS_PUSH_H
#define SHADERS_PUSH_H

/* eltwise.comp */
#define PUSH_ELTWISE(F)                                                                          \
    F(PC_UINT, n)                                                                                \
    F(PC_FLOAT, s0)   /* leaky slope, scale factor, dropout p, 1/numel for the losses */         \
    F(PC_FLOAT, s1)   /* dropout 1/(1-p) */                                                      \
    F(PC_UINT, seed)  /* dropout */

/* reduce.comp */
#define PUSH_REDUCE(F)                                                                           \
    F(PC_UINT, n)                                                                                \
    F(PC_FLOAT, scale)

/* adam.comp */
#define PUSH_ADAM(F)                                                                             \
    F(PC_UINT, n)                                                                                \
    F(PC_UINT, slot)                                                                             \
    F(PC_FLOAT, w1)   /* 1 - beta1 */                                                            \
    F(PC_FLOAT, beta2)                                                                           \
    F(PC_FLOAT, w2)   /* 1 - beta2 */                                                            \
    F(PC_FLOAT, eps)                                                                             \
    F(PC_UINT, flags) /* ADAM_SCALED: b0 master weights, b4 their fp16 copy, b5 the flags */     \
    F(PC_UINT, nflags)                                                                           \
    F(PC_UINT, flag_stride)                                                                      \
    F(PC_UINT, flag_index) /* the parameter's among the optimizer's */

/* ema.comp */
#define PUSH_EMA(F)                                                                              \
    F(PC_UINT, n)                                                                                \
    F(PC_FLOAT, decay)                                                                           \
    F(PC_FLOAT, keep) /* 1 - decay */

/* layout.comp */
#define PUSH_LAYOUT(F)                                                                           \
    F(PC_UINT, n)       /* elements written */                                                   \
    F(PC_UINT, h)       /* PAD, UP: input size; CONCAT: h * w in h */                            \
    F(PC_UINT, w)                                                                                \
    F(PC_UINT, pad)     /* PAD; UP: the scale factor */                                          \
    F(PC_UINT, c_first) /* CONCAT_F: channels of the first source */                             \
    F(PC_UINT, c_out)   /* CONCAT_F: channels of out; CONCAT_B: of the upstream gradient */      \
    F(PC_UINT, c_src)   /* CONCAT_B: channels of the source */                                   \
    F(PC_UINT, c_off)   /* CONCAT_B: first channel of the source in the upstream gradient */

/* norm_stats.comp */
#define PUSH_NORM_STATS(F)                                                                       \
    F(PC_UINT, groups)                                                                           \
    F(PC_UINT, c)          /* channels */                                                        \
    F(PC_UINT, hw)         /* plane size */                                                      \
    F(PC_UINT, samples)    /* samples summed per group (N for batch norm, 1 for instance) */     \
    F(PC_UINT, per_sample) /* instance norm */                                                   \
    F(PC_UINT, mode)       /* 0: batch statistics, 1: also update running ones, 2: running */ \
    F(PC_FLOAT, eps)                                                                             \
    F(PC_FLOAT, momentum)

/* norm_apply.comp */
#define PUSH_NORM_APPLY(F)                                                                       \
    F(PC_UINT, n)                                                                                \
    F(PC_UINT, groups)                                                                           \
    F(PC_UINT, c)                                                                                \
    F(PC_UINT, hw)                                                                               \
    F(PC_UINT, per_sample)                                                                       \
    F(PC_UINT, has_weight)                                                                       \
    F(PC_UINT, has_bias)

/* norm_backward.comp */
#define PUSH_NORM_BACKWARD(F)                                                                    \
    F(PC_UINT, flags)                                                                            \
    F(PC_UINT, n)          /* NB_DX: elements; NB_PARAM: channels */                             \
    F(PC_UINT, groups)                                                                           \
    F(PC_UINT, c)                                                                                \
    F(PC_UINT, hw)                                                                               \
    F(PC_UINT, samples)    /* samples per group */                                               \
    F(PC_UINT, per_sample)                                                                       \
    F(PC_UINT, has_weight)                                                                       \
    F(PC_UINT, which)      /* NB_PARAM: 0 = sum dy (bias), 1 = sum dy * xhat (weight) */

/* conv_gemm.comp: the gathered tensor (n, c, hi, wi); output channels and size (m, ho, wo;
 * CONV_WEIGHT: a's); depth_chunk: the depth summed by each z slice (split-K; the whole depth
 * without a split), see conv_gemm.comp for where the partial sums go */
#define PUSH_CONV_GEMM(F)                                                                        \
    F(PC_UINT, n) F(PC_UINT, c) F(PC_UINT, hi) F(PC_UINT, wi)                                    \
    F(PC_UINT, m) F(PC_UINT, ho) F(PC_UINT, wo)                                                  \
    F(PC_UINT, kh) F(PC_UINT, kw) F(PC_UINT, stride) F(PC_UINT, pad)                             \
    F(PC_UINT, w_sm) F(PC_UINT, w_sc)                                                            \
    F(PC_UINT, flags)                                                                            \
    F(PC_UINT, depth_chunk)

/* pool.comp */
#define PUSH_POOL(F)                                                                             \
    F(PC_UINT, n)       /* elements written: the output (forward) or the input (backward) */    \
    F(PC_UINT, h)       /* input size */                                                         \
    F(PC_UINT, w)                                                                                \
    F(PC_UINT, ho)      /* output size */                                                        \
    F(PC_UINT, wo)                                                                               \
    F(PC_UINT, kernel)                                                                           \
    F(PC_UINT, stride)                                                                           \
    F(PC_UINT, pad)

/* spectral.comp: the weight as a rows x cols matrix of n = rows * cols elements */
#define PUSH_SPECTRAL(F)                                                                         \
    F(PC_UINT, rows)                                                                             \
    F(PC_UINT, cols)                                                                             \
    F(PC_UINT, n)                                                                                \
    F(PC_FLOAT, eps)

#ifdef __STDC_VERSION__ /* C */
#include <stdint.h>
#define PC_UINT uint32_t
#define PC_FLOAT float
#define VK_PUSH_FIELD(type, name) type name;
#define VK_PUSH_WORD(type, name) +1
/* the fields in order without padding: the GLSL block's layout */
#define VK_PUSH_STRUCT(shader, FIELDS)                                                           \
    typedef struct {                                                                             \
        FIELDS(VK_PUSH_FIELD)                                                                    \
    } vk_push_##shader;                                                                          \
    _Static_assert(sizeof(vk_push_##shader) == 4 * (0 FIELDS(VK_PUSH_WORD)),                     \
                   "vk_push_" #shader " has the layout of its GLSL block");
VK_PUSH_STRUCT(eltwise, PUSH_ELTWISE)
VK_PUSH_STRUCT(reduce, PUSH_REDUCE)
VK_PUSH_STRUCT(adam, PUSH_ADAM)
VK_PUSH_STRUCT(ema, PUSH_EMA)
VK_PUSH_STRUCT(layout, PUSH_LAYOUT)
VK_PUSH_STRUCT(norm_stats, PUSH_NORM_STATS)
VK_PUSH_STRUCT(norm_apply, PUSH_NORM_APPLY)
VK_PUSH_STRUCT(norm_backward, PUSH_NORM_BACKWARD)
VK_PUSH_STRUCT(conv_gemm, PUSH_CONV_GEMM)
VK_PUSH_STRUCT(pool, PUSH_POOL)
VK_PUSH_STRUCT(spectral, PUSH_SPECTRAL)
#undef VK_PUSH_STRUCT
#undef VK_PUSH_WORD
#else /* GLSL: VK_PUSH_BLOCK(PUSH_<SHADER>) declares the shader's `pc` */
#define PC_UINT uint
#define PC_FLOAT float
#define VK_PUSH_FIELD(type, name) type name;
#define VK_PUSH_BLOCK(FIELDS)                                                                    \
    layout(push_constant) uniform Push { FIELDS(VK_PUSH_FIELD) } pc;
#endif

#endif
