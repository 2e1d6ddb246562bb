#!/bin/sh
# The training loader on a dataset holding every kind of bad file next to good pairs: each bad
# file is reported once (over two epochs) with its path and reason, training goes on with the
# good pairs and ends normally (exit 0); the same through 'dataset check' (exit 1).
. "$(dirname "$0")/common.sh" "$@"
"$BIN" dataset synth --out "$TMP/data" --count 4 --size 32 --val-fraction 0 \
    --test-fraction 0 >/dev/null || fail "dataset synth"
# Splits of no pairs get no folder (an empty one would be refused as a split).
[ ! -e "$TMP/data/val" ] && [ ! -e "$TMP/data/test" ] || fail "synth made empty split folders"
D=$TMP/data/train
"$TOOL" inputs "$D" "$SRC/tests/fuzz/corpus_image" || fail "writing the inputs"
mkfifo "$D/fifo.png" || fail "mkfifo"

"$BIN" train --data "$TMP/data" --checkpoints-dir "$TMP/ck" --name bad --netG unet_5 --ngf 4 \
    --ndf 4 --load-size 32 --crop-size 32 --epochs 2 --epochs-decay 0 --threads 1 --workers 2 \
    --display-freq 0 >"$TMP/stdout" 2>"$TMP/stderr"
expect_status 0 $? "training on a dataset with bad files"
echo "--- messages:"
grep -v '^epoch' "$TMP/stderr"
expect_line "$TMP/stdout" "done:"
[ -s "$TMP/ck/bad/latest_net_G.safetensors" ] || fail "no generator after training"

check_reasons() {
    while IFS='|' read -r name reason; do
        expect_reason "$1" "$D/$name" "$reason"
    done <<CASES
$(bad_image_reasons)
tiny_1x1.png|odd width
CASES
    # Folders inside the split are not candidates.
    grep -F "folder.png" "$1" && fail "a folder was reported as a bad file"
    # Grayscale, RGBA, 16-bit and CMYK files are usable pairs.
    for name in gray.png rgba.png gray16.png cmyk.jpg good_rgb.png good_jpeg.jpg; do
        grep -F "$D/$name" "$1" && fail "$name was refused"
    done
}
check_reasons "$TMP/stderr"

"$BIN" dataset check --data "$TMP/data" --load-size 32 --crop-size 32 >"$TMP/stdout" \
    2>"$TMP/stderr"
expect_status 1 $? "dataset check of a dataset with bad files"
check_reasons "$TMP/stderr"
# 4 synthetic pairs and the 6 usable odd formats load; every bad file is counted once.
expect_line "$TMP/stdout" "check: 10 pairs loaded, 10 files skipped"
finish
