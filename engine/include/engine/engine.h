/* pix2pix-vk tensor engine: public API.
 *
 * A static graph of float32 NCHW tensors is built once, then handed to a backend that
 * allocates every buffer (eng_plan_new) and runs it many times (eng_plan_run).
 *
 * Building a graph:
 *   leaves      eng_input (written by the caller before each run), eng_param (trainable),
 *               eng_state (persistent, not trainable: running statistics), eng_const (filled)
 *   ops         eng_conv2d, eng_batch_norm2d, eng_relu, ... (see below)
 *   schedule    eng_forward(g, node)            compute node and its not-yet-scheduled ancestors
 *               eng_backward(g, loss, params)   gradients of loss for those params
 *               eng_adam_step(g, opt)           update the optimizer's params from their grads
 * The schedule is recorded in the order of the calls and replayed by every eng_plan_run, so a
 * whole training step (G forward, D update, G update) is one graph and one run.
 *
 * The graph, its nodes, optimizers, backends and plans are opaque: users read them through the
 * accessors below (eng_node_shape, eng_adam_param, eng_graph_flops, ...); their structs are
 * the engine's (engine/graph.h, not reachable from the app).
 *
 * Building never aborts on sizes and shapes, which users choose (a batch, an image, a model
 * file's tensors): the first shape a builder refuses (mismatched, empty, too large to count)
 * marks the graph failed, later builders return a placeholder node and record nothing, and
 * eng_graph_status, eng_plan_new and eng_plan_estimate report that first refusal. Programming
 * errors of the schedule (a backward of a loss that is not one value, an optimizer of nodes
 * that are not parameters) abort with a message. Every other failure, in every header here
 * (graph, plans and backends; files and devices: safetensors.h, pth/pth.h, onnx.h, device.h,
 * tune.h), is returned as a negative status (ENG_*, or -1) or NULL, with a one-line message
 * for eng_last_error(), one per thread, read before the thread's next engine call (a file's
 * message names the file). Callers print it or quote it; none passes a buffer. The engine
 * prints nothing else: no
 * program name, only the debug output asked for in the environment (PIX2PIX_PROFILE, the per-op
 * times: wall time on the CPU, GPU time on a Vulkan device; PIX2PIX_VK_VALIDATION, the Vulkan
 * validation layer's messages).
 */
#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the engine's objects, opaque: read through the accessors below ----------------------- */
typedef struct eng_graph eng_graph;
typedef struct eng_node eng_node;
typedef struct eng_adam eng_adam;
typedef struct eng_backend eng_backend;
typedef struct eng_plan eng_plan;
#define ENG_MAX_DIMS 4   /* dims of a tensor's shape */
#define ENG_NAME_MAX 128 /* bytes of a leaf's name, its terminating NUL included */

/* ---- graph construction ------------------------------------------------------------------ */
eng_graph *eng_graph_new(void);
void eng_graph_free(eng_graph *g);

/* Shapes have 1 to 4 dims; image tensors are [N, C, H, W]. */
eng_node *eng_input(eng_graph *g, const char *name, int ndim, const int *shape);
eng_node *eng_param(eng_graph *g, const char *name, int ndim, const int *shape);
eng_node *eng_state(eng_graph *g, const char *name, int ndim, const int *shape);
eng_node *eng_const(eng_graph *g, int ndim, const int *shape, float value);
eng_node *eng_input4(eng_graph *g, const char *name, int n, int c, int h, int w);
eng_node *eng_param4(eng_graph *g, const char *name, int n, int c, int h, int w);
eng_node *eng_param1(eng_graph *g, const char *name, int n);
eng_node *eng_state1(eng_graph *g, const char *name, int n);

/* Looks a leaf up by name (NULL if absent). */
eng_node *eng_find(const eng_graph *g, const char *name);

/* x [N,Ci,H,W], w [Co,Ci,kh,kw], bias [Co] or NULL. */
eng_node *eng_conv2d(eng_graph *g, eng_node *x, eng_node *w, eng_node *bias, int stride, int pad);
/* x [N,Ci,H,W], w [Ci,Co,kh,kw] (PyTorch layout), bias [Co] or NULL.
 * Hout = (H-1)*stride - 2*pad + kh + out_pad. */
eng_node *eng_conv_transpose2d(eng_graph *g, eng_node *x, eng_node *w, eng_node *bias, int stride,
                               int pad, int out_pad);
/* weight/bias [C] or NULL (no affine). running_mean/var [C] state, num_batches_tracked [1] state.
 * training: batch statistics, running stats updated with momentum and the unbiased variance;
 * otherwise running statistics are used. */
eng_node *eng_batch_norm2d(eng_graph *g, eng_node *x, eng_node *weight, eng_node *bias,
                           eng_node *running_mean, eng_node *running_var,
                           eng_node *num_batches_tracked, int training, float momentum, float eps);
/* Per-sample, per-channel statistics (PyTorch InstanceNorm2d, track_running_stats=False). */
eng_node *eng_instance_norm2d(eng_graph *g, eng_node *x, eng_node *weight, eng_node *bias, float eps);
eng_node *eng_reflection_pad2d(eng_graph *g, eng_node *x, int pad);
/* Average over kernel x kernel windows, PyTorch F.avg_pool2d(x, kernel, stride, pad,
 * count_include_pad=False): each output is the mean of the window's cells inside the input
 * (edge windows count fewer), Hout = (H + 2*pad - kernel) / stride + 1 (floor); pad at most
 * kernel / 2. The pix2pixHD multi-scale discriminator downsamples with (3, 2, 1). */
eng_node *eng_avg_pool2d(eng_graph *g, eng_node *x, int kernel, int stride, int pad);
/* Maximum over the same windows, PyTorch F.max_pool2d(x, kernel, stride, pad) (the padding
 * never the maximum; ceil_mode False): the gradient goes to the window's largest cell, the
 * first in row-major order of equal ones. VGG downsamples with (2, 2, 0). */
eng_node *eng_max_pool2d(eng_graph *g, eng_node *x, int kernel, int stride, int pad);
/* Nearest-neighbour upsampling by an integer factor, PyTorch F.interpolate(x,
 * scale_factor=scale, mode='nearest'): out[y, x] = in[y / scale, x / scale], Hout = H * scale.
 * Followed by a 3x3 conv it is the resize-convolution upsampling of the generators. */
eng_node *eng_upsample_nearest2d(eng_graph *g, eng_node *x, int scale);
/* Spectral normalization of a weight, torch.nn.utils.spectral_norm(dim=0, n_power_iterations
 * =1) in training mode: with W the weight as a matrix of shape[0] rows and u [rows], v
 * [numel / rows] states, each run of the node does v = normalize(W^T u), u = normalize(W v)
 * (normalize: x / max(|x|, eps)) in place, and gives weight / sigma, sigma = u^T W v; the
 * gradient reaches the weight only, through sigma with u and v held constant. Each node is
 * one power iteration: apply a layer twice and the second sees the first's u and v, as
 * PyTorch's forward pre-hook does. */
eng_node *eng_spectral_norm(eng_graph *g, eng_node *weight, eng_node *u, eng_node *v, float eps);

eng_node *eng_relu(eng_graph *g, eng_node *x);
eng_node *eng_leaky_relu(eng_graph *g, eng_node *x, float slope);
eng_node *eng_tanh(eng_graph *g, eng_node *x);
eng_node *eng_sigmoid(eng_graph *g, eng_node *x);
/* Concatenation along channels (dim 1) of two [N,*,H,W] tensors. */
eng_node *eng_concat(eng_graph *g, eng_node *a, eng_node *b);
/* Zeroes each element with probability p and scales the others by 1/(1-p). The mask is a pure
 * function of (seed, run counter, element index): identical on every backend. */
eng_node *eng_dropout(eng_graph *g, eng_node *x, float p, uint32_t seed);
eng_node *eng_add(eng_graph *g, eng_node *a, eng_node *b);
eng_node *eng_mul(eng_graph *g, eng_node *a, eng_node *b);
eng_node *eng_scale(eng_graph *g, eng_node *x, float factor);
/* Identity whose gradient is not propagated (PyTorch .detach()). */
eng_node *eng_detach(eng_graph *g, eng_node *x);
/* Sum of all elements: a [1] tensor. */
eng_node *eng_sum(eng_graph *g, eng_node *x);

/* Losses, mean reduction, result [1]. target never receives a gradient. */
eng_node *eng_l1_loss(eng_graph *g, eng_node *x, eng_node *target);
eng_node *eng_mse_loss(eng_graph *g, eng_node *x, eng_node *target);
eng_node *eng_bce_with_logits_loss(eng_graph *g, eng_node *logits, eng_node *target);

/* ---- schedule ---------------------------------------------------------------------------- */
void eng_forward(eng_graph *g, eng_node *node);
/* Zeroes the grads of the params and of every node between them and loss, then
 * back-propagates d(loss)/d(loss) = 1. Params not reached by loss get zero grads. */
void eng_backward(eng_graph *g, eng_node *loss, eng_node *const *params, int nparams);

/* Adam exactly as torch.optim.Adam (weight_decay 0, amsgrad off). The moments are state nodes
 * named "<param name>.exp_avg" / ".exp_avg_sq", so they are read and written like any tensor. */
eng_adam *eng_adam_new(eng_graph *g, eng_node *const *params, int nparams, float lr, float beta1,
                       float beta2, float eps);
/* Records one update; an optimizer may be stepped several times in one graph (each between
 * its own backward and the next use of its params), each update counting as one step. */
void eng_adam_step(eng_graph *g, eng_adam *opt);
/* An exponential moving average of the optimizer's weights (StyleGAN's G_ema), fused into its
 * updates: after each one, average = decay * average + (1 - decay) * param, in fp32 state nodes
 * "<param name>.ema" (the fp32 master weights are averaged under mixed precision). 0 < decay
 * < 1; call it once, before the first eng_adam_step. The averages start as whatever is
 * written into them (the caller copies the starting weights there). An update that loss
 * scaling skips still moves the average, towards the unchanged weights. */
void eng_adam_set_average(eng_graph *g, eng_adam *opt, float decay);
void eng_adam_set_lr(eng_adam *opt, float lr);
/* Gradient reduction for data-parallel training: the optimizer's gradients pass through a
 * reducer before its update. The backend groups the parameters into buckets of about
 * bucket_bytes in the order their gradients complete; during eng_plan_run it calls
 *   start(ctx, b, grads, counts, n)  as soon as bucket b's gradients are complete (the last
 *                                    command adding into them has run), while backward goes on;
 *   progress(ctx)                    after every later command while a bucket is in flight;
 *   finish(ctx, b)                   before the updates of bucket b's parameters, which then
 *                                    read the gradients as the reducer left them.
 * Buckets are numbered 0, 1, ... in the order they start, the same order every run. The
 * callbacks return 0, or non-zero to fail the run (the reducer reports why). The engine knows
 * nothing of how gradients are combined (app/parallel/dist_mpi.c averages them across MPI
 * ranks). Set it before planning; it must outlive the plans. The CPU backend starts buckets during
 * backward; the Vulkan backend hands each optimizer's gradients over as one bucket once its
 * backward is complete (copied to the host and back). */
typedef struct eng_reducer {
    void *ctx;
    size_t bucket_bytes;
    int (*start)(void *ctx, int bucket, float *const *grads, const size_t *counts, int n);
    int (*progress)(void *ctx);
    int (*finish)(void *ctx, int bucket);
} eng_reducer;
void eng_adam_set_reducer(eng_adam *opt, const eng_reducer *r);
/* Number of steps taken (PyTorch's per-parameter 'step'); settable when resuming. */
int64_t eng_adam_steps(const eng_adam *opt);
void eng_adam_set_steps(eng_adam *opt, int64_t steps);

/* ---- backends and plans ------------------------------------------------------------------ */
eng_backend *eng_cpu_backend_new(int threads); /* threads <= 0: all cores */
void eng_backend_free(eng_backend *be);
const char *eng_backend_name(const eng_backend *be);
/* Bytes that new plans on this backend may take now, what is in use already excluded: on a
 * Vulkan device its VK_EXT_memory_budget figure where it has the extension, else 70% of its
 * largest device-local heap; on the CPU the memory the system reports available
 * (MemAvailable). 0 when unknown. */
size_t eng_backend_memory_budget(eng_backend *be);

/* Every gradient stays readable after a run (for tests comparing backends; costs memory). */
void eng_keep_grads(eng_graph *g);
/* Lets the values of op outputs share memory by liveness (most of an inference graph's
 * activations). After a run only the values of leaves (inputs, params, states, consts), of
 * outputs (nodes no op consumes) and of nodes passed to eng_keep_value stay readable; reading
 * or writing another is refused (ENG_EINVAL). Call before planning; backends may ignore it. */
void eng_reuse_values(eng_graph *g);
void eng_keep_value(eng_node *n);
/* Asks for mixed precision (call before planning): fp16 storage of the activations, their
 * gradients, the inputs and the weights the ops read; fp32 arithmetic and accumulation in every
 * kernel, fp32 losses, parameter gradients, running statistics, master weights and Adam state.
 * A plan with an optimizer scales its losses dynamically as PyTorch's GradScaler: the seed of
 * each loss's gradient is the scale (initially 65536), the gradients are unscaled in the
 * update, an optimizer whose gradients hold a value that is not finite skips its update for
 * that run (its step count too), and the scale halves then, doubling after 2000 runs without
 * one. A backend or device without fp16 storage plans in fp32 (eng_plan_fp16 says which). */
void eng_mixed_precision(eng_graph *g);
/* Whether be can plan in mixed precision (16-bit storage buffers); 0 on the CPU. */
int eng_backend_has_fp16(const eng_backend *be);
/* Allocates every buffer of the graph on the backend. Leaves are zero, consts filled. */
eng_plan *eng_plan_new(eng_graph *g, eng_backend *be);
void eng_plan_free(eng_plan *p);
/* Runs the recorded schedule once. Returns 0 or a negative status. */
int eng_plan_run(eng_plan *p);
/* Sets the count of runs so far: the next run draws the dropout masks of run runs + 1, as if
 * it came after that many (translating image k of a list takes the same masks in any
 * process of a job that shares the list out). */
void eng_plan_set_runs(eng_plan *p, uint32_t runs);
/* Copies a node's values (or its gradient) between host memory and the plan. numel floats. */
int eng_plan_write(eng_plan *p, const eng_node *n, const float *src);
int eng_plan_read(eng_plan *p, const eng_node *n, float *dst);
/* Gradients read from a loss-scaled plan are unscaled (divided by the last run's scale).
 * Gradients are kept for inputs and for params that no optimizer updates; those of op outputs
 * and of optimized params share memory and are not readable after a run (ENG_EINVAL), unless
 * eng_keep_grads was called on the graph before planning. */
int eng_plan_read_grad(eng_plan *p, const eng_node *n, float *dst);
/* Whether the plan stores in fp16 (eng_mixed_precision on a backend that has it). */
int eng_plan_fp16(const eng_plan *p);
/* The optimizers whose gradients held an infinity or a NaN in the last run. With loss scaling
 * their updates were skipped (the scale lowers and training goes on); without, they were
 * applied and the weights are no longer all finite: the caller should stop. */
int eng_plan_nonfinite_grads(const eng_plan *p);
/* The optimizers whose update left an infinity or a NaN in their moments (exp_avg,
 * exp_avg_sq) or weights in the last run: a gradient that was not finite and was applied, or a
 * finite one whose square overflows exp_avg_sq. Training cannot go on from that state. */
int eng_plan_nonfinite_state(const eng_plan *p);
/* The loss scale of the next run (1 without loss scaling) and the runs so far that skipped an
 * update for gradients that were not finite. */
float eng_plan_loss_scale(const eng_plan *p);
int64_t eng_plan_skipped_runs(const eng_plan *p);
/* GradScaler's defaults: the first scale, and the runs without a skip after which it doubles. */
#define ENG_LOSS_SCALE_INIT 65536.0f
#define ENG_LOSS_SCALE_GROWTH_INTERVAL 2000
/* The runs without a skip since the scale last changed (GradScaler's growth tracker). */
int eng_plan_loss_scale_good_runs(const eng_plan *p);
/* Sets the loss scale, the runs without a skip after which it doubles, and the runs without
 * one so far (tests; resuming a run; the ranks of a job taking rank 0's). */
void eng_plan_set_loss_scale(eng_plan *p, float scale, int growth_interval, int good_runs);
/* Bytes of device/host memory the plan holds (all buffers). */
size_t eng_plan_bytes(const eng_plan *p);
/* The memory eng_plan_new(g, be) would allocate, found without allocating it: *bytes of all
 * its buffers (what eng_plan_bytes of the plan will say), *host_bytes of them in host memory
 * (every buffer on the CPU backend and on software Vulkan devices, only the host-visible
 * staging buffers on a GPU). With overcommit a malloc far larger than memory succeeds and the
 * process is killed later: this lets a caller refuse such a plan first. Either pointer may be
 * NULL. Returns 0 or a negative status. */
int eng_plan_estimate(eng_graph *g, eng_backend *be, size_t *bytes, size_t *host_bytes);

/* What one eng_plan_run does on the device, fixed when the plan is made. On a Vulkan plan:
 * dispatches and fills are the commands of the recorded schedule; barriers the pipeline
 * barriers in it, of which barriers_dependent are placed by dependency tracking between steps
 * (a later step touching memory an earlier one not yet behind a barrier wrote, or writing
 * memory it read; one barrier covers every such pair at that point) and the rest open and
 * close each submission; submits the queue submissions (one per run, more where a data-parallel
 * optimizer's gradients go through the host between two: each copy is one). On the CPU
 * backend: dispatches are the schedule's commands, the rest 0. */
typedef struct {
    int dispatches, fills, barriers, barriers_dependent, submits;
} eng_counters;
void eng_plan_counters(const eng_plan *p, eng_counters *c);

/* ---- reading nodes and optimizers (accessors.c) ------------------------------------------- */
/* A leaf's name ("" for op outputs), its shape (ndim dims) and its count of elements. */
const char *eng_node_name(const eng_node *n);
int eng_node_ndim(const eng_node *n);
const int *eng_node_shape(const eng_node *n);
size_t eng_node_numel(const eng_node *n);
/* The optimizer's i-th param (0 <= i < eng_adam_nparams) and its two moments (state nodes). */
int eng_adam_nparams(const eng_adam *opt);
eng_node *eng_adam_param(const eng_adam *opt, int i);
eng_node *eng_adam_exp_avg(const eng_adam *opt, int i);
eng_node *eng_adam_exp_avg_sq(const eng_adam *opt, int i);
/* Its i-th param's average (eng_adam_set_average), or NULL when it keeps none. */
eng_node *eng_adam_average(const eng_adam *opt, int i);

/* ---- work of a schedule ------------------------------------------------------------------ */
/* Floating-point operations of one eng_plan_run of the recorded schedule: the multiply-adds of
 * the convolutions (forward, and backward's input and weight gradients) times two. The other
 * ops are memory-bound and not counted (as in PyTorch's figures). */
double eng_graph_flops(const eng_graph *g);

/* ---- errors ------------------------------------------------------------------------------ */
enum { ENG_OK = 0, ENG_ENOMEM = -1, ENG_EBACKEND = -2, ENG_EINVAL = -3, ENG_EDEVICE_LOST = -4 };
/* The one-line message of this thread's last failed engine call ("no error" before any). */
const char *eng_last_error(void);
/* Records the message for eng_last_error() and returns status: the engine's own, and that of a
 * callback the engine calls (st_fill_fn) to say why it fails. The message may quote the last
 * one: eng_set_error(-1, "%s: %s", path, eng_last_error()). */
int eng_set_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ENG_OK, or ENG_EINVAL when a builder refused a shape of g (its message, naming the op and the
 * sizes, then in eng_last_error()). */
int eng_graph_status(const eng_graph *g);

#ifdef __cplusplus
}
#endif
#endif
