/* The progress display: plain lines when stderr is not a terminal (the first item, the end
 * of the bar), counts, rate and ETA in them, nothing with quiet; durations formatted. */
#include <string.h>
#include <unistd.h>

#include "app/common/progress.h"
#include "app_test.h"

/* Runs n steps of a 3-item display with its output captured (in out_text). */
static void run_steps(int quiet, int n, long whole)
{
    capture c;
    capture_begin(&c);
    progress p;
    progress_init(&p, "img", 3, quiet);
    for (int i = 1; i <= n; i++)
        progress_add(&p, 1, "work", whole ? i : 0, whole, whole ? "extra" : NULL);
    progress_end(&p);
    capture_end(&c);
}

int main(void)
{
    run_steps(0, 3, 0);
    CHECK(!strncmp(out_text, "work 1/3 ", 9) && strstr(out_text, " img/s ETA "),
          "first line: %s", out_text);
    CHECK(strstr(out_text, "\nwork 3/3 ") && !strstr(out_text, "work 2/3"),
          "a log gets the first and the last item only: %s", out_text);
    CHECK(!strchr(out_text, '\r') && !strchr(out_text, '\033'), "terminal codes in a log");

    run_steps(0, 2, 2); /* a bar over its own part / whole, with a detail */
    CHECK(strstr(out_text, "work 2/2 ") && strstr(out_text, "  extra\n"), "part/whole: %s",
          out_text);

    run_steps(1, 3, 0);
    CHECK(out_text[0] == '\0', "quiet printed: %s", out_text);

    char buf[32];
    format_duration(59.6, buf, sizeof buf);
    CHECK(!strcmp(buf, "1m00s"), "%s", buf);
    format_duration(3725, buf, sizeof buf);
    CHECK(!strcmp(buf, "1h02m"), "%s", buf);
    format_duration(-5, buf, sizeof buf);
    CHECK(!strcmp(buf, "0m00s"), "%s", buf);
    return test_failures ? 1 : 0;
}
