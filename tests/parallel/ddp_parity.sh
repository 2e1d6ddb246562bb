#!/bin/sh
# 2 ranks x batch 1 x 3 steps of pix2pix train against PyTorch DistributedDataParallel
# (tools/gen_ddp_parity.py): the same weights, pairs and sharding; check_ddp_parity compares.
# Also with --d-steps 2 (each of D's two updates averaged across the ranks). On the CPU, then
# on Vulkan where there is a device (lavapipe in CI).
# usage: ddp_parity.sh MPIEXEC PIX2PIX CHECKER FIXTURES WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 CHECK=$3 FIX=$4 WORK=$5
. "$(dirname "$0")/mpi_env.sh"
rm -rf "$WORK"
mkdir -p "$WORK"
# run DEVICE D_STEPS FIXTURE_PREFIX
run() {
    echo "== $1, --d-steps $2"
    $MPIRUN -np 2 "$P2P" train --data "$FIX/ddp_data" --checkpoints-dir "$WORK" --name "$1_$2" \
        --netG unet_5 --ngf 4 --ndf 4 --no-dropout --preprocess none --no-flip \
        --serial-batches --init-g "$FIX/ddp_g0.safetensors" --init-d "$FIX/ddp_d0.safetensors" \
        --max-steps 3 --d-steps "$2" --device "$1" --threads 1 --workers 0 --display-freq 0 \
        --quiet
    "$CHECK" "$WORK/$1_$2" "$3"
}
run cpu 1 ddp
run cpu 2 ddp_dsteps2
if "$P2P" devices >/dev/null 2>&1; then
    run vulkan 1 ddp
    run vulkan 2 ddp_dsteps2
else
    echo "no Vulkan device: the Vulkan run is skipped"
fi
