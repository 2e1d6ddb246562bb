#!/bin/sh
# --tune auto: the first run on a device (train) measures the network's conv GEMMs and writes
# the device's tuning file; later runs of the same network (bench, translate of the trained
# model) find them tuned and measure nothing; an unknown value is refused (exit 2, naming the
# accepted ones). Skipped (77) without a Vulkan device.
# Usage: tune_auto.sh PIX2PIX
bin=$1
"$bin" devices 2>/dev/null | grep -q '^vulkan:0' || { echo "no Vulkan device"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
export XDG_CACHE_HOME="$dir/cache"
fail() { echo "FAIL: $1"; cat "$dir/err"; exit 1; }
net="--netG unet_5 --netD pixel --ngf 4 --ndf 4"
"$bin" dataset synth --out "$dir/data" --count 4 --size 32 >/dev/null 2>&1 || fail "dataset"

# shellcheck disable=SC2086
"$bin" train --data "$dir/data" --checkpoints-dir "$dir/ck" --name t $net --load-size 32 \
    --crop-size 32 --max-steps 1 --device vulkan --tune auto >/dev/null 2>"$dir/err" ||
    fail "train"
grep -q 'pix2pix train: --tune auto: measuring the kernels of .* untuned conv GEMMs' \
    "$dir/err" || fail "train did not tune"
grep -q 'conv GEMMs tuned' "$dir/err" || fail "train saved nothing"
ls "$dir"/cache/pix2pix-vk/conv_tuning-*.json >/dev/null 2>&1 || fail "no tuning file"

# shellcheck disable=SC2086
"$bin" bench --device vulkan --size 32 $net --iters 1 --warmup 0 --tune auto \
    >/dev/null 2>"$dir/err" || fail "bench"
! grep -q 'tune auto' "$dir/err" || fail "bench tuned again"
"$bin" translate --model "$dir/ck/t/latest_net_G.safetensors" --input "$dir/data/train" \
    --pairs A --output "$dir/out" --device vulkan --tune auto >/dev/null 2>"$dir/err" || fail "translate"
! grep -q 'tune auto' "$dir/err" || fail "translate tuned again"

"$bin" bench --tune sometimes 2>"$dir/err"
[ $? -eq 2 ] && grep -q "sometimes" "$dir/err" && grep -q "off, auto" "$dir/err" ||
    fail "bad --tune value"
echo "ok: tuned once (train), then read from the file (bench, translate)"
