#!/bin/sh
# Bad model files through translate, inspect and train (--init-g, --continue): truncated, a
# corrupt header, empty, a folder, a FIFO, the wrong architecture, a discriminator passed as
# the generator, damaged and malicious PyTorch .pth files, pickles that would exhaust memory.
# Each is one line naming the file and the reason; nothing crashes; exit 1.
. "$(dirname "$0")/common.sh" "$@"
tiny_model m
G=$TMP/ck/m/latest_net_G.safetensors
DFILE=$TMP/ck/m/latest_net_D.safetensors
B=$TMP/bad
mkdir -p "$B" "$B/folder.safetensors"
"$TOOL" inputs "$TMP" "$SRC/tests/fuzz/corpus_image" >/dev/null 2>&1
IMG=$TMP/good_rgb.png
size=$(wc -c <"$G")
head -c $((size / 2)) "$G" >"$B/truncated.safetensors"
head -c 6 "$G" >"$B/short.safetensors"
# The JSON header starts at byte 8: its opening brace becomes 'X'.
{ head -c 8 "$G"; printf 'X'; tail -c +10 "$G"; } >"$B/corrupt_header.safetensors"
: >"$B/empty.safetensors"
# Metadata describing another network than the tensors (same lengths, so the file stays valid):
# ngf 0 once aborted the graph builder, 2 input channels overflowed the image conversion.
sed 's/"ngf":"4"/"ngf":"0"/' "$G" >"$B/ngf0.safetensors"
sed 's/"input_nc":"3"/"input_nc":"2"/' "$G" >"$B/input_nc2.safetensors"
sed 's/"netG":"unet_5"/"netG":"unet_6"/' "$G" >"$B/unet6.safetensors"
mkfifo "$B/fifo.safetensors"

echo "--- messages:"
# name | words the reason must contain
# translate_refuses NAME REASON: translate with the model file NAME fails, saying REASON.
translate_refuses() {
    "$BIN" translate --model "$B/$1" --input "$IMG" --output "$TMP/out" >/dev/null \
        2>"$TMP/stderr"
    expect_status 1 $? "translate --model $1"
    cat "$TMP/stderr"
    expect_reason "$TMP/stderr" "$B/$1" "$2"
}
while IFS='|' read -r name reason; do
    translate_refuses "$name" "$reason"
    "$BIN" inspect "$B/$name" >/dev/null 2>"$TMP/stderr"
    expect_status 1 $? "inspect $name"
    expect_reason "$TMP/stderr" "$B/$name" "$reason"
done <<'CASES'
truncated.safetensors|outside the data area
short.safetensors|truncated: 6 bytes
corrupt_header.safetensors|not valid JSON
empty.safetensors|truncated: 0 bytes
folder.safetensors|not a regular file
fifo.safetensors|not a regular file
CASES
while IFS='|' read -r name reason; do
    translate_refuses "$name" "$reason"
done <<'CASES'
ngf0.safetensors|unsupported generator: depth 5, ngf 0
input_nc2.safetensors|the generator takes 2
unet6.safetensors|missing tensor
CASES
[ -e "$TMP/out/good_rgb.png" ] && fail "an image was written with a bad model"
# inspect describes the tensors, and notes where the metadata disagrees with them.
"$BIN" inspect "$B/unet6.safetensors" >"$TMP/stdout" 2>&1
expect_status 0 $? "inspect unet6.safetensors"
expect_line "$TMP/stdout" "network:" "generator unet_5"
expect_line "$TMP/stdout" "note:" "the metadata says netG unet_6, the tensors are a unet_5"
"$BIN" inspect "$B/ngf0.safetensors" >"$TMP/stdout" 2>&1
expect_line "$TMP/stdout" "note:" "the metadata says ngf 0, the tensors have ngf 4"
for f in "$G" "$DFILE"; do
    "$BIN" inspect "$f" >"$TMP/stdout" 2>&1
    grep -q "^note:" "$TMP/stdout" && fail "inspect $f: a note where the metadata agrees"
done

# A discriminator given as the generator.
"$BIN" translate --model "$DFILE" --input "$IMG" --output "$TMP/out" >/dev/null 2>"$TMP/stderr"
expect_status 1 $? "translate with D as the model"
cat "$TMP/stderr"
expect_reason "$TMP/stderr" "$DFILE" "discriminator"
# train_refused WHAT NAME NETG NGF [options...]: an epoch of the run NAME of that network is
# refused (exit status 1); its messages shown, and in $TMP/stderr.
train_refused() {
    what=$1 name=$2 netg=$3 ngf=$4
    shift 4
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name "$name" --netG "$netg" \
        --ngf "$ngf" --ndf 4 --load-size 32 --crop-size 32 --epochs 1 --epochs-decay 0 \
        --threads 1 --display-freq 0 "$@" >/dev/null 2>"$TMP/stderr"
    expect_status 1 $? "$what"
    cat "$TMP/stderr"
}
train_refused "train --init-g with a discriminator" d_as_g unet_5 4 --init-g "$DFILE"
expect_reason "$TMP/stderr" "$DFILE" "missing tensor"

# The wrong architecture: --continue of a U-Net run as a ResNet (named from the checkpoint's
# record), --init-g with another ngf.
train_refused "train --continue with another --netG" m resnet_6blocks 4 --continue
expect_line "$TMP/stderr" "pix2pix train: --continue: $TMP/ck/m was trained with other options" \
    "--netG resnet_6blocks here, unet_5 in the checkpoint"
train_refused "train --init-g with another --ngf" ngf8 unet_5 8 --init-g "$G"
expect_reason "$TMP/stderr" "$G" "has shape [4,3,4,4], the network needs [8,3,4,4]"

# PyTorch .pth files are told by their content, whatever their name; damaged ones and a
# pickle that would call os.system are refused with the file and the reason, and nothing runs.
PTH=$SRC/tests/app/fixtures
cp "$PTH/pth_unet_g.pth" "$B/renamed.safetensors"
"$BIN" inspect "$B/renamed.safetensors" >"$TMP/stdout" 2>&1
expect_status 0 $? "inspect of a .pth named .safetensors"
expect_line "$TMP/stdout" "generator unet_5"
size=$(wc -c <"$PTH/pth_unet_g.pth")
head -c $((size / 2)) "$PTH/pth_unet_g.pth" >"$B/truncated.pth"
size=$(wc -c <"$PTH/pth_unet_g_legacy.pth")
head -c $((size - 100)) "$PTH/pth_unet_g_legacy.pth" >"$B/truncated_legacy.pth"
head -c 40 "$PTH/pth_unet_g_legacy.pth" >"$B/short_legacy.pth"
cp "$PTH/evil.pth" "$PTH/evil_legacy.pth" "$B/"
# Other files are told by their first bytes too: a legacy file whose magic number is wrong, a
# bare pickle, an image.
{ head -c 4 "$PTH/pth_unet_g_legacy.pth"; printf '\000'; tail -c $((size - 5)) \
    "$PTH/pth_unet_g_legacy.pth"; } >"$B/wrong_magic.pth"
printf '\200\002}q\000X\001\000\000\000aq\001K\001s.' >"$B/bare_pickle.pth"
cp "$IMG" "$B/image.pth"
while IFS='|' read -r name reason; do
    (cd "$B" && "$BIN" translate --model "$B/$name" --input "$IMG" --output "$TMP/out") \
        >/dev/null 2>"$TMP/stderr"
    expect_status 1 $? "translate --model $name"
    cat "$TMP/stderr"
    expect_reason "$TMP/stderr" "$B/$name" "$reason"
    (cd "$B" && "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name pth \
        --netG unet_5 --ngf 2 --ndf 4 --load-size 32 --crop-size 32 --epochs 1 \
        --epochs-decay 0 --threads 1 --display-freq 0 --init-g "$B/$name") >/dev/null \
        2>"$TMP/stderr"
    expect_status 1 $? "train --init-g $name"
    expect_reason "$TMP/stderr" "$B/$name" "$reason"
done <<'CASES'
truncated.pth|not a readable zip archive
truncated_legacy.pth|truncated: storage
wrong_magic.pth|a pickle, not a PyTorch .pth file (torch.save writes a zip archive or a legacy
bare_pickle.pth|a pickle, not a PyTorch .pth file
image.pth|not a model file: neither safetensors, a PyTorch zip archive nor a legacy PyTorch
short_legacy.pth|system info: truncated pickle
evil.pth|refused: pickle global posix.system is not part of a state_dict
evil_legacy.pth|refused: pickle global posix.system is not part of a state_dict
CASES
[ -e "$B/pix2pix_pwned.txt" ] && fail "a pickle ran its command"

# Pickles that would grow without bound, wrapped in a torch.save zip: each is refused at the
# limit it passes, naming it, in little more memory and time than a file refused at its first
# bytes (once 10 MB of NONE took 2.5 GB and 18 s); relative bounds, so that sanitizer builds
# pass too. pickle NAME PREFIX COUNT BYTE: PROTO 2, PREFIX, COUNT times BYTE, STOP.
pickle() {
    { printf '\200\002'; printf "$2"; head -c "$3" /dev/zero | tr '\0' "$4"; printf '.'; } \
        >"$B/$1.pkl"
    "$TOOL" pth-zip "$B/$1.pth" "$B/$1.pkl" || fail "pth-zip $1"
}
set -- $("$TOOL" maxrss "$BIN" translate --model "$B/bare_pickle.pth" --input "$IMG" \
    --output "$TMP/out" 2>/dev/null | tail -n 1)
base_kb=$2 base_seconds=$3
echo "bare_pickle.pth: peak $base_kb KB, $base_seconds s"
while IFS='|' read -r name prefix count byte reason; do
    pickle "$name" "$prefix" "$count" "$byte"
    "$TOOL" maxrss "$BIN" translate --model "$B/$name.pth" --input "$IMG" --output "$TMP/out" \
        >"$TMP/rss" 2>"$TMP/stderr"
    cat "$TMP/stderr"
    set -- $(tail -n 1 "$TMP/rss") # status, peak KB, seconds
    echo "$name.pth: exit status $1, peak $2 KB, $3 s"
    expect_status 1 "$1" "translate --model $name.pth"
    expect_reason "$TMP/stderr" "$B/$name.pth" "$reason"
    [ "$2" -lt $((base_kb + 102400)) ] || fail "$name.pth: translate grew to $2 KB"
    awk "BEGIN { exit !($3 < $base_seconds + 2) }" || fail "$name.pth: translate took $3 s"
done <<'CASES'
none_flood||4000000|N|more than 32768 values on the pickle's stack at byte 32770 (NONE)
list_flood||4000000|]|more than 32768 values on the pickle's stack
get_flood|Nqh|4000000|h|more than 32768 values on the pickle's stack
nested_tuples|N|4000000|\205|more than 131072 values pushed by the pickle
memo_flood|N|4000000|\224|more than 131072 memo entries
mark_flood||4000000|(|more than 64 nested MARKs
huge_string|X\000\000\020\000|1048576|a|more than 65536 bytes in a string at byte 2
huge_pickle||5000000|N|data.pkl: 5000003 bytes, more than its limit of 4194304
CASES

# A truncated optimizer state stops --continue with its name.
OPT=$TMP/ck/m/latest_opt.safetensors
size=$(wc -c <"$OPT")
head -c $((size - 100)) "$OPT" >"$OPT.part" && mv "$OPT.part" "$OPT"
train_refused "train --continue with a truncated optimizer state" m unet_5 4 --continue
expect_reason "$TMP/stderr" "$OPT" "outside the data area"
finish
