# Sourced by the tests of this folder: how they start MPI jobs on one machine.
#   --allow-run-as-root  CI and the developers' machines run as root, which Open MPI refuses
#                        by default;
#   --oversubscribe      two ranks (or more) on machines of two cores, or one;
#   --mca btl self,vader shared memory only (all ranks are local: no network probing);
#   btl_vader_single_copy_mechanism=none  containers often forbid the cross-memory attach
#                        (CMA) that vader uses for large messages, which then fails or warns.
# MPIEXEC (the first argument of each test, from CMake's FindMPI) is the launcher.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN="$MPIEXEC --allow-run-as-root --oversubscribe --mca btl self,vader"
fail() {
    echo "FAIL: $*"
    exit 1
}
# synth_data OUT COUNT SIZE: a dataset of COUNT synthetic SIZE x SIZE pairs, all in train.
synth_data() {
    "$P2P" dataset synth --out "$1" --count "$2" --size "$3" --val-fraction 0 \
        --test-fraction 0 --quiet
}
# An empty work folder WORK, made the current one.
fresh_workdir() {
    rm -rf "$1"
    mkdir -p "$1"
    cd "$1"
}
# refused_across_ranks OPTS0 OPTS1 WHAT: `train $COMMON` under 2 ranks, rank 0 started with
# OPTS0 and rank 1 with OPTS1 (by_rank.sh at $BY_RANK), is refused with exit status 2 and the
# message "rank 1 was started with WHAT" (e.g. "lr=0.002 where rank 0 has lr=0.001").
refused_across_ranks() {
    status=0
    # shellcheck disable=SC2086 # COMMON: several words
    $MPIRUN -np 2 sh "$BY_RANK" "$1" "$2" -- "$P2P" train $COMMON --name opts >opts.log 2>&1 ||
        status=$?
    cat opts.log
    [ "$status" -eq 2 ] || fail "ranks started with $1 and $2: exit status $status, not 2"
    grep -q "rank 1 was started with $3" opts.log || fail "the message does not say $3"
}
