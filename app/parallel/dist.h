/* The processes of a data-parallel job (mpirun -np N pix2pix train|translate ...): their
 * ranks, the few collective operations that training and translation need, and the gradient
 * reducer that averages gradients across ranks.
 *
 * With MPI (dist_mpi.c, built when CMake finds it: -DPIX2PIX_MPI=AUTO|ON|OFF) a process that
 * an MPI launcher started joins the job of all of them; any other process, and every process
 * of a build without MPI (dist_local.c), is a job of one and never touches MPI. The collective
 * calls must be made by every rank in the same order; an MPI failure ends the whole job (MPI's
 * default error handler), which mpirun reports naming the rank. */
#ifndef APP_DIST_H
#define APP_DIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/engine.h"

/* Whether an MPI launcher started this process: the variables that Open MPI's mpirun, PMIx
 * and PMI launchers (srun, MPICH's hydra) set. */
static inline int dist_launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* Joins the job when an MPI launcher started this process. 0, or -1 with a reason. Once per
 * process; dist_leave ends it. */
int dist_join(char *err, size_t errlen);
void dist_leave(void);
int dist_rank(void);
int dist_size(void);
/* Rank and count among the processes of this machine. */
int dist_local_rank(void);
int dist_local_size(void);

/* Ends every rank of the job with this exit status (a failure on one rank that the others
 * cannot wait for). */
_Noreturn void dist_abort(int status);

/* Collectives, all ranks alike. */
void dist_broadcast(void *buf, size_t bytes); /* rank 0's bytes to every rank */
void dist_sum(float *x, int n);               /* element-wise sums across ranks, in place */
void dist_max(int *x, int n);                 /* element-wise maxima across ranks, in place */
void dist_sum_int(int *x, int n);
void dist_gather(uint64_t v, uint64_t *all);  /* every rank's v into all[rank], on every rank */
void dist_barrier(void);

/* A reducer (engine.h) that averages each bucket of gradients across the ranks, as PyTorch's
 * DistributedDataParallel: each gradient times 1/size, summed by a non-blocking allreduce
 * started with the bucket and waited for at its finish. NULL when out of memory. */
eng_reducer *dist_reducer_new(size_t bucket_bytes);
void dist_reducer_free(eng_reducer *r);
/* Totals since the reducer was made: floats reduced, buckets, seconds from each start to the
 * completion its progress or finish saw (in flight), seconds blocked in finish (exposed). */
typedef struct {
    double floats, buckets, in_flight_s, waited_s;
} dist_reduce_stats;
void dist_reducer_stats(const eng_reducer *r, dist_reduce_stats *s);

#endif
