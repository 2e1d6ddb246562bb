/* What this process may use of the machine, and the checks that keep a command within it:
 * thread options capped by the cores, plans and buffers refused when larger than the memory. */
#ifndef APP_RESOURCES_H
#define APP_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Thread options are capped at this many threads per core: more threads than cores compute
 * no faster, a few more help threads that wait on files, and thousands exhaust the process
 * limit before any work is done. */
#define APP_THREADS_PER_CORE 4

/* Each compute thread reserves address space: OpenBLAS's 128 MiB buffer, a malloc arena, its
 * stack. Under an address space limit (prlimit --as, ulimit -v) an OpenBLAS thread that cannot
 * get its buffer retries forever, so threads are kept to one per this much of half the limit. */
#define APP_THREAD_ADDRESS_SPACE ((size_t)256 << 20)

/* The cores this process may run on (its affinity mask), at least 1. */
int app_cores(void);
/* The threads "all cores" means: app_cores(), fewer under an address space limit. */
int app_default_threads(void);
/* The bytes of memory this process may use for its data: the least of the physical memory,
 * half of RLIMIT_AS, RLIMIT_DATA and the cgroup's memory limit (v2 memory.max or v1
 * memory.limit_in_bytes). */
size_t app_memory_limit(void);
/* Checks a thread-count option of command: a negative value is refused with a message
 * (returns -1: exit status 2); one above APP_THREADS_PER_CORE * app_cores() (or what an address
 * space limit allows) is lowered to that with a note on stderr. */
int app_cap_threads(const char *command, const char *option, int *value);
/* Lowers *value, a count of units of bytes_each bytes each ("pixel"), to what
 * app_memory_limit() holds, with a note on stderr when it does. */
void app_cap_by_memory(const char *command, const char *option, uint64_t *value,
                       size_t bytes_each, const char *unit);
/* 0 when need bytes fit in app_memory_limit(); else -1 with "WHAT needs about X GiB of memory;
 * this process may use Y GiB" in err. */
int app_memory_check(size_t need, const char *what, char *err, size_t errlen);
/* app_memory_check of the host memory a plan of g on be would take plus extra bytes of the
 * caller's, before anything is allocated. When the backend cannot estimate, 0: eng_plan_new
 * then reports the problem itself. */
int app_plan_check(eng_graph *g, eng_backend *be, size_t extra, const char *what, char *err,
                   size_t errlen);

#endif
