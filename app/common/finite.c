#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/common/finite.h"

/* Largest magnitude bit pattern of x[b..end): NaN and Inf are the patterns from 0x7f800000
 * up. An integer maximum vectorizes, so the all-finite case is a plain streaming pass. */
static uint32_t max_magnitude_bits(const float *x, size_t b, size_t end)
{
    uint32_t top = 0;
    for (size_t i = b; i < end; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bits &= 0x7fffffffu;
        top = bits > top ? bits : top;
    }
    return top;
}

long long first_nonfinite(const float *x, size_t n)
{
    enum { BLOCK = 4096 };
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t end = b + BLOCK < n ? b + BLOCK : n;
        if (max_magnitude_bits(x, b, end) < 0x7f800000u)
            continue;
        for (size_t i = b; i < end; i++)
            if (!isfinite(x[i]))
                return (long long)i;
    }
    return -1;
}

void describe_value(float v, char *out, size_t len)
{
    if (isnan(v))
        snprintf(out, len, "nan");
    else if (isinf(v))
        snprintf(out, len, "%s", v < 0 ? "-inf" : "inf");
    else
        snprintf(out, len, "%g", (double)v);
}
