#!/bin/sh
# pix2pix train --lambda-vgg 10 under mpirun -np 2: the VGG loss is part of G's loss, whose
# gradients go through G's reducer, and its frozen network holds no state to share, so the
# ranks' weights agree at every step (--check-every 1) and rank 0 logs G_VGG. The VGG19
# weights are random ones written by tools/gen_vgg_fixture.py (skipped, 77, without
# torchvision).
# usage: dist_vgg.sh MPIEXEC PIX2PIX PYTHON WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 PYTHON=$3 WORK=$4
. "$(dirname "$0")/mpi_env.sh"
GEN=$(cd "$(dirname "$0")/../../tools" && pwd)/gen_vgg_fixture.py
fresh_workdir "$WORK"
status=0
"$PYTHON" "$GEN" vgg >vgg_fixture.log 2>&1 || status=$?
[ "$status" -ne 77 ] || { cat vgg_fixture.log; exit 77; }
[ "$status" -eq 0 ] || { cat vgg_fixture.log; fail "tools/gen_vgg_fixture.py: exit $status"; }
synth_data data 4 32
$MPIRUN -np 2 "$P2P" train --data data --netG unet_5 --ngf 4 --ndf 4 --preprocess none \
    --threads 1 --workers 0 --display-freq 0 --quiet --max-steps 3 --check-every 1 \
    --lambda-vgg 10 --vgg-weights vgg/vgg19.pth >train.log 2>&1 || status=$?
cat train.log
[ "$status" -eq 0 ] || fail "--lambda-vgg 10 with 2 ranks: exit status $status"
! grep -q "differ from rank 0's" train.log || fail "the ranks' weights differ"
head -1 checkpoints/experiment/loss_log.csv | grep -qx "epoch,iter,G_GAN,G_L1,D_real,D_fake,G_VGG" ||
    fail "no G_VGG column in the loss log"
[ "$(wc -l <checkpoints/experiment/loss_log.csv)" -eq 4 ] || fail "not 3 steps logged"
echo "--lambda-vgg 10 trained with 2 ranks, weights equal at every step"
