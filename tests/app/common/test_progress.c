/* The progress display: plain lines when stderr is not a terminal (the first item, the end
 * of the bar), counts, rate and ETA in them, nothing with quiet; durations formatted. */
#include <string.h>
#include <unistd.h>

#include "app/common/progress.h"
#include "app_test.h"

static char captured[8192];

/* Runs n steps of a 3-item display with stderr captured. */
static void run_steps(int quiet, int n, long whole)
{
    char path[] = "/tmp/p2p_progress_XXXXXX";
    int fd = mkstemp(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    progress p;
    progress_init(&p, "img", 3, quiet);
    for (int i = 1; i <= n; i++)
        progress_add(&p, 1, "work", whole ? i : 0, whole, whole ? "extra" : NULL);
    progress_end(&p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, captured, sizeof captured - 1);
    captured[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
}

int main(void)
{
    run_steps(0, 3, 0);
    CHECK(!strncmp(captured, "work 1/3 ", 9) && strstr(captured, " img/s ETA "),
          "first line: %s", captured);
    CHECK(strstr(captured, "\nwork 3/3 ") && !strstr(captured, "work 2/3"),
          "a log gets the first and the last item only: %s", captured);
    CHECK(!strchr(captured, '\r') && !strchr(captured, '\033'), "terminal codes in a log");

    run_steps(0, 2, 2); /* a bar over its own part / whole, with a detail */
    CHECK(strstr(captured, "work 2/2 ") && strstr(captured, "  extra\n"), "part/whole: %s",
          captured);

    run_steps(1, 3, 0);
    CHECK(captured[0] == '\0', "quiet printed: %s", captured);

    char buf[32];
    format_duration(59.6, buf, sizeof buf);
    CHECK(!strcmp(buf, "1m00s"), "%s", buf);
    format_duration(3725, buf, sizeof buf);
    CHECK(!strcmp(buf, "1h02m"), "%s", buf);
    format_duration(-5, buf, sizeof buf);
    CHECK(!strcmp(buf, "0m00s"), "%s", buf);
    return test_failures ? 1 : 0;
}
