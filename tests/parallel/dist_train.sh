#!/bin/sh
# pix2pix train under mpirun -np 2: options that differ between ranks are refused; weights
# that drift apart (ranks on different devices) stop the job at the next check; a rank
# killed mid-step ends the job within 30 s with mpirun's message naming the rank and a
# non-zero status, and the last checkpoint resumes, with 1 rank and with 2; a run stopped
# mid-epoch resumes with another rank count at the same count of pairs; rank 0 alone holds
# the experiment's lock; fp16 ranks agree on the steps they skip, also once resumed.
# usage: dist_train.sh MPIEXEC PIX2PIX WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 WORK=$3
. "$(dirname "$0")/mpi_env.sh"
BY_RANK=$(cd "$(dirname "$0")" && pwd)/by_rank.sh
fresh_workdir "$WORK"
synth_data data 12 32
COMMON="--data data --netG unet_5 --ngf 4 --ndf 4 --preprocess none --threads 1 --workers 0
        --display-freq 0 --quiet"

echo "== options that differ between ranks"
refused_across_ranks "--lr 0.001" "--lr 0.002" "lr=0.002 where rank 0 has lr=0.001"
[ ! -e checkpoints/opts/loss_log.csv ] || fail "the refused job wrote a loss log"

if "$P2P" devices >/dev/null 2>&1; then
    echo "== weights that drift apart: rank 0 on the CPU, rank 1 on Vulkan (Adam rounds apart)"
    status=0
    # shellcheck disable=SC2086
    $MPIRUN -np 2 sh "$BY_RANK" "--device cpu" "--device vulkan" -- \
        "$P2P" train $COMMON --name drift --check-every 1 >drift.log 2>&1 || status=$?
    cat drift.log
    [ "$status" -eq 1 ] || fail "drifting weights: exit status $status, not 1"
    grep -q "step 1: the weights of rank 1 differ from rank 0's" drift.log ||
        fail "no message naming the rank whose weights differ"
    [ "$(wc -l <checkpoints/drift/loss_log.csv)" -eq 1 ] || fail "the drifted step was logged"

    echo "== fp16 on Vulkan: the ranks skip the same steps, and resume with rank 0's loss scale"
    FP16="$COMMON --name fp16 --check-every 1 --device vulkan --precision fp16 --max-steps 6"
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$P2P" train $FP16 >fp16.log 2>&1 || { cat fp16.log; fail "fp16 with 2 ranks"; }
    cat fp16.log
    skipped=$(sed -n 's/^fp16: \([0-9]*\) steps skipped an update.*/\1/p' fp16.log)
    scale=$(sed -n 's/.*; loss scale now \([0-9.e+]*\)$/\1/p' fp16.log)
    [ "${skipped:-0}" -ge 1 ] || fail "no step skipped its update: the case checks nothing"
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$P2P" train $FP16 --continue >fp16c.log 2>&1 ||
        { cat fp16c.log; fail "fp16 resumed with 2 ranks"; }
    cat fp16c.log
    grep -q "^resuming .*, loss scale $scale$" fp16c.log || fail "not resumed at scale $scale"
else
    echo "no Vulkan device: the drifting-weights and fp16 cases are skipped"
fi

echo "== a rank killed mid-step"
# shellcheck disable=SC2086
$MPIRUN -np 2 "$P2P" train $COMMON --name fault --epochs 100000 --save-epoch-freq 5 \
    >fault.log 2>&1 &
job=$!
tries=0
until [ -e checkpoints/fault/latest_opt.safetensors ]; do
    tries=$((tries + 1))
    [ $tries -lt 600 ] || fail "no checkpoint after 60 s"
    sleep 0.1
done
status=0
"$P2P" train $COMMON --name fault --max-steps 1 >second.log 2>&1 || status=$?
[ "$status" -eq 1 ] && grep -q "in use" second.log ||
    fail "a second trainer was not refused while rank 0 holds the lock (status $status)"
victim="" # mpirun's child whose environment says rank 1 (with /proc alone: no procps)
for d in /proc/[0-9]*; do
    [ "$(awk '/^PPid:/ { print $2 }' "$d/status" 2>/dev/null)" = "$job" ] || continue
    tr '\0' '\n' <"$d/environ" | grep -qx OMPI_COMM_WORLD_RANK=1 && victim=${d#/proc/}
done
[ -n "$victim" ] || fail "rank 1 not found among mpirun's children"
sleep 0.5 # well inside a step: steps take milliseconds, checkpoints a few
start=$(date +%s%N)
kill -9 "$victim"
status=0
wait $job || status=$?
took=$((($(date +%s%N) - start) / 1000000))
cat fault.log
echo "the job ended $took ms after rank 1 was killed, exit status $status"
[ "$status" -ne 0 ] || fail "the job exited 0"
[ "$took" -lt 30000 ] || fail "the job took $took ms to stop"
# Open MPI 5 wraps this message over two lines.
tr -s '[:space:]' ' ' <fault.log | grep -q "process rank 1 .*exited on signal 9" ||
    fail "no message naming rank 1"

echo "== resume it with 1 rank, then with 2"
"$P2P" train $COMMON --name fault --epochs 100000 --save-epoch-freq 5 --continue \
    --max-steps 2 >resume1.log 2>&1 || { cat resume1.log; fail "resume with 1 rank"; }
cat resume1.log
grep -q "resuming ./checkpoints/fault at epoch" resume1.log || fail "not resumed with 1 rank"
# shellcheck disable=SC2086
$MPIRUN -np 2 "$P2P" train $COMMON --name fault --epochs 100000 --save-epoch-freq 5 \
    --continue --max-steps 2 >resume2.log 2>&1 || { cat resume2.log; fail "resume with 2"; }
cat resume2.log
grep -q "saved by 1 rank, this job has 2" resume2.log || fail "no note on the rank count"

echo "== stopped mid-epoch by 2 ranks, resumed by 1 at the same count of pairs"
# shellcheck disable=SC2086
$MPIRUN -np 2 "$P2P" train $COMMON --name mid --max-steps 2 >mid2.log 2>&1 ||
    { cat mid2.log; fail "mid-epoch run"; }
"$P2P" train $COMMON --name mid --max-steps 1 --continue >mid1.log 2>&1 ||
    { cat mid1.log; fail "mid-epoch resume"; }
cat mid1.log
grep -q "iteration 2 of epoch 1 becomes iteration 4" mid1.log || fail "mid-epoch position"
tail -n 1 checkpoints/mid/loss_log.csv | grep -q "^1,5," || fail "the resumed step is not 1,5"
echo "dist train: ok"
