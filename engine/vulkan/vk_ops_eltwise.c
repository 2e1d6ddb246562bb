/* Lowering of the element-wise ops (eltwise.comp: activations, scale, detach, dropout, add,
 * mul and the backward of sum and the losses) and of the reductions (reduce.comp: sum and the
 * losses' forward). One forward/backward pair per op, named by its vk column of ops.def. */
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* one pipeline variant per op and direction */
_Static_assert(2 * ENG_OP_COUNT <= VK_VARIANTS, "VK_VARIANTS holds every element-wise code");

/* An element-wise op over n elements: out (binding 0, written), a, b, dy. */
static void eltwise(lowering *lw, uint32_t op, size_t n, int out, int a, int b, int dy, float s0,
                    float s1, uint32_t seed)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->regions[3] = dy;
    st->writes = 1;
    st->variant = op;
    vk_push_eltwise push = {.n = (uint32_t)n, .s0 = s0, .s1 = s1, .seed = seed};
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(n);
}

/* out = f(x) with a scalar argument s0 */
static void unary_forward(lowering *lw, const eng_node *n, uint32_t op, float s0)
{
    eltwise(lw, op, n->numel, vk_data_of(lw, n), vk_data_of(lw, n->src[0]), -1, -1, s0, 0, 0);
}

/* dx += dy * f'(a), a being the op's input x or, from_output, its output y */
static void unary_backward(lowering *lw, const eng_node *n, uint32_t op, int from_output, float s0)
{
    const eng_node *x = n->src[0];
    eltwise(lw, op, x->numel, vk_grad_of(lw, x), vk_data_of(lw, from_output ? n : x), -1,
            vk_grad_of(lw, n), s0, 0, 0);
}

/* The ENG_ELTWISE rows of the op table: eltwise.comp runs their formulas by op code. */
void vk_lower_eltwise_forward(lowering *lw, const eng_node *n)
{
    eltwise(lw, ELT_CODE_F(n->op), n->numel, vk_data_of(lw, n), vk_data_of(lw, n->src[0]),
            vk_data_of(lw, n->src[1]), -1, n->arg.scalar.value, 0, 0);
}
/* X and XS: dx += backward(dy, v, s); the formula's v is the output where
 * eng_op_backward_reads says so: with reused values the input may be another tensor's by then
 * (same signs for leaky_relu's slopes >= 0). AB: one dispatch per operand, b the other's. */
void vk_lower_eltwise_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    if (n->nsrc == 1) {
        int from_output = (eng_op_backward_reads(n) & ENG_READS_OUTPUT) != 0;
        unary_backward(lw, n, ELT_CODE_B(n->op), from_output, n->arg.scalar.value);
        return;
    }
    for (int s = 0; s < 2; s++)
        if (mask & (1u << s))
            eltwise(lw, ELT_CODE_B(n->op), n->numel, vk_grad_of(lw, n->src[s]),
                    vk_data_of(lw, n->src[s]), vk_data_of(lw, n->src[1 - s]), vk_grad_of(lw, n),
                    0, 0, 0);
}

void vk_lower_detach_forward(lowering *lw, const eng_node *n) { unary_forward(lw, n, ELT_F(DETACH), 0); }
void vk_lower_detach_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)lw, (void)n, (void)mask; /* no gradient flows through */
}

/* the mask from (seed, run, index) in the shader, kept elements scaled by 1/(1-p) */
static void dropout(lowering *lw, const eng_node *n, uint32_t op, int out, int in, int dy)
{
    float p = n->arg.dropout.p;
    eltwise(lw, op, n->numel, out, in, -1, dy, p, 1.0f / (1.0f - p), n->arg.dropout.seed);
}
void vk_lower_dropout_forward(lowering *lw, const eng_node *n)
{
    dropout(lw, n, ELT_F(DROPOUT), vk_data_of(lw, n), vk_data_of(lw, n->src[0]), -1);
}
void vk_lower_dropout_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    const eng_node *x = n->src[0];
    dropout(lw, n, ELT_B(DROPOUT), vk_grad_of(lw, x), vk_data_of(lw, x), vk_grad_of(lw, n));
}

/* ---- reductions to [1]: out = scale * sum f(x, target) ------------------------------------ */
static void reduce(lowering *lw, uint32_t op, const eng_node *n)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_REDUCE);
    if (!st)
        return;
    const eng_node *x = n->src[0];
    st->regions[0] = vk_data_of(lw, n);
    st->regions[1] = vk_data_of(lw, x);
    st->regions[2] = n->src[1] ? vk_data_of(lw, n->src[1]) : -1;
    st->writes = 1;
    float scale = op == RED_SUM ? 1.0f : 1.0f / (float)x->numel;
    st->variant = op;
    vk_push_reduce push = {.n = (uint32_t)x->numel, .scale = scale};
    vk_set_push(st, push);
}

/* dx += dy[0] * f'(x, target) / numel */
static void loss_backward(lowering *lw, const eng_node *n, uint32_t op)
{
    const eng_node *x = n->src[0];
    eltwise(lw, op, x->numel, vk_grad_of(lw, x), vk_data_of(lw, x), vk_data_of(lw, n->src[1]),
            vk_grad_of(lw, n), 1.0f / (float)x->numel, 0, 0);
}

void vk_lower_sum_forward(lowering *lw, const eng_node *n) { reduce(lw, RED_SUM, n); }
void vk_lower_sum_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    unary_backward(lw, n, ELT_B(SUM), 0, 0);
}
void vk_lower_l1_loss_forward(lowering *lw, const eng_node *n) { reduce(lw, RED_L1, n); }
void vk_lower_l1_loss_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    loss_backward(lw, n, ELT_B(L1_LOSS));
}
void vk_lower_mse_loss_forward(lowering *lw, const eng_node *n) { reduce(lw, RED_MSE, n); }
void vk_lower_mse_loss_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    loss_backward(lw, n, ELT_B(MSE_LOSS));
}
void vk_lower_bce_logits_loss_forward(lowering *lw, const eng_node *n) { reduce(lw, RED_BCE, n); }
void vk_lower_bce_logits_loss_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    loss_backward(lw, n, ELT_B(BCE_LOGITS_LOSS));
}
