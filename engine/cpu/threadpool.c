/* A fixed pool of worker threads for the element-wise kernels. The calling thread takes part,
 * so a pool of T threads starts T-1 workers. Workers sleep on a condition variable between
 * jobs (no spinning: the BLAS threads need the cores during the GEMMs). */
#include <pthread.h>
#include <stdlib.h>

#include "engine/cpu/cpu_internal.h"

struct cpu_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t done;
    /* the current job */
    cpu_range_fn fn;
    void *arg;
    size_t n;
    int nchunks;
    int next_chunk;
    int chunks_done;
    unsigned generation;
    int stopping;
};

static void chunk_range(size_t n, int nchunks, int k, size_t *begin, size_t *end)
{
    *begin = n * (size_t)k / (size_t)nchunks;
    *end = n * (size_t)(k + 1) / (size_t)nchunks;
}

/* Takes chunks of the current job until none is left; called with the lock held. */
static void work_on_job(cpu_pool *pool)
{
    while (pool->next_chunk < pool->nchunks) {
        int k = pool->next_chunk++;
        size_t begin, end;
        chunk_range(pool->n, pool->nchunks, k, &begin, &end);
        cpu_range_fn fn = pool->fn;
        void *arg = pool->arg;
        pthread_mutex_unlock(&pool->lock);
        if (begin < end)
            fn(arg, begin, end);
        pthread_mutex_lock(&pool->lock);
        if (++pool->chunks_done == pool->nchunks)
            pthread_cond_signal(&pool->done);
    }
}

static void *worker_main(void *arg)
{
    cpu_pool *pool = arg;
    unsigned seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stopping && pool->generation == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->stopping)
            break;
        seen = pool->generation;
        work_on_job(pool);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

cpu_pool *cpu_pool_new(int threads)
{
    cpu_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->workers = calloc((size_t)pool->threads, sizeof *pool->workers);
    if (!pool->workers) {
        free(pool);
        return NULL;
    }
    for (int i = 1; i < pool->threads; i++) {
        if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) {
            pool->threads = i; /* run with the workers that did start */
            break;
        }
    }
    return pool;
}

void cpu_pool_free(cpu_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i < pool->threads; i++)
        pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    free(pool->workers);
    free(pool);
}

void cpu_parallel_for(cpu_pool *pool, size_t n, cpu_range_fn fn, void *arg)
{
    if (n == 0)
        return;
    int nchunks = pool->threads;
    if ((size_t)nchunks > n)
        nchunks = (int)n;
    if (nchunks <= 1) {
        fn(arg, 0, n);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->nchunks = nchunks;
    pool->next_chunk = 0;
    pool->chunks_done = 0;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    work_on_job(pool);
    while (pool->chunks_done < pool->nchunks)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}
