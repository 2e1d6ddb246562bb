#!/bin/sh
# translate's results keep what came in: a grey input with a 1-channel model gives a 1-channel
# result; 16-bit PNG inputs give 16-bit results with --bit-depth 16 (by the resize and the
# full-resolution paths, within a level of the 8-bit results); alpha is carried over sample for
# sample; the EXIF orientation is applied; --recursive mirrors the input tree (and does not
# enter the output folder inside it); --skip-existing leaves finished outputs alone.
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

# --recursive: the tree mirrored, the output folder inside the input not entered.
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
for f in top.png a/x.png b/c/y.png b/x.png; do
    [ -f "$T/out/$f" ] || fail "--recursive: no $f"
done
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --quiet \
    >"$TMP/stdout" 2>&1
expect_line "$TMP/stdout" "translated 4 of 4 images"
[ -e "$T/out/out" ] && fail "--recursive entered its own output folder"
"$BIN" translate --model "$RGB" --input "$T" --output "$TMP/flat" --quiet >"$TMP/stdout" 2>&1
expect_line "$TMP/stdout" "translated 1 of 1 image"

# --skip-existing: outputs there are left as they are, the missing ones made.
rm "$T/out/a/x.png"
printf 'kept' >"$T/out/b/c/y.png"
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --skip-existing \
    --quiet >"$TMP/stdout" 2>&1
expect_status 0 $? "translate --skip-existing"
expect_line "$TMP/stdout" "translated 1 of 1 image" "3 left out: their outputs exist"
[ "$(cat "$T/out/b/c/y.png")" = kept ] || fail "--skip-existing rewrote an existing output"
[ -f "$T/out/a/x.png" ] || fail "--skip-existing did not make the missing output"
"$BIN" translate --model "$RGB" --input "$T" --output "$T/out" --recursive --skip-existing \
    >"$TMP/stdout" 2>&1
expect_status 0 $? "translate --skip-existing with nothing left"
expect_line "$TMP/stdout" "nothing to translate" "all 4 images exist"
finish
