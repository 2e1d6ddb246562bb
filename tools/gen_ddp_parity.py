#!/usr/bin/python3
"""Generate the data-parallel parity fixtures of tests/parallel/fixtures with PyTorch's
DistributedDataParallel (gloo backend, two processes on this machine) as the oracle.

The reference, defined precisely (what `mpirun -np 2 pix2pix train` must equal):
- G and D as in gen_parity.py (5-level U-Net, ngf 4; basic PatchGAN, ndf 4; BatchNorm; no
  dropout), the same starting weights on both ranks (ddp_g0, ddp_d0).
- Each network wrapped in its own DistributedDataParallel (broadcast_buffers=False: BatchNorm
  statistics stay per rank, as without SyncBatchNorm; with the default True rank 0's buffers,
  the ones pix2pix saves, are the same).
- Data: the 4 aligned pairs of ddp_data/train in name order, DistributedSampler(num_replicas=2,
  shuffle=False) (as --serial-batches), batch 1 per rank, so rank 0 takes pairs 1, 3 and rank 1
  pairs 2, 4; 3 steps (2 epochs of 2 steps, then 1).
- A step is the reference's optimize_parameters: fake = G_ddp(A); D_ddp is applied to
  (A, detach(fake)) and to (A, B), and the backward of their loss (times 0.5) runs once: DDP
  averages D's gradients (each parameter's hook fires once, the two applications' gradients
  being summed first) before D's Adam step. G's loss takes D's third application through the
  bare module (d.module: D's parameters need no gradient there, and a DDP forward whose
  backward reaches none of its parameters would leave its reducer waiting); its backward
  reaches G's parameters through G_ddp, which averages them before G's Adam step.
Written: ddp_g0/ddp_d0 (start), ddp_g3/ddp_d3 (rank 0's state after 3 steps: parameters,
which are the same on both ranks, and rank 0's running statistics), ddp_losses (float32
[3 steps, 2 ranks, 4]: G_GAN, G_L1 before lambda, D_real, D_fake) and the pair files; and the
same run with two updates of D per step on the step's pairs (pix2pix train --d-steps 2, each
update's gradients averaged by D_ddp): ddp_dsteps2_g3, ddp_dsteps2_d3, ddp_dsteps2_losses.

usage: gen_ddp_parity.py OUTDIR
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from gen_parity import smooth_image, state, to_tensor, write_png  # noqa: E402
from torch_reference import (  # noqa: E402
    NLayerDiscriminator, UnetGenerator, get_norm_layer, init_weights, optimize_parameters)

WORLD, STEPS, PAIRS = 2, 3, 4


def make_nets():
    g = UnetGenerator(3, 3, 5, ngf=4, norm_layer=get_norm_layer("batch"), use_dropout=False)
    d = NLayerDiscriminator(6, ndf=4, n_layers=3, norm_layer=get_norm_layer("batch"))
    return g, d


def ddp_step(g_ddp, d_ddp, opt_g, opt_d, gan, real_a, real_b, d_steps):
    losses = optimize_parameters(g_ddp, d_ddp.module, opt_g, opt_d, gan, real_a, real_b,
                                 d_update=d_ddp, d_steps=d_steps)
    return [loss.item() for loss in losses]


def worker(rank, out, init_file, pairs, results, d_steps):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank,
                            world_size=WORLD)
    g, d = make_nets()
    g.load_state_dict(torch.load(os.path.join(out, "ddp_g0.pt")))
    d.load_state_dict(torch.load(os.path.join(out, "ddp_d0.pt")))
    g.train()
    d.train()
    g_ddp = DDP(g, broadcast_buffers=False)
    d_ddp = DDP(d, broadcast_buffers=False)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    gan = nn.BCEWithLogitsLoss()
    sampler = DistributedSampler(pairs, num_replicas=WORLD, rank=rank, shuffle=False)
    loader = DataLoader(pairs, batch_size=1, sampler=sampler)
    losses, epoch = [], 0
    while len(losses) < STEPS:
        sampler.set_epoch(epoch)
        for real_a, real_b in loader:
            if len(losses) < STEPS:
                losses.append(ddp_step(g_ddp, d_ddp, opt_g, opt_d, gan, real_a, real_b,
                                       d_steps))
        epoch += 1
    results[rank] = (losses, state(g), state(d))
    dist.destroy_process_group()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/parallel/fixtures"
    data = os.path.join(out, "ddp_data", "train")
    os.makedirs(data, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(5)
    gen = torch.Generator().manual_seed(5)
    g, d = make_nets()
    init_weights(g, gen)
    init_weights(d, gen)
    save_safetensors(os.path.join(out, "ddp_g0.safetensors"), state(g))
    save_safetensors(os.path.join(out, "ddp_d0.safetensors"), state(d))
    torch.save(g.state_dict(), os.path.join(out, "ddp_g0.pt"))
    torch.save(d.state_dict(), os.path.join(out, "ddp_d0.pt"))
    pairs = []
    for i in range(PAIRS):
        a_img, b_img = smooth_image(rng, 32, 32), smooth_image(rng, 32, 32)
        write_png(os.path.join(data, f"{i + 1}.png"), np.concatenate([a_img, b_img], axis=1))
        pairs.append((to_tensor(a_img)[0], to_tensor(b_img)[0]))
    for d_steps, prefix in ((1, "ddp"), (2, "ddp_dsteps2")):
        with tempfile.TemporaryDirectory() as tmp:
            results = mp.Manager().dict()
            mp.spawn(worker, args=(out, os.path.join(tmp, "init"), pairs, results, d_steps),
                     nprocs=WORLD)
        write_run(out, prefix, results)
    for name in ("ddp_g0.pt", "ddp_d0.pt"):
        os.remove(os.path.join(out, name))


def write_run(out, prefix, results):
    """PREFIX_g3, PREFIX_d3 (rank 0's state) and PREFIX_losses of one DDP run."""
    _, g3, d3 = results[0]
    for k, v in results[1][1].items():  # DDP keeps the parameters equal on both ranks
        if not k.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(v, g3[k]), k
    save_safetensors(os.path.join(out, f"{prefix}_g3.safetensors"), g3)
    save_safetensors(os.path.join(out, f"{prefix}_d3.safetensors"), d3)
    losses = torch.tensor([[results[r][0][s] for r in range(WORLD)] for s in range(STEPS)],
                          dtype=torch.float32)
    save_safetensors(os.path.join(out, f"{prefix}_losses.safetensors"), {"losses": losses})
    print(f"{prefix}: losses per step, rank:\n", losses)


if __name__ == "__main__":
    main()
