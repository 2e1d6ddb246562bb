/* eng_backend_memory_budget: the backend's own figure, or the host's available memory. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/graph.h"

/* MemAvailable of /proc/meminfo (what can be allocated without swapping, page cache
 * included), else the free pages. */
static size_t host_available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    if (kib)
        return (size_t)kib * 1024;
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

size_t eng_backend_memory_budget(eng_backend *be)
{
    return be->memory_budget ? be->memory_budget(be) : host_available_bytes();
}
