#!/bin/sh
# --precision: bad values refused (exit 2); fp16 on the CPU says so once and runs fp32; fp16
# training on a Vulkan device (lavapipe here) says it stores fp16, saves its loss scaler with
# the optimizer state, resumes with it, and its generator translates in fp16 within 2/255 of fp32
# (the Vulkan part is skipped where no device has 16-bit storage).
. "$(dirname "$0")/common.sh" "$@"

"$BIN" translate --model x --input x --output "$TMP/o" --precision fp8 2>"$TMP/bad.txt"
expect_status 2 $? "translate --precision fp8"
expect_line "$TMP/bad.txt" "unknown --precision 'fp8' (accepted: fp32, fp16)"
"$BIN" train --data x --precision half 2>"$TMP/bad.txt"
expect_status 2 $? "train --precision half"
expect_line "$TMP/bad.txt" "unknown --precision 'half' (accepted: fp32, fp16)"

tiny_model cpu16 --device cpu --precision fp16
"$BIN" translate --model "$TMP/ck/cpu16/latest_net_G.safetensors" --input "$TMP/synth/train" \
    --output "$TMP/out_cpu" --device cpu --precision fp16 --quiet 2>"$TMP/cpu.txt"
expect_status 0 $? "translate --device cpu --precision fp16"
[ "$(grep -c "running in fp32" "$TMP/cpu.txt")" = 1 ] ||
    fail "the CPU's fp32 note is not printed once: $(cat "$TMP/cpu.txt")"

if ! "$BIN" devices 2>/dev/null | grep -q "16-bit storage  *yes"; then
    echo "skipped the Vulkan part: no Vulkan device with 16-bit storage"
    finish
fi
run_train() {
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name vk16 --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 2 --epochs-decay 0 \
        --workers 1 --display-freq 0 --device vulkan --precision fp16 "$@"
}
run_train --max-steps 2 >"$TMP/vk.txt" 2>&1
expect_status 0 $? "train --device vulkan --precision fp16"
expect_line "$TMP/vk.txt" "fp16 storage with loss scaling"
expect_line "$TMP/vk.txt" "fp16: " "skipped an update for gradients that were not finite; loss scale now"
"$BIN" inspect "$TMP/ck/vk16/latest_opt.safetensors" >"$TMP/opt.txt" 2>&1
expect_line "$TMP/opt.txt" "loss_scale: "
expect_line "$TMP/opt.txt" "growth_tracker: "
scale=$(sed -n 's/.*; loss scale now \([0-9.e+]*\)$/\1/p' "$TMP/vk.txt")
run_train --continue >"$TMP/vk2.txt" 2>&1
expect_status 0 $? "train --continue in fp16"
expect_line "$TMP/vk2.txt" "resuming" ", loss scale $scale"
for p in fp16 fp32; do
    "$BIN" translate --model "$TMP/ck/vk16/latest_net_G.safetensors" --input "$TMP/synth/train" \
        --output "$TMP/out_$p" --device vulkan --precision "$p" --eval --quiet
    expect_status 0 $? "translate the fp16-trained model in $p"
done
for f in "$TMP"/out_fp32/*; do
    max=$("$TOOL" diff "$f" "$TMP/out_fp16/$(basename "$f")" | cut -d' ' -f1) ||
        fail "comparing $(basename "$f")"
    [ "${max%.*}" -le 2 ] 2>/dev/null || fail "$(basename "$f"): fp16 is $max/255 from fp32"
done
finish
