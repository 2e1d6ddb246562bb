/* Constants shared by the shaders and engine/vulkan (valid C and GLSL: defines only). */
#ifndef SHADERS_OPCODES_H
#define SHADERS_OPCODES_H

/* eltwise.comp: forward ops write out = f(a, b); backward ops add into out (a gradient). Their
 * codes come from the op table: ELT_<ID>_F and ELT_<ID>_B of op ENG_OP_<ID>, in the generated
 * eltwise_codes.h for GLSL (shaders/gen_eltwise_codes.c) and ELT_F(ID), ELT_B(ID) in C
 * (engine/vulkan/vk_lower.h). */

/* adam.comp flags */
#define ADAM_SCALED 1     /* loss scaling: skip when a flag is set, unscale, write the fp16 copy */
#define ADAM_CHECKED 2    /* the plan has flags: set where a value is not finite */

/* reduce.comp: out[0] = scale * sum f(a, b). */
#define RED_SUM 0
#define RED_L1 1
#define RED_MSE 2
#define RED_BCE 3

/* conv_gemm.comp specialization constant MODE. */
#define CONV_GATHER 0     /* out[n,m,o] = sum w[m,c,k] * in[n,c, o*stride - pad + k] */
#define CONV_SCATTER 1    /* out[n,m,o] = sum w[m,c,k] * in[n,c, (o + pad - k) / stride] */
#define CONV_WEIGHT 2     /* dw[m,c,k] += sum a[n,m,o] * in[n,c, o*stride - pad + k] */
#define CONV_ACCUMULATE 1 /* flags */
#define CONV_BIAS 2

/* layout.comp */
#define LAY_PAD_F 0
#define LAY_PAD_B 1
#define LAY_CONCAT_F 2
#define LAY_CONCAT_B 3
#define LAY_UP_F 4       /* upsample_nearest2d */
#define LAY_UP_B 5

/* pool.comp */
#define POOL_AVG_F 0
#define POOL_AVG_B 1
#define POOL_MAX_F 2
#define POOL_MAX_B 3

/* spectral.comp: the steps of spectral_norm, in order (vk_ops_spectral.c) */
#define SN_V 0           /* aux v = W^T u */
#define SN_NORM_V 1      /* aux v /= max(|v|, eps), copied to the state v (one workgroup) */
#define SN_U 2           /* aux W v = W v */
#define SN_NORM_U 3      /* aux u = W v / max(|W v|, eps), to the state u; sigma = u . W v */
#define SN_APPLY 4       /* out = W / sigma */
#define SN_DOT 5         /* backward: aux dot = sum dy * W (one workgroup) */
#define SN_GRAD 6        /* dW += dy / sigma - dot / sigma^2 * u v^T */

/* norm_backward.comp */
#define NB_REDUCE 0       /* scratch[g] = sum dy, scratch[G+g] = sum dy * xhat */
#define NB_DX 1
#define NB_PARAM 2        /* out[c] += sum over the groups of channel c of scratch[which*G + g] */
#define NB_NO_XHAT 1      /* flags: REDUCE sums dy only (conv bias gradient) */
#define NB_EVAL 2         /* DX with fixed statistics */

#define VK_WORKGROUP 256  /* local size of the 1-D shaders */

#endif
