# Shared by the robustness scripts: arguments, a scratch folder, assertions, a tiny model.
# Usage in a script: . "$(dirname "$0")/common.sh" "$@"
set -u
BIN=$1
TOOL=$2
SRC=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/p2p_robust.XXXXXX")
trap 'chmod -R u+rwx "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
FAILURES=0

fail() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
}

# expect_line FILE PATTERN...: one line of FILE contains every pattern (fixed strings).
expect_line() {
    file=$1
    shift
    match=$(cat "$file")
    for p in "$@"; do
        match=$(printf '%s\n' "$match" | grep -F -- "$p")
    done
    [ -n "$match" ] || fail "no line of $(basename "$file") contains: $*"
}

# expect_reason FILE PATH WORDS: a line of FILE is "PATH: REASON" with WORDS in REASON (and
# the path only once), and it is the only line naming PATH.
expect_reason() {
    lines=$(grep -F -- "$2: " "$1")
    reason=${lines#*"$2: "}
    case "$reason" in
    *"$2"*) fail "$2: the path is repeated in '$lines'" ;;
    *"$3"*) ;;
    *) fail "$2: reason '$reason' does not contain '$3'" ;;
    esac
    [ "$(printf '%s\n' "$lines" | wc -l)" -eq 1 ] || fail "$2 reported more than once"
}

# expect_status WANT GOT WHAT
expect_status() {
    [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"
}

# tiny_model NAME [train options...]: trains a U-Net for 32x32 images (the smallest) for 2
# steps on a synthetic dataset, into $TMP/ck/NAME.
tiny_model() {
    [ -d "$TMP/synth" ] || "$BIN" dataset synth --out "$TMP/synth" --count 4 --size 32 \
        --val-fraction 0 --test-fraction 0 >/dev/null || fail "dataset synth"
    name=$1
    shift
    "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name "$name" --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 1 --epochs-decay 0 \
        --threads 1 --workers 1 --display-freq 0 --max-steps 2 "$@" >/dev/null 2>&1 ||
        fail "training the tiny model $name"
}

# bad_image_reasons: the unusable image files that bad_images.sh and bad_training_data.sh put
# among good ones, as NAME|words their reason must contain, one a line.
bad_image_reasons() {
    cat <<'CASES'
empty.png|empty
truncated.png|truncated
truncated_jpeg.jpg|Premature end
bad_crc.png|CRC
wrong_magic.jpg|not a JPEG or PNG
text.jpg|not a JPEG or PNG
dangling.png|No such file
fifo.png|not a regular file
huge_70000.png|70000x70000
CASES
}

# long_run_k [exec] [options...]: the run k of the tiny model on $TMP/synth, saving every
# epoch, until it is stopped (or --max-steps). With "exec" first it replaces the shell, so that
# in (long_run_k exec ...) & $! is the pid of pix2pix itself.
long_run_k() {
    how=
    if [ "${1:-}" = exec ]; then
        how=exec
        shift
    fi
    $how "$BIN" train --data "$TMP/synth" --checkpoints-dir "$TMP/ck" --name k --netG unet_5 \
        --ngf 4 --ndf 4 --load-size 32 --crop-size 32 --epochs 100000 --epochs-decay 0 \
        --save-epoch-freq 1 --threads 1 --workers 1 --display-freq 0 "$@"
}

# commit_record STEP FOLDER NAME...: the commit record of the latest set of STEP whose files are
# latest_NAME.safetensors.next, of the sizes of FOLDER/latest_NAME.safetensors.
commit_record() {
    echo "pix2pix-vk checkpoint set latest of step $1"
    from=$2
    shift 2
    for f in "$@"; do
        echo "latest_$f.safetensors.next $(($(wc -c <"$from/latest_$f.safetensors")))"
    done
    echo end
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$(basename "$0"): $FAILURES failure(s)"
        exit 1
    fi
    echo "$(basename "$0"): ok"
    exit 0
}
