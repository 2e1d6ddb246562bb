/* dist.h without MPI (a build configured with PIX2PIX_MPI=OFF or without MPI found): every
 * process is a job of one, the collectives leave their data as it is. */
#include <stdio.h>
#include <stdlib.h>

#include "app/parallel/dist.h"

/* mpirun starts as many copies of a program as asked for: each would train alone and write
 * the same files. Refuse, and say why. */
int dist_join(char *err, size_t errlen)
{
    if (!dist_launched_by_mpi())
        return 0;
    snprintf(err, errlen, "started by an MPI launcher, but this pix2pix was built without MPI "
             "(install libopenmpi-dev and configure with -DPIX2PIX_MPI=ON)");
    return -1;
}

void dist_leave(void) {}
_Noreturn void dist_abort(int status) { exit(status); }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_local_rank(void) { return 0; }
int dist_local_size(void) { return 1; }
void dist_broadcast(void *buf, size_t bytes) { (void)buf, (void)bytes; }
void dist_sum(float *x, int n) { (void)x, (void)n; }
void dist_max(int *x, int n) { (void)x, (void)n; }
void dist_sum_int(int *x, int n) { (void)x, (void)n; }
void dist_gather(uint64_t v, uint64_t *all) { all[0] = v; }
void dist_barrier(void) {}

/* A job of one has nothing to reduce: the trainer asks for no reducer. */
eng_reducer *dist_reducer_new(size_t bucket_bytes)
{
    (void)bucket_bytes;
    return NULL;
}

void dist_reducer_free(eng_reducer *r) { (void)r; }

void dist_reducer_stats(const eng_reducer *r, dist_reduce_stats *s)
{
    (void)r;
    *s = (dist_reduce_stats){0};
}
