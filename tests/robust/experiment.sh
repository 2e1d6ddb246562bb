#!/bin/sh
# The experiment folder and numbers that are not numbers:
# - one trainer per experiment: a second one is refused at once, naming the pid of the first;
#   the lock of a killed run does not block;
# - --continue refuses a latest set whose files are of different steps;
# - options that are not finite or out of range: exit 2 with the option's name;
# - a step whose losses are NaN stops the run without saving (the last set intact, exit 1);
#   a state that is not finite is never saved; model files holding NaN are refused at load;
#   translate writes no image computed from NaN;
# - an interrupted save is finished (after its commit record) or discarded (before it).
. "$(dirname "$0")/common.sh" "$@"
tiny_model k --save-epoch-freq 1
CK=$TMP/ck/k
IMG=$TMP/img.png
"$TOOL" noise "$IMG" 64 || fail "noise image"
# train_k [options]: the tiny run k on the CPU (4 pairs: 4 steps an epoch).
train_k() {
    long_run_k --device cpu "$@"
}

# --- One trainer per experiment (the run "lock"; exec so that $! is the trainer's pid).
(exec "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name lock \
    --netG unet_5 --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 \
    --threads 1 --workers 1 --display-freq 0 --device cpu >"$TMP/first.out" 2>&1) &
first=$!
tries=0
until grep -q "^training" "$TMP/first.out" 2>/dev/null || [ $tries -ge 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name lock --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --device cpu \
    --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "a second trainer on the same experiment"
echo "--- second trainer: $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "$TMP/ck/lock is in use by another trainer (pid $first)"
kill -KILL $first
wait $first 2>/dev/null
# The killed run left its loss log: starting over moves it aside.
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name lock --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --device cpu \
    --max-steps 1 --overwrite >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "training after the first trainer was killed (stale lock)"

# --- A latest set whose files are of different steps: k is at step 2 (tiny_model); 4 more
# steps save 1_net_* at step 4 (end of epoch 1) and the latest set at step 6.
train_k --continue --max-steps 4 >/dev/null 2>&1 || fail "training 4 more steps"
cp -r "$CK" "$TMP/mixed"
cp "$TMP/mixed/1_net_D.safetensors" "$TMP/mixed/latest_net_D.safetensors"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP" --name mixed --netG unet_5 --ngf 4 \
    --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --display-freq 0 \
    --device cpu --continue --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "--continue from a mixed set"
echo "--- mixed set: $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "the latest checkpoint files are not one set" \
    "latest_net_D.safetensors at step 4"

# --- Recovery of an interrupted save. A set of step 7 staged as .next files beside the set of
# step 6: without its commit record it is discarded; with it, it is finished.
cp -r "$CK" "$TMP/ck/next"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name next --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --display-freq 0 \
    --device cpu --continue --max-steps 1 >/dev/null 2>&1 || fail "training step 7"
for commit in no yes; do
    rm -rf "$TMP/ck/rec"
    cp -r "$CK" "$TMP/ck/rec"
    for f in net_G net_D opt; do
        cp "$TMP/ck/next/latest_$f.safetensors" "$TMP/ck/rec/latest_$f.safetensors.next"
    done
    [ $commit = yes ] &&
        commit_record 7 "$TMP/ck/next" net_G net_D opt >"$TMP/ck/rec/latest.commit"
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name rec --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 \
        --display-freq 0 --device cpu --continue --max-steps 1 >/dev/null 2>"$TMP/stderr"
    expect_status 0 $? "resuming after a save interrupted (commit record: $commit)"
    echo "--- interrupted save, commit record $commit: $(grep -v '^epoch' "$TMP/stderr")"
    if [ $commit = yes ]; then
        expect_line "$TMP/stderr" "finished the checkpoint save that was interrupted"
        expect_line "$TMP/stderr" "resuming" "(step 7)"
    else
        expect_line "$TMP/stderr" "discarded 3 files of a checkpoint save interrupted"
        expect_line "$TMP/stderr" "resuming" "(step 6)"
    fi
done

# --- Options that are not numbers, or out of range.
while IFS='|' read -r option value words; do
    train_k --max-steps 1 "$option" "$value" >/dev/null 2>"$TMP/stderr"
    expect_status 2 $? "$option $value"
    echo "--- $option $value: $(cat "$TMP/stderr")"
    expect_line "$TMP/stderr" "$option" "$words"
done <<'CASES'
--lr|nan|invalid value 'nan'
--lr|0|must be in (0, 1]
--lr|-1e-3|must be in (0, 1]
--beta1|1|must be in [0, 1)
--lambda-l1|inf|invalid value 'inf'
--lambda-l1|-1|must be in [0, 1e+06]
--time-limit|nan|invalid value
CASES

# --- A diverged step: D's first layer made huge (finite) overflows the next one, so every
# loss of the next step is NaN. The run stops, nothing is saved.
D=$CK/latest_net_D.safetensors
"$TOOL" set-value "$D" "$TMP/d1" model.0.bias 0 0 3e38 &&
    "$TOOL" set-value "$TMP/d1" "$D" model.2.weight 0 15 3e38 || fail "set-value"
cp -r "$CK" "$TMP/before"
train_k --continue --max-steps 3 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "a step whose losses are NaN"
echo "--- diverged step: $(grep -v '^resuming' "$TMP/stderr")"
expect_line "$TMP/stderr" "step 7 (epoch 2, iteration 3): loss" "is nan" \
    "training stopped without saving this step" "The last checkpoint is intact in $CK"
for f in latest_net_G latest_net_D latest_opt; do
    "$TOOL" same "$TMP/before/$f.safetensors" "$CK/$f.safetensors" ||
        fail "$f changed after a NaN step"
done

# --- A state that overflows while the losses stay finite (a huge first-layer weight of G
# makes the next BatchNorm's running variance infinite): the save refuses it.
G=$TMP/before/latest_net_G.safetensors
rm -rf "$TMP/ck/inf"
"$TOOL" set-value "$G" "$TMP/g_huge" model.model.0.weight 5 5 3e38 || fail "set-value"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name inf --netG unet_5 --ngf 4 \
    --ndf 4 --load-size 32 --crop-size 32 --epochs 1 --epochs-decay 0 --threads 1 \
    --workers 1 --display-freq 0 --device cpu --init-g "$TMP/g_huge" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "training into a state that is not finite"
echo "--- state not finite: $(grep -v '^resuming' "$TMP/stderr")"
expect_line "$TMP/stderr" "$TMP/ck/inf/latest_net_G.safetensors: tensor" "holds inf"
expect_line "$TMP/stderr" "the checkpoint of step 4 was not saved; none was saved in"
[ -z "$(find "$TMP/ck/inf" -name '*.safetensors*')" ] ||
    fail "files saved from a state that is not finite: $(ls "$TMP/ck/inf")"

# --- Model files holding NaN: refused at load, naming the tensor.
"$TOOL" set-value "$G" "$TMP/g_nan.safetensors" model.model.1.model.2.weight 1 1 nan ||
    fail "set-value"
"$BIN" translate --model "$TMP/g_nan.safetensors" --input "$IMG" --output "$TMP/out" \
    --device cpu >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate with a NaN weight"
echo "--- NaN weight: $(cat "$TMP/stderr")"
expect_reason "$TMP/stderr" "$TMP/g_nan.safetensors" \
    "tensor model.model.1.model.2.weight holds nan at index 1"
[ -e "$TMP/out/img.png" ] && fail "an image was written with a NaN weight"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name nan --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --device cpu \
    --init-g "$TMP/g_nan.safetensors" --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "--init-g with a NaN weight"
expect_reason "$TMP/stderr" "$TMP/g_nan.safetensors" "holds nan"

# --- Finite weights whose output overflows to NaN (running statistics, --eval): no image.
"$TOOL" set-value "$G" "$TMP/g_over.safetensors" model.model.0.weight 0 40 3e38 || fail "set-value"
"$BIN" translate --eval --model "$TMP/g_over.safetensors" --input "$IMG" --output "$TMP/over" \
    --device cpu >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate into NaN"
echo "--- output NaN: $(cat "$TMP/stderr")"
expect_reason "$TMP/stderr" "$IMG" "the generator's output holds nan"
[ -z "$(ls -A "$TMP/over" 2>/dev/null)" ] || fail "written from NaN: $(ls -A "$TMP/over")"
# --- A run already in the experiment folder: train without --continue is refused (exit 2,
# saying how to resume or start over) and changes nothing; --overwrite moves it to
# NAME.old-DATE-TIME, whole, and the new run's log starts afresh. A folder with only a stale
# lock is reused.
train_again() {
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name again --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 \
        --display-freq 0 --device cpu --max-steps "$@" >/dev/null 2>"$TMP/stderr"
}
train_again 2 || fail "training the run 'again'"
cp -r "$TMP/ck/again" "$TMP/again_before"
train_again 1
expect_status 2 $? "train on a folder holding a run"
echo "--- train again: $(cat "$TMP/stderr")"
expect_line "$TMP/stderr" "$TMP/ck/again already holds a training run" "--continue" \
    "a new --name" "--overwrite"
diff -r -x .train.lock "$TMP/again_before" "$TMP/ck/again" >/dev/null || fail "a refused run changed the folder"
train_again 1 --overwrite
expect_status 0 $? "train --overwrite"
echo "--- train --overwrite: $(cat "$TMP/stderr")"
old=$(ls -d "$TMP/ck/again.old-"* 2>/dev/null)
expect_line "$TMP/stderr" "the previous run of $TMP/ck/again moved to $old"
[ -n "$old" ] && diff -r -x .train.lock "$TMP/again_before" "$old" >/dev/null ||
    fail "the previous run is not whole in '$old'"
[ "$(wc -l <"$TMP/ck/again/loss_log.csv")" -eq 2 ] ||
    fail "the new run's log is not its own: $(cat "$TMP/ck/again/loss_log.csv")"
mkdir -p "$TMP/ck/stale" && echo 99999 >"$TMP/ck/stale/.train.lock"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name stale --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --device cpu \
    --max-steps 1 >/dev/null 2>&1
expect_status 0 $? "train in a folder with only a stale lock"

# --- Options refused before anything is written: the batch size (2^31 - 1 aborted in the
# engine), sizes past the memory (whose element counts overflowed an int and aborted), an
# empty --checkpoints-dir (the root) and names that are not one folder inside it. Exit 2, or
# 1 for the memory, never a signal; a message naming the option; no folder left behind.
escape="p2p_robust_escape.$$"
while IFS='|' read -r want words options; do
    rm -rf "$TMP/fresh"
    eval "\"\$BIN\" train --data \"\$TMP/synth\" --checkpoints-dir \"\$TMP/fresh/ck\" \
        --netG unet_5 --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 \
        --device cpu --max-steps 1 $options" >/dev/null 2>"$TMP/stderr"
    expect_status "$want" $? "train $options"
    echo "--- train $options: $(cat "$TMP/stderr")"
    expect_line "$TMP/stderr" "$words"
    [ -e "$TMP/fresh" ] && fail "train $options left $(find "$TMP/fresh" | head -3)"
    [ -e "/$escape" ] && fail "train $options wrote /$escape" && rm -rf "/${escape:?}"
done <<CASES
2|--batch-size must be 1 to 65536, not 524288|--batch-size 524288
2|--batch-size must be 1 to 65536, not 2147483647|--batch-size 2147483647
1|training at 2048x2048 needs about|--batch-size 65536 --load-size 2048 --crop-size 2048
2|--checkpoints-dir must not be empty|--checkpoints-dir '' --name $escape
2|--name '../../x' must be a folder name inside --checkpoints-dir|--name ../../x
2|--name 'a/b' must be a folder name|--name a/b
2|--name '..' must be a folder name|--name ..
2|--name '.' must be a folder name|--name .
2|--name '' must be a folder name|--name ''
CASES
[ -e "$TMP/x" ] && fail "--name ../../x wrote $TMP/x" && rm -rf "$TMP/x"

# --- One rule for every count: each integer option of every command (those its --help lists
# with a number) refuses -1 with exit 2, naming the option, before doing anything. The other
# arguments make an accepted value fail fast (exit 1) rather than run.
: >"$TMP/afile"
pairs=0
while IFS='|' read -r command args; do
    options=$("$BIN" $command --help | sed -n 's/^  --\([a-zA-Z0-9-]*\) N .*/\1/p')
    for option in $options; do
        eval "\"\$BIN\" $command $args --$option -1" >/dev/null 2>"$TMP/stderr"
        expect_status 2 $? "$command --$option -1"
        grep -Eq -- "--$option( must be 0 or more|: invalid value '-1')" "$TMP/stderr" ||
            fail "$command --$option -1: $(cat "$TMP/stderr")"
        pairs=$((pairs + 1))
    done
done <<CASES
train|--data "$TMP/none" --checkpoints-dir "$TMP/cknone" --max-steps 1
demo|--dir "$TMP/afile/demo"
test|--data "$TMP/none" --model "$TMP/none.safetensors"
bench|--device none
translate|--model "$TMP/none.safetensors" --input "$TMP/none" --output "$TMP/none_out"
dataset synth|--out "$TMP/afile/synth"
dataset combine|--a "$TMP/none" --b "$TMP/none" --out "$TMP/afile/out"
dataset make|--task edges --from "$TMP/none" --out "$TMP/afile/out"
dataset check|--data "$TMP/none"
dataset bench|--data "$TMP/none"
CASES
echo "--- counts: -1 refused by $pairs (command, option) pairs; --max-steps -1: $(
    "$BIN" train --data "$TMP/none" --max-steps -1 2>&1)"
[ $pairs -ge 40 ] || fail "only $pairs count options found in the commands' --help"
[ -e "$TMP/cknone" ] && fail "a refused train wrote $(ls -A "$TMP/cknone")"
finish
