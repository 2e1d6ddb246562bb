#!/usr/bin/python3
"""PyTorch counterpart of `pix2pix bench`: the reference's networks and training step (from
torch_reference.py, the torch.nn re-implementation the parity fixtures come from), the same
shapes and thread count, the reference recipe (G forward, D update, G update with Adam). Prints
the same report and, with --json, the same JSON line last.

usage: tools/bench_torch.py [--size 256] [--batch-size 1] [--netG unet_256] [--iters 5]
                            [--warmup 2] [--threads 2] [--no-dropout] [--json]
"""
import argparse
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import (NLayerDiscriminator, ResnetGenerator, UnetGenerator,  # noqa: E402
                             get_norm_layer, optimize_parameters)


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def make_generator(name, norm, dropout):
    m = re.fullmatch(r"unet_(\d+)", name)
    if m:
        depth = {"256": 8, "128": 7}.get(m.group(1), int(m.group(1)))
        return UnetGenerator(3, 3, depth, 64, norm, dropout)
    m = re.fullmatch(r"resnet_(\d+)blocks", name)
    if m:
        return ResnetGenerator(3, 3, 64, norm, dropout, int(m.group(1)))
    sys.exit(f"bench_torch: unknown --netG {name}")


def conv_gflop(model, x):
    """2 * multiply-adds of the convolutions in one forward of model on x."""
    total = [0.0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.ConvTranspose2d):
            macs = mod.weight.numel() * inp[0].numel() / inp[0].shape[1]
        else:
            macs = mod.weight.numel() * out.numel() / out.shape[1]
        total[0] += 2.0 * macs
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total[0] / 1e9


def time_runs(fn, warmup, iters):
    """Median and fastest wall time of one run, and the process CPU time per run (ms)."""
    for _ in range(warmup):
        fn()
    times = []
    cpu0 = time.process_time()
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / iters
    return statistics.median(times), min(times), cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--netG", default="unet_256")
    ap.add_argument("--norm", default="batch")
    ap.add_argument("--no-dropout", dest="no_dropout", action="store_true")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--device", help="ignored: PyTorch runs on the CPU here (accepted so that "
                    "bench_compare.sh can pass the same options to both programs)")
    a = ap.parse_args()
    threads = a.threads if a.threads > 0 else os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    norm = get_norm_layer(a.norm)
    dropout = not a.no_dropout
    n, s = a.batch_size, a.size
    real_a = torch.rand(n, 3, s, s) * 2 - 1
    real_b = torch.rand(n, 3, s, s) * 2 - 1

    # ---- inference: eval mode (running statistics, no dropout) and train-mode statistics ----
    results = {}
    for mode in ("eval", "train"):
        reset_peak_rss()
        g = make_generator(a.netG, norm, dropout)
        g.train(mode == "train")
        with torch.no_grad():
            ms, mn, cpu = time_runs(lambda: g(real_a), a.warmup, a.iters)
        gflop = conv_gflop(g, real_a)
        results[mode] = (ms, mn, cpu, gflop, peak_rss_mib())
        del g

    # ---- one training step, the reference's optimize_parameters ----
    reset_peak_rss()
    g = make_generator(a.netG, norm, dropout)
    d = NLayerDiscriminator(6, 64, 3, norm)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()

    def step():
        optimize_parameters(g, d, opt_g, opt_d, bce, real_a, real_b)

    train_ms, train_min, train_cpu = time_runs(step, a.warmup, a.iters)
    train_peak = peak_rss_mib()
    # G: forward + both backward products except the first layer's input gradient (small);
    # D: three forwards, two full backwards (D update) and one input-gradient backward (G update).
    xd = torch.cat((real_a, real_b), 1)
    g_gf, d_gf = conv_gflop(g, real_a), conv_gflop(d, xd)
    train_gflop = 3 * g_gf + 3 * d_gf + 2 * 2 * d_gf + d_gf

    print(f"torch {torch.__version__}: {a.netG} + basic, {s}x{s}, batch {n}, {threads} threads, "
          f"median of {a.iters} runs")
    for label, key in (("inference (eval)", "eval"), ("inference (train stats)", "train")):
        ms, mn, cpu, gf, peak = results[key]
        print(f"{label:<24} {ms:8.1f} ms (min {mn:.1f}, CPU {cpu:.1f})  {gf:5.1f} GFLOP  "
              f"{gf / (ms / 1e3):6.1f} GFLOP/s  peak RSS {peak:7.1f} MiB")
    print(f"{'training step':<24} {train_ms:8.1f} ms (min {train_min:.1f}, CPU {train_cpu:.1f})  "
          f"{train_gflop:5.1f} GFLOP  {train_gflop / (train_ms / 1e3):6.1f} GFLOP/s  "
          f"peak RSS {train_peak:7.1f} MiB")
    if a.json:
        infer_ms, _, infer_cpu, infer_gf, infer_peak = results["train"]
        print('{"device": "torch-cpu", "infer_ms": %.2f, "infer_eval_ms": %.2f, '
              '"train_step_ms": %.2f, "gflops_infer": %.2f, "gflops_train": %.2f, '
              '"peak_rss_mib": %.1f, "peak_rss_infer_mib": %.1f, "infer_cpu_ms": %.2f, '
              '"train_step_cpu_ms": %.2f}'
              % (infer_ms, results["eval"][0], train_ms, infer_gf / (infer_ms / 1e3),
                 train_gflop / (train_ms / 1e3), train_peak,
                 max(infer_peak, results["eval"][4]), infer_cpu, train_cpu))


if __name__ == "__main__":
    main()
