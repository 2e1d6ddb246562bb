#!/bin/sh
# pix2pix train --num-d 2 --lambda-feat 10 under mpirun -np 2: the critics are one network
# whose gradients go through D's reducer like a single critic's, so the job trains; the ranks'
# weights agree at every step (--check-every 1) and rank 0 logs G_GAN_Feat; the ranks' options
# include --num-d (a rank with another is refused, naming it). With --spectral-norm as well,
# the ranks' power iterations give the same u and v (in the checksum of --check-every 1).
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
echo "--num-d 2 --lambda-feat 10 trained with 2 ranks, weights equal at every step"
