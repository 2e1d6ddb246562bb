#!/usr/bin/python3
"""Plot the four pix2pix losses of several runs (loss_log.csv of `pix2pix train` or of
tools/train_torch.py) on one figure, smoothed by a moving average, against the step.

usage: plot_losses.py OUT.png LABEL=loss_log.csv [LABEL=loss_log.csv ...] [--window 50]
needs python3-matplotlib
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LOSSES = ["G_GAN", "G_L1", "D_real", "D_fake"]


def read_log(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in LOSSES}


def smooth(v, window):
    if len(v) < window:
        return v
    return np.convolve(v, np.ones(window) / window, mode="valid")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("runs", nargs="+", help="LABEL=path/to/loss_log.csv")
    ap.add_argument("--window", type=int, default=50)
    args = ap.parse_args()
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    for spec in args.runs:
        label, path = spec.split("=", 1)
        log = read_log(path)
        for ax, name in zip(axes.flat, LOSSES):
            v = smooth(log[name], args.window)
            ax.plot(np.arange(len(v)) + args.window // 2, v, label=label, linewidth=1.2)
    for ax, name in zip(axes.flat, LOSSES):
        ax.set_title(name + (" (before lambda)" if name == "G_L1" else ""))
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"losses, moving average over {args.window} steps")
    fig.tight_layout()
    fig.savefig(args.out, dpi=80)


if __name__ == "__main__":
    main()
