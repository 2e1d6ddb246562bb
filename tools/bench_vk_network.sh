#!/usr/bin/env bash
# Whole-network Vulkan rates, a past commit against this checkout, on one device in one run:
# `pix2pix bench` (unet_256 + basic D at 256x256, batch 1, fp32 unless told otherwise) on the
# past commit as it was, and on this checkout with the conv shapes of each tuning row forced
# (PIX2PIX_VK_ROW: the NVIDIA, AMD and Intel rows as well as the device's own, so that a gain
# is not one of the device's own row alone). No tuning file is read (a fresh cache folder).
# Prints a markdown table of inference and training-step GFLOP/s (useful FLOPs,
# engine/flops.c) with the ratios to the past commit.
#
# Usage: tools/bench_vk_network.sh --before COMMIT [--rounds N] [--rows "ROW ..."]
#                                  [-- bench options]
#   --before COMMIT  the past commit: built in a git worktree in $BENCH_WORK (default
#                    /tmp/pix2pix-bench)
#   --rounds N       runs every column in turn N times (default 2) and keeps each one's best:
#                    a load from other processes then biases no column
#   --rows "..."     the rows forced on this checkout (default "nvidia amd-wave64 intel
#                    default"; default: the device's own)
#   bench options    passed to both (default: --device vulkan --iters 1 --warmup 1)
# This checkout is built in $PIX2PIX_BUILD (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '/^# Usage:/,/^# This checkout/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

BEFORE="" ROUNDS=2 ROWS="nvidia amd-wave64 intel default"
while [ $# -gt 0 ]; do
    case $1 in
    --before) BEFORE=${2:?--before needs a commit}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --rows) ROWS=${2:?--rows needs a list}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
    esac
done
[ -n "$BEFORE" ] || usage
case $ROUNDS in '' | *[!0-9]* | 0) echo "bench_vk_network: --rounds needs a positive number" >&2; exit 2 ;; esac
OPTS=${*:-"--device vulkan --iters 1 --warmup 1"}
PIX2PIX_BUILD=${PIX2PIX_BUILD:-build-bench}
BENCH_WORK=${BENCH_WORK:-/tmp/pix2pix-bench}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

build() {
    local source=$1 build=$2
    cmake -S "$source" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1 &&
        nice -n 10 cmake --build "$build" -j2 --target pix2pix >"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/cmake.log" "$OUT/build.log"; return 1; }
}

before_dir=$BENCH_WORK/before-$BEFORE
if [ ! -d "$before_dir" ]; then
    mkdir -p "$BENCH_WORK"
    git worktree add --detach "$before_dir" "$BEFORE" >/dev/null ||
        { echo "bench_vk_network: --before $BEFORE: git worktree add $before_dir failed" >&2; exit 1; }
fi
echo "== building pix2pix at $BEFORE and at this checkout" >&2
build "$before_dir" "$before_dir/build-bench"
build . "$PIX2PIX_BUILD"

# One bench run of column COL into $OUT/COL.ROUND: the JSON line's inference and training times
# (ms; the rates are this checkout's GFLOP over them: the past commit's JSON may not have them).
run_column() {
    local col=$1 round=$2 bin row=
    bin=$PIX2PIX_BUILD/pix2pix
    case $col in
    before) bin=$before_dir/build-bench/pix2pix ;;
    default) ;;
    *) row=$col ;;
    esac
    # shellcheck disable=SC2086
    env XDG_CACHE_HOME="$OUT/cache-$col" ${row:+PIX2PIX_VK_ROW=$row} "$bin" bench $OPTS --json \
        >"$OUT/$col.log" 2>&1 || { echo "bench_vk_network: $col failed:" >&2; tail -n 5 "$OUT/$col.log" >&2; exit 1; }
    tail -n 1 "$OUT/$col.log" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["infer_ms"], r["train_step_ms"], r.get("gflop_infer", 0), r.get("gflop_train", 0))' \
        >"$OUT/$col.$round"
}

columns="before $ROWS"
for round in $(seq "$ROUNDS"); do
    for col in $columns; do
        echo "== round $round: $col" >&2
        run_column "$col" "$round"
    done
done

best() { # the column's least time (ms), field 1 (inference) or 2 (training)
    cat "$OUT/$1".[0-9]* | awk -v f="$2" 'm == "" || $f < m { m = $f } END { printf "%.1f", m }'
}
# This checkout's GFLOP of inference (field 3) or of a training step (4).
gflop=$(head -n 1 "$OUT/$(echo "$ROWS" | awk '{ print $1 }').1")
rate() { awk -v g="$(echo "$gflop" | awk -v f="$1" '{ print $f }')" -v ms="$2" \
    'BEGIN { printf "%.3f", g / ms * 1e3 }'; }
echo "pix2pix bench $OPTS; before: $(git rev-parse --short "$BEFORE"), after: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine shaders || echo ' + uncommitted changes'); best of $ROUNDS rounds"
echo
echo "| engine (conv shapes) | inference ms | GFLOP/s | x before | training step ms | GFLOP/s | x before |"
echo "|---|---|---|---|---|---|---|"
bi=$(best before 1) bt=$(best before 2)
echo "| before ($BEFORE, the device's tile) | $bi | $(rate 3 "$bi") | 1.00 | $bt | $(rate 4 "$bt") | 1.00 |"
for col in $ROWS; do
    i=$(best "$col" 1) t=$(best "$col" 2)
    name="after, $col row"
    [ "$col" = default ] && name="after, the device's own row"
    echo "| $name | $i | $(rate 3 "$i") | $(awk -v a="$i" -v b="$bi" 'BEGIN { printf "%.2f", b / a }') |" \
        "$t | $(rate 4 "$t") | $(awk -v a="$t" -v b="$bt" 'BEGIN { printf "%.2f", b / a }') |"
done
