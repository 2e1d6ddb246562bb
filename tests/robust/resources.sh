#!/bin/sh
# Resources: thread options above 4 per core are capped with a note (and the run works),
# negative ones refused; a training or translation too large for the memory is refused with
# what it needs and what the process may use, before allocating it; under prlimit --as=2G the
# same, and a small run still works: never a crash or a hang. The note that --device auto runs
# on the CPU comes once per run, none with --quiet. The prlimit part is skipped without
# prlimit and in sanitizer builds (AddressSanitizer reserves terabytes of address space).
. "$(dirname "$0")/common.sh" "$@"
BUILD=${4:-plain}
tiny_model r
MODEL=$TMP/ck/r/latest_net_G.safetensors
"$TOOL" noise "$TMP/small.png" 40 || fail "noise image"
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) # the affinity mask, as pix2pix
cap=$((4 * cores))
# train_tiny NAME [options]: two steps of the tiny model's recipe.
train_tiny() {
    name=$1
    shift
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name "$name" --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 1 --epochs-decay 0 \
        --display-freq 0 --max-steps 2 "$@"
}

# --- thread options
train_tiny threads --threads 100000 --workers 100000 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "train with --threads 100000 --workers 100000"
expect_line "$TMP/stderr" "pix2pix train: --threads 100000 capped at $cap ($cores core"
expect_line "$TMP/stderr" "pix2pix train: --workers 100000 capped at $cap ($cores core"
"$BIN" translate --model "$MODEL" --input "$TMP/small.png" --output "$TMP/out" \
    --threads 5000 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate with --threads 5000"
expect_line "$TMP/stderr" "pix2pix translate: --threads 5000 capped at $cap"
"$BIN" dataset bench --data "$TMP/synth" --load-size 32 --crop-size 32 --threads 999 \
    >"$TMP/stdout" 2>"$TMP/stderr"
expect_status 0 $? "dataset bench with --threads 999"
expect_line "$TMP/stderr" "pix2pix dataset bench: --threads 999 capped at $cap"
expect_line "$TMP/stdout" "$cap threads"
for cmd in "train --data $TMP/synth --threads -1" "train --data $TMP/synth --workers -2" \
    "translate --model $MODEL --input $TMP/small.png --output $TMP/out --threads -1" \
    "dataset bench --data $TMP/synth --threads -1"; do
    # shellcheck disable=SC2086
    "$BIN" $cmd >/dev/null 2>"$TMP/stderr"
    expect_status 2 $? "$cmd"
    expect_line "$TMP/stderr" "must be 0 or more"
done

# --- too large for the memory, whatever the machine (a 32768 crop needs terabytes)
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name huge --crop-size 32768 \
    --load-size 32768 --max-steps 1 --quiet >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "train with --crop-size 32768"
echo "--- $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "pix2pix train: training at 32768x32768 needs about" \
    "of memory; this process may use" "(see --crop-size/--load-size)"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name huge --netG unet_5 \
    --crop-size 32 --load-size 65536 --max-steps 1 --quiet >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "train with --load-size 65536"
expect_line "$TMP/stderr" "training at 32x32 (images resized to 65536) needs about"
"$BIN" bench --size 32768 --iters 1 --warmup 0 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "bench --size 32768"
expect_line "$TMP/stderr" "pix2pix bench: inference at 32768x32768 needs about" \
    "(see --size/--batch-size)"

# --- the CPU fallback note of --device auto: once per run (where there is no Vulkan GPU)
# The Vulkan driver that --device auto probes keeps one-time allocations and is unloaded before
# LeakSanitizer runs (see tests/vulkan): from here on, no leak checks in sanitizer builds.
if [ "$BUILD" = "sanitize" ]; then
    export ASAN_OPTIONS=detect_leaks=0
fi
want=1
if "$BIN" devices 2>/dev/null | grep -Eq '^ +type +(discrete|integrated|virtual|other)'; then
    want=0
fi
# notes WHAT EXPECTED: the count of fallback notes in $TMP/stderr
notes() {
    got=$(grep -c "running on the CPU" "$TMP/stderr")
    [ "$got" = "$2" ] || fail "$1: $got notes 'running on the CPU', expected $2"
}
"$BIN" translate --model "$MODEL" --input "$TMP/synth/train" --output "$TMP/out" \
    --device auto >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate --device auto"
notes "translate of a folder" $want
"$BIN" translate --model "$MODEL" --input "$TMP/synth/train" --output "$TMP/out" \
    --device auto --quiet >/dev/null 2>"$TMP/stderr"
notes "translate --quiet" 0
train_tiny note --device auto --display-freq 1 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "train --device auto"
notes "train with report samples" $want
# The demo trains and tests: two backends, one note.
PIX2PIX_DEVICE=auto "$BIN" demo --dir "$TMP/demo" --count 10 --size 32 --ngf 4 \
    --time-limit 1 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "demo"
notes "demo" $want
PIX2PIX_DEVICE=auto "$BIN" demo --dir "$TMP/demo" --count 10 --size 32 --ngf 4 \
    --time-limit 1 --quiet >/dev/null 2>"$TMP/stderr"
notes "demo --quiet" 0

# --- under an address space limit of 2 GiB
if ! command -v prlimit >/dev/null 2>&1; then
    echo "skipped: prlimit (util-linux) is not installed"
    finish
fi
if [ "$BUILD" = "sanitize" ]; then
    echo "skipped: prlimit --as in a sanitizer build (AddressSanitizer reserves terabytes)"
    finish
fi
# A CPU-time limit, not a wall-clock one, catches a run that spins: a busy machine does not
# trip it (the tiles' translation below takes 75 CPU-s, 30 s alone, 245 s at a load of 7).
AS2G="prlimit --cpu=300 --as=2147483648"
# Half the limit is for data: the other half is code, libraries and the threads' reservations.
$AS2G "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name as2g --netG unet_5 \
    --ngf 8 --ndf 8 --load-size 2048 --crop-size 2048 --max-steps 1 --quiet \
    >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "train at 2048x2048 under prlimit --as=2G"
echo "--- $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "pix2pix train: training at 2048x2048 needs about" \
    "this process may use 1.0 GiB (see --crop-size/--load-size)"
# A small run works, with report samples.
$AS2G "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name as2g_small \
    --netG unet_5 --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --max-steps 2 \
    --display-freq 1 --device auto >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "a small training under prlimit --as=2G"
# 8 threads under 1 GiB hung at exit: OpenBLAS threads that cannot map their buffers retry
# for ever (the timeout catches it). The threads are capped to what the limit leaves room for.
timeout 60 prlimit --as=1073741824 "$BIN" translate --model "$MODEL" --input "$TMP/small.png" \
    --output "$TMP/out" --threads 64 --device auto >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate --threads 64 under prlimit --as=1G"
expect_line "$TMP/stderr" "--threads 64 capped at 2 (1.0 GiB address space limit)"
# --full-res at 2048x2048 with 64 filters needs more than the limit: untiled (--tile 2048)
# it is refused before anything is allocated; by default (--tile auto) it is cut into tiles
# that fit.
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name wide --netG unet_5 \
    --ngf 64 --ndf 4 --load-size 32 --crop-size 32 --max-steps 1 --display-freq 0 \
    --threads 2 >/dev/null 2>&1 || fail "training the 64-filter model"
"$TOOL" noise "$TMP/big.png" 2048 || fail "noise image"
$AS2G "$BIN" translate --model "$TMP/ck/wide/latest_net_G.safetensors" --input "$TMP/big.png" \
    --output "$TMP/out_big" --full-res --tile 2048 --device auto >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate --full-res --tile 2048 of 2048x2048 under prlimit --as=2G"
echo "--- $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "$TMP/big.png: translating at 2048x2048 needs about" \
    "this process may use"
[ -z "$(ls -A "$TMP/out_big")" ] || fail "left in the output folder: $(ls -A "$TMP/out_big")"
$AS2G "$BIN" translate --model "$TMP/ck/wide/latest_net_G.safetensors" --input "$TMP/big.png" \
    --output "$TMP/out_tiles" --full-res --device auto --verbose >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate --full-res (tiles) of 2048x2048 under prlimit --as=2G"
# Batch statistics: exact tiles, cut where the whole map and the network inside it fit the
# limit (block 2, whose map alone is 768 MiB in and out, does not).
expect_line "$TMP/stderr" "translate: 2048x2048 exactly in" "windows of"
grep -Eq "the U-Net cut at block [345] " "$TMP/stderr" ||
    fail "not cut below block 2 under the limit: $(cat "$TMP/stderr")"
# Without --full-res the same image translates; one declaring 70000x70000 pixels is refused
# from its header, --max-pixels being lowered to what the memory holds.
mkdir -p "$TMP/in"
"$TOOL" inputs "$TMP/in" "$SRC/tests/fuzz/corpus_image" >/dev/null 2>&1
$AS2G "$BIN" translate --model "$TMP/ck/wide/latest_net_G.safetensors" --input "$TMP/big.png" \
    --output "$TMP/out_big" >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate of 2048x2048 under prlimit --as=2G"
$AS2G "$BIN" translate --model "$MODEL" --input "$TMP/in/huge_70000.png" --output "$TMP/out" \
    --max-pixels 10000000000 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate of a 70000x70000 image under prlimit --as=2G"
echo "--- $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "pix2pix translate: --max-pixels 10000000000 lowered to 89478485"
expect_reason "$TMP/stderr" "$TMP/in/huge_70000.png" "above the limit of 89478485"
finish
