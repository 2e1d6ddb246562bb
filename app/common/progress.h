/* Progress of a long command on stderr: on a terminal one line redrawn in place
 * ("label [#####.....] 12/40 3.1 img/s ETA 0m09s detail"), in a log plain lines every 30 s
 * and when the bar completes. Quiet: nothing at all. */
#ifndef APP_PROGRESS_H
#define APP_PROGRESS_H

#include <stddef.h>

typedef struct {
    int quiet, tty;
    const char *unit;       /* "it", "img", "photos" */
    double start, last_print, time_limit;
    long done, total;       /* units done in this run and expected (0: unknown) */
    int drawn;              /* a terminal line is open */
} progress;

void progress_init(progress *p, const char *unit, long total, int quiet);
/* The ETA never exceeds what is left of this many seconds after progress_init (0: none). */
void progress_set_time_limit(progress *p, double seconds);
/* n more units done. The bar shows part / whole (whole 0: done / total); the rate and ETA
 * count every unit. label comes before the bar, detail (may be NULL) after the ETA. */
void progress_add(progress *p, long n, const char *label, long part, long whole,
                  const char *detail);
/* A display behind a datasets/ progress callback: {progress_view_step, &view}. */
typedef struct {
    progress bar;
    const char *label;
} progress_view;
void progress_view_step(void *view, size_t done, size_t total);

/* Ends the terminal line. */
void progress_end(progress *p);
/* Monotonic seconds. */
double now_seconds(void);
/* "1h02m", "3m07s" */
void format_duration(double seconds, char *buf, int len);

#endif
