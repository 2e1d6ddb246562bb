#!/usr/bin/env bash
# Same-device anchor for the Vulkan convolutions: unet_256's 16 convolution layers (256x256,
# batch 1, fp32, forward) timed by ggml's Vulkan backend (test-backend-ops perf) and by this
# checkout's bench_conv_layers (and, with --before, a past commit's) on one Vulkan device, in
# one run; prints a markdown table per layer and each family's totals.
#
# GGML_DIR is a copy of ggml's source (github.com/ggml-org/ggml) outside this repository: the
# script adds the pix2pix layers to its tests/test-backend-ops.cpp (the original is kept as
# test-backend-ops.cpp.orig and the copy remade from it on every run), gives CONV_TRANSPOSE_2D
# the useful FLOP count of engine/flops.c (2*Co*Ci*K*K*Hin*Win), and lowers the work of one
# timed graph from 100 to $GGML_TARGET_GFLOP GFLOP (default 2: a software device runs a few
# GFLOP/s). It builds test-backend-ops with -DGGML_VULKAN=ON in $GGML_BUILD (default
# GGML_DIR/build-pix2pix; needs g++, glslc and SPIRV-Headers: about 20 minutes on 2 cores the
# first time). ggml counts padding 0 in its transposed convolution (output 2*H+2, not 2*H): the
# same products, two more rows and columns of output. Its commit is printed: git's, or for a
# copy without .git the one GGML_DIR/.ggml-commit names. ggml needs newer Vulkan headers than
# Debian 12's (1.3.239: vk::LayerSettingEXT is missing): there, point it at Debian 13's (the
# root of tools/check_debian13.sh has them), e.g.
# GGML_CMAKE_ARGS="-DCMAKE_CXX_FLAGS=-I$HOME/vulkan-headers/include" with a copy of that root's
# /usr/include/vulkan and /usr/include/vk_video in $HOME/vulkan-headers/include.
#
# Usage: tools/bench_ggml.sh [--before COMMIT] [--vk-device N] [--rounds N] [--iters N]
#                            [--warmup N] GGML_DIR
#   --before COMMIT  also time COMMIT's engine: a git worktree in $BENCH_WORK (default
#                    /tmp/pix2pix-bench) with this checkout's tools/bench_conv_layers.c
#   --vk-device N    Vulkan device N (pix2pix devices' numbering; default 0); ggml is given the
#                    same device through GGML_VK_VISIBLE_DEVICES, which also admits CPU devices
#                    such as lavapipe
#   --rounds N       runs ggml and each bench_conv_layers in turn N times (default 3) and keeps
#                    each layer's fastest time: a load from other processes then biases no column
#   --iters/--warmup bench_conv_layers' timed and untimed runs per layer (default 5 and 2)
# This checkout's bench_conv_layers is built in $PIX2PIX_BUILD (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '/^# Usage:/,/^# This checkout/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

BEFORE="" VK_DEVICE=0 ROUNDS=3 ITERS=5 WARMUP=2 GGML_DIR=""
while [ $# -gt 0 ]; do
    case $1 in
    --before) BEFORE=${2:?--before needs a commit}; shift 2 ;;
    --vk-device) VK_DEVICE=${2:?--vk-device needs a number}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --iters) ITERS=${2:?--iters needs a number}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a number}; shift 2 ;;
    -*) usage ;;
    *) [ -z "$GGML_DIR" ] || usage; GGML_DIR=$1; shift ;;
    esac
done
[ -n "$GGML_DIR" ] || usage
GGML_DIR=$(cd "$GGML_DIR" && pwd)
TBO=$GGML_DIR/tests/test-backend-ops.cpp
[ -f "$TBO" ] || { echo "bench_ggml: $TBO not found: GGML_DIR is not ggml's source" >&2; exit 1; }
GGML_BUILD=${GGML_BUILD:-$GGML_DIR/build-pix2pix}
PIX2PIX_BUILD=${PIX2PIX_BUILD:-build-bench}
BENCH_WORK=${BENCH_WORK:-/tmp/pix2pix-bench}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# unet_256's layers as "transposed cin cout in_size" (tools/bench_conv_layers.c has the same).
LAYERS="0 3 64 256
0 64 128 128
0 128 256 64
0 256 512 32
0 512 512 16
0 512 512 8
0 512 512 4
0 512 512 2
1 512 512 1
1 1024 512 2
1 1024 512 4
1 1024 512 8
1 1024 256 16
1 512 128 32
1 256 64 64
1 128 3 128"

# The C++ lines adding the layers to make_test_cases_perf (ggml's shapes are [W, H, C, N];
# a transposed convolution's kernel is [K, K, Co, Ci]).
ggml_cases() {
    local t ci co s
    while read -r t ci co s; do
        if [ "$t" = 0 ]; then
            echo "    test_cases.emplace_back(new test_conv_2d({$s, $s, $ci, 1}, {4, 4, $ci, $co}," \
                "GGML_TYPE_F32, 2, 2, 1, 1, 1, 1, false)); // pix2pix"
        else
            echo "    test_cases.emplace_back(new test_conv_transpose_2d({$s, $s, $ci, 1}," \
                "{4, 4, $co, $ci}, 2, GGML_TYPE_F32)); // pix2pix"
        fi
    done <<<"$LAYERS"
}

# Remakes test-backend-ops.cpp from the original with the changes described at the top; each
# change must apply once, else ggml's source has moved and the script says which one failed.
patch_ggml() {
    [ -f "$TBO.orig" ] || cp "$TBO" "$TBO.orig"
    ggml_cases >"$OUT/cases.inc"
    awk -v cases="$OUT/cases.inc" -v target="${GGML_TARGET_GFLOP:-2}" '
        /^static std::vector<std::unique_ptr<test_case>> make_test_cases_perf\(\) \{/ { perf = 1 }
        { print }
        perf && /std::vector<std::unique_ptr<test_case>> test_cases;/ {
            while ((getline line < cases) > 0) print line
            perf = 0; n_cases++
        }
        /^struct test_conv_transpose_2d : public test_case \{/ {
            print "    uint64_t op_flops(ggml_tensor * t) override { // pix2pix: 2*Co*Ci*K*K*Hin*Win"
            print "        GGML_UNUSED(t);"
            print "        return 2 * ne_kernel[0] * ne_kernel[1] * ne_kernel[2] * ne_kernel[3] *"
            print "               ne_input[0] * ne_input[1] * ne_input[3];"
            print "    }"
            n_flops++
        }
        END { if (n_cases != 1 || n_flops != 1) exit 1 }' "$TBO.orig" |
        sed "s/target_flops_gpu = 100ULL \* GFLOP/target_flops_gpu = ${GGML_TARGET_GFLOP:-2}ULL * GFLOP/" \
            >"$OUT/tbo.cpp" ||
        { echo "bench_ggml: cannot add the layers to $TBO.orig (make_test_cases_perf or" \
            "test_conv_transpose_2d not found)" >&2; return 1; }
    grep -q "target_flops_gpu = ${GGML_TARGET_GFLOP:-2}ULL" "$OUT/tbo.cpp" ||
        { echo "bench_ggml: target_flops_gpu not found in $TBO.orig" >&2; return 1; }
    cmp -s "$OUT/tbo.cpp" "$TBO" || cp "$OUT/tbo.cpp" "$TBO"
}

build_ggml() {
    # shellcheck disable=SC2086 # GGML_CMAKE_ARGS: several words
    cmake -S "$GGML_DIR" -B "$GGML_BUILD" -DCMAKE_BUILD_TYPE=Release -DGGML_VULKAN=ON \
        -DGGML_BUILD_TESTS=ON -DGGML_BUILD_EXAMPLES=OFF ${GGML_CMAKE_ARGS:-} \
        >"$OUT/ggml_cmake.log" 2>&1 ||
        { tail -n 30 "$OUT/ggml_cmake.log"; return 1; }
    nice -n 10 cmake --build "$GGML_BUILD" -j2 --target test-backend-ops >"$OUT/ggml_build.log" 2>&1 ||
        { tail -n 30 "$OUT/ggml_build.log"; return 1; }
}

# Builds bench_conv_layers in SOURCE's BUILD folder; a past checkout gets this checkout's
# tools/ files and the add_subdirectory that registers them.
build_bench() {
    local source=$1 build=$2
    if [ "$source" != . ]; then
        cp tools/bench_conv_layers.c tools/CMakeLists.txt "$source/tools/"
        grep -q '^add_subdirectory(tools)' "$source/CMakeLists.txt" ||
            echo 'add_subdirectory(tools)' >>"$source/CMakeLists.txt"
    fi
    local flags=""
    grep -q 'eng_backend_open(const char \*spec, int threads, char \*err' \
        "$source/engine/include/engine/device.h" && flags=-DBENCH_OPEN_TAKES_ERR
    cmake -S "$source" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$flags" \
        >"$OUT/cmake.log" 2>&1 &&
        nice -n 10 cmake --build "$build" -j2 --target bench_conv_layers >"$OUT/build.log" 2>&1 ||
        { tail -n 30 "$OUT/cmake.log" "$OUT/build.log"; return 1; }
}

before_worktree() {
    local dir=$BENCH_WORK/before-$BEFORE
    if [ ! -d "$dir" ]; then
        mkdir -p "$BENCH_WORK"
        git worktree add --detach "$dir" "$BEFORE" >/dev/null ||
            { echo "bench_ggml: --before $BEFORE: git worktree add $dir failed" >&2; return 1; }
    fi
    echo "$dir"
}

# "op cin->cout in->out ms" for each pix2pix layer in test-backend-ops' perf output.
ggml_rows() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^ *CONV_(2D|TRANSPOSE_2D)\(/ && /us\/run/ {
            match($0, /ne_input=\[[0-9,]+\]/); split(substr($0, RSTART + 10, RLENGTH - 11), in_, ",")
            match($0, /ne_kernel=\[[0-9,]+\]/); split(substr($0, RSTART + 11, RLENGTH - 12), k, ",")
            match($0, /[0-9.]+ us\/run/); us = substr($0, RSTART, RLENGTH - 7)
            if ($0 ~ /CONV_2D\(/)
                printf "conv2d %d->%d %d->%d %.4f\n", k[3], k[4], in_[1], in_[1] / 2, us / 1e3
            else
                printf "conv_transpose2d %d->%d %d->%d %.4f\n", k[4], k[3], in_[1], in_[1] * 2, us / 1e3
        }'
}

# Appends the layers' times to $1.
run_ggml() {
    local filter
    for op in CONV_2D CONV_TRANSPOSE_2D; do
        case $op in
        CONV_2D) filter='ne_kernel=\[4,4,[0-9]+,[0-9]+\],type_kernel=f32,stride0=2,stride1=2,padding0=1,padding1=1' ;;
        *) filter='kernel_type=f32,ne_input=\[[0-9,]+\],ne_kernel=\[4,4,[0-9]+,[0-9]+\],stride=2' ;;
        esac
        GGML_VK_VISIBLE_DEVICES=$VK_DEVICE "$GGML_BUILD/bin/test-backend-ops" perf -o "$op" \
            -b Vulkan0 -p "$filter" 2>&1
    done >"$OUT/ggml.txt" || { tail -n 30 "$OUT/ggml.txt"; return 1; }
    grep -m1 -E '^ggml_vulkan: 0 =' "$OUT/ggml.txt" || true
    ggml_rows "$OUT/ggml.txt" >"$OUT/ggml.rows"
    [ "$(wc -l <"$OUT/ggml.rows")" -ge 16 ] ||
        { cat "$OUT/ggml.txt"; echo "bench_ggml: test-backend-ops did not time the 16 layers" >&2; return 1; }
    cat "$OUT/ggml.rows" >>"$1"
}

# Runs bench_conv_layers $1, shows its totals and appends the layers' times to $2 (GFLOP to
# gflop.rows).
run_bench() {
    "$1" --device "vulkan:$VK_DEVICE" --iters "$ITERS" --warmup "$WARMUP" >"$OUT/bench.txt" ||
        { cat "$OUT/bench.txt"; return 1; }
    grep -E '^(bench_conv_layers:|total)' "$OUT/bench.txt"
    awk '$1 ~ /^conv/ && NF == 6 { print $1, $2, $3, $5 }' "$OUT/bench.txt" >>"$2"
    awk '$1 ~ /^conv/ && NF == 6 { print $1, $2, $3, $4 }' "$OUT/bench.txt" >"$OUT/gflop.rows"
}

# Each layer's fastest time of the rounds in $1, in the order of its first round.
fastest() {
    awk '{ key = $1 " " $2 " " $3 }
        !(key in ms) { order[++n] = key; ms[key] = $4 }
        $4 < ms[key] { ms[key] = $4 }
        END { for (i = 1; i <= n; i++) print order[i], ms[order[i]] }' "$1"
}

# The table of the columns named $2...: one row per layer in ggml's order, then the families'
# totals; $1 lists the columns' files of "op cin->cout in->out ms" rows.
print_table() {
    local names=("${@:2:$#}") name
    printf '| layer | GFLOP |'
    for name in "${names[@]}"; do printf ' %s ms | %s GFLOP/s |' "$name" "$name"; done
    printf '\n|---|---|'
    for name in "${names[@]}"; do printf -- '---|---|'; done
    printf '\n'
    awk -v files="$1" '
        BEGIN {
            nf = split(files, f, " ")
            for (i = 1; i <= nf; i++)
                while ((getline line < f[i]) > 0) {
                    split(line, a, " "); key = a[1] " " a[2] " " a[3]; ms[i, key] = a[4]
                    if (i == 1) order[++n] = key
                }
        }
        { gflop[$1 " " $2 " " $3] = $4 }
        END {
            for (r = 1; r <= n; r++) {
                key = order[r]; split(key, a, " "); fam = a[1]
                printf "| %s | %.4f |", key, gflop[key]
                for (i = 1; i <= nf; i++) {
                    printf " %.2f | %.3f |", ms[i, key], gflop[key] / ms[i, key] * 1e3
                    tot_ms[fam, i] += ms[i, key]
                }
                tot_gflop[fam] += gflop[key]; printf "\n"
            }
            split("conv2d conv_transpose2d", fams, " ")
            for (j = 1; j <= 2; j++) {
                printf "| **%s family** | %.3f |", fams[j], tot_gflop[fams[j]]
                for (i = 1; i <= nf; i++)
                    printf " %.1f | %.3f |", tot_ms[fams[j], i], tot_gflop[fams[j]] / tot_ms[fams[j], i] * 1e3
                printf "\n"
            }
        }' "$OUT/gflop.rows"
}

ggml_commit=$(git -C "$GGML_DIR" rev-parse HEAD 2>/dev/null || cat "$GGML_DIR/.ggml-commit" 2>/dev/null ||
    echo "(commit unknown)")
echo "bench_ggml: ggml $ggml_commit in $GGML_DIR"
patch_ggml
echo "== building ggml's test-backend-ops (Vulkan) in $GGML_BUILD"
build_ggml
columns=("ggml-vulkan") files=("")
if [ -n "$BEFORE" ]; then
    dir=$(before_worktree) || exit 1
    echo "== building bench_conv_layers at $BEFORE in $dir"
    build_bench "$dir" "$dir/build-bench"
    columns+=("before ($(git rev-parse --short "$BEFORE"))")
    files+=("$dir/build-bench/bench_conv_layers")
fi
echo "== building bench_conv_layers at HEAD in $PIX2PIX_BUILD"
build_bench . "$PIX2PIX_BUILD"
columns+=("HEAD ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine shaders || echo '+changes'))")
files+=("$PIX2PIX_BUILD/bench_conv_layers")

for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${!columns[@]}"; do
        echo "== round $round/$ROUNDS, ${columns[i]} on Vulkan device $VK_DEVICE"
        if [ "$i" -eq 0 ]; then run_ggml "$OUT/col$i.rows"; else run_bench "${files[i]}" "$OUT/col$i.rows"; fi
    done
done
best=""
for i in "${!columns[@]}"; do
    fastest "$OUT/col$i.rows" >"$OUT/col$i.best"
    best+="$OUT/col$i.best "
done
echo
echo "unet_256 convolutions, 256x256, batch 1, fp32, forward; ms per layer, the fastest of $ROUNDS" \
    "rounds (ggml: us/run of test-backend-ops perf; pix2pix: median of $ITERS runs); GFLOP as" \
    "engine/flops.c counts them"
print_table "$best" "${columns[@]}"
