#!/bin/sh
# fp16 against fp32 on one device at the size of `pix2pix demo`: the demo's synthetic dataset
# (240 pairs of 64x64), its network (unet of depth 6, ngf 16) and batch (4), trained for the same
# number of steps in each precision from the same seed, then scored on the test split (eval
# mode, each in its own precision). Prints both test L1s, their ratio, the training time and
# the training plans' memory.
# usage: tools/precision_check.sh [--build-dir build] [--device vulkan] [--steps 150]
set -eu
BUILD=build DEVICE=vulkan STEPS=150
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--device DEV] [--steps N]" >&2; exit 2 ;;
    esac
done
P2P=$BUILD/pix2pix
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$P2P" dataset synth --out "$TMP/data" --count 240 --size 64 --seed 1 --val-fraction 0 \
    --test-fraction 0.1 --quiet
for p in fp32 fp16; do
    start=$(date +%s)
    "$P2P" train --data "$TMP/data" --name "$p" --checkpoints-dir "$TMP/ckpt" --netG unet_6 \
        --ngf 16 --ndf 16 --batch-size 4 --load-size 64 --crop-size 64 --epochs 1000 \
        --epochs-decay 0 --seed 1 --workers 1 --max-steps "$STEPS" --device "$DEVICE" \
        --precision "$p" --quiet >"$TMP/train_$p.log" 2>&1 || { cat "$TMP/train_$p.log"; exit 1; }
    end=$(date +%s)
    "$P2P" test --data "$TMP/data" --model "$TMP/ckpt/$p/latest_net_G.safetensors" --eval \
        --results "$TMP/results_$p" --device "$DEVICE" --precision "$p" --quiet \
        >"$TMP/test_$p.log" 2>&1 || { cat "$TMP/test_$p.log"; exit 1; }
    l1=$(sed -n 's/.*L1 \([0-9.]*\).*/\1/p' "$TMP/test_$p.log" | head -n 1)
    ran=fp32
    if grep -q "fp16 storage" "$TMP/train_$p.log"; then ran="fp16 storage"; fi
    echo "$p (ran $ran): $STEPS steps in $((end - start)) s, test L1 $l1"
    eval "l1_$p=$l1"
done
# shellcheck disable=SC2154
awk -v a="$l1_fp32" -v b="$l1_fp16" 'BEGIN { printf "fp16 / fp32 test L1: %.3f\n", b / a }'
