/* Floats as the shortest decimal text that reads back as the same float: 0.0002, not the
 * 0.000199999994947575 of printing the float's double. */
#ifndef APP_FLOAT_TEXT_H
#define APP_FLOAT_TEXT_H

#include <stddef.h>

/* x in the fewest significant digits (1 to 9, %g style) that strtof reads back as x. */
void float_text(float x, char *buf, size_t len);
/* The double nearest to float_text(x): what a JSON writer prints shortest. */
double float_decimal(float x);

#endif
