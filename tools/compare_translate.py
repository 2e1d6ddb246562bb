#!/usr/bin/python3
"""Compare `pix2pix translate --eval` with PyTorch on a full-size generator.

Builds the reference unet_256 (BatchNorm, N(0, 0.02) weights, random running statistics) with a
fixed seed, saves it in the chosen format, translates a smooth random 256x256 image with PyTorch in
eval mode and with pix2pix on the given device, and prints the largest difference in 1/255 steps
(PyTorch's float output mapped to [0, 255] against our 8-bit PNG). Formats: safetensors without
metadata (as tools/convert_torch.py writes), pth (torch.save's zip format, as the reference saves),
pth-legacy (its legacy format), converted (that .pth through `pix2pix convert`). With --precision
fp16 it translates in fp32 and in fp16 and also prints how far fp16 is from fp32 (the check then
passes when that is at most 2/255).

usage: compare_translate.py --pix2pix build/pix2pix [--device cpu|vulkan|...] [--depth 8]
                            [--format safetensors|pth|pth-legacy|converted] [--precision fp16]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from torch_reference import UnetGenerator, get_norm_layer, init_weights  # noqa: E402


def save_model(g, fmt, pix2pix, tmp):
    """The generator in the format asked for; returns the file's path."""
    if fmt == "safetensors":
        path = os.path.join(tmp, "net_G.safetensors")
        save_safetensors(path, g.state_dict())
        return path
    path = os.path.join(tmp, "latest_net_G.pth")
    torch.save(g.state_dict(), path, _use_new_zipfile_serialization=fmt != "pth-legacy")
    if fmt == "converted":
        subprocess.run([pix2pix, "convert", path, path + ".safetensors"], check=True,
                       stdout=subprocess.DEVNULL)
        path += ".safetensors"
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pix2pix", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--depth", type=int, default=8, help="8: unet_256, 7: unet_128")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default="safetensors",
                    choices=["safetensors", "pth", "pth-legacy", "converted"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "fp16"])
    args = ap.parse_args()
    size = 2 ** args.depth

    gen = torch.Generator().manual_seed(args.seed)
    g = UnetGenerator(3, 3, args.depth, 64, norm_layer=get_norm_layer("batch"), use_dropout=True)
    init_weights(g, gen)
    for m in g.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    g.eval()

    rng = np.random.default_rng(args.seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.zeros((size, size, 3))
    for c in range(3):
        for _ in range(3):
            img[:, :, c] += np.sin(rng.uniform(0.01, 0.1) * y + rng.uniform(0.01, 0.1) * x + rng.uniform(0, 6.3))
    img = np.round((img - img.min()) / (img.max() - img.min()) * 255).astype(np.uint8)

    with tempfile.TemporaryDirectory() as tmp:
        model = save_model(g, args.format, args.pix2pix, tmp)
        os.makedirs(os.path.join(tmp, "in"))
        Image.fromarray(img).save(os.path.join(tmp, "in", "x.png"))
        t = torch.from_numpy(img.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
        with torch.no_grad():
            want = g((t - 0.5) / 0.5)[0].permute(1, 2, 0).numpy()
        want = (want + 1.0) / 2.0 * 255.0
        outs = {}
        for precision in sorted({"fp32", args.precision}):
            out = os.path.join(tmp, "out_" + precision)
            subprocess.run([args.pix2pix, "translate", "--model", model, "--input", os.path.join(tmp, "in"),
                            "--output", out, "--eval", "--device", args.device, "--quiet",
                            "--precision", precision], check=True)
            outs[precision] = np.asarray(Image.open(os.path.join(out, "x.png")), dtype=np.float64)
    for precision, ours in outs.items():
        diff = np.abs(ours - want)
        print(f"unet depth {args.depth} at {size}x{size}, {args.format}, on {args.device}, {precision}: "
              f"max |ours - PyTorch| = {diff.max():.3f}/255, mean {diff.mean():.3f}/255, "
              f"output range [{want.min():.1f}, {want.max():.1f}]")
    if args.precision == "fp16":
        diff = np.abs(outs["fp16"] - outs["fp32"])
        print(f"fp16 against fp32: max {diff.max():.0f}/255, mean {diff.mean():.3f}/255, "
              f"{(diff > 0).mean() * 100:.2f}% of the values differ")
        return 0 if diff.max() <= 2.0 else 1
    return 0 if np.abs(outs["fp32"] - want).max() <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
