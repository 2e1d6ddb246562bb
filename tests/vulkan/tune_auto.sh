#!/bin/sh
# --tune auto (bench): the first run on a device measures the network's conv GEMMs and writes
# the device's tuning file; the next run finds them all tuned and measures nothing; an unknown
# value is refused (exit 2, naming it). Skipped (77) without a Vulkan device.
# Usage: tune_auto.sh PIX2PIX
bin=$1
"$bin" devices 2>/dev/null | grep -q '^vulkan:0' || { echo "no Vulkan device"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
export XDG_CACHE_HOME="$dir"
set -- bench --device vulkan --size 32 --netG unet_5 --netD pixel --ngf 4 --ndf 4 --iters 1 \
    --warmup 0 --tune auto
fail() { echo "FAIL: $1"; cat "$dir/err"; exit 1; }
"$bin" "$@" >/dev/null 2>"$dir/err" || fail "first run"
grep -q 'tune auto: measuring the kernels of .* untuned conv GEMMs' "$dir/err" ||
    fail "first run did not tune"
grep -q 'conv GEMMs tuned' "$dir/err" || fail "first run saved nothing"
ls "$dir"/pix2pix-vk/conv_tuning-*.json >/dev/null 2>&1 || fail "no tuning file"
"$bin" "$@" >/dev/null 2>"$dir/err" || fail "second run"
! grep -q 'tune auto' "$dir/err" || fail "second run tuned again"
"$bin" bench --tune sometimes 2>"$dir/err"
[ $? -eq 2 ] && grep -q "unknown --tune 'sometimes' (accepted: off, auto)" "$dir/err" ||
    fail "bad --tune value"
echo "ok: tuned once, then read from the file"
