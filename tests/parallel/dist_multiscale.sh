#!/bin/sh
# pix2pix train --num-d 2 --lambda-feat 10 under mpirun -np 2: the critics are one network
# whose gradients go through D's reducer like a single critic's, so the job trains; the ranks'
# weights agree at every step (--check-every 1) and rank 0 logs G_GAN_Feat; the ranks' options
# include --num-d (a rank with another is refused, naming it). With --spectral-norm as well,
# the ranks' power iterations give the same u and v (in the checksum of --check-every 1); and
# --netG local --niter-fix-global trains under 2 ranks, the weights equal at every step.
# usage: dist_multiscale.sh MPIEXEC PIX2PIX WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 WORK=$3
. "$(dirname "$0")/mpi_env.sh"
BY_RANK=$(cd "$(dirname "$0")" && pwd)/by_rank.sh
fresh_workdir "$WORK"
synth_data data 4 32
COMMON="--data data --netG unet_5 --ngf 4 --ndf 4 --netD n_layers --n-layers-d 2
        --preprocess none --threads 1 --workers 0 --display-freq 0 --quiet --max-steps 3
        --lambda-feat 10"
# shellcheck disable=SC2086
$MPIRUN -np 2 "$P2P" train $COMMON --num-d 2 --name msd --check-every 1 >msd.log 2>&1 ||
    { cat msd.log; fail "--num-d 2 --lambda-feat 10 with 2 ranks"; }
cat msd.log
head -1 checkpoints/msd/loss_log.csv | grep -qx "epoch,iter,G_GAN,G_L1,D_real,D_fake,G_GAN_Feat" ||
    fail "no G_GAN_Feat column in the loss log"
[ "$(wc -l <checkpoints/msd/loss_log.csv)" -eq 4 ] || fail "not 3 steps logged"
# shellcheck disable=SC2086
$MPIRUN -np 2 "$P2P" train $COMMON --num-d 2 --spectral-norm --name msd_sn --check-every 1 \
    >msd_sn.log 2>&1 || { cat msd_sn.log; fail "--num-d 2 --spectral-norm with 2 ranks"; }
[ "$(wc -l <checkpoints/msd_sn/loss_log.csv)" -eq 4 ] || fail "--spectral-norm: not 3 steps"
refused_across_ranks "--num-d 2" "--num-d 1" "num-d=1 where rank 0 has num-d=2"
# pix2pixHD's --netG local --niter-fix-global 1: G's fixed part has an optimizer (and a
# reducer) of its own; the ranks agree while it is held and after it is released in epoch 2
# (2 pairs a rank: 2 steps an epoch).
$MPIRUN -np 2 "$P2P" train --data data --netG local --ngf 2 --ndf 4 --n-downsample-global 2 \
    --n-blocks-global 1 --n-blocks-local 1 --niter-fix-global 1 --epochs 2 --epochs-decay 0 \
    --preprocess none --threads 1 --workers 0 --display-freq 0 --name fixg --check-every 1 \
    >fixg.log 2>&1 || { cat fixg.log; fail "--netG local --niter-fix-global 1 with 2 ranks"; }
grep -q "epoch 2: the global generator trains too" fixg.log || fail "the global part not released"
[ "$(wc -l <checkpoints/fixg/loss_log.csv)" -eq 5 ] || fail "--niter-fix-global: not 4 steps"
echo "--num-d 2 --lambda-feat 10 trained with 2 ranks, weights equal at every step"
