#!/bin/sh
# pix2pix train --ema-decay 0.9 --lambda-mismatch 1 under mpirun -np 2: the ranks average the
# same all-reduced weights, so G's average stays the same on every rank (--check-every 1
# compares it with the weights after each step), and rank 0 saves it; each rank's mismatched
# pairs come from its own batch, and rank 0 logs D_mismatch.
# usage: dist_ema.sh MPIEXEC PIX2PIX WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 WORK=$3
. "$(dirname "$0")/mpi_env.sh"
fresh_workdir "$WORK"
synth_data data 8 32
status=0
$MPIRUN -np 2 "$P2P" train --data data --netG unet_5 --ngf 2 --ndf 2 --preprocess none \
    --threads 1 --workers 0 --display-freq 0 --quiet --batch-size 2 --ema-decay 0.9 \
    --lambda-mismatch 1 --check-every 1 --max-steps 3 >ema.log 2>&1 || status=$?
cat ema.log
[ "$status" -eq 0 ] || fail "--ema-decay --lambda-mismatch with 2 ranks: exit status $status"
! grep -q "differ from rank 0's" ema.log || fail "the ranks' weights or averages differ"
[ -s checkpoints/experiment/latest_net_G_ema.safetensors ] ||
    fail "no latest_net_G_ema.safetensors"
[ "$(wc -l <checkpoints/experiment/loss_log.csv)" -eq 4 ] || fail "not 3 steps logged"
head -1 checkpoints/experiment/loss_log.csv | grep -qx "epoch,iter,G_GAN,G_L1,D_real,D_fake,D_mismatch" ||
    fail "no D_mismatch column in the loss log"
echo "--ema-decay and --lambda-mismatch with 2 ranks: the averages agree at every step"
