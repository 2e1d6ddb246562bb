/* OpenBLAS maps a work buffer (BUFFER_SIZE, 128 MiB on x86-64) for each of its threads at their
 * first product and, before 0.3.30, retries for ever when the mapping fails: under an address
 * space limit (ulimit -v, prlimit --as) a plan that took most of the space left the process
 * spinning in blas_memory_alloc (OpenMathLib/OpenBLAS#5289). So when a backend is made, the room
 * for the buffers is probed, and one product on every thread maps them while it is there; the
 * buffers are kept for later products, and a plan that no longer fits fails in its own
 * allocation, with a message. */
#include <cblas.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "engine/cpu/cpu_internal.h"
#include "engine/engine.h"

/* A buffer, with its header page (the threads and their stacks exist already). */
#define BLAS_THREAD_BYTES (((size_t)128 << 20) + ((size_t)64 << 10))
/* 256^3: above OpenBLAS's threshold for using all its threads, about a millisecond. */
#define WARM_N 256

int cpu_reserve_blas_buffers(int threads)
{
    size_t room = (size_t)threads * BLAS_THREAD_BYTES;
    /* Reserves address space only: nothing is committed or touched. */
    void *probe = mmap(NULL, room, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED)
        return eng_set_error(ENG_ENOMEM, "no room in the address space for OpenBLAS's buffers "
                             "(%d thread%s x 128 MiB): use fewer threads or raise ulimit -v",
                             threads, threads == 1 ? "" : "s");
    munmap(probe, room);
    float *m = calloc(3 * WARM_N * WARM_N, sizeof *m);
    if (!m)
        return eng_set_error(ENG_ENOMEM, "out of memory creating the CPU backend");
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, WARM_N, WARM_N, WARM_N, 1.0f, m,
                WARM_N, m + WARM_N * WARM_N, WARM_N, 0.0f, m + 2 * WARM_N * WARM_N, WARM_N);
    free(m);
    return ENG_OK;
}
