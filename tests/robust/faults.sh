#!/bin/sh
# Faults during training and writing:
# - SIGKILL at random moments of a training run that saves every epoch, 50 times: the latest
#   checkpoint set (G, D, optimizer) is always of one step, the generator loads (translate)
#   and --continue resumes from that step, with one loss_log row per step;
# - a file size limit (ulimit -f, as a full disk) while writing a checkpoint or a translated
#   image: a clear error naming the file, the previous checkpoint intact, no partial output and
#   no temporary file left;
# - SIGINT: a clean save, exit 0, and a resume from where it stopped.
. "$(dirname "$0")/common.sh" "$@"
tiny_model k
CK=$TMP/ck/k
IMG=$TMP/img.png
"$TOOL" noise "$IMG" 96 || fail "noise image"
# train_k [options]: resumes the run k (saving every epoch); exec_train_k runs it in a subshell
# started with &, so that $! is the pid of pix2pix itself.
train_k() {
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name k --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 \
        --save-epoch-freq 1 --threads 1 --workers 1 --display-freq 0 --continue "$@"
}
exec_train_k() {
    exec "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name k --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 \
        --save-epoch-freq 1 --threads 1 --workers 1 --display-freq 0 --continue
}
random_below() {
    echo $(($(od -An -N2 -tu2 /dev/urandom) % $1))
}

# meta_step FILE: the step a checkpoint file records ("step" in G and D, "step_G" in opt).
meta_step() {
    "$BIN" inspect "$1" 2>/dev/null | grep -E '(^| )step(_G)?: [0-9]+$' | sed 's/.*: //'
}
# reader_path NAME: the file a reader takes for latest_NAME: the .next file of a set that was
# committed but not yet moved into place, else the file itself.
reader_path() {
    if [ -e "$CK/latest.commit" ] && [ -e "$CK/latest_$1.safetensors.next" ]; then
        echo "$CK/latest_$1.safetensors.next"
    else
        echo "$CK/latest_$1.safetensors"
    fi
}

kills=0
committed=0
staged=0
while [ $kills -lt 50 ]; do
    (exec_train_k >/dev/null 2>"$TMP/kill.log") &
    pid=$!
    sleep "0.$(printf '%03d' "$(random_below 600)")"
    kill -KILL $pid
    wait $pid 2>/dev/null
    kills=$((kills + 1))
    [ -e "$CK/latest.commit" ] && committed=$((committed + 1))
    [ ! -e "$CK/latest.commit" ] && [ -n "$(find "$CK" -name '*.next')" ] &&
        staged=$((staged + 1))
    # What a reader sees is one set: G, D and the optimizer state of one step.
    sg=$(meta_step "$(reader_path net_G)")
    sd=$(meta_step "$(reader_path net_D)")
    so=$(meta_step "$(reader_path opt)")
    if [ -z "$sg" ] || [ "$sg" != "$sd" ] || [ "$sg" != "$so" ]; then
        fail "kill $kills: the latest set is not one step: G '$sg', D '$sd', opt '$so'"
    fi
    rm -f "$CK"/[0-9]*_net_*.safetensors
    "$BIN" translate --model "$(reader_path net_G)" --input "$IMG" --output "$TMP/k_out" \
        --threads 1 >/dev/null 2>"$TMP/stderr" ||
        fail "kill $kills: the latest generator does not load: $(cat "$TMP/stderr")"
    train_k --max-steps 1 >/dev/null 2>"$TMP/stderr" ||
        fail "kill $kills: --continue failed: $(cat "$TMP/stderr")"
    expect_line "$TMP/stderr" "resuming" "(step $so)"
done
echo "SIGKILL $kills times ($committed inside a commit, $staged while a set was being" \
    "written): each time the latest set was of one step and resumed from that step"
[ -z "$(find "$CK" -name '*.next' -o -name '*.commit')" ] ||
    fail "unfinished sets left after resuming: $(find "$CK" -name '*.next' -o -name '*.commit')"
# The loss log holds each step of the latest set once: the rows of killed steps were dropped
# on resuming, before those steps ran again.
rows=$(tail -n +2 "$CK/loss_log.csv" | wc -l)
[ "$rows" -eq "$(meta_step "$CK/latest_opt.safetensors")" ] ||
    fail "loss_log.csv has $rows rows for step $(meta_step "$CK/latest_opt.safetensors")"
[ -z "$(tail -n +2 "$CK/loss_log.csv" | cut -d, -f1,2 | sort | uniq -d)" ] ||
    fail "loss_log.csv repeats steps: $(tail -n +2 "$CK/loss_log.csv" | cut -d, -f1,2 | sort | uniq -d | head -3)"
# A write killed midway leaves its temporary file; the next run removes them.
: >"$CK/latest_net_G.safetensors.tmp.AbC123"
: >"$CK/opt.txt.tmp.1234"
train_k --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_line "$TMP/stderr" "removed" "temporary file" "$CK"
[ -z "$(find "$CK" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$CK" -name '*.tmp.*')"

# A file size limit below the generator's size: the checkpoint write fails.
cp "$CK/latest_net_G.safetensors" "$TMP/g_before"
cp "$CK/latest_opt.safetensors" "$TMP/opt_before"
gsize=$(wc -c <"$CK/latest_net_G.safetensors")
# bash: ulimit -f counts 1024-byte blocks.
bash -c 'ulimit -f "$1"; shift; exec "$@"' limit $((gsize / 2048)) "$BIN" train \
    --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name k --netG unet_5 --ngf 4 --ndf 4 \
    --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 --threads 1 --workers 1 \
    --display-freq 0 --continue --max-steps 2 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "training with a file size limit"
echo "--- full disk while saving: $(grep -v '^epoch\|^resuming' "$TMP/stderr")"
expect_reason "$TMP/stderr" "$CK/latest_net_G.safetensors" "File too large"
"$TOOL" same "$TMP/g_before" "$CK/latest_net_G.safetensors" ||
    fail "the previous generator changed after a failed save"
"$TOOL" same "$TMP/opt_before" "$CK/latest_opt.safetensors" ||
    fail "the previous optimizer state changed after a failed save"
[ -z "$(find "$CK" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$CK" -name '*.tmp.*')"

# The same limit while writing a translated image.
bash -c 'ulimit -f 8; exec "$@"' limit "$BIN" translate --model \
    "$CK/latest_net_G.safetensors" --input "$IMG" --output "$TMP/full" --full-res \
    >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate with a file size limit"
echo "--- full disk while translating: $(cat "$TMP/stderr")"
expect_reason "$TMP/stderr" "$TMP/full/img.png" "File too large"
[ -z "$(ls -A "$TMP/full")" ] || fail "left in the output folder: $(ls -A "$TMP/full")"

# SIGINT in the middle: the step ends, everything is saved, exit 0, and --continue resumes.
(exec_train_k >"$TMP/stdout" 2>"$TMP/stderr") &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
expect_status 0 $? "training stopped by SIGINT"
expect_line "$TMP/stdout" "interrupted after"
expect_line "$TMP/stdout" "resume with: pix2pix train"
[ -z "$(find "$CK" -name '*.tmp.*')" ] || fail "temporary files left after SIGINT"
train_k --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "resuming after SIGINT"
expect_line "$TMP/stderr" "resuming"
finish
