/* Constants shared by the shaders and engine/vulkan (valid C and GLSL: defines only). */
#ifndef SHADERS_OPCODES_H
#define SHADERS_OPCODES_H

/* eltwise.comp: forward ops write out = f(a, b); backward ops add into out (a gradient). */
#define ELT_RELU_F 0
#define ELT_LEAKY_F 1
#define ELT_TANH_F 2
#define ELT_SIGMOID_F 3
#define ELT_SCALE_F 4
#define ELT_COPY_F 5
#define ELT_ADD_F 6
#define ELT_MUL_F 7
#define ELT_DROPOUT_F 8
#define ELT_RELU_B 16
#define ELT_LEAKY_B 17
#define ELT_TANH_B 18
#define ELT_SIGMOID_B 19
#define ELT_SCALE_B 20
#define ELT_ACC_B 21
#define ELT_MUL_B 22
#define ELT_DROPOUT_B 23
#define ELT_SUM_B 24
#define ELT_L1_B 25
#define ELT_MSE_B 26
#define ELT_BCE_B 27

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

/* pool.comp */
#define POOL_AVG_F 0
#define POOL_AVG_B 1

/* norm_backward.comp */
#define NB_REDUCE 0       /* scratch[g] = sum dy, scratch[G+g] = sum dy * xhat */
#define NB_DX 1
#define NB_PARAM 2        /* out[c] += sum over the groups of channel c of scratch[which*G + g] */
#define NB_NO_XHAT 1      /* flags: REDUCE sums dy only (conv bias gradient) */
#define NB_EVAL 2         /* DX with fixed statistics */

#define VK_WORKGROUP 256  /* local size of the 1-D shaders */

#endif
