#!/usr/bin/python3
"""Generate the parity fixtures of tests/app/fixtures with PyTorch as the oracle.

The reference networks come from tools/torch_reference.py; the pix2pix training step
(optimize_parameters) is repeated exactly here. Small configurations keep the files
small: a 5-level U-Net with ngf 4 on 32x32 images and a basic PatchGAN with ndf 4.

usage: gen_parity.py OUTDIR [FUNCTION]  (FUNCTION: only that one, e.g. gen_resize_conv)
"""
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from fixture_images import smooth_image, write_png  # noqa: E402,F401 (re-exported)
from torch_reference import (  # noqa: E402
    NLayerDiscriminator,
    PixelDiscriminator,
    ResnetGenerator,
    UnetGenerator,
    get_norm_layer,
    init_weights,
    optimize_parameters,
)


def randomize_running_stats(net, gen):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.3)
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
            m.num_batches_tracked.fill_(7)


def to_tensor(u8):
    """ToTensor + Normalize((0.5,)*3, (0.5,)*3) as the reference's get_transform."""
    t = torch.from_numpy(u8.astype(np.float32) / 255.0).permute(2, 0, 1).contiguous()
    return ((t - 0.5) / 0.5).unsqueeze(0)


def state(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def seeded_unet5(seed, ngf, use_dropout=False):
    """A 5-level BatchNorm U-Net initialised from torch seed `seed`, with random running
    statistics; also that torch generator (to go on with) and a numpy one of the same seed."""
    gen = torch.Generator().manual_seed(seed)
    g = UnetGenerator(3, 3, 5, ngf=ngf, norm_layer=get_norm_layer("batch"),
                      use_dropout=use_dropout)
    init_weights(g, gen)
    randomize_running_stats(g, gen)
    return g, gen, np.random.default_rng(seed)


def resnet2_with_biases(ngf, gen):
    """A 2-block InstanceNorm ResNet initialised from gen, its conv biases made non-zero so
    that their placement is tested."""
    r = ResnetGenerator(3, 3, ngf=ngf, norm_layer=get_norm_layer("instance"), n_blocks=2)
    init_weights(r, gen)
    for m in r.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
            with torch.no_grad():
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
    return r


def gen_forward(out):
    g, gen, rng = seeded_unet5(1, ngf=4)
    save_safetensors(os.path.join(out, "unet5_g.safetensors"), state(g))
    img = smooth_image(rng, 32, 32)
    write_png(os.path.join(out, "unet5_in.png"), img)
    x = to_tensor(img)
    with torch.no_grad():
        g.eval()
        y_eval = g(x)
        g2 = UnetGenerator(3, 3, 5, ngf=4, norm_layer=get_norm_layer("batch"))
        g2.load_state_dict(g.state_dict())
        g2.train()
        y_train = g2(x)
    save_safetensors(os.path.join(out, "unet5_out.safetensors"),
                     {"input": x, "eval": y_eval, "train": y_train})

    r = resnet2_with_biases(4, gen)
    save_safetensors(os.path.join(out, "resnet2_g.safetensors"), state(r))
    with torch.no_grad():
        r.eval()
        y = r(x)
    save_safetensors(os.path.join(out, "resnet2_out.safetensors"), {"eval": y})


def resize_conv(net):
    """The checkerboard fix: every ConvTranspose2d replaced in place by
    nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(in, out, 3, 1, 1)),
    with a bias where the transposed conv had one (keys <layer>.1.weight, <layer>.1.bias)."""
    for parent in list(net.modules()):
        for name, m in parent.named_children():
            if isinstance(m, nn.ConvTranspose2d):
                conv = nn.Conv2d(m.in_channels, m.out_channels, 3, 1, 1, bias=m.bias is not None)
                setattr(parent, name, nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                                    conv))
    return net


def gen_resize_conv(out):
    """unet5_rc_g / resnet2_rc_g: the forward fixtures' networks with resize-convolution
    upsampling (U-Net with BatchNorm, ResNet with InstanceNorm and biases), weights a few times
    the reference's init so that the outputs span much of [-1, 1] without saturating the Tanh;
    rc_out: their eval outputs on unet5_out's input."""
    gen = torch.Generator().manual_seed(25)
    x = to_tensor(smooth_image(np.random.default_rng(1), 32, 32))
    nets = {"unet5_rc": (UnetGenerator(3, 3, 5, ngf=4, norm_layer=get_norm_layer("batch"),
                                       use_dropout=False), 6.0),
            "resnet2_rc": (ResnetGenerator(3, 3, ngf=4, norm_layer=get_norm_layer("instance"),
                                           n_blocks=2), 3.0)}
    outputs = {"input": x}
    for name, (net, factor) in nets.items():
        resize_conv(net)
        init_weights(net, gen)
        randomize_running_stats(net, gen)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, nn.Conv2d):
                    m.weight.mul_(factor)
                    if m.bias is not None:
                        m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            net.eval()
            outputs[name] = net(x)
        save_safetensors(os.path.join(out, name + "_g.safetensors"), state(net))
    save_safetensors(os.path.join(out, "rc_out.safetensors"), outputs)


def train_steps(g, d, real_a, real_b, lsgan, steps):
    """The reference's optimize_parameters, `steps` times on one batch; the losses per step
    (G_L1 times lambda, as the reference reports it)."""
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gan = nn.MSELoss() if lsgan else nn.BCEWithLogitsLoss()
    losses = []
    g.train()
    d.train()
    for _ in range(steps):
        g_gan, g_l1, d_real, d_fake = optimize_parameters(g, d, opt_g, opt_d, gan, real_a, real_b)
        losses.append([g_gan.item(), (g_l1 * 100.0).item(), d_real.item(), d_fake.item()])
    return losses


def save_nets(out, prefix, g, d, suffix):
    """G's and D's states as PREFIX_g<suffix> and PREFIX_d<suffix>.safetensors."""
    save_safetensors(os.path.join(out, f"{prefix}_g{suffix}.safetensors"), state(g))
    save_safetensors(os.path.join(out, f"{prefix}_d{suffix}.safetensors"), state(d))


def save_run_data(out, prefix, real_a, real_b, losses):
    """The batch a run trained on and its losses, as PREFIX_data.safetensors."""
    save_safetensors(os.path.join(out, f"{prefix}_data.safetensors"),
                     {"real_A": real_a, "real_B": real_b,
                      "losses": torch.tensor(losses, dtype=torch.float32)})


def gen_train(out, steps=3):
    """U-Net + basic PatchGAN, BatchNorm, vanilla GAN, batch 1 (also as an aligned pair file)."""
    rng = np.random.default_rng(2)
    gen = torch.Generator().manual_seed(2)
    g = UnetGenerator(3, 3, 5, ngf=4, norm_layer=get_norm_layer("batch"), use_dropout=False)
    d = NLayerDiscriminator(6, ndf=4, n_layers=3, norm_layer=get_norm_layer("batch"))
    init_weights(g, gen)
    init_weights(d, gen)
    save_nets(out, "train", g, d, "0")
    a_img, b_img = smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)
    # An aligned pair file A|B as the reference's AlignedDataset reads it.
    write_png(os.path.join(out, "train_pair.png"), np.concatenate([a_img, b_img], axis=1))
    real_a, real_b = to_tensor(a_img), to_tensor(b_img)
    losses = train_steps(g, d, real_a, real_b, False, steps)
    save_nets(out, "train", g, d, "3")
    save_run_data(out, "train", real_a, real_b, losses)


def gen_train2(out, steps=3):
    """ResNet (2 blocks) + pixel discriminator, InstanceNorm, LSGAN, batch 2."""
    rng = np.random.default_rng(4)
    gen = torch.Generator().manual_seed(4)
    g = ResnetGenerator(3, 3, ngf=4, norm_layer=get_norm_layer("instance"), n_blocks=2)
    d = PixelDiscriminator(6, ndf=4, norm_layer=get_norm_layer("instance"))
    init_weights(g, gen)
    init_weights(d, gen)
    save_nets(out, "train2", g, d, "0")
    real_a = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(2)])
    real_b = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(2)])
    train_with_f64(out, "train2", g, d, real_a, real_b, steps)


def train_with_f64(out, prefix, g, d, real_a, real_b, steps):
    """LSGAN steps of g and d from their weights, saved as PREFIX_g3, PREFIX_d3, and the same
    run in float64 as PREFIX_g3_f64, PREFIX_d3_f64: configurations with biases in front of
    InstanceNorm are ill-conditioned in float32 (those biases have an exactly zero gradient,
    which Adam turns into +-lr steps of rounding noise), so the test measures our distance to
    the float64 result against PyTorch's own float32 distance to it. PREFIX_data: the pair and
    the losses per step."""
    g64, d64 = copy.deepcopy(g).double(), copy.deepcopy(d).double()
    train_steps(g64, d64, real_a.double(), real_b.double(), True, steps)
    save_nets(out, prefix, g64, d64, "3_f64")
    losses = train_steps(g, d, real_a, real_b, True, steps)
    save_nets(out, prefix, g, d, "3")
    save_run_data(out, prefix, real_a, real_b, losses)


def spectral_normed(net):
    """net with torch.nn.utils.spectral_norm on every Conv2d (train --spectral-norm)."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.utils.spectral_norm(m)
    return net


def gen_keys(out):
    """Key names and shapes of the full-size reference networks (no values)."""
    nets = {
        "unet_256_batch": UnetGenerator(3, 3, 8, 64, get_norm_layer("batch"), True),
        "unet_128_instance": UnetGenerator(3, 3, 7, 64, get_norm_layer("instance"), True),
        "resnet_9blocks_batch": ResnetGenerator(3, 3, 64, get_norm_layer("batch"), True, 9),
        "resnet_6blocks_instance": ResnetGenerator(3, 3, 64, get_norm_layer("instance"), False, 6),
        "basic_batch": NLayerDiscriminator(6, 64, 3, get_norm_layer("batch")),
        "n_layers5_instance": NLayerDiscriminator(6, 64, 5, get_norm_layer("instance")),
        "pixel_batch": PixelDiscriminator(6, 64, get_norm_layer("batch")),
        "basic_batch_sn": spectral_normed(NLayerDiscriminator(6, 64, 3, get_norm_layer("batch"))),
    }
    write_keys(os.path.join(out, "keys.txt"), nets)


def write_keys(path, nets):
    """Per network "net NAME TENSORS PARAMETERS", then a "KEY SHAPE" line per tensor."""
    with open(path, "w") as f:
        for name, net in nets.items():
            params = sum(p.numel() for p in net.parameters())
            sd = net.state_dict()
            f.write(f"net {name} {len(sd)} {params}\n")
            for k, v in sd.items():
                f.write(k + " " + ",".join(str(s) for s in v.shape) + "\n")


def gen_metrics(out):
    """L1, PSNR and SSIM as skimage computes them (structural_similarity with
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255), written
    out with numpy alone: a separable Gaussian (truncate 3.5: radius 5) in scipy's 'reflect'
    mode (numpy's 'symmetric'), the mean over the interior 5 pixels from the borders."""
    rng = np.random.default_rng(3)
    a = smooth_image(rng, 36, 40)
    noise = rng.normal(0, 18, a.shape)
    b = np.clip(np.round(a.astype(np.float64) * 0.8 + 30 + noise), 0, 255).astype(np.uint8)
    write_png(os.path.join(out, "metrics_a.png"), a)
    write_png(os.path.join(out, "metrics_b.png"), b)
    x, y = a.astype(np.float64), b.astype(np.float64)
    l1 = np.mean(np.abs(x - y))
    psnr = 10 * np.log10(255.0 ** 2 / np.mean((x - y) ** 2))
    r = 5
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * 1.5 ** 2))
    k /= k.sum()

    def gauss(p):
        q = np.pad(p, ((r, r), (0, 0)), mode="symmetric")
        q = sum(k[i] * q[i:i + p.shape[0], :] for i in range(2 * r + 1))
        q = np.pad(q, ((0, 0), (r, r)), mode="symmetric")
        return sum(k[i] * q[:, i:i + p.shape[1]] for i in range(2 * r + 1))

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssims = []
    for c in range(3):
        u, v = x[:, :, c], y[:, :, c]
        mu, mv = gauss(u), gauss(v)
        vu, vv, cuv = gauss(u * u) - mu * mu, gauss(v * v) - mv * mv, gauss(u * v) - mu * mv
        s = ((2 * mu * mv + c1) * (2 * cuv + c2)) / ((mu ** 2 + mv ** 2 + c1) * (vu + vv + c2))
        ssims.append(s[r:-r, r:-r].mean())
    save_safetensors(os.path.join(out, "metrics.safetensors"),
                     {"l1_psnr_ssim": torch.tensor([l1, psnr, np.mean(ssims)], dtype=torch.float64)})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/app/fixtures"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if len(sys.argv) > 2:
        globals()[sys.argv[2]](out)
        return
    gen_forward(out)
    gen_train(out)
    gen_train2(out)
    gen_keys(out)
    gen_metrics(out)
    gen_resize_conv(out)


if __name__ == "__main__":
    main()
