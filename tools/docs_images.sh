#!/bin/sh
# Remakes the pictures of docs/ from a real run: the dataset layout (a synthetic pair written
# by pix2pix, labelled), and screenshots of the training report and the test results page of
# `pix2pix demo`, taken with headless Chromium.
# Usage: tools/docs_images.sh [BUILD_DIR [WORK_DIR]]   (defaults: build, /tmp/pix2pix-docs)
# The demo runs in WORK_DIR as a user would run it (./pix2pix-demo, about two minutes); a
# WORK_DIR/pix2pix-demo with results is reused.
set -eu
cd "$(dirname "$0")/.."
P2P=$(realpath "${1:-build}/pix2pix")
WORK=${2:-/tmp/pix2pix-docs}
DEMO="$WORK/pix2pix-demo"
OUT=docs/images
mkdir -p "$OUT" "$WORK"
[ -f "$DEMO/results/index.html" ] || (cd "$WORK" && "$P2P" demo)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
shot() { # shot PAGE PNG WIDTH HEIGHT
    mkdir -p "$TMP/profile"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$TMP/profile" \
        --window-size="$3,$4" --screenshot="$2" "file://$(realpath "$1")" 2>/dev/null
    rm -rf "$TMP/profile"
}

# One synthetic pair of 128x128 halves, exactly as `pix2pix dataset synth` writes it.
"$P2P" dataset synth --out "$TMP/data" --count 1 --size 128 --seed 7 --val-fraction 0 \
    --test-fraction 0 --quiet > /dev/null
cp "$TMP/data/train/1.png" "$TMP/pair.png"
cat > "$TMP/pair.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:8px;font:14px sans-serif;background:#fff">
<div style="display:flex;width:256px;justify-content:space-around"><b>A (input)</b><b>B (target)</b></div>
<div style="position:relative;width:256px;height:128px"><img src="pair.png" style="display:block">
<div style="position:absolute;left:127px;top:0;height:128px;border-left:2px dashed #fff"></div></div>
<div style="width:256px;text-align:center;color:#555;font-size:12px">DATA/train/1.png: 256x128</div>
</body></html>
HTML
shot "$TMP/pair.html" "$OUT/dataset-pair.png" 272 176
shot "$DEMO/checkpoints/demo/web/index.html" "$OUT/training-report.png" 1180 1560
shot "$DEMO/results/index.html" "$OUT/test-results.png" 1000 820
ls -l "$OUT"
