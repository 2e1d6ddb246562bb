#include "app/common/float_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void float_text(float x, char *buf, size_t len)
{
    /* 9 significant digits always read back as the same float (FLT_DECIMAL_DIG). */
    int digits = 1;
    for (; digits < 9; digits++) {
        snprintf(buf, len, "%.*g", digits, (double)x);
        if (strtof(buf, NULL) == x)
            break;
    }
    /* Whole numbers below 1e9 keep their digits: 100, not 1e+02. */
    double magnitude = fabs((double)x);
    int integer_digits = magnitude >= 1 && magnitude < 1e9 ? (int)log10(magnitude) + 1 : 0;
    snprintf(buf, len, "%.*g", digits > integer_digits ? digits : integer_digits, (double)x);
}

double float_decimal(float x)
{
    char text[32];
    float_text(x, text, sizeof text);
    return strtod(text, NULL);
}
