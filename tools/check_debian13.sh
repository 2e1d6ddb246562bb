#!/usr/bin/env bash
# Runs the README's two commands (install, build and demo; then the test suite) on Debian 13
# (trixie), in a chroot made by debootstrap, on a clone of this checkout's HEAD (committed work
# only). Prints the time of each phase and ctest's summary line; exits non-zero if a command
# fails. Where it cannot run (not root, no debootstrap, Debian's repository out of reach, mount
# not permitted) it says "skipped: REASON" and exits 0.
#
# The root is made once and kept in CACHE (${XDG_CACHE_HOME:-/var/cache}/pix2pix-vk/debian13,
# or $PIX2PIX_DEBIAN13_CACHE): later runs reuse it, installed packages included. The mirror is
# the host's Debian one (/etc/apt/sources.list*), else deb.debian.org, or $DEBIAN_MIRROR.
#
# --backports: in the same root, Mesa's Vulkan drivers from trixie-backports (lavapipe with
# VK_KHR_cooperative_matrix), then the README's first command (install, build, demo), `pix2pix
# devices` and the Vulkan tests (ctest -R '^vulkan_|coopmat'). A plain run puts the release's
# Mesa back first, so that each run checks the Mesa it names.
# Usage: sudo tools/check_debian13.sh [--backports]
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=trixie
case ${1:-} in
--backports) BACKPORTS=1 ;;
"") BACKPORTS=0 ;;
*) echo "usage: $0 [--backports]" >&2; exit 2 ;;
esac
CACHE=${PIX2PIX_DEBIAN13_CACHE:-${XDG_CACHE_HOME:-/var/cache}/pix2pix-vk/debian13}
ROOT=$CACHE/root
SRC_IN_ROOT=/src/pix2pix-vk
LOG=$CACHE/readme.log
MOUNTED=()
PHASES=()

skip() {
    echo "check_debian13: skipped: $*"
    exit 0
}

# The first Debian archive URI of the host's apt sources (one-line and deb822 formats).
host_debian_mirror() {
    local uri='[a-z]+://[^[:space:]]+/debian/?'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null |
        grep -oE "^(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)$uri([[:space:]]|$)" |
        grep -oE '[a-z]+://[^[:space:]]+' | sed 's:/$::' | head -n 1
}

MIRROR=${DEBIAN_MIRROR:-$(host_debian_mirror || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

check_can_run() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot and mount)"
    command -v debootstrap >/dev/null || skip "no debootstrap (apt-get install debootstrap)"
    [ -e "/usr/share/debootstrap/scripts/$SUITE" ] || skip "this debootstrap does not know $SUITE"
    local probe
    probe=$(mktemp -d)
    if ! mount -t tmpfs check_debian13 "$probe" 2>/dev/null; then
        rmdir "$probe"
        skip "mount is not permitted here"
    fi
    umount "$probe"
    if ! /usr/lib/apt/apt-helper download-file "$MIRROR/dists/$SUITE/Release" "$probe/Release" \
        >/dev/null 2>&1; then
        rm -rf "$probe"
        skip "cannot download $MIRROR/dists/$SUITE/Release (no network to Debian's repository?)"
    fi
    rm -rf "$probe"
}

# debootstrap into ROOT.partial, renamed when complete: an interrupted one is made again.
make_root() {
    if [ -x "$ROOT/bin/bash" ]; then
        echo "reusing $ROOT"
        return
    fi
    rm -rf --one-file-system "$ROOT.partial"
    if ! debootstrap --variant=minbase "$SUITE" "$ROOT.partial" "$MIRROR" \
        >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 30 "$CACHE/debootstrap.log"
        echo "check_debian13: debootstrap $SUITE $MIRROR failed (log: $CACHE/debootstrap.log)"
        return 1
    fi
    mv "$ROOT.partial" "$ROOT"
}

unmount_all() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount -R "${MOUNTED[i]}" 2>/dev/null || umount -R -l "${MOUNTED[i]}" ||
            echo "check_debian13: could not unmount ${MOUNTED[i]}"
    done
    MOUNTED=()
}

# proc, sys and dev (with /dev/shm and /dev/pts: Open MPI and chromium use them) in the root,
# unmounted on exit, failure and Ctrl-C included.
mount_root() {
    trap unmount_all EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mount -t proc proc "$ROOT/proc" || return 1
    MOUNTED+=("$ROOT/proc")
    local dir
    for dir in sys dev; do
        mount --rbind "/$dir" "$ROOT/$dir" || return 1
        MOUNTED+=("$ROOT/$dir")
        mount --make-rslave "$ROOT/$dir" || return 1
    done
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
}

clone_head() {
    rm -rf --one-file-system "$ROOT$SRC_IN_ROOT" &&
        mkdir -p "$(dirname "$ROOT$SRC_IN_ROOT")" &&
        git clone --quiet --no-checkout . "$ROOT$SRC_IN_ROOT" &&
        git -C "$ROOT$SRC_IN_ROOT" checkout --quiet --detach "$(git rev-parse HEAD)" &&
        git -C "$ROOT$SRC_IN_ROOT" log -1 --format='HEAD %h %s'
}

# Runs a shell command in the clone, inside the root, with a clean environment; its output
# goes to the terminal and to LOG.
run_in_root() {
    env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        chroot "$ROOT" /bin/bash -c "cd $SRC_IN_ROOT && $1" 2>&1 | tee -a "$LOG"
}

# The commands of the README's first sh block, one per line.
readme_commands() {
    awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside && NF && !/^#/' \
        "$ROOT$SRC_IN_ROOT/README.md"
}

# Mesa from SUITE-backports, the source added to the root.
install_backports_mesa() {
    echo "deb $MIRROR $SUITE-backports main" >"$ROOT/etc/apt/sources.list.d/$SUITE-backports.list"
    run_in_root "export DEBIAN_FRONTEND=noninteractive && apt-get update -q &&
        apt-get install -y -q -t $SUITE-backports mesa-vulkan-drivers" &&
        run_in_root "dpkg-query -W -f '\${Package} \${Version}\n' mesa-vulkan-drivers"
}

# The release's packages in place of the backported ones a --backports run left.
restore_release_mesa() {
    local backported
    backported=$(chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' | awk -v s="$SUITE" \
        '$2 ~ /~bpo/ { printf "%s/%s ", $1, s }')
    [ -n "$backported" ] || return 0
    run_in_root "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades $backported"
}

phase() {
    local name=$1 start=$SECONDS status=0 note=""
    shift
    echo "== $name"
    "$@" || status=$?
    [ $status -eq 0 ] || note=" (failed, status $status)"
    PHASES+=("$(printf '%5ds  %s%s' $((SECONDS - start)) "$name" "$note")")
    return $status
}

# Each README line (all, or the first $1) runs as its '&&'-joined steps, timed one by one; the
# first failure ends it.
run_readme() {
    local line step
    while IFS= read -r line; do
        while IFS= read -r step; do
            phase "$step" run_in_root "$step" || return 1
        done <<<"${line// && /$'\n'}"
    done < <(readme_commands | head -n "${1:-1000}")
}

# The README's build on backported Mesa, then the Vulkan tests, the cooperative-matrix ones
# included.
run_backports() {
    phase "Mesa from $SUITE-backports" install_backports_mesa &&
        run_readme 1 &&
        phase "build/pix2pix devices" run_in_root "build/pix2pix devices" &&
        phase "Vulkan tests" run_in_root \
            "ctest --test-dir build -R '^vulkan_|coopmat' --output-on-failure"
}

check_can_run
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -n 9 || { echo "check_debian13: another run holds $CACHE/lock"; exit 1; }
: >"$LOG"
NAME="Debian 13 ($SUITE)"
[ $BACKPORTS -eq 0 ] || NAME="$NAME + $SUITE-backports Mesa"
echo "check_debian13: $NAME from $MIRROR in $ROOT"
status=0
phase "debootstrap $SUITE (or reuse)" make_root && mount_root && phase "clone HEAD" clone_head ||
    status=1
if [ $status -eq 0 ] && [ $BACKPORTS -eq 1 ]; then
    run_backports || status=1
elif [ $status -eq 0 ]; then
    phase "Mesa of $SUITE" restore_release_mesa && run_readme || status=1
fi
echo "== $NAME phases:"
printf '  %s\n' "${PHASES[@]}"
grep -E '^[0-9]+% tests passed' "$LOG" || echo "check_debian13: the test suite did not run"
if [ $status -eq 0 ]; then echo "check_debian13: passed"; else echo "check_debian13: FAILED"; fi
exit $status
