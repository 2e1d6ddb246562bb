#!/bin/sh
# pix2pix train --d-steps 2 under mpirun -np 2 is refused before any data is read: exit status
# 2, a message saying why, nothing written.
# usage: d_steps_refused.sh MPIEXEC PIX2PIX WORKDIR
set -eu
MPIEXEC=$1 P2P=$2 WORK=$3
. "$(dirname "$0")/mpi_env.sh"
fresh_workdir "$WORK"
status=0
$MPIRUN -np 2 "$P2P" train --data data --d-steps 2 --quiet >dsteps.log 2>&1 || status=$?
cat dsteps.log
[ "$status" -eq 2 ] || fail "--d-steps 2 with 2 ranks: exit status $status, not 2"
grep -q -- "--d-steps 2 is not available with several ranks" dsteps.log ||
    fail "the message does not say why --d-steps is refused"
[ ! -e checkpoints ] || fail "the refused job wrote checkpoints"
echo "--d-steps 2 refused with 2 ranks"
