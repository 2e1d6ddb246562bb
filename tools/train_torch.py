#!/usr/bin/python3
"""Train the reference pix2pix recipe with PyTorch, for comparison runs against `pix2pix train`.

The networks are the reference's (tools/torch_reference.py); the data pipeline repeats the reference's
aligned dataset with Pillow (resize to --load-size with bicubic, the same random crop and flip for A
and B, [-1, 1]); the step is optimize_parameters (D on fake and real, then G with GAN + lambda L1).
It writes loss_log.csv with the columns of ours (G_L1 before lambda) and the generator as
safetensors after every epoch, so that `pix2pix test --model` scores both runs with the same code.

usage: train_torch.py --data DIR --out DIR [--direction BtoA] [--epochs N] [--threads 2]
       [--time-limit SECONDS] [--seed 0]
"""
import argparse
import csv
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from torch_reference import (  # noqa: E402
    NLayerDiscriminator,
    UnetGenerator,
    get_norm_layer,
    init_weights,
    optimize_parameters,
)


def load_pair(path, direction, load_size, crop_size, rng):
    ab = Image.open(path).convert("RGB")
    w, h = ab.size
    a = ab.crop((0, 0, w // 2, h))
    b = ab.crop((w // 2, 0, w, h))
    if direction == "BtoA":
        a, b = b, a
    x = rng.randint(0, max(0, load_size - crop_size))
    y = rng.randint(0, max(0, load_size - crop_size))
    flip = rng.random() > 0.5

    def transform(img):
        img = img.resize((load_size, load_size), Image.BICUBIC)
        img = img.crop((x, y, x + crop_size, y + crop_size))
        if flip:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        t = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return ((t - 0.5) / 0.5).unsqueeze(0)

    return transform(a), transform(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"])
    ap.add_argument("--epochs", type=int, default=1, help="epochs to run")
    ap.add_argument("--n-epochs", type=int, default=100, help="epochs at the initial rate (schedule)")
    ap.add_argument("--n-epochs-decay", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--load-size", type=int, default=286)
    ap.add_argument("--crop-size", type=int, default=256)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train_dir = os.path.join(args.data, "train")
    files = sorted(os.listdir(train_dir), key=lambda s: (len(s), s))
    files = [os.path.join(train_dir, f) for f in files]

    norm = get_norm_layer("batch")
    g = UnetGenerator(3, 3, 8, 64, norm_layer=norm, use_dropout=True)
    d = NLayerDiscriminator(6, 64, n_layers=3, norm_layer=norm)
    gen = torch.Generator().manual_seed(args.seed)
    init_weights(g, gen)
    init_weights(d, gen)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gan = nn.BCEWithLogitsLoss()

    log = open(os.path.join(args.out, "loss_log.csv"), "w", newline="")
    writer = csv.writer(log)
    writer.writerow(["epoch", "iter", "G_GAN", "G_L1", "D_real", "D_fake", "seconds"])
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        lr = 2e-4 * (1.0 - max(0, epoch - args.n_epochs) / float(args.n_epochs_decay + 1))
        for o in (opt_g, opt_d):
            for group in o.param_groups:
                group["lr"] = lr
        order = files[:]
        rng.shuffle(order)
        for it, path in enumerate(order, 1):
            real_a, real_b = load_pair(path, args.direction, args.load_size, args.crop_size, rng)
            loss_g_gan, loss_g_l1, loss_d_real, loss_d_fake = optimize_parameters(
                g, d, opt_g, opt_d, gan, real_a, real_b)
            writer.writerow([epoch, it, f"{loss_g_gan.item():.6f}", f"{loss_g_l1.item():.6f}",
                             f"{loss_d_real.item():.6f}", f"{loss_d_fake.item():.6f}",
                             f"{time.time() - start:.1f}"])
            if it % 50 == 0:
                log.flush()
                print(f"epoch {epoch} iter {it}/{len(order)} {time.time() - start:.0f}s "
                      f"G_GAN {loss_g_gan.item():.3f} G_L1 {loss_g_l1.item():.4f}", flush=True)
            if args.time_limit and time.time() - start > args.time_limit:
                break
        save_safetensors(os.path.join(args.out, f"{epoch}_net_G.safetensors"), g.state_dict())
        save_safetensors(os.path.join(args.out, "latest_net_G.safetensors"), g.state_dict())
        if args.time_limit and time.time() - start > args.time_limit:
            break
    log.close()


if __name__ == "__main__":
    main()
