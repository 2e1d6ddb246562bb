#!/bin/sh
# tools/file_cycles.py on small trees made here: one whose files use each other only one way
# (with a comment, a string, a member and a static function named like the other file's
# functions, none of which counts) passes; the same tree once b.c calls back into a.c is
# reported, naming both files, with a non-zero exit.
# usage: file_cycles_caught.sh PYTHON TOOL
set -u
PYTHON=$1
TOOL=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/p2p_cycles.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src/lib"
cat >"$TMP/src/top.c" <<'C'
/* top_run dispatches: it calls lib_step, defined in lib/b.c. */
int lib_step(int x);
int top_run(int x)
{
    return lib_step(x) + 1;
}
C
cat >"$TMP/src/lib/b.c" <<'C'
/* Not a use: top_run() named in a comment. */
struct s { int (*top_run)(int); };
static int top_helper(int x) { return x; }
int lib_step(int x)
{
    struct s v = {0};
    const char *name = "top_run(x)";
    (void)name;
    return v.top_run ? 0 : top_helper(x);
}
C
"$PYTHON" "$TOOL" "$TMP/src" >"$TMP/one_way.txt" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
    cat "$TMP/one_way.txt"
    echo "FAIL: a tree without a cycle was refused (status $status)"
    exit 1
fi
cat >>"$TMP/src/lib/b.c" <<'C'
int lib_twice(int x)
{
    return top_run(x) * 2;
}
C
"$PYTHON" "$TOOL" "$TMP/src" >"$TMP/cycle.txt" 2>&1
status=$?
cat "$TMP/cycle.txt"
if [ "$status" -eq 0 ]; then
    echo "FAIL: the cycle between top.c and lib/b.c was not reported"
    exit 1
fi
line=$(grep -F "file-level cycle:" "$TMP/cycle.txt" | grep -F "src/top.c" | grep -F "src/lib/b.c")
if [ -z "$line" ]; then
    echo "FAIL: no line reports the cycle naming src/top.c and src/lib/b.c"
    exit 1
fi
if ! grep -F "(top_run)" "$TMP/cycle.txt" >/dev/null; then
    echo "FAIL: the call back (top_run) is not named"
    exit 1
fi
echo "file_cycles caught: ok"
