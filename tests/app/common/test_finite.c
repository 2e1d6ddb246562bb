/* first_nonfinite: every position of a NaN, +Inf or -Inf across block boundaries is found,
 * and finite extremes (FLT_MAX, denormals, -0) are not taken for one. */
#include <float.h>
#include <string.h>

#include "app/common/finite.h"
#include "app_test.h"

int main(void)
{
    enum { N = 3 * 4096 + 17 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = (i % 7 == 0 ? -FLT_MAX : i % 7 == 1 ? FLT_MAX : i % 7 == 2 ? FLT_MIN / 8 : -0.0f);
    CHECK(first_nonfinite(x, N) == -1, "finite extremes taken for NaN or Inf");
    CHECK(first_nonfinite(x, 0) == -1, "empty");
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    const int places[] = {0, 1, 4095, 4096, 4097, 8191, N - 1};
    for (int b = 0; b < 3; b++)
        for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
            int at = places[p];
            float keep = x[at];
            x[at] = bad[b];
            CHECK(first_nonfinite(x, N) == at, "value %g at %d", (double)bad[b], at);
            CHECK(at == 0 || first_nonfinite(x, (size_t)at) == -1, "beyond n at %d", at);
            x[at] = keep;
        }
    x[5000] = NAN;
    x[9000] = INFINITY;
    CHECK(first_nonfinite(x, N) == 5000, "the first of two");
    char s[16];
    describe_value(NAN, s, sizeof s);
    CHECK(!strcmp(s, "nan"), "%s", s);
    describe_value(-INFINITY, s, sizeof s);
    CHECK(!strcmp(s, "-inf"), "%s", s);
    return test_failures;
}
