#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/common/resources.h"

static size_t smaller(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t rlimit_bytes(int resource)
{
    struct rlimit r;
    if (getrlimit(resource, &r) || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= SIZE_MAX)
        return SIZE_MAX;
    return (size_t)r.rlim_cur;
}

/* The threads an address space limit leaves room for (INT_MAX without one). */
static int address_space_threads(void)
{
    size_t limit = rlimit_bytes(RLIMIT_AS);
    if (limit == SIZE_MAX)
        return INT_MAX;
    size_t n = limit / 2 / APP_THREAD_ADDRESS_SPACE;
    return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

int app_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN); /* more CPUs than a cpu_set_t holds */
    return n > 0 ? (int)n : 1;
}

int app_default_threads(void)
{
    int cores = app_cores(), room = address_space_threads();
    return cores < room ? cores : room;
}

/* A cgroup limit file: bytes, or "max" (v2) or a huge number (v1) when there is no limit;
 * SIZE_MAX when absent or unreadable. */
static size_t cgroup_file_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    int ok = f && fscanf(f, "%llu", &v) == 1 && v > 0 && v < SIZE_MAX;
    if (f)
        fclose(f);
    return ok ? (size_t)v : SIZE_MAX;
}

/* The limits of the process's own cgroup (paths from /proc/self/cgroup) and of the cgroup
 * mounted at the root (a container's own, under a cgroup namespace). */
static size_t cgroup_limit(void)
{
    size_t limit = smaller(cgroup_file_limit("/sys/fs/cgroup/memory.max"),
                           cgroup_file_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[4096], path[4400];
    while (f && fgets(line, sizeof line, f)) {
        /* "0::/PATH" (v2) or "N:CONTROLLERS:/PATH" (v1) */
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        if (!second)
            continue;
        *second = '\0';
        const char *controllers = first + 1, *group = second + 1;
        if (!controllers[0])
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", group);
        else if (strstr(controllers, "memory"))
            snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", group);
        else
            continue;
        limit = smaller(limit, cgroup_file_limit(path));
    }
    if (f)
        fclose(f);
    return limit;
}

size_t app_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t limit = pages > 0 && page > 0 ? (size_t)pages * (size_t)page : SIZE_MAX;
    /* Half an address space limit: the other half is for code, libraries and what the threads
     * reserve (see APP_THREAD_ADDRESS_SPACE). */
    limit = smaller(limit, rlimit_bytes(RLIMIT_AS) / 2);
    limit = smaller(limit, rlimit_bytes(RLIMIT_DATA));
    return smaller(limit, cgroup_limit());
}

static void format_bytes(size_t bytes, char *buf, size_t len)
{
    double gib = (double)bytes / (1024.0 * 1024.0 * 1024.0);
    if (gib >= 1.0)
        snprintf(buf, len, "%.1f GiB", gib);
    else
        snprintf(buf, len, "%.0f MiB", gib * 1024.0);
}

int app_cap_threads(const char *command, const char *option, int *value)
{
    if (*value < 0) {
        fprintf(stderr, "pix2pix %s: %s must be 0 or more (got %d)\n", command, option, *value);
        return -1;
    }
    int cores = app_cores(), cap = APP_THREADS_PER_CORE * cores, room = address_space_threads();
    if (*value <= cap && *value <= room)
        return 0;
    char why[64];
    if (room < cap) {
        format_bytes(rlimit_bytes(RLIMIT_AS), why, sizeof why);
        strcat(why, " address space limit");
    } else {
        snprintf(why, sizeof why, "%d core%s available", cores, cores == 1 ? "" : "s");
    }
    int capped = cap < room ? cap : room;
    fprintf(stderr, "pix2pix %s: %s %d capped at %d (%s)\n", command, option, *value, capped,
            why);
    *value = capped;
    return 0;
}

void app_cap_by_memory(const char *command, const char *option, uint64_t *value,
                       size_t bytes_each, const char *unit)
{
    size_t limit = app_memory_limit();
    uint64_t fit = limit / bytes_each;
    if (*value <= fit)
        return;
    char limit_text[32];
    format_bytes(limit, limit_text, sizeof limit_text);
    fprintf(stderr, "pix2pix %s: %s %" PRIu64 " lowered to %" PRIu64 " (about %zu bytes per %s; "
            "this process may use %s)\n", command, option, *value, fit, bytes_each, unit,
            limit_text);
    *value = fit;
}

int app_memory_check(size_t need, const char *what, char *err, size_t errlen)
{
    size_t limit = app_memory_limit();
    if (need <= limit)
        return 0;
    char need_text[32], limit_text[32];
    format_bytes(need, need_text, sizeof need_text);
    format_bytes(limit, limit_text, sizeof limit_text);
    if (!strcmp(need_text, limit_text)) { /* "needs 1.0 GiB; may use 1.0 GiB" says nothing */
        snprintf(need_text, sizeof need_text, "%zu MiB", (need + (1 << 20) - 1) >> 20);
        snprintf(limit_text, sizeof limit_text, "%zu MiB", limit >> 20);
    }
    snprintf(err, errlen, "%s needs about %s of memory; this process may use %s", what,
             need_text, limit_text);
    return -1;
}

int app_plan_check(eng_graph *g, eng_backend *be, size_t extra, const char *what, char *err,
                   size_t errlen)
{
    size_t bytes;
    if (eng_plan_estimate(g, be, NULL, &bytes) != ENG_OK)
        return 0;
    return app_memory_check(bytes > SIZE_MAX - extra ? SIZE_MAX : bytes + extra, what, err,
                            errlen);
}
