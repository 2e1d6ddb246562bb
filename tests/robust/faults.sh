#!/bin/sh
# Faults during training and writing:
# - SIGKILL at random moments of a training run that saves every epoch, 50 times: the latest
#   checkpoint set (G, D, optimizer) is always of one step, the generator loads (translate)
#   and --continue resumes from that step, with one loss_log row per step;
# - a file size limit (ulimit -f, as a full disk) while writing a checkpoint or a translated
#   image: a clear error naming the file, the previous checkpoint intact, no partial output and
#   no temporary file left;
# - commit records that do not describe their staged files exactly: nothing rolled forward;
# - a step that overflows the optimizer's state: stopped there, nothing saved; such a state
#   refused when resuming;
# - a checkpoint name that is a symbolic link or a FIFO: refused, nothing replaced;
# - SIGINT: a clean save, exit 0, and a resume from where it stopped.
. "$(dirname "$0")/common.sh" "$@"
tiny_model k
CK=$TMP/ck/k
IMG=$TMP/img.png
"$TOOL" noise "$IMG" 96 || fail "noise image"
# train_k [options]: resumes the run k (saving every epoch); exec_train_k runs it in a subshell
# started with &, so that $! is the pid of pix2pix itself.
train_k() {
    long_run_k --continue "$@"
}
exec_train_k() {
    long_run_k exec --continue
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

# --- Commit records that do not describe the staged files exactly commit nothing. Beside a G
# staged by a save of the next step that was never committed, each record below is refused:
# the committed G stays byte for byte, the stale file is discarded, and the message says why.
# A record naming that save's three files with their sizes finishes it. Recovery comes before
# the model is loaded: a run of another width (--ngf 8) does only that, then fails to load it.
S=$(meta_step "$CK/latest_opt.safetensors")
AHEAD=$TMP/ck/ahead
cp -r "$CK" "$AHEAD"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name ahead --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 --threads 1 \
    --workers 1 --display-freq 0 --continue --max-steps 1 >/dev/null 2>&1 ||
    fail "training step $((S + 1))"
[ "$(meta_step "$AHEAD/latest_opt.safetensors")" = $((S + 1)) ] || fail "no step $((S + 1))"
R=$TMP/ck/rec
while IFS='|' read -r case words; do
    rm -rf "$R"
    cp -r "$CK" "$R"
    cp "$AHEAD/latest_net_G.safetensors" "$R/latest_net_G.safetensors.next"
    case $case in
    garbage) echo "set" >"$R/latest.commit" ;;
    truncated) commit_record $((S + 1)) "$AHEAD" net_G net_D opt | head -n 3 >"$R/latest.commit" ;;
    other-step) commit_record "$S" "$AHEAD" net_G net_D opt >"$R/latest.commit" ;;
    missing) commit_record $((S + 1)) "$AHEAD" net_G net_D opt >"$R/latest.commit" ;;
    complete)
        cp "$AHEAD/latest_net_D.safetensors" "$R/latest_net_D.safetensors.next"
        cp "$AHEAD/latest_opt.safetensors" "$R/latest_opt.safetensors.next"
        commit_record $((S + 1)) "$AHEAD" net_G net_D opt >"$R/latest.commit" ;;
    esac
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name rec --netG unet_5 \
        --ngf 8 --ndf 4 --load-size 32 --crop-size 32 --threads 1 --workers 1 --continue \
        >/dev/null 2>"$TMP/stderr"
    echo "--- commit record $case: $(grep -F "$R" "$TMP/stderr")"
    [ -z "$(find "$R" -name '*.next' -o -name '*.commit')" ] ||
        fail "$case record: left $(find "$R" -name '*.next' -o -name '*.commit')"
    if [ "$case" = complete ]; then
        expect_line "$TMP/stderr" "finished the checkpoint save that was interrupted"
        for f in net_G net_D opt; do
            "$TOOL" same "$AHEAD/latest_$f.safetensors" "$R/latest_$f.safetensors" ||
                fail "complete record: latest_$f is not the committed one"
        done
        continue
    fi
    cmp -s "$CK/latest_net_G.safetensors" "$R/latest_net_G.safetensors" ||
        fail "$case record: the committed G was replaced"
    expect_line "$TMP/stderr" "$R/latest.commit: $words" "nothing was rolled forward"
    expect_line "$TMP/stderr" "discarded 1 file of a checkpoint save" "previous checkpoint stays"
done <<CASES
garbage|not a commit record of set latest
truncated|truncated (no end line)
other-step|latest_net_G.safetensors.next is of step $((S + 1)), the record's set of step $S
missing|latest_net_D.safetensors.next is missing
complete|
CASES

# --- A finite gradient whose square overflows Adam's exp_avg_sq: with D's last layer at 1e25
# the losses stay finite, but the gradients of the layers before it are ~1e25. The step that
# overflows stops the run, naming the parameter, before anything is saved (the state was found
# only when saving, steps later, and those steps were lost).
S=$(meta_step "$CK/latest_opt.safetensors")
rm -rf "$TMP/ck/over"
cp -r "$CK" "$TMP/ck/over"
"$TOOL" set-value "$CK/latest_net_D.safetensors" "$TMP/ck/over/latest_net_D.safetensors" \
    model.11.weight 0 511 1e25 || fail "set-value"
cp -r "$TMP/ck/over" "$TMP/over_before"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name over --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 \
    --threads 1 --workers 1 --display-freq 0 --continue --max-steps 5 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "a step overflowing the optimizer's state"
echo "--- state overflow: $(grep -v '^resuming' "$TMP/stderr")"
expect_line "$TMP/stderr" "step $((S + 1)) (epoch" "the optimizer's state overflowed" \
    "parameter " "exp_avg_sq holds inf" "training stopped without saving this step"
for f in latest_net_G latest_net_D latest_opt; do
    "$TOOL" same "$TMP/over_before/$f.safetensors" "$TMP/ck/over/$f.safetensors" ||
        fail "$f changed after a step that overflowed the optimizer's state"
done
# An optimizer state holding inf is refused when resuming, naming the file and the tensor.
"$TOOL" set-value "$TMP/over_before/latest_opt.safetensors" \
    "$TMP/ck/over/latest_opt.safetensors" D.model.0.weight.exp_avg_sq 3 3 inf || fail "set-value"
"$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name over --netG unet_5 \
    --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 --threads 1 \
    --workers 1 --display-freq 0 --continue --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "resuming an optimizer state holding inf"
expect_reason "$TMP/stderr" "$TMP/ck/over/latest_opt.safetensors" \
    "tensor D.model.0.weight.exp_avg_sq holds inf at index 3"

# --- Checkpoint names that are not regular files: the save is refused naming the file and
# nothing is replaced. A symbolic link (latest_net_G): the commit's rename would replace the
# link. A FIFO (the numbered copy of the epoch the next steps finish): never written.
rm -rf "$TMP/ck/special" "$TMP/g_elsewhere"
cp -r "$CK" "$TMP/ck/special"
SP=$TMP/ck/special
mv "$SP/latest_net_G.safetensors" "$TMP/g_elsewhere"
cp "$TMP/g_elsewhere" "$TMP/g_elsewhere_before"
ln -s "$TMP/g_elsewhere" "$SP/latest_net_G.safetensors"
E=$("$BIN" inspect "$SP/latest_opt.safetensors" 2>/dev/null | grep -E '(^| )epoch: [0-9]+$' |
    sed 's/.*: //')
mkfifo "$SP/${E}_net_D.safetensors"
for special in link fifo; do
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name special --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 \
        --save-epoch-freq 1 --threads 1 --workers 1 --display-freq 0 --continue \
        --max-steps 4 >/dev/null 2>"$TMP/stderr"
    expect_status 1 $? "saving over a $special"
    echo "--- checkpoint name a $special: $(grep -F "$SP" "$TMP/stderr" | grep -v '^resuming')"
    if [ $special = link ]; then
        expect_reason "$TMP/stderr" "$SP/latest_net_G.safetensors" "a symbolic link"
        [ -L "$SP/latest_net_G.safetensors" ] || fail "the link latest_net_G was replaced"
        cmp -s "$TMP/g_elsewhere" "$TMP/g_elsewhere_before" || fail "the linked G changed"
        rm "$SP/latest_net_G.safetensors"
        cp "$TMP/g_elsewhere" "$SP/latest_net_G.safetensors"
    else
        expect_reason "$TMP/stderr" "$SP/${E}_net_D.safetensors" "not a regular file (a FIFO)"
        [ -p "$SP/${E}_net_D.safetensors" ] || fail "the FIFO ${E}_net_D was replaced"
    fi
    [ -z "$(find "$SP" -name '*.next' -o -name '*.commit')" ] ||
        fail "$special: left $(find "$SP" -name '*.next' -o -name '*.commit')"
done

# SIGINT in the middle: the step ends, everything is saved, exit 0, and --continue resumes.
(exec_train_k >"$TMP/stdout" 2>"$TMP/stderr") &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
expect_status 0 $? "training stopped by SIGINT"
expect_line "$TMP/stdout" "interrupted after"
expect_line "$TMP/stdout" "resume with: " "pix2pix train --data"
[ -z "$(find "$CK" -name '*.tmp.*')" ] || fail "temporary files left after SIGINT"
train_k --max-steps 1 >/dev/null 2>"$TMP/stderr"
expect_status 0 $? "resuming after SIGINT"
expect_line "$TMP/stderr" "resuming"
finish
