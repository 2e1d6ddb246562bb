#!/usr/bin/python3
"""Generate the GAN-loss parity fixtures of tests/app/fixtures (gan_*) with PyTorch as the oracle:
three training steps with --gan-mode hinge, and three with --d-steps 2, from the same start.

The step is the reference's optimize_parameters (tools/torch_reference.py) with two changes:
- the GAN loss may be the hinge loss of SAGAN and SPADE: the critic's
  mean(relu(1 - D(real))) and mean(relu(1 + D(fake))), the generator's -mean(D(fake));
  the critic's loss is still 0.5 * (D_fake + D_real), as the reference halves every mode;
- the critic may be updated d_steps times before the generator's update (the k critic steps
  of Goodfellow et al.'s Algorithm 1), all on the step's batch and the one G(A) (G does not
  change between them); the losses reported are those of the last critic update.

A tiny configuration keeps the files small (about 135 KB in all): one 32x32 pair, a 5-level
U-Net with ngf 1, a basic PatchGAN with ndf 2, BatchNorm. G_L1 is written before lambda.

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


def train_step(g, d, opt_g, opt_d, mode, d_steps, real_a, real_b, lambda_l1=100.0):
    """One step: d_steps critic updates, then the generator's. Returns G_GAN, G_L1 (before
    lambda), D_real, D_fake (of the last critic update)."""
    fake_b = g(real_a)
    fake_ab = torch.cat((real_a, fake_b), 1)
    d.requires_grad_(True)
    for _ in range(d_steps):
        opt_d.zero_grad()
        loss_d_fake = critic_loss(mode, d(fake_ab.detach()), False)
        loss_d_real = critic_loss(mode, d(torch.cat((real_a, real_b), 1)), True)
        ((loss_d_fake + loss_d_real) * 0.5).backward()
        opt_d.step()
    d.requires_grad_(False)
    opt_g.zero_grad()
    loss_g_gan = generator_loss(mode, d(fake_ab))
    loss_g_l1 = nn.functional.l1_loss(fake_b, real_b)
    (loss_g_gan + loss_g_l1 * lambda_l1).backward()
    opt_g.step()
    d.requires_grad_(True)
    return [loss_g_gan.item(), loss_g_l1.item(), loss_d_real.item(), loss_d_fake.item()]


def networks(gen):
    g = UnetGenerator(3, 3, 5, ngf=1, norm_layer=get_norm_layer("batch"), use_dropout=False)
    d = NLayerDiscriminator(6, ndf=2, n_layers=3, norm_layer=get_norm_layer("batch"))
    init_weights(g, gen)
    init_weights(d, gen)
    return g, d


def run(out, name, g0, d0, mode, d_steps, real_a, real_b, steps=3):
    g, d = networks(torch.Generator().manual_seed(0))
    g.load_state_dict(g0)
    d.load_state_dict(d0)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    losses = [train_step(g, d, opt_g, opt_d, mode, d_steps, real_a, real_b) for _ in range(steps)]
    save_safetensors(os.path.join(out, f"gan_{name}_g3.safetensors"), state(g))
    save_safetensors(os.path.join(out, f"gan_{name}_d3.safetensors"), state(d))
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
    save_safetensors(os.path.join(out, "gan_data.safetensors"), data)


if __name__ == "__main__":
    main()
