#!/bin/sh
# Runs `pix2pix bench` and tools/bench_torch.py back to back with the same settings and prints
# the ratios ours/PyTorch (time for inference and the training step, peak training memory, and
# the CPU time per run, steadier than wall time on a machine shared with other work).
# usage: tools/bench_compare.sh [PIX2PIX_BINARY] [-- options for both, e.g. --threads 2 --iters 5]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/pix2pix}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
[ -x "$bin" ] || { echo "bench_compare: no pix2pix binary at $bin (build first)" >&2; exit 2; }
opts=${*:-"--threads 2 --iters 5"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
"$bin" bench $opts --json | tee "$tmp/ours.txt"
# shellcheck disable=SC2086
/usr/bin/python3 "$here/bench_torch.py" $opts --json | tee "$tmp/torch.txt"
/usr/bin/python3 - "$tmp/ours.txt" "$tmp/torch.txt" <<'PY'
import json, sys
ours, torch = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
def ratio(key):
    return ours[key] / torch[key]
print("ratios ours/torch: infer %.2f  infer_eval %.2f  train_step %.2f  peak_rss %.2f  "
      "(CPU time: infer %.2f  train_step %.2f)"
      % (ratio("infer_ms"), ratio("infer_eval_ms"), ratio("train_step_ms"), ratio("peak_rss_mib"),
         ratio("infer_cpu_ms"), ratio("train_step_cpu_ms")))
print(json.dumps({"infer_ratio": round(ratio("infer_ms"), 3),
                  "infer_eval_ratio": round(ratio("infer_eval_ms"), 3),
                  "train_step_ratio": round(ratio("train_step_ms"), 3),
                  "peak_rss_ratio": round(ratio("peak_rss_mib"), 3),
                  "infer_cpu_ratio": round(ratio("infer_cpu_ms"), 3),
                  "train_step_cpu_ratio": round(ratio("train_step_cpu_ms"), 3)}))
PY
