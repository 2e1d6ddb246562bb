#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/common/progress.h"
#include "base/clock.h"

#define BAR_WIDTH 20
#define TTY_INTERVAL 0.1  /* seconds between redraws on a terminal */
#define LOG_INTERVAL 30.0 /* seconds between lines in a log */

double now_seconds(void)
{
    return clock_seconds();
}

void format_duration(double seconds, char *buf, int len)
{
    long t = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, (size_t)len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, (size_t)len, "%ldm%02lds", t / 60, t % 60);
}

void progress_init(progress *p, const char *unit, long total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO);
    p->unit = unit;
    p->total = total;
    p->start = p->last_print = now_seconds();
}

void progress_set_time_limit(progress *p, double seconds)
{
    p->time_limit = seconds;
}

void progress_add(progress *p, long n, const char *label, long part, long whole,
                  const char *detail)
{
    p->done += n;
    if (p->quiet)
        return;
    if (whole <= 0) {
        part = p->done;
        whole = p->total;
    }
    double now = now_seconds(), elapsed = now - p->start;
    int complete = whole > 0 && part >= whole;
    if (now - p->last_print < (p->tty ? TTY_INTERVAL : LOG_INTERVAL) && !complete &&
        p->done > n)
        return;
    p->last_print = now;
    double rate = elapsed > 0 ? p->done / elapsed : 0;
    char eta[32] = "?";
    if (p->total > 0 && rate > 0) {
        double left = (double)(p->total - p->done) / rate;
        if (p->time_limit > 0 && p->time_limit - elapsed < left)
            left = p->time_limit - elapsed;
        format_duration(left, eta, sizeof eta);
    }
    char counts[64];
    if (whole > 0)
        snprintf(counts, sizeof counts, "%ld/%ld", part, whole);
    else
        snprintf(counts, sizeof counts, "%ld", part);
    if (p->tty) {
        char bar[BAR_WIDTH + 1];
        long filled = whole > 0 ? BAR_WIDTH * part / whole : 0;
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %s %.2f %s/s ETA %s%s%s", label, bar, counts, rate,
                p->unit, eta, detail ? "  " : "", detail ? detail : "");
        p->drawn = 1;
    } else {
        fprintf(stderr, "%s %s %.2f %s/s ETA %s%s%s\n", label, counts, rate, p->unit, eta,
                detail ? "  " : "", detail ? detail : "");
    }
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->drawn)
        fputc('\n', stderr);
    p->drawn = 0;
}

void progress_view_step(void *view, size_t done, size_t total)
{
    progress_view *v = view;
    v->bar.total = (long)total;
    progress_add(&v->bar, 1, v->label, (long)done, (long)total, NULL);
}
