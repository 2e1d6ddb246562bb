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
