#!/usr/bin/python3
"""Generate the GAN-loss parity fixtures of tests/app/fixtures (gan_*) with PyTorch as the oracle:
three training steps with --gan-mode hinge, three with --d-steps 2, and three with
--ema-decay 0.9 --lambda-mismatch 1 (on a batch of two pairs), from the same start; and three
of --num-d 3 --lambda-feat 10 --gan-mode hinge (gan_msd_*, msd_step below), and three of the
same with --spectral-norm (gan_msd_sn_*): torch.nn.utils.spectral_norm on every conv of the
critics, each forward of a conv one power iteration (PyTorch's forward pre-hook).

The step is the reference's optimize_parameters (tools/torch_reference.py) with two changes:
- the GAN loss may be the hinge loss of SAGAN and SPADE: the critic's
  mean(relu(1 - D(real))) and mean(relu(1 + D(fake))), the generator's -mean(D(fake));
  the critic's loss is still 0.5 * (D_fake + D_real), as the reference halves every mode;
- the critic may be updated d_steps times before the generator's update (the k critic steps
  of Goodfellow et al.'s Algorithm 1), all on the step's batch and the one G(A) (G does not
  change between them); the losses reported are those of the last critic update;
- the critic's loss may add the mismatched pairs (A_i, B_{i+1 mod batch}), torch.roll(B, -1, 0),
  judged as fake and weighted by lambda_mismatch: 0.5 * (D_fake + D_real + lambda * D_wrong)
  (the matching-aware critic of the conditional GAN), D applied to them after the real pairs;
- the generator's weights may be averaged after each of its updates, StyleGAN's G_ema:
  ema.mul_(decay).add_(w, alpha=1 - decay), the average starting at G's starting weights; its
  file (gan_ema_gavg3) holds the averaged parameters and G's own BatchNorm buffers.

A tiny configuration keeps the files small (about 245 KB in all): one 32x32 pair (two for the
mismatch case), a 5-level U-Net with ngf 1, a basic PatchGAN with ndf 2, BatchNorm. G_L1 is
written before lambda.

usage: gen_gan_parity.py OUTDIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from gen_parity import smooth_image, state, to_tensor  # noqa: E402
from torch_reference import (  # noqa: E402
    NLayerDiscriminator,
    UnetGenerator,
    get_norm_layer,
    init_weights,
)

import numpy as np  # noqa: E402


def critic_loss(mode, pred, real):
    """The critic's loss on real (target 1) or fake (target 0) pairs."""
    if mode == "hinge":
        return torch.relu(1.0 - pred).mean() if real else torch.relu(1.0 + pred).mean()
    target = torch.ones_like(pred) if real else torch.zeros_like(pred)
    if mode == "lsgan":
        return nn.functional.mse_loss(pred, target)
    return nn.functional.binary_cross_entropy_with_logits(pred, target)


def generator_loss(mode, pred):
    if mode == "hinge":
        return -pred.mean()
    return critic_loss(mode, pred, True)


def average(ema, g, decay):
    """StyleGAN's G_ema update of the averaged parameters ema (a list) towards g's."""
    with torch.no_grad():
        for e, w in zip(ema, g.parameters()):
            e.mul_(decay).add_(w, alpha=1 - decay)


def train_step(g, d, opt_g, opt_d, mode, d_steps, real_a, real_b, lambda_l1=100.0,
               lambda_mismatch=0.0, ema=None, decay=0.0):
    """One step: d_steps critic updates, then the generator's (and its average's when ema is
    given). Returns G_GAN, G_L1 (before lambda), D_real, D_fake (of the last critic update),
    and with lambda_mismatch the critic's loss on the mismatched pairs (before lambda)."""
    fake_b = g(real_a)
    fake_ab = torch.cat((real_a, fake_b), 1)
    d.requires_grad_(True)
    for _ in range(d_steps):
        opt_d.zero_grad()
        loss_d_fake = critic_loss(mode, d(fake_ab.detach()), False)
        loss_d_real = critic_loss(mode, d(torch.cat((real_a, real_b), 1)), True)
        loss_d = loss_d_fake + loss_d_real
        if lambda_mismatch:
            wrong_ab = torch.cat((real_a, torch.roll(real_b, -1, 0)), 1)
            loss_d_wrong = critic_loss(mode, d(wrong_ab), False)
            loss_d = loss_d + loss_d_wrong * lambda_mismatch
        (loss_d * 0.5).backward()
        opt_d.step()
    d.requires_grad_(False)
    opt_g.zero_grad()
    loss_g_gan = generator_loss(mode, d(fake_ab))
    loss_g_l1 = nn.functional.l1_loss(fake_b, real_b)
    (loss_g_gan + loss_g_l1 * lambda_l1).backward()
    opt_g.step()
    if ema is not None:
        average(ema, g, decay)
    d.requires_grad_(True)
    losses = [loss_g_gan.item(), loss_g_l1.item(), loss_d_real.item(), loss_d_fake.item()]
    return losses + ([loss_d_wrong.item()] if lambda_mismatch else [])


def critic_features(d, x, with_pred=True):
    """The outputs of the critic's LeakyReLUs (pix2pixHD's getIntermFeat blocks) and, with
    with_pred, its prediction (else None: the last conv is not applied, as ours)."""
    feats, layers = [], list(d.model)
    for k, layer in enumerate(layers):
        if k == len(layers) - 1 and not with_pred:
            return feats, None
        x = layer(x)
        if isinstance(layer, nn.LeakyReLU):
            feats.append(x)
    return feats, x


def pyramid(x, n):
    """x and its n - 1 downsamplings, as pix2pixHD's MultiscaleDiscriminator.downsample."""
    down = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)
    levels = [x]
    for _ in range(n - 1):
        levels.append(down(levels[-1]))
    return levels


def msd_step(g, ds, opt_g, opt_d, mode, lambda_feat, real_a, real_b, lambda_l1=100.0):
    """One step with pix2pixHD's multi-scale critics ds (ds[i] on the pair downsampled i times)
    and feature matching, in pix2pix's order (D's update, then G's against the updated D):
    the GAN losses summed over the critics as pix2pixHD's GANLoss sums them; G_GAN_Feat the sum
    over critics i and features j of 1/num_D * 4/(n_layers + 1) * L1(fake_ij, real_ij), the
    real features from the updated critics, detached. Returns G_GAN, G_L1 (before lambda),
    D_real, D_fake, G_GAN_Feat (before lambda_feat)."""
    n = len(ds)
    fake_b = g(real_a)
    fake_lv = pyramid(torch.cat((real_a, fake_b), 1), n)
    real_lv = pyramid(torch.cat((real_a, real_b), 1), n)
    for d in ds:
        d.requires_grad_(True)
    opt_d.zero_grad()
    loss_d_fake = sum(critic_loss(mode, d(x.detach()), False) for d, x in zip(ds, fake_lv))
    loss_d_real = sum(critic_loss(mode, d(x), True) for d, x in zip(ds, real_lv))
    ((loss_d_fake + loss_d_real) * 0.5).backward()
    opt_d.step()
    for d in ds:
        d.requires_grad_(False)
    opt_g.zero_grad()
    fake = [critic_features(d, x) for d, x in zip(ds, fake_lv)]
    loss_g_gan = sum(generator_loss(mode, pred) for _, pred in fake)
    loss_g_feat = torch.zeros(())
    for d, x, (fake_feats, _) in zip(ds, real_lv, fake):
        with torch.no_grad():
            real_feats, _ = critic_features(d, x, with_pred=False)
        for f, r in zip(fake_feats, real_feats):
            weight = (1.0 / n) * (4.0 / len(real_feats))
            loss_g_feat = loss_g_feat + weight * nn.functional.l1_loss(f, r.detach())
    loss_g_l1 = nn.functional.l1_loss(fake_b, real_b)
    (loss_g_gan + loss_g_l1 * lambda_l1 + loss_g_feat * lambda_feat).backward()
    opt_g.step()
    for d in ds:
        d.requires_grad_(True)
    return [loss_g_gan.item(), loss_g_l1.item(), loss_d_real.item(), loss_d_fake.item(),
            loss_g_feat.item()]


def critics_state(ds):
    """The critics as one state_dict under our keys: critic 0's as the single critic's,
    critic i's prefixed down<i>."""
    out = {}
    for i, d in enumerate(ds):
        out.update({(f"down{i}." if i else "") + k: v for k, v in state(d).items()})
    return out


def spectral_normed(d, gen):
    """d with torch.nn.utils.spectral_norm on every Conv2d (--spectral-norm); u and v drawn
    as spectral_norm draws them (normalized normal draws), from gen."""
    for m in d.modules():
        if isinstance(m, nn.Conv2d):
            nn.utils.spectral_norm(m)
            with torch.no_grad():
                for b in (m.weight_u, m.weight_v):
                    b.copy_(nn.functional.normalize(torch.randn(b.shape, generator=gen), dim=0,
                                                    eps=1e-12))
    return d


def run_msd(out, g0, real_a, real_b, num_d=3, n_layers=1, lambda_feat=10.0, steps=3,
            name="msd", spectral=False):
    """Three steps of --num-d 3 --lambda-feat 10 --gan-mode hinge (with spectral, and
    --spectral-norm): G from g0, the critics (PatchGANs of n_layers 1, ndf 2, small enough for
    the 8x8 level of a 32x32 pair) drawn here. Writes gan_NAME_d0, _g3, _d3; returns the
    losses."""
    g, _ = networks(torch.Generator().manual_seed(0))
    g.load_state_dict(g0)
    gen = torch.Generator().manual_seed(7)
    ds = [NLayerDiscriminator(6, ndf=2, n_layers=n_layers, norm_layer=get_norm_layer("batch"))
          for _ in range(num_d)]
    for d in ds:
        init_weights(d, gen)
        if spectral:
            spectral_normed(d, gen)
    save_safetensors(os.path.join(out, f"gan_{name}_d0.safetensors"), critics_state(ds))
    g.train()
    for d in ds:
        d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([p for d in ds for p in d.parameters()], lr=2e-4,
                             betas=(0.5, 0.999))
    losses = [msd_step(g, ds, opt_g, opt_d, "hinge", lambda_feat, real_a, real_b)
              for _ in range(steps)]
    save_safetensors(os.path.join(out, f"gan_{name}_g3.safetensors"), state(g))
    save_safetensors(os.path.join(out, f"gan_{name}_d3.safetensors"), critics_state(ds))
    return torch.tensor(losses, dtype=torch.float32)


def networks(gen):
    g = UnetGenerator(3, 3, 5, ngf=1, norm_layer=get_norm_layer("batch"), use_dropout=False)
    d = NLayerDiscriminator(6, ndf=2, n_layers=3, norm_layer=get_norm_layer("batch"))
    init_weights(g, gen)
    init_weights(d, gen)
    return g, d


def run(out, name, g0, d0, mode, d_steps, real_a, real_b, steps=3, lambda_mismatch=0.0,
        decay=0.0):
    g, d = networks(torch.Generator().manual_seed(0))
    g.load_state_dict(g0)
    d.load_state_dict(d0)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ema = [w.detach().clone() for w in g.parameters()] if decay else None
    losses = [train_step(g, d, opt_g, opt_d, mode, d_steps, real_a, real_b,
                         lambda_mismatch=lambda_mismatch, ema=ema, decay=decay)
              for _ in range(steps)]
    save_safetensors(os.path.join(out, f"gan_{name}_g3.safetensors"), state(g))
    save_safetensors(os.path.join(out, f"gan_{name}_d3.safetensors"), state(d))
    if ema is not None:
        averaged = state(g)
        for (key, _), e in zip(g.named_parameters(), ema):
            averaged[key] = e.clone()
        save_safetensors(os.path.join(out, f"gan_{name}_gavg3.safetensors"), averaged)
    return torch.tensor(losses, dtype=torch.float32)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/app/fixtures"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    g, d = networks(torch.Generator().manual_seed(5))
    g0, d0 = state(g), state(d)
    save_safetensors(os.path.join(out, "gan_g0.safetensors"), g0)
    save_safetensors(os.path.join(out, "gan_d0.safetensors"), d0)
    rng = np.random.default_rng(5)
    real_a = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(1)])
    real_b = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(1)])
    data = {"real_A": real_a, "real_B": real_b}
    data["losses_hinge"] = run(out, "hinge", g0, d0, "hinge", 1, real_a, real_b)
    data["losses_dsteps2"] = run(out, "dsteps2", g0, d0, "vanilla", 2, real_a, real_b)
    data["losses_msd"] = run_msd(out, g0, real_a, real_b)
    data["losses_msd_sn"] = run_msd(out, g0, real_a, real_b, name="msd_sn", spectral=True)
    save_safetensors(os.path.join(out, "gan_data.safetensors"), data)
    # two pairs: the mismatched pairs are (A_0, B_1) and (A_1, B_0)
    rng = np.random.default_rng(7)
    pair_a = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(2)])
    pair_b = torch.cat([to_tensor(smooth_image(rng, 32, 32)) for _ in range(2)])
    losses = run(out, "ema", g0, d0, "vanilla", 1, pair_a, pair_b, lambda_mismatch=1.0,
                 decay=0.9)
    save_safetensors(os.path.join(out, "gan_ema_data.safetensors"),
                     {"real_A": pair_a, "real_B": pair_b, "losses_ema": losses[:, :4].contiguous(),
                      "losses_mismatch": losses[:, 4].contiguous()})


if __name__ == "__main__":
    main()
