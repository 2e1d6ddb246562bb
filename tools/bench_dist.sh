#!/bin/sh
# Steps per second of pix2pix train with 1 and 2 MPI ranks of 1 thread each (CPU), and the
# allreduce time per step: unet_256 + basic PatchGAN at 256x256, batch 1 per rank (each rank
# takes its own pairs: 2 ranks train on twice the pairs per step). Runs of 1, 2, 1 and 2 ranks
# alternate (no separate warm-up), each training STEPS steps; the figures are pix2pix's own
# report ("N ranks: ...").
# usage: tools/bench_dist.sh BUILD_DIR [STEPS]
set -eu
BUILD=${1:-build} STEPS=${2:-20}
P2P=$(cd "$BUILD" && pwd)/pix2pix
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# Shared memory between the ranks; large messages use vader's single copy (CMA) where the
# machine allows it (set OMPI_MCA_btl_vader_single_copy_mechanism=none where it does not).
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"
"$P2P" dataset synth --out data --count 64 --size 256 --val-fraction 0 --test-fraction 0 --quiet
for n in 1 2 1 2; do
    rm -rf checkpoints
    $MPIRUN -np $n "$P2P" train --data data --name bench --device cpu --threads 1 --workers 1 \
        --display-freq 0 --quiet --max-steps "$STEPS" 2>&1 | grep "rank.*steps/s"
done
