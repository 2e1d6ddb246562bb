#!/bin/sh
# Runs COMMAND with the options of this process's MPI rank appended: one job of one program
# whose ranks differ, instead of mpirun's "-np 1 A : -np 1 B" (which Open MPI 5.0.7's mpirun
# crashes on). The rank is read from the environment mpirun gives each process.
# usage: mpirun -np N sh by_rank.sh 'OPTIONS OF RANK 0' ... 'OPTIONS OF RANK N-1' -- COMMAND...
set -eu
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-}}
if [ -z "$rank" ]; then
    echo "by_rank.sh: neither OMPI_COMM_WORLD_RANK nor PMIX_RANK is set: not run by mpirun"
    exit 2
fi
i=0
mine=""
while [ "$1" != "--" ]; do
    [ "$i" -ne "$rank" ] || mine=$1
    i=$((i + 1))
    shift
done
shift
# shellcheck disable=SC2086 # the rank's options are split into words
exec "$@" $mine
