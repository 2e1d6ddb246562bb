#!/bin/sh
# A new user's first hour (issue 24, friction items 2, 3, 4, 7, 8, 11), through the installed
# program: cmake --install puts the program and its man page under a prefix; the commands
# that messages print to run start with the program as it was invoked (a path, or the bare
# name found on PATH); --continue with another architecture names the options that differ;
# --load-size enlarging the images is noted; a wrong --data gets only its error; the demo
# shows no epoch count for a run bounded by time, aligns its "look at:" columns, and its
# "train it again" command runs.
# Usage: friction.sh BUILD_DIR
BUILD=$1
TMP=$(mktemp -d /tmp/p2p_friction_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS GOT WHAT
expect() { [ "$1" -eq "$2" ] || fail "$3: exit status $2, expected $1"; }
# has FILE TEXT WHAT / lacks FILE TEXT WHAT
has() { grep -qF -- "$2" "$1" || fail "$3: no '$2' in: $(cat "$1")"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$3: '$2' in: $(cat "$1")"; }

# Item 2: the install.
cmake --build "$BUILD" --target pix2pix >/dev/null || fail "building pix2pix (and its man page)"
cmake --install "$BUILD" --prefix "$TMP/inst" >/dev/null || fail "cmake --install"
[ -x "$TMP/inst/bin/pix2pix" ] || fail "no bin/pix2pix under the prefix"
has "$TMP/inst/share/man/man1/pix2pix.1" ".SS pix2pix dataset check" "man page"
has "$TMP/inst/share/man/man1/pix2pix.1" "--netG NAME" "man page"

cd "$TMP" || exit 1
P=./inst/bin/pix2pix
$P dataset synth --out data --count 12 --size 32 --quiet >/dev/null || fail "dataset synth"
tiny="--data data --netG unet_5 --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --quiet"

# Item 2: the resume command, as invoked by a path and by the bare name on PATH.
$P train $tiny --checkpoints-dir ck --max-steps 1 >out 2>err
expect 0 $? "train by a path"
has out "resume with: ./inst/bin/pix2pix train --data data" "resume command by a path"
PATH="$TMP/inst/bin:$PATH" pix2pix train $tiny --checkpoints-dir ck --max-steps 2 --continue \
    >out 2>err
expect 0 $? "train on PATH"
has out "resume with: pix2pix train --data data" "resume command on PATH"
$P train $tiny --checkpoints-dir "c k" --name "it's" --max-steps 1 >out 2>err
has out "--checkpoints-dir 'c k' --name 'it'\\''s'" "resume command, words quoted"
eval "$(sed -n 's/^resume with: //p' out) --max-steps 2" >out 2>err
expect 0 $? "the resume command with quoted words: $(cat err)"

# Item 3: --continue with another architecture.
$P train --data data --netG unet_6 --ngf 8 --load-size 64 --crop-size 64 --quiet \
    --checkpoints-dir ck --max-steps 3 --continue >out 2>err
expect 1 $? "--continue with another --netG"
has err "--netG unet_6 here, unet_5 in the checkpoint" "--continue, another --netG"
has err "--ngf 8 here, 4 in the checkpoint" "--continue, another --ngf"
lacks err "missing tensor" "--continue, another --netG"

# Item 7: one note when --load-size enlarges the 32x32 images, none at their size.
$P train --data data --netG unet_5 --ngf 4 --ndf 4 --load-size 64 --crop-size 64 \
    --checkpoints-dir ck7 --max-steps 1 >out 2>err
expect 0 $? "train at 64x64"
has err "are 32x32 (the first pair, 1.png); --load-size 64 enlarges them 2.00 times" \
    "upscaling note"
[ "$(grep -c 'enlarges' err)" -eq 1 ] || fail "upscaling note not once: $(cat err)"
$P train --data data --netG unet_5 --ngf 4 --ndf 4 --load-size 32 --crop-size 32 \
    --checkpoints-dir ck7b --max-steps 1 >out 2>err
lacks err "enlarges" "training at the images' size"

# Item 8: a wrong --data or --model gets only its error, no note about the device auto
# picked.
PIX2PIX_DEVICE=auto $P train --data none >out 2>err
expect 1 $? "train --data none"
has err "found neither none/train" "train --data none"
[ "$(wc -l <err)" -eq 1 ] || fail "train --data none printed more than its error: $(cat err)"
PIX2PIX_DEVICE=auto $P translate --model none.safetensors --input data/test --output o \
    >out 2>err
expect 1 $? "translate --model none.safetensors"
has err "none.safetensors: No such file" "translate --model none.safetensors"
[ "$(wc -l <err)" -eq 1 ] || fail "translate --model none printed more than its error: $(cat err)"

# Items 2, 4, 11: the demo.
$P demo --dir demo --count 10 --size 32 --ngf 4 --time-limit 1 >out 2>err
expect 0 $? "demo"
lacks out "/1000" "demo bounded by time"
has out "1000 epochs of 2 steps, at most 1 s (--time-limit)" "demo bounded by time"
has out "  ./inst/bin/pix2pix translate --model demo/checkpoints/demo/latest_net_G" \
    "demo's translate command"
# The descriptions of the "look at:" lines start in one column.
columns=$(sed -n '/^look at:/,/^translate/p' out | grep '^  ' |
          awk '{ print index($0, $2) }' | sort -u | wc -l)
[ "$columns" -eq 1 ] || fail "look at: columns not aligned: $(cat out)"
again=$(sed -n '/^train it again/{n;p;}' out)
case "$again" in
"  ./inst/bin/pix2pix train "*) ;;
*) fail "demo's train command: '$again'" ;;
esac
has demo/checkpoints/demo/opt.txt "netG: unet_5" "demo's opt.txt holds train's options"
eval "$again" >out 2>err
expect 0 $? "the demo's train command ($again): $(cat err)"

[ $failures -eq 0 ] && echo "ok   friction: install, commands as invoked, --continue, notes, demo"
exit $failures
