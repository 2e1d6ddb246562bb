#!/bin/sh
# translate on a folder of good and bad images: each bad one gets one line naming it and the
# reason, every good one (also 1x1, gray, RGBA, 16-bit, CMYK) is translated to a decodable
# image of its size, and the exit status is 1 (some image failed). Odd names (a newline, a
# tab, bytes that are not UTF-8) are printed escaped.
. "$(dirname "$0")/common.sh" "$@"
tiny_model m
MODEL=$TMP/ck/m/latest_net_G.safetensors
IN=$TMP/in
mkdir -p "$IN"
"$TOOL" inputs "$IN" "$SRC/tests/fuzz/corpus_image" || fail "writing the inputs"
# A FIFO must not block the batch (nothing ever writes to it).
mkfifo "$IN/fifo.png" || fail "mkfifo"
# An unreadable file: root reads it anyway, so the case only exists for other users.
printf 'x' >"$IN/unreadable.png"
chmod 000 "$IN/unreadable.png"
UNREADABLE=1
if cat "$IN/unreadable.png" >/dev/null 2>&1; then
    echo "skipped: unreadable file (running as root, chmod 000 does not stop reading)"
    rm -f "$IN/unreadable.png"
    UNREADABLE=0
fi

"$BIN" translate --model "$MODEL" --input "$IN" --output "$TMP/out" --threads 1 \
    >"$TMP/stdout" 2>"$TMP/stderr"
expect_status 1 $? "translate of a folder with bad images"
echo "--- messages:"
cat "$TMP/stderr" "$TMP/stdout"

# name | words the reason must contain
while IFS='|' read -r name reason; do
    expect_reason "$TMP/stderr" "$IN/$name" "$reason"
    [ -e "$TMP/out/${name%.*}.png" ] && fail "$name: an output was written for a bad input"
done <<CASES
$(bad_image_reasons)
folder.png|not a regular file
CASES
if [ "$UNREADABLE" = 1 ]; then
    expect_reason "$TMP/stderr" "$IN/unreadable.png" "Permission denied"
fi

# One line per bad file, nothing else on stderr but the progress lines.
lines=$(grep -cv '^translate [0-9]*/[0-9]* ' "$TMP/stderr")
expect_status $((10 + UNREADABLE)) "$lines" "lines on stderr"
good="good_rgb.png good_jpeg.jpg tiny_1x1.png gray.png rgba.png gray16.png cmyk.jpg"
expect_line "$TMP/stdout" "translated 7 of $((17 + UNREADABLE)) images"
for name in $good; do
    out="$TMP/out/${name%.*}.png"
    in_size=$("$TOOL" decode "$IN/$name" | sed 's/.* //')
    out_size=$("$TOOL" decode "$out" | sed 's/.* //')
    [ -n "$out_size" ] && [ "$in_size" = "$out_size" ] ||
        fail "$name: output '$out_size' for input '$in_size'"
done

# A single bad file: the same line, exit 1, no output; a missing input; bad options: 2.
"$BIN" translate --model "$MODEL" --input "$IN/bad_crc.png" --output "$TMP/one" \
    >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate of one bad file"
expect_reason "$TMP/stderr" "$IN/bad_crc.png" "CRC"
"$BIN" translate --model "$MODEL" --input "$TMP/nothing.png" --output "$TMP/one" \
    >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate of a missing file"
expect_line "$TMP/stderr" "$TMP/nothing.png" "no such file"
"$BIN" translate --model "$MODEL" --input "$IN" --output "$TMP/one" --quality 0 \
    >/dev/null 2>"$TMP/stderr"
expect_status 2 $? "translate with --quality 0"
"$BIN" translate --model "$MODEL" --input "$IN/tiny_1x1.png" --output "$TMP/full" --full-res \
    >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate --full-res of a 1x1 image"
# --max-pixels moves the limit on declared image sizes: below a good image's pixel count it is
# refused with the sizes in the reason; 0 is an invalid option.
good_pixels=$("$TOOL" decode "$IN/good_rgb.png" | sed 's/.* //' | awk -Fx '{print $1 * $2}')
"$BIN" translate --model "$MODEL" --input "$IN/good_rgb.png" --output "$TMP/limit" \
    --max-pixels $((good_pixels - 1)) >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate of an image above --max-pixels"
expect_reason "$TMP/stderr" "$IN/good_rgb.png" "above the limit of $((good_pixels - 1))"
"$BIN" translate --model "$MODEL" --input "$IN/good_rgb.png" --output "$TMP/limit" \
    --max-pixels "$good_pixels" >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate of an image at --max-pixels"
"$BIN" translate --model "$MODEL" --input "$IN/good_rgb.png" --output "$TMP/limit" \
    --max-pixels 0 >/dev/null 2>"$TMP/stderr"
expect_status 2 $? "translate with --max-pixels 0"
# Two inputs with the same base name would write the same output: refused before any work,
# both named, nothing written.
mkdir -p "$TMP/same"
cp "$IN/good_jpeg.jpg" "$TMP/same/x.jpg"
cp "$IN/tiny_1x1.png" "$TMP/same/x.png"
cp "$IN/good_rgb.png" "$TMP/same/y.png"
"$BIN" translate --model "$MODEL" --input "$TMP/same" --output "$TMP/same_out" --quiet \
    >"$TMP/stdout" 2>"$TMP/stderr"
expect_status 1 $? "translate of two files with the same base name"
expect_line "$TMP/stderr" "$TMP/same/x.jpg and $TMP/same/x.png would both be written to" \
    "$TMP/same_out/x.png"
[ -z "$(ls "$TMP/same_out")" ] || fail "outputs were written although two inputs clash"
# The smallest sizes: a ResNet with instance norm (whose 1/4 map must keep 2x2) translates a
# 1x1 image at full resolution (it once aborted in instance_norm2d), and training refuses
# sizes a network cannot take with exit 2 (they once aborted in batch_norm2d).
tiny_model r --netG resnet_1blocks --norm instance --netD pixel --load-size 8 --crop-size 8
"$BIN" translate --model "$TMP/ck/r/latest_net_G.safetensors" --input "$IN/tiny_1x1.png" \
    --output "$TMP/full_r" --full-res >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "translate --full-res of a 1x1 image with a ResNet"
[ "$("$TOOL" decode "$TMP/full_r/tiny_1x1.png" | sed 's/.* //')" = 1x1 ] ||
    fail "no 1x1 result from the ResNet"
for size in 4 16; do
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name small --netG \
        resnet_1blocks --ngf 4 --ndf 4 --load-size $size --crop-size $size --epochs 1 \
        --epochs-decay 0 --threads 1 --display-freq 0 >/dev/null 2>"$TMP/stderr"
    expect_status 2 $? "train at ${size}x$size with resnet + basic"
    expect_line "$TMP/stderr" "training images are ${size}x$size" "at least 24"
done
# Names from outside are printed escaped (\n, \t, \xNN for control bytes and bytes that are
# not UTF-8, \\ for a backslash), valid UTF-8 as it is: a newline in a name forges no line.
N=$TMP/names
mkdir -p "$N/A" "$N/B"
nl='
'
for name in "evil.png${nl}fake.png" "tab	here.png" "$(printf 'bad\377').png" "façade.png" \
    'back\slash.png'; do
    : >"$N/A/$name"
done
"$BIN" translate --model "$MODEL" --input "$N/A" --output "$TMP/names_out" >/dev/null \
    2>"$TMP/stderr"
expect_status 1 $? "translate of files with odd names"
for shown in 'evil.png\nfake.png' 'tab\there.png' 'bad\xff.png' 'façade.png' \
    'back\\slash.png'; do
    expect_reason "$TMP/stderr" "$N/A/$shown" "empty file"
done
grep -q '^fake.png' "$TMP/stderr" && fail "a newline in a name began a line of its own"
lines=$(grep -cv '^translate [0-9]*/[0-9]* ' "$TMP/stderr")
expect_status 5 "$lines" "lines on stderr for 5 odd names"
"$BIN" dataset combine --a "$N/A" --b "$N/B" --out "$TMP/names_combined" >/dev/null \
    2>"$TMP/stderr"
expect_line "$TMP/stderr" "$N/A/evil.png\\nfake.png has no partner in $N/B"
grep -q '^fake.png' "$TMP/stderr" && fail "combine: a newline in a name began a line"
mkdir -p "$N/ds/A/train" "$N/ds/B/train"
cp "$N/A/evil.png${nl}fake.png" "$N/ds/A/train"
"$BIN" dataset check --data "$N/ds" >/dev/null 2>"$TMP/stderr"
expect_line "$TMP/stderr" "$N/ds/A/train/evil.png\\nfake.png: no file of that name"
grep -q '^fake.png' "$TMP/stderr" && fail "dataset check: a newline in a name began a line"
# The exit statuses asserted here and in the other scripts are documented in --help.
for cmd in translate train test inspect; do
    "$BIN" $cmd --help | grep -q "^Exit status: 0 " || fail "$cmd --help: no exit statuses"
done
finish
