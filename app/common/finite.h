/* Values that are not numbers: a diverged training or a damaged file shows up as NaN or Inf,
 * which must never reach a checkpoint or an image. */
#ifndef APP_FINITE_H
#define APP_FINITE_H

#include <stddef.h>

/* Index of the first NaN or infinite value of x[0..n), or -1 when all are finite. */
long long first_nonfinite(const float *x, size_t n);
/* "nan", "inf" or "-inf" (or the number) for messages. */
void describe_value(float v, char *out, size_t len);

#endif
