#!/bin/sh
# mpirun -np 2 and -np 3 pix2pix translate share out a folder (7 images of two sizes, one of
# them unreadable) and write byte for byte the files of one process, dropout and per-image
# BatchNorm statistics included (no --eval); the total is reported once and the unreadable
# file makes every run exit 1.
# usage: dist_translate.sh MPIEXEC PIX2PIX WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 WORK=$3
. "$(dirname "$0")/mpi_env.sh"
fresh_workdir "$WORK"
mkdir in
synth_data data 4 64
synth_data data2 2 32
"$P2P" train --data data --netG unet_6 --ngf 4 --ndf 4 --preprocess none --max-steps 2 \
    --threads 1 --workers 0 --display-freq 0 --quiet --name model >train.log 2>&1 ||
    { cat train.log; fail "training the model"; }
cp data/train/* in/
for f in data2/train/*; do cp "$f" "in/small_$(basename "$f")"; done
echo "not an image" >in/unreadable.png
[ "$(ls in | wc -l)" -eq 7 ] || fail "expected 7 input files"
MODEL=checkpoints/model/latest_net_G.safetensors
status=0
"$P2P" translate --model $MODEL --input in --output one --threads 1 --quiet >one.log 2>&1 ||
    status=$?
cat one.log
[ "$status" -eq 1 ] || fail "one process: exit status $status, not 1"
for n in 2 3; do
    status=0
    $MPIRUN -np $n "$P2P" translate --model $MODEL --input in --output ranks$n --quiet \
        >ranks$n.log 2>&1 || status=$?
    cat ranks$n.log
    [ "$status" -ne 0 ] || fail "$n ranks: exit status 0 with an unreadable file"
    [ "$(grep -c "translated 6 of 7 images" ranks$n.log)" -eq 1 ] ||
        fail "$n ranks: the total is not reported once"
    [ "$(ls ranks$n | wc -l)" -eq 6 ] || fail "$n ranks: not 6 outputs"
    for f in one/*; do
        cmp "$f" "ranks$n/$(basename "$f")" || fail "$n ranks: $(basename "$f") differs"
    done
done
echo "dist translate: ok"
