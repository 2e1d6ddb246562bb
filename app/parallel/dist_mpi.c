/* dist.h on MPI: MPI_COMM_WORLD, a shared-memory split of it for the local ranks, and the
 * gradient reducer on MPI_Iallreduce. Only the calling (main) thread uses MPI. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/parallel/dist.h"
#include "app/common/progress.h"

static struct {
    int joined, rank, size, local_rank, local_size;
} job = {0, 0, 1, 0, 1};

int dist_join(char *err, size_t errlen)
{
    if (!dist_launched_by_mpi())
        return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        snprintf(err, errlen, "cannot join the MPI job (MPI_Init failed)");
        return -1;
    }
    job.joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &job.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &job.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, job.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &job.local_rank);
    MPI_Comm_size(local, &job.local_size);
    MPI_Comm_free(&local);
    return 0;
}

void dist_leave(void)
{
    if (job.joined)
        MPI_Finalize();
    job.joined = 0;
}

_Noreturn void dist_abort(int status)
{
    fflush(NULL);
    MPI_Abort(MPI_COMM_WORLD, status);
    exit(status); /* MPI_Abort does not return */
}

int dist_rank(void) { return job.rank; }
int dist_size(void) { return job.size; }
int dist_local_rank(void) { return job.local_rank; }
int dist_local_size(void) { return job.local_size; }

/* MPI counts are ints: large buffers go in pieces. */
#define PIECE ((size_t)1 << 30)

void dist_broadcast(void *buf, size_t bytes)
{
    for (size_t off = 0; job.size > 1 && off < bytes; off += PIECE) {
        size_t n = bytes - off < PIECE ? bytes - off : PIECE;
        MPI_Bcast((char *)buf + off, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
}

void dist_sum(float *x, int n)
{
    if (job.size > 1)
        MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void dist_sum_int(int *x, int n)
{
    if (job.size > 1)
        MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
}

void dist_max(int *x, int n)
{
    if (job.size > 1)
        MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}

void dist_gather(uint64_t v, uint64_t *all)
{
    if (job.size > 1)
        MPI_Allgather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    else
        all[0] = v;
}

void dist_barrier(void)
{
    if (job.size > 1)
        MPI_Barrier(MPI_COMM_WORLD);
}

/* ---- the gradient reducer ----------------------------------------------------------------- */
typedef struct {
    float *buf;
    size_t cap, total;
    float *const *grads;
    const size_t *counts;
    int n;
    MPI_Request req;
    double started;
} bucket;

typedef struct {
    eng_reducer r; /* first: r.ctx points back here */
    bucket *b;
    int nb;
    dist_reduce_stats stats;
} reducer;

/* Bucket i's slot, grown on first use (the engine numbers them 0, 1, ... every run). */
static bucket *slot(reducer *rd, int i)
{
    if (i >= rd->nb) {
        bucket *grown = realloc(rd->b, (size_t)(i + 1) * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + rd->nb, 0, (size_t)(i + 1 - rd->nb) * sizeof *grown);
        for (int k = rd->nb; k <= i; k++)
            grown[k].req = MPI_REQUEST_NULL;
        rd->b = grown;
        rd->nb = i + 1;
    }
    return &rd->b[i];
}

/* Packs the gradients times 1/size (DDP scales each gradient as it copies it into its bucket,
 * then sums) and starts the sum. */
static int r_start(void *ctx, int i, float *const *grads, const size_t *counts, int n)
{
    reducer *rd = ctx;
    bucket *b = slot(rd, i);
    size_t total = 0;
    for (int k = 0; k < n; k++)
        total += counts[k];
    if (!b || total > (size_t)0x7fffffff)
        return -1;
    if (total > b->cap) {
        float *grown = realloc(b->buf, total * sizeof *grown);
        if (!grown)
            return -1;
        b->buf = grown;
        b->cap = total;
    }
    const float scale = 1.0f / (float)job.size;
    float *dst = b->buf;
    for (int k = 0; k < n; k++)
        for (size_t j = 0; j < counts[k]; j++)
            *dst++ = grads[k][j] * scale;
    b->grads = grads;
    b->counts = counts;
    b->n = n;
    b->total = total;
    b->started = now_seconds();
    rd->stats.floats += (double)total;
    rd->stats.buckets++;
    return MPI_Iallreduce(MPI_IN_PLACE, b->buf, (int)total, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                          &b->req) != MPI_SUCCESS;
}

/* Drives the allreduces in flight (Open MPI advances non-blocking collectives inside MPI
 * calls), noting when each completes. */
static int r_progress(void *ctx)
{
    reducer *rd = ctx;
    for (int i = 0; i < rd->nb; i++) {
        if (rd->b[i].req == MPI_REQUEST_NULL)
            continue;
        int done = 0;
        if (MPI_Test(&rd->b[i].req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        if (done)
            rd->stats.in_flight_s += now_seconds() - rd->b[i].started;
    }
    return 0;
}

static int r_finish(void *ctx, int i)
{
    reducer *rd = ctx;
    bucket *b = &rd->b[i];
    if (b->req != MPI_REQUEST_NULL) {
        double t0 = now_seconds();
        if (MPI_Wait(&b->req, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        double t1 = now_seconds();
        rd->stats.waited_s += t1 - t0;
        rd->stats.in_flight_s += t1 - b->started;
    }
    const float *src = b->buf;
    for (int k = 0; k < b->n; k++) {
        memcpy(b->grads[k], src, b->counts[k] * sizeof *src);
        src += b->counts[k];
    }
    return 0;
}

eng_reducer *dist_reducer_new(size_t bucket_bytes)
{
    reducer *rd = calloc(1, sizeof *rd);
    if (!rd)
        return NULL;
    rd->r = (eng_reducer){rd, bucket_bytes, r_start, r_progress, r_finish};
    return &rd->r;
}

void dist_reducer_free(eng_reducer *r)
{
    reducer *rd = r ? r->ctx : NULL;
    if (!rd)
        return;
    for (int i = 0; i < rd->nb; i++)
        free(rd->b[i].buf);
    free(rd->b);
    free(rd);
}

void dist_reducer_stats(const eng_reducer *r, dist_reduce_stats *s)
{
    *s = ((const reducer *)r->ctx)->stats;
}
