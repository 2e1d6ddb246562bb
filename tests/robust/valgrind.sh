#!/bin/sh
# valgrind memcheck on a translate and a few training steps of a tiny model: no invalid access,
# no use of uninitialised values, no definite leak. Skipped (77) without valgrind and in
# sanitizer builds (which valgrind cannot run).
. "$(dirname "$0")/common.sh" "$@"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "skipped: valgrind is not installed"
    exit 77
fi
if [ "${4:-}" = "sanitize" ]; then
    echo "skipped: a sanitizer build (PIX2PIX_SANITIZE) does not run under valgrind"
    exit 77
fi
# valgrind does not emulate AVX-512: OpenBLAS is told to use its AVX2 kernels.
export OPENBLAS_CORETYPE=Haswell
VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet"
tiny_model v
"$TOOL" inputs "$TMP" "$SRC/tests/fuzz/corpus_image" >/dev/null 2>&1
$VG "$BIN" translate --model "$TMP/ck/v/latest_net_G.safetensors" --input "$TMP/good_rgb.png" \
    --output "$TMP/out" --threads 2 >/dev/null 2>"$TMP/vg_translate"
status=$?
cat "$TMP/vg_translate"
expect_status 0 $status "translate under valgrind"
$VG "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name v --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100 --epochs-decay 0 --threads 2 \
    --workers 2 --display-freq 2 --continue --max-steps 3 >/dev/null 2>"$TMP/vg_train"
status=$?
grep -v '^epoch\|^resuming' "$TMP/vg_train"
expect_status 0 $status "three training steps under valgrind (with --continue and samples)"
finish
