#!/bin/sh
# translate's results keep what came in: a grey input with a 1-channel model gives a 1-channel
# result; 16-bit PNG inputs give 16-bit results with --bit-depth 16 (by the resize and the
# full-resolution paths, within a level of the 8-bit results); alpha is carried over sample for
# sample; the EXIF orientation is applied; --recursive mirrors the input tree (and does not
# enter the output folder inside it, saying how many images it leaves there); --skip-existing
# leaves finished outputs alone and makes again those that are not complete images; outputs
# (images, ONNX, converted models) never replace a FIFO, a device or a folder, and are written
# through a symbolic link.
. "$(dirname "$0")/common.sh" "$@"
tiny_model rgb
tiny_model grey --input-nc 1 --output-nc 1
RGB=$TMP/ck/rgb/latest_net_G.safetensors
GREY=$TMP/ck/grey/latest_net_G.safetensors
C=$SRC/tests/fuzz/corpus_image
IN=$TMP/in
mkdir -p "$IN"
cp "$C/gray.png" "$C/gray16.png" "$C/rgba.png" "$C/gray_alpha.png" "$C/exif6.jpg" "$C/rgb.png" "$IN"

# info FILE: "WxH CHANNELS DEPTH ALPHA FINE" (robust_tool info)
field() {
    "$TOOL" info "$1" | cut -d' ' -f"$2"
}

# Channels: the model's (1: grey), plus the input's alpha.
"$BIN" translate --model "$GREY" --input "$IN" --output "$TMP/grey" --quiet >/dev/null 2>&1
expect_status 0 $? "translate with a 1-channel model"
"$BIN" translate --model "$RGB" --input "$IN" --output "$TMP/rgb" --quiet --full-res \
    >/dev/null 2>&1
expect_status 0 $? "translate with a 3-channel model"
# name | channels with the grey model | with the RGB model
while IFS='|' read -r name grey rgb; do
    out=${name%.*}.png
    got=$(field "$TMP/grey/$out" 2)
    [ "$got" = "$grey" ] || fail "$name, grey model: $got channels"
    got=$(field "$TMP/rgb/$out" 2)
    [ "$got" = "$rgb" ] || fail "$name, RGB model: $got channels"
    [ "$(field "$TMP/rgb/$out" 1)" = "$(field "$IN/$name" 1)" ] || fail "$name: size"
done <<'CASES'
gray.png|1|3
gray16.png|1|3
rgb.png|1|3
rgba.png|2|4
gray_alpha.png|2|4
exif6.jpg|1|3
CASES
# Alpha, sample for sample, both ways.
for name in rgba gray_alpha; do
    want=$(field "$IN/$name.png" 4)
    [ "$(field "$TMP/grey/$name.png" 4)" = "$want" ] || fail "$name: alpha changed (grey model)"
    [ "$(field "$TMP/rgb/$name.png" 4)" = "$want" ] || fail "$name: alpha changed (RGB model)"
done
# EXIF orientation 6 (rotate 90): the corpus file is stored 12x9, shown and translated 9x12.
[ "$(field "$TMP/rgb/exif6.png" 1)" = 9x12 ] || fail "exif6: result $(field "$TMP/rgb/exif6.png" 1)"

# 16 bits: finer samples than 8 bits give, the same picture within a level.
for mode in "" --full-res; do
    "$BIN" translate --model "$RGB" --input "$IN/gray16.png" --output "$TMP/d16$mode" \
        --bit-depth 16 $mode >/dev/null 2>&1
    expect_status 0 $? "translate --bit-depth 16 $mode"
    "$BIN" translate --model "$RGB" --input "$IN/gray16.png" --output "$TMP/d8$mode" \
        $mode >/dev/null 2>&1
    out16=$TMP/d16$mode/gray16.png
    [ "$(field "$out16" 3)" = 16 ] || fail "--bit-depth 16 $mode: $(field "$out16" 3)-bit result"
    [ "$(field "$out16" 5)" -gt 0 ] || fail "--bit-depth 16 $mode: only 8-bit values"
    [ "$(field "$TMP/d8$mode/gray16.png" 3)" = 8 ] || fail "the default depth is not 8"
    worst=$("$TOOL" diff "$out16" "$TMP/d8$mode/gray16.png" | cut -d' ' -f1)
    echo "gray16.png $mode: 16-bit result against the 8-bit one: at most $worst levels of 255"
    awk "BEGIN { exit !($worst <= 1.5) }" ||
        fail "16-bit $mode result $worst levels from the 8-bit one"
done
"$BIN" translate --model "$RGB" --input "$IN" --output "$TMP/x" --bit-depth 16 --format jpg \
    >/dev/null 2>"$TMP/stderr"
expect_status 2 $? "--bit-depth 16 --format jpg"
expect_line "$TMP/stderr" "--bit-depth 16 needs --format png"

# --recursive: the tree mirrored, the output folder inside the input not entered (and said so
# when it holds images).
T=$TMP/tree
mkdir -p "$T/a" "$T/b/c"
cp "$C/rgb.png" "$T/top.png"
cp "$C/rgb.jpg" "$T/a/x.jpg"
cp "$C/gray.png" "$T/b/c/y.png"
cp "$C/gray.png" "$T/b/x.png" # the stem of a/x.jpg, in another folder: no clash
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --quiet \
    >"$TMP/stdout" 2>&1
expect_status 0 $? "translate --recursive"
expect_line "$TMP/stdout" "translated 4 of 4 images"
grep -q "output folder" "$TMP/stdout" && fail "--recursive: a note on an empty output folder"
for f in top.png a/x.png b/c/y.png b/x.png; do
    [ -f "$T/out/$f" ] || fail "--recursive: no $f"
done
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --quiet \
    >"$TMP/stdout" 2>&1
expect_line "$TMP/stdout" "translated 4 of 4 images" \
    "(4 images in the output folder, inside --input, left out)"
[ -e "$T/out/out" ] && fail "--recursive entered its own output folder"
"$BIN" translate --model "$RGB" --input "$T" --output "$TMP/flat" --quiet >"$TMP/stdout" 2>&1
expect_line "$TMP/stdout" "translated 1 of 1 image"

# --skip-existing: complete outputs are left as they are, the missing ones made, and those
# that are not complete images (empty, truncated, foreign) made again; a folder in the way of
# an output fails that image.
rm "$T/out/a/x.png"
cp "$T/out/b/c/y.png" "$TMP/y_done.png"
touch -d 2001-01-01 "$T/out/b/c/y.png"
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --skip-existing \
    --quiet >"$TMP/stdout" 2>&1
expect_status 0 $? "translate --skip-existing"
expect_line "$TMP/stdout" "translated 1 of 1 image" "3 left out: their outputs exist"
[ "$(stat -c %Y "$T/out/b/c/y.png")" = "$(date -d 2001-01-01 +%s)" ] ||
    fail "--skip-existing rewrote a complete output"
[ -f "$T/out/a/x.png" ] || fail "--skip-existing did not make the missing output"
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --skip-existing \
    >"$TMP/stdout" 2>&1
expect_status 0 $? "translate --skip-existing with nothing left"
expect_line "$TMP/stdout" "nothing to translate" "all 4 images exist"
: >"$T/out/top.png"
head -c 100 "$TMP/y_done.png" >"$T/out/b/c/y.png"
printf 'kept' >"$T/out/b/x.png"
rm "$T/out/a/x.png"
mkdir "$T/out/a/x.png"
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --skip-existing \
    --quiet >"$TMP/stdout" 2>"$TMP/stderr"
expect_status 1 $? "translate --skip-existing over incomplete outputs and a folder"
expect_line "$TMP/stdout" "translated 3 of 4 images"
for f in top.png b/c/y.png b/x.png; do
    "$TOOL" decode "$T/out/$f" >/dev/null 2>&1 || fail "--skip-existing kept the incomplete $f"
    expect_line "$TMP/stderr" "$T/out/$f: not a complete image" "made again"
done
expect_reason "$TMP/stderr" "$T/out/a/x.png" "not a regular file (a folder); refusing to replace it"
[ -d "$T/out/a/x.png" ] || fail "--skip-existing replaced a folder"

# Outputs never replace a FIFO, a device or a folder: refused with the path and the reason,
# exit 1, the special file left; through a symbolic link the target is replaced, the link kept.
O=$TMP/special
mkdir -p "$O/img"
mkfifo "$O/fifo.onnx" "$O/fifo.safetensors" "$O/img/rgb.png"
"$BIN" export --model "$RGB" --onnx "$O/fifo.onnx" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "export --onnx onto a FIFO"
expect_line "$TMP/stderr" "$O/fifo.onnx: not a regular file (a FIFO); refusing to replace it"
"$BIN" convert "$RGB" "$O/fifo.safetensors" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "convert onto a FIFO"
expect_line "$TMP/stderr" "$O/fifo.safetensors: not a regular file (a FIFO)"
"$BIN" translate --model "$RGB" --input "$C/rgb.png" --output "$O/img" --quiet \
    >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate onto a FIFO"
expect_reason "$TMP/stderr" "$O/img/rgb.png" "not a regular file (a FIFO)"
for f in fifo.onnx fifo.safetensors img/rgb.png; do
    [ -p "$O/$f" ] || fail "$f: the FIFO was replaced"
done
# A device node of our own (null's numbers), as root only.
if mknod "$O/null.onnx" c 1 3 2>/dev/null; then
    "$BIN" export --model "$RGB" --onnx "$O/null.onnx" >/dev/null 2>"$TMP/stderr"
    expect_status 1 $? "export --onnx onto a device"
    expect_line "$TMP/stderr" "$O/null.onnx: not a regular file (a device)"
    [ -c "$O/null.onnx" ] || fail "export replaced a device node"
fi
mkdir "$O/folder.onnx"
"$BIN" export --model "$RGB" --onnx "$O/folder.onnx" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "export --onnx onto a folder"
expect_line "$TMP/stderr" "$O/folder.onnx: not a regular file (a folder)"
# Links: to a file (replaced), dangling (its target made), to a FIFO (refused).
echo old >"$O/target.onnx"
ln -s target.onnx "$O/link.onnx"
ln -s "$O/made.safetensors" "$O/dangling.safetensors"
ln -s fifo.onnx "$O/to_fifo.onnx"
"$BIN" export --model "$RGB" --onnx "$O/link.onnx" >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "export --onnx through a link"
[ -L "$O/link.onnx" ] || fail "export replaced a link"
[ "$(cat "$O/target.onnx")" != old ] || fail "export did not write through the link"
"$BIN" convert "$RGB" "$O/dangling.safetensors" >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "convert through a dangling link"
[ -L "$O/dangling.safetensors" ] && [ -f "$O/made.safetensors" ] ||
    fail "convert did not make the target of a dangling link"
"$BIN" export --model "$RGB" --onnx "$O/to_fifo.onnx" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "export --onnx through a link to a FIFO"
expect_line "$TMP/stderr" "$O/to_fifo.onnx" "not a regular file (a FIFO)"
[ -L "$O/to_fifo.onnx" ] && [ -p "$O/fifo.onnx" ] || fail "a link to a FIFO was replaced"
[ -z "$(find "$O" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$O" -name '*.tmp.*')"
finish
