#!/usr/bin/python3
"""Generates the PyTorch reference fixtures of the engine tests (tests/engine/fixtures/).

Usage (from the repository root, with Debian's python3-torch):
    /usr/bin/python3 tools/gen_golden.py [output folder, default tests/engine/fixtures]

Writes, deterministically (fixed seeds, one thread):
  ops_golden.safetensors   every differentiable engine op on small random shapes: inputs,
                           params, a random upstream weight R, the forward output, the gradients
                           of loss = (out * R).sum() for every input and param, and for batch
                           norm training the updated running statistics. The metadata key
                           "cases" is a JSON list describing each case (op, arguments, leaves).
  pool_golden.safetensors  the same for avg_pool2d (count_include_pad=False), in a file of its
                           own so that ops_golden stays byte for byte what it was.
  maxpool_golden.safetensors  the same for max_pool2d (F.max_pool2d), in a file of its own
                           likewise.
  upsample_golden.safetensors  the same for upsample_nearest2d (F.interpolate, mode 'nearest',
                           integer scale factors), in a file of its own likewise.
  spectral_golden.safetensors  the same for spectral_norm: torch.nn.utils.spectral_norm's own
                           computation (SpectralNorm.compute_weight, one power iteration, training
                           mode) on conv weights, with u and v after it, in a file of its own.
  adam_golden.safetensors  torch.optim.Adam on plain params fed a fixed sequence of 5 gradients,
                           and on a small conv net whose gradients the engine recomputes from
                           saved data; params after every step, moments after the last.
  python_writer.safetensors  a few tensors of several dtypes with known values, to check that
                           the C reader accepts files from this (reference-layout) writer.

References are computed in float32 like the engine; each case is also recomputed in float64
and the float32 error is printed, to show how much of the tests' tolerance rounding uses.
Dropout is not here: its mask is not torch's RNG; tests check it by statistics instead.
The files are written by the small pure-Python writer below (struct + json), not by the
safetensors package.
"""
import json
import os
import struct
import sys
import types

import torch
import torch.nn.functional as F
from torch.nn.utils.spectral_norm import SpectralNorm

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, tensor) in file order. Header padded with spaces to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


class Fixture:
    def __init__(self):
        self.tensors = []
        self.cases = []

    def add(self, name, t):
        # clone: params are updated in place after being recorded
        self.tensors.append((name, t.detach().to(torch.float32).clone()))


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float32)


# ---- ops --------------------------------------------------------------------------------------
# Each op: (leaves {name: tensor}, args) -> output. Leaves named like the engine's arguments.
# Leaf kinds: "input" and "param" get gradients, "state" is persistent (saved after the run
# too), "target" is a loss target (an engine input that never receives a gradient).
def op_conv2d(L, a):
    return F.conv2d(L["x"], L["weight"], L.get("bias"), stride=a["stride"], padding=a["pad"])


def op_conv_transpose2d(L, a):
    return F.conv_transpose2d(L["x"], L["weight"], L.get("bias"), stride=a["stride"],
                              padding=a["pad"], output_padding=a["out_pad"])


def op_batch_norm2d(L, a):
    # running stats are updated in place by F.batch_norm in training mode; the counter is
    # nn.BatchNorm2d's (only incremented while momentum is given)
    if a["training"]:
        L["num_batches_tracked"] += 1
    return F.batch_norm(L["x"], L["running_mean"], L["running_var"], L.get("weight"),
                        L.get("bias"), training=bool(a["training"]), momentum=a["momentum"],
                        eps=a["eps"])


def op_instance_norm2d(L, a):
    return F.instance_norm(L["x"], weight=L.get("weight"), bias=L.get("bias"), eps=a["eps"])


OPS = {
    "conv2d": op_conv2d,
    "conv_transpose2d": op_conv_transpose2d,
    "batch_norm2d": op_batch_norm2d,
    "instance_norm2d": op_instance_norm2d,
    "reflection_pad2d": lambda L, a: F.pad(L["x"], [a["pad"]] * 4, mode="reflect"),
    "relu": lambda L, a: F.relu(L["x"]),
    "leaky_relu": lambda L, a: F.leaky_relu(L["x"], a["slope"]),
    "tanh": lambda L, a: torch.tanh(L["x"]),
    "sigmoid": lambda L, a: torch.sigmoid(L["x"]),
    "concat": lambda L, a: torch.cat([L["a"], L["b"]], dim=1),
    "add": lambda L, a: L["a"] + L["b"],
    "mul": lambda L, a: L["a"] * L["b"],
    "scale": lambda L, a: L["x"] * a["factor"],
    "sum": lambda L, a: L["x"].sum().reshape(1),
    "l1_loss": lambda L, a: F.l1_loss(L["x"], L["target"]).reshape(1),
    "mse_loss": lambda L, a: F.mse_loss(L["x"], L["target"]).reshape(1),
    "bce_with_logits_loss": lambda L, a: F.binary_cross_entropy_with_logits(
        L["x"], L["target"]).reshape(1),
    "avg_pool2d": lambda L, a: F.avg_pool2d(L["x"], a["kernel"], a["stride"], a["pad"],
                                            count_include_pad=False),
    "max_pool2d": lambda L, a: F.max_pool2d(L["x"], a["kernel"], a["stride"], a["pad"]),
    "upsample_nearest2d": lambda L, a: F.interpolate(L["x"], scale_factor=a["scale"],
                                                     mode="nearest"),
    "spectral_norm": lambda L, a: SpectralNorm(eps=a["eps"]).compute_weight(
        types.SimpleNamespace(weight_orig=L["weight"], weight_u=L["u"], weight_v=L["v"]),
        do_power_iteration=True),
}


def run_case(leaves, kinds, op, args, R, dtype):
    """Forward + backward of (op(...) * R).sum() in dtype. Returns out, grads, states."""
    L = {}
    for name, t in leaves.items():
        t = t.clone().to(dtype)
        if kinds[name] in ("input", "param"):
            t.requires_grad_(True)
        L[name] = t
    out = OPS[op](L, args)
    (out * R.to(dtype)).sum().backward()
    grads = {n: L[n].grad for n in leaves if kinds[n] in ("input", "param")}
    states = {n: L[n] for n in leaves if kinds[n] == "state"}
    return out.detach(), grads, states


def add_case(fx, name, op, args, leaves, kinds, report):
    with torch.no_grad():
        out_shape = OPS[op]({k: v.clone() for k, v in leaves.items()}, args).shape
    R = rand(*out_shape)
    if R.numel() == 1:
        # mean losses have gradients of size 1/numel; scale R so that they are of size 1 and the
        # absolute part of the tests' tolerance does not hide errors in them
        R *= max(t.numel() for t in leaves.values())
    out, grads, states = run_case(leaves, kinds, op, args, R, torch.float32)
    out64, grads64, _ = run_case(leaves, kinds, op, args, R, torch.float64)
    err = (out.double() - out64).abs().max().item()
    for n in grads:
        err = max(err, (grads[n].double() - grads64[n]).abs().max().item())
    report.append((name, err))

    for leaf, t in leaves.items():
        fx.add(f"{name}.in.{leaf}", t)
    fx.add(f"{name}.R", R)
    fx.add(f"{name}.out", out)
    for leaf, g in grads.items():
        fx.add(f"{name}.grad.{leaf}", g)
    for leaf, s in states.items():
        fx.add(f"{name}.after.{leaf}", s)
    fx.cases.append({"name": name, "op": op, "args": args,
                     "leaves": [[leaf, kinds[leaf]] for leaf in leaves],
                     "grads": list(grads), "states": list(states)})


def case_adder(fx, report):
    def case(name, op, args, **leaves):
        kinds = {}
        tensors = {}
        for leaf, (kind, t) in leaves.items():
            kinds[leaf] = kind
            tensors[leaf] = t
        add_case(fx, name, op, args, tensors, kinds, report)
    return case


def gen_pool(fx, report):
    """avg_pool2d as the pix2pixHD multi-scale discriminator downsamples (3, 2, 1), on odd and
    even sizes (the edge windows then hold 4 or 6 cells, not 9), and two other geometries."""
    case = case_adder(fx, report)
    pool = {"kernel": 3, "stride": 2, "pad": 1}
    case("avgpool_k3s2p1_odd", "avg_pool2d", pool, x=("input", rand(2, 3, 7, 9)))
    case("avgpool_k3s2p1_even", "avg_pool2d", pool, x=("input", rand(1, 2, 8, 6)))
    case("avgpool_k3s2p1_tiny", "avg_pool2d", pool, x=("input", rand(1, 3, 2, 3)))
    case("avgpool_k2s2p0", "avg_pool2d", {"kernel": 2, "stride": 2, "pad": 0},
         x=("input", rand(2, 2, 5, 4)))
    case("avgpool_k3s1p1", "avg_pool2d", {"kernel": 3, "stride": 1, "pad": 1},
         x=("input", rand(1, 2, 4, 5)))


def gen_maxpool(fx, report):
    """max_pool2d as VGG downsamples (2, 2, 0), on even and odd sizes (the last row and column
    of an odd side in no window), after a ReLU's zeros (ties: the first cell takes the
    gradient), and with overlapping, padded windows (3, 2, 1)."""
    case = case_adder(fx, report)
    vgg = {"kernel": 2, "stride": 2, "pad": 0}
    case("maxpool_k2s2p0_even", "max_pool2d", vgg, x=("input", rand(2, 3, 8, 6)))
    case("maxpool_k2s2p0_odd", "max_pool2d", vgg, x=("input", rand(1, 2, 7, 9)))
    case("maxpool_k2s2p0_ties", "max_pool2d", vgg, x=("input", F.relu(rand(1, 3, 6, 6))))
    case("maxpool_k3s2p1", "max_pool2d", {"kernel": 3, "stride": 2, "pad": 1},
         x=("input", rand(2, 2, 7, 8)))
    case("maxpool_k3s1p1", "max_pool2d", {"kernel": 3, "stride": 1, "pad": 1},
         x=("input", rand(1, 2, 4, 5)))


def gen_upsample(fx, report):
    """upsample_nearest2d by 2 (the resize-convolution generators'), on odd and even sizes,
    and by 3 and 1."""
    case = case_adder(fx, report)
    case("upsample_s2_odd", "upsample_nearest2d", {"scale": 2}, x=("input", rand(2, 3, 5, 7)))
    case("upsample_s2_even", "upsample_nearest2d", {"scale": 2}, x=("input", rand(1, 2, 4, 6)))
    case("upsample_s2_1x1", "upsample_nearest2d", {"scale": 2}, x=("input", rand(2, 4, 1, 1)))
    case("upsample_s3", "upsample_nearest2d", {"scale": 3}, x=("input", rand(1, 2, 3, 4)))
    case("upsample_s1", "upsample_nearest2d", {"scale": 1}, x=("input", rand(1, 2, 3, 3)))


def gen_spectral(fx, report):
    """spectral_norm of conv weights as torch.nn.utils.spectral_norm draws u and v: normalized
    normal draws (u and v updated in place by the power iteration); a critic's first layer,
    a square one, a 1-output last layer, and a 1x1 one."""
    case = case_adder(fx, report)

    def unit(n):
        return F.normalize(torch.randn(n), dim=0, eps=1e-12)

    for name, (co, ci, k) in {"sn_first": (4, 6, 4), "sn_square": (8, 8, 3), "sn_last": (1, 8, 4),
                              "sn_1x1": (5, 3, 1)}.items():
        case(name, "spectral_norm", {"eps": 1e-12}, weight=("param", rand(co, ci, k, k)),
             u=("state", unit(co)), v=("state", unit(ci * k * k)))


def gen_ops(fx, report):
    case = case_adder(fx, report)

    def conv(name, n, ci, co, h, w, k, stride, pad, bias):
        leaves = {"x": ("input", rand(n, ci, h, w)), "weight": ("param", rand(co, ci, k, k) * 0.3)}
        if bias:
            leaves["bias"] = ("param", rand(co))
        case(name, "conv2d", {"stride": stride, "pad": pad}, **leaves)

    conv("conv_k4s2p1_bias", 2, 3, 4, 8, 8, 4, 2, 1, True)
    conv("conv_k4s2p1_odd", 1, 2, 3, 7, 9, 4, 2, 1, False)
    conv("conv_k3s1p1", 2, 3, 5, 6, 5, 3, 1, 1, False)
    conv("conv_k3s1p1_bias", 1, 4, 2, 5, 7, 3, 1, 1, True)
    conv("conv_k1_bias", 3, 4, 2, 5, 6, 1, 1, 0, True)
    conv("conv_k4s1p1_odd_bias", 2, 3, 2, 9, 7, 4, 1, 1, True)
    conv("conv_k4s1p1_odd", 1, 2, 1, 5, 6, 4, 1, 1, False)
    conv("conv_k4s2p1_2x2_to_1x1", 1, 4, 3, 2, 2, 4, 2, 1, False)  # U-Net innermost down
    conv("conv_k4s2p1_8ch", 2, 8, 8, 10, 10, 4, 2, 1, True)  # longer sums: 128 terms

    def convt(name, n, ci, co, h, w, k, stride, pad, out_pad, bias):
        leaves = {"x": ("input", rand(n, ci, h, w)), "weight": ("param", rand(ci, co, k, k) * 0.3)}
        if bias:
            leaves["bias"] = ("param", rand(co))
        case(name, "conv_transpose2d", {"stride": stride, "pad": pad, "out_pad": out_pad}, **leaves)

    convt("convt_k4s2p1_bias", 2, 3, 2, 4, 5, 4, 2, 1, 0, True)
    convt("convt_k4s2p1_1x1", 2, 4, 3, 1, 1, 4, 2, 1, 0, False)
    convt("convt_k3s2p1_op1", 1, 2, 3, 5, 3, 3, 2, 1, 1, False)
    convt("convt_k3s2p1_op1_bias", 2, 3, 2, 4, 4, 3, 2, 1, 1, True)
    convt("convt_k3s1p0_bias", 2, 3, 2, 3, 4, 3, 1, 0, 0, True)
    convt("convt_k4s2p1_8ch", 2, 8, 4, 5, 5, 4, 2, 1, 0, True)

    def bn(name, n, c, h, w, training, affine):
        leaves = {"x": ("input", rand(n, c, h, w) * 2 + 0.5)}
        if affine:
            leaves["weight"] = ("param", rand(c) * 0.5 + 1)
            leaves["bias"] = ("param", rand(c))
        leaves["running_mean"] = ("state", rand(c) * 0.3)
        leaves["running_var"] = ("state", torch.rand(c) + 0.5)
        leaves["num_batches_tracked"] = ("state", torch.tensor([3.0]))
        case(name, "batch_norm2d", {"training": training, "momentum": 0.1, "eps": 1e-5}, **leaves)

    bn("bn_train_affine", 4, 3, 5, 5, 1, True)
    bn("bn_train_affine_n1", 1, 2, 3, 5, 1, True)
    bn("bn_train_plain", 2, 3, 4, 3, 1, False)
    bn("bn_train_n1_2x2", 1, 4, 2, 2, 1, True)  # pix2pix: batch 1, smallest normalized map
    bn("bn_eval_affine", 3, 3, 4, 4, 0, True)
    bn("bn_eval_plain", 2, 2, 3, 3, 0, False)

    def inorm(name, n, c, h, w, affine):
        leaves = {"x": ("input", rand(n, c, h, w) * 2 - 0.3)}
        if affine:
            leaves["weight"] = ("param", rand(c) * 0.5 + 1)
            leaves["bias"] = ("param", rand(c))
        case(name, "instance_norm2d", {"eps": 1e-5}, **leaves)

    inorm("in_affine", 2, 3, 5, 4, True)
    inorm("in_plain", 3, 2, 6, 5, False)
    inorm("in_plain_2x2", 2, 4, 2, 2, False)

    case("pad1", "reflection_pad2d", {"pad": 1}, x=("input", rand(2, 3, 4, 5)))
    case("pad3", "reflection_pad2d", {"pad": 3}, x=("input", rand(1, 2, 7, 4)))

    # The element-wise ops (ENG_ELTWISE rows of engine/ops.def): leaves x, or a and b; an op
    # with a scalar takes it from the case's one argument (test_ops_golden's build_eltwise).
    case("relu", "relu", {}, x=("input", rand(2, 3, 4, 5)))
    case("leaky_relu", "leaky_relu", {"slope": 0.2}, x=("input", rand(2, 3, 5, 3)))
    case("tanh", "tanh", {}, x=("input", rand(2, 3, 4, 4) * 2))
    case("sigmoid", "sigmoid", {}, x=("input", rand(3, 2, 3, 5) * 3))
    case("concat", "concat", {}, a=("input", rand(2, 3, 4, 5)), b=("input", rand(2, 2, 4, 5)))
    case("concat_1ch", "concat", {}, a=("input", rand(1, 1, 3, 3)), b=("input", rand(1, 4, 3, 3)))
    case("add", "add", {}, a=("input", rand(2, 3, 4, 5)), b=("param", rand(2, 3, 4, 5)))
    case("mul", "mul", {}, a=("input", rand(2, 3, 4, 5)), b=("param", rand(2, 3, 4, 5)))
    case("scale", "scale", {"factor": 0.37}, x=("input", rand(2, 3, 3, 5)))
    case("sum", "sum", {}, x=("input", rand(2, 3, 4, 5)))
    case("l1_loss", "l1_loss", {}, x=("input", rand(2, 3, 4, 5)), target=("target", rand(2, 3, 4, 5)))
    case("mse_loss", "mse_loss", {}, x=("input", rand(2, 3, 4, 5)),
         target=("target", rand(2, 3, 4, 5)))
    case("bce_logits_binary", "bce_with_logits_loss", {}, x=("input", rand(2, 1, 6, 6) * 4),
         target=("target", (torch.rand(2, 1, 6, 6) > 0.5).float()))
    case("bce_logits_soft", "bce_with_logits_loss", {}, x=("input", rand(1, 3, 4, 5) * 3),
         target=("target", torch.rand(1, 3, 4, 5)))
    case("bce_logits_large", "bce_with_logits_loss", {}, x=("input", rand(1, 1, 5, 5) * 30),
         target=("target", (torch.rand(1, 1, 5, 5) > 0.5).float()))


# ---- Adam -------------------------------------------------------------------------------------
ADAM = {"lr": 1e-2, "beta1": 0.5, "beta2": 0.999, "eps": 1e-8, "steps": 5}


def gen_adam(fx):
    meta = dict(ADAM)
    opt_args = dict(lr=ADAM["lr"], betas=(ADAM["beta1"], ADAM["beta2"]), eps=ADAM["eps"])

    # 1. plain params fed given gradients (scaled differently so the moments differ in size)
    params = {"plain.w": rand(4, 3, 3, 3), "plain.b": rand(4)}
    for name, p in params.items():
        fx.add(f"{name}.init", p)
    ps = [p.clone().requires_grad_(True) for p in params.values()]
    opt = torch.optim.Adam(ps, **opt_args)
    for step in range(ADAM["steps"]):
        for (name, _), p, scale in zip(params.items(), ps, (1.0, 1e-3)):
            g = rand(*p.shape) * scale
            fx.add(f"{name}.grad{step}", g)
            p.grad = g.clone()
        opt.step()
        for (name, _), p in zip(params.items(), ps):
            fx.add(f"{name}.step{step}", p)
    for (name, _), p in zip(params.items(), ps):
        fx.add(f"{name}.exp_avg", opt.state[p]["exp_avg"])
        fx.add(f"{name}.exp_avg_sq", opt.state[p]["exp_avg_sq"])

    # 2. a small conv net: conv(3->4,k4,s2,p1,bias) -> leaky(0.2) -> conv(4->2,k3,s1,p1) ->
    #    mse against a target; the engine recomputes the gradients from x and target.
    x, target = rand(2, 3, 8, 8), rand(2, 2, 4, 4)
    fx.add("net.x", x)
    fx.add("net.target", target)
    names = ["net.conv1.weight", "net.conv1.bias", "net.conv2.weight"]
    init = [rand(4, 3, 4, 4) * 0.2, rand(4) * 0.1, rand(2, 4, 3, 3) * 0.2]
    for n, t in zip(names, init):
        fx.add(f"{n}.init", t)
    ps = [t.clone().requires_grad_(True) for t in init]
    opt = torch.optim.Adam(ps, **opt_args)
    for step in range(ADAM["steps"]):
        opt.zero_grad()
        h = F.leaky_relu(F.conv2d(x, ps[0], ps[1], stride=2, padding=1), 0.2)
        loss = F.mse_loss(F.conv2d(h, ps[2], None, stride=1, padding=1), target)
        loss.backward()
        fx.add(f"net.loss{step}", loss.detach().reshape(1))
        opt.step()
        for n, p in zip(names, ps):
            fx.add(f"{n}.step{step}", p)
    return meta


def gen_python_writer_file(path):
    write_safetensors(path, [
        ("a.weight", torch.arange(120, dtype=torch.float32).reshape(2, 3, 4, 5) * 0.5 - 7.0),
        ("a.num_batches_tracked", torch.tensor(42, dtype=torch.int64)),
        ("b.f64", torch.tensor([0.0, 1.5, 3.0], dtype=torch.float64)),
        ("c.bf16", torch.tensor([1.0, -2.0, 0.5, 256.0], dtype=torch.bfloat16)),
    ], {"format": "pt"})


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/engine/fixtures"
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(1234)

    fx = Fixture()
    report = []
    gen_ops(fx, report)
    write_safetensors(os.path.join(out_dir, "ops_golden.safetensors"), fx.tensors,
                      {"cases": json.dumps(fx.cases, separators=(",", ":"))})

    torch.manual_seed(4321)
    pool = Fixture()
    gen_pool(pool, report)
    write_safetensors(os.path.join(out_dir, "pool_golden.safetensors"), pool.tensors,
                      {"cases": json.dumps(pool.cases, separators=(",", ":"))})

    torch.manual_seed(8765)
    up = Fixture()
    gen_upsample(up, report)
    write_safetensors(os.path.join(out_dir, "upsample_golden.safetensors"), up.tensors,
                      {"cases": json.dumps(up.cases, separators=(",", ":"))})

    torch.manual_seed(2468)
    sn = Fixture()
    gen_spectral(sn, report)
    write_safetensors(os.path.join(out_dir, "spectral_golden.safetensors"), sn.tensors,
                      {"cases": json.dumps(sn.cases, separators=(",", ":"))})

    torch.manual_seed(1357)
    maxpool = Fixture()
    gen_maxpool(maxpool, report)
    write_safetensors(os.path.join(out_dir, "maxpool_golden.safetensors"), maxpool.tensors,
                      {"cases": json.dumps(maxpool.cases, separators=(",", ":"))})

    torch.manual_seed(5678)
    adam = Fixture()
    meta = gen_adam(adam)
    write_safetensors(os.path.join(out_dir, "adam_golden.safetensors"), adam.tensors,
                      {k: str(v) for k, v in meta.items()})

    gen_python_writer_file(os.path.join(out_dir, "python_writer.safetensors"))

    print("float32 vs float64 max abs error per case (torch itself):")
    for name, err in report:
        print(f"  {name:28s} {err:.3g}")
    for f in ("ops_golden", "pool_golden", "upsample_golden", "spectral_golden",
              "maxpool_golden", "adam_golden", "python_writer"):
        p = os.path.join(out_dir, f + ".safetensors")
        print(f"{p}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main()
