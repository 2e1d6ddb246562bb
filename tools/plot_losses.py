#!/usr/bin/python3
"""Plot the four pix2pix losses of several runs (loss_log.csv of `pix2pix train` or of
tools/train_torch.py) on one figure, smoothed by a moving average, against the step; and
G_GAN_Feat (--lambda-feat) and G_VGG (--lambda-vgg) where a run logs them.

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
OPTIONAL = ["G_GAN_Feat", "G_VGG"]  # runs with feature matching, with the VGG loss only


def read_log(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        names = LOSSES + [k for k in OPTIONAL if k in reader.fieldnames]
    return {k: np.array([float(r[k]) for r in rows]) for k in names}


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
    logs = [(spec.split("=", 1)[0], read_log(spec.split("=", 1)[1])) for spec in args.runs]
    names = LOSSES + [k for k in OPTIONAL if any(k in log for _, log in logs)]
    columns = (len(names) + 1) // 2
    fig, axes = plt.subplots(2, columns, figsize=(5 * columns, 6.5))
    for label, log in logs:
        for ax, name in zip(axes.flat, names):
            if name not in log:
                continue
            v = smooth(log[name], args.window)
            ax.plot(np.arange(len(v)) + args.window // 2, v, label=label, linewidth=1.2)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        ax.set_title(name + (" (before lambda)" if name in ["G_L1"] + OPTIONAL else ""))
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"losses, moving average over {args.window} steps")
    fig.tight_layout()
    fig.savefig(args.out, dpi=80)


if __name__ == "__main__":
    main()
