#!/bin/sh
# Runs `pix2pix bench` and tools/bench_torch.py with the same settings, alternating them for a
# few rounds, and prints the ratios ours/PyTorch: time for inference (train-mode statistics and
# eval) and the training step, peak training memory, and the CPU time per run. Each side's
# figure is its best median over the rounds: on a machine shared with other work the slowdowns
# come and go within seconds, and alternating exposes both sides to the same spells.
# usage: tools/bench_compare.sh [PIX2PIX_BINARY] [--rounds R] [-- options for both, e.g.
#        --threads 2 --iters 5]      (R defaults to 3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build/pix2pix
rounds=3
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --) shift; break ;;
    *) bin=$1; shift ;;
    esac
done
[ -x "$bin" ] || { echo "bench_compare: no pix2pix binary at $bin (build first)" >&2; exit 2; }
case $rounds in
''|*[!0-9]*|0) echo "bench_compare: --rounds needs a positive number" >&2; exit 2 ;;
esac
opts=${*:-"--threads 2 --iters 5"}
# PyTorch runs on the CPU, so ours does too unless told otherwise (with the default "auto" a
# machine without a GPU would also count the Vulkan probe's resident driver in our memory).
case " $opts " in
*" --device "*) ours_opts=$opts ;;
*) ours_opts="--device cpu $opts" ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    echo "== round $r of $rounds"
    # shellcheck disable=SC2086
    "$bin" bench $ours_opts --json | tee "$tmp/ours.$r.txt"
    # shellcheck disable=SC2086
    /usr/bin/python3 "$here/bench_torch.py" $opts --json | tee "$tmp/torch.$r.txt"
    r=$((r + 1))
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def best(side):
    runs = [json.loads(open(f"{tmp}/{side}.{r}.txt").read().strip().splitlines()[-1])
            for r in range(1, rounds + 1)]
    return {k: min(run[k] for run in runs) if isinstance(runs[0][k], (int, float)) else runs[0][k]
            for k in runs[0]}
ours, torch = best("ours"), best("torch")
def ratio(key):
    return ours[key] / torch[key]
print("best of %d rounds, ours vs torch (ms): infer %.1f vs %.1f, infer_eval %.1f vs %.1f, "
      "train_step %.1f vs %.1f, peak_rss %.0f vs %.0f MiB"
      % (rounds, ours["infer_ms"], torch["infer_ms"], ours["infer_eval_ms"],
         torch["infer_eval_ms"], ours["train_step_ms"], torch["train_step_ms"],
         ours["peak_rss_mib"], torch["peak_rss_mib"]))
print("ratios ours/torch: infer %.2f  infer_eval %.2f  train_step %.2f  peak_rss %.2f  "
      "(CPU time: infer %.2f  train_step %.2f)"
      % (ratio("infer_ms"), ratio("infer_eval_ms"), ratio("train_step_ms"), ratio("peak_rss_mib"),
         ratio("infer_cpu_ms"), ratio("train_step_cpu_ms")))
print(json.dumps({"rounds": rounds,
                  "infer_ratio": round(ratio("infer_ms"), 3),
                  "infer_eval_ratio": round(ratio("infer_eval_ms"), 3),
                  "train_step_ratio": round(ratio("train_step_ms"), 3),
                  "peak_rss_ratio": round(ratio("peak_rss_mib"), 3),
                  "infer_cpu_ratio": round(ratio("infer_cpu_ms"), 3),
                  "train_step_cpu_ratio": round(ratio("train_step_cpu_ms"), 3)}))
PY
