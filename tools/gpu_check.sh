#!/usr/bin/env bash
# One prepared GPU check: build, run the Vulkan tests on the device, then print one table of
# pix2pix bench (unet_256 + basic D at 256x256, batch 1 and 8, fp32 and fp16, inference and a
# training step), untuned and then tuned on the device (pix2pix tune), and a full-resolution
# 1024x1024 translate, each with its achieved GFLOP/s and the fraction of the device's peak FMA
# rate (measured by `pix2pix devices --peak`), the memory its plan holds, and a training step's
# dispatches, barriers and submissions; then the tuner's table. Meant to finish well within 8
# minutes on a GPU.
#
# usage: tools/gpu_check.sh [--smoke] [--device vulkan:N] [--build-dir DIR] [--no-build]
#   --smoke       the same steps at small sizes (unet_128, 128x128, ngf 4, batch 1 and 2), in
#                 seconds on lavapipe; CI runs it (ctest: tools_gpu_check_smoke)
#   --device      the Vulkan device (default: vulkan, the best one; see pix2pix devices)
#   --build-dir   where to build (default: build-gpu)
#   --no-build    use the build folder as it is
# Needs python3 (standard library only) for the 1024x1024 test picture; without it that row
# says so. Exit status: 0 everything ran; 1 a step failed (the table says which).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
smoke=0 device=vulkan build=build-gpu do_build=1
while [ $# -gt 0 ]; do
    case $1 in
    --smoke) smoke=1 ;;
    --device) device=$2; shift ;;
    --build-dir) build=$2; shift ;;
    --no-build) do_build=0 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ $smoke = 1 ]; then
    net="--netG unet_128 --ngf 4 --ndf 4" size=128 batches="1 2" iters="--iters 1 --warmup 1"
    peak_seconds=0.05 full=256 tests='^vulkan_vk_device$' tune_seconds=5
else
    net="--netG unet_256" size=256 batches="1 8" iters="--iters 5 --warmup 2"
    peak_seconds=0.5 full=1024 tests='^vulkan_' tune_seconds=90
fi
work=$(mktemp -d /tmp/gpu_check.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
step() { echo "== $*" >&2; }

if [ $do_build = 1 ]; then
    step "build ($build)"
    if ! cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
        ! cmake --build "$build" -j"$(nproc)" >>"$work/cmake.log" 2>&1; then
        tail -n 40 "$work/cmake.log"
        echo "gpu_check: the build failed" >&2
        exit 1
    fi
fi
p2p="$build/pix2pix"
[ -x "$p2p" ] || { echo "gpu_check: no $p2p (build first, or drop --no-build)" >&2; exit 1; }

step "Vulkan tests ($tests)"
ctest --test-dir "$build" -R "$tests" --output-on-failure >"$work/ctest.log" 2>&1 || failed=1
tests_line=$(grep -E 'tests passed|tests failed' "$work/ctest.log" | tail -1)

step "device and peak rates ($device)"
index=${device#vulkan:}
[ "$index" = "$device" ] && index=""
"$p2p" devices --peak --peak-seconds "$peak_seconds" >"$work/devices.txt" 2>&1 || failed=1
# The block of the device asked for (the first one for plain "vulkan").
awk -v want="${index:-first}" '
    /^vulkan:[0-9]+/ { split($1, a, ":"); on = (want == "first" ? !seen++ : a[2] == want) }
    on' "$work/devices.txt" >"$work/device.txt"
peak() { sed -n "s/.*peak $1 FMA *\([0-9.]*\) TFLOP\/s.*/\1/p" "$work/device.txt"; }
peak32=$(peak fp32) peak16=$(peak fp16)
# bench --json fields: "key": value
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2"; }
has_precision=0
"$p2p" bench --help 2>&1 | grep -q -- '--precision' && has_precision=1

rows=()
# columns: run, precision, batch, ms, GFLOP/s, of peak, plan MiB, dispatches/barriers/submits
# of a training step (eng_plan_counters), note
row() { rows+=("$(printf '| %-28s | %-5s | %5s | %10s | %8s | %9s | %9s | %14s | %s' "$@")"); }
ratio() { # GFLOP/s and % of peak from GFLOP/s and the peak in TFLOP/s
    awk -v g="${1:-0}" -v p="$2" 'BEGIN { printf "%.1f %s", g, (p > 0 ? sprintf("%.1f%%", g / p / 10) : "n/a") }'
}
# The bench rows of every batch and precision; $1 labels the tuning they ran with.
bench_rows() {
    local tuning=$1
    for batch in $batches; do
        for precision in fp32 fp16; do
            # --precision fp16 stores fp16 but computes in fp32: its rate is a share of the fp32 peak
            peak_now=$peak32
            if [ $precision = fp16 ] && [ $has_precision = 0 ]; then
                row "inference, training step" fp16 "$batch" "-" "-" "-" "-" "-" "not in this build |"
                continue
            fi
            extra=""
            [ $has_precision = 1 ] && extra="--precision $precision"
            step "bench batch $batch $precision, $tuning"
            out="$work/bench_${batch}_${precision}_$tuning.txt"
            # shellcheck disable=SC2086
            if ! "$p2p" bench --device "$device" $net --size $size --batch-size "$batch" $iters \
                $extra --json >"$out" 2>&1; then
                row "inference, training step ($tuning)" $precision "$batch" "failed" "-" "-" "-" "-" "|"
                tail -n 5 "$out" >&2
                failed=1
                continue
            fi
            # Inference with batch statistics (the reference's test protocol), the run that
            # bench's gflops_infer and infer_* counters describe, and a training step.
            for kind in infer train; do
                case $kind in
                infer) label="inference" ms=$(field infer_ms "$out") c=infer_ ;;
                train) label="training step" ms=$(field train_step_ms "$out") c="" ;;
                esac
                read -r rate frac <<<"$(ratio "$(field "gflops_$kind" "$out")" "${peak_now:-0}")"
                counts="$(field "${c}dispatches" "$out")/$(field "${c}barriers" "$out")/$(field "${c}submits" "$out")"
                row "$label ($tuning)" $precision "$batch" "${ms:-?}" "$rate" "$frac" \
                    "$(field "plan_mib_$kind" "$out")" "$counts" "|"
            done
        done
    done
}

# Untuned (each row's estimate), then tuned on this device (pix2pix tune: every conv GEMM of
# a training step and of inference, within $tune_seconds s each); the tuning file lives in
# this run's scratch cache, so neither run reads an earlier one.
export XDG_CACHE_HOME="$work/cache"
PIX2PIX_VK_TUNING=0 bench_rows untuned
step "tune ($tune_seconds s, training step and inference)"
tune_line="tuning: not run"
if "$p2p" tune --device "$device" $net --size $size --seconds "$tune_seconds" >"$work/tune.txt" 2>&1 &&
    "$p2p" tune --device "$device" $net --size $size --inference --seconds "$tune_seconds" \
        >>"$work/tune.txt" 2>&1; then
    tune_line="tuning: $(grep -c '^| conv.*: M[0-9]' "$work/tune.txt") conv GEMMs tuned (table below)"
    bench_rows tuned
else
    tune_line="tuning: failed"
    tail -n 5 "$work/tune.txt" >&2
    failed=1
fi

step "full-resolution translate ${full}x$full"
full_row="translate --full-res ${full}x$full"
if command -v python3 >/dev/null; then
    python3 - "$work/big.png" "$full" <<'PY'
import math, struct, sys, zlib
path, n = sys.argv[1], int(sys.argv[2])
rows = bytearray()
for y in range(n):
    rows.append(0)
    for x in range(n):
        rows += bytes((int(127 + 120 * math.sin(x / 37.0)), int(127 + 120 * math.cos(y / 23.0)),
                       (x * y // 97) % 256))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
open(path, "wb").write(png)
PY
    "$p2p" dataset synth --out "$work/data" --count 2 --size $size --quiet >/dev/null 2>&1
    # shellcheck disable=SC2086
    if "$p2p" train --data "$work/data" --checkpoints-dir "$work/ck" --name g $net \
        --load-size $size --crop-size $size --max-steps 1 --device "$device" --quiet \
        >"$work/train.log" 2>&1 &&
        "$p2p" translate --model "$work/ck/g/latest_net_G.safetensors" --input "$work/big.png" \
            --output "$work/out" --full-res --eval --device "$device" --verbose \
            >"$work/translate.log" 2>&1; then
        secs=$(sed -n 's/.* in \([0-9.]*\) s.*/\1/p' "$work/translate.log" | tail -1)
        row "$full_row" fp32 1 "${secs:+$(awk -v s="$secs" 'BEGIN{printf "%.1f", s * 1000}')}" "-" "-" "-" "-" "|"
    else
        row "$full_row" fp32 1 "failed" "-" "-" "-" "-" "|"
        tail -n 5 "$work/train.log" "$work/translate.log" >&2
        failed=1
    fi
else
    row "$full_row" fp32 1 "-" "-" "-" "-" "-" "no python3 |"
fi

echo
sed -n '1p' "$work/device.txt"
echo "peak FMA: fp32 ${peak32:-not measured} TFLOP/s, fp16 ${peak16:-not measured} TFLOP/s"
echo "Vulkan tests: ${tests_line:-not run}"
echo "$tune_line"
[ $smoke = 1 ] && echo "(smoke sizes: $net, ${size}x$size)"
echo
printf '| %-28s | %-5s | %5s | %10s | %8s | %9s | %9s | %14s | %s\n' run prec batch ms GFLOP/s \
    "of peak" "plan MiB" "disp/barr/subm" "note |"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------ ------- ------- \
    ------------ ---------- ----------- ----------- ---------------- ------
printf '%s\n' "${rows[@]}"
if [ -s "$work/tune.txt" ]; then
    echo
    grep '^|' "$work/tune.txt"
fi
exit $failed
