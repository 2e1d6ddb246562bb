/* Text from outside (file names read from a folder or given by the user) in a message line:
 * escaped, so that it can neither break the line nor print raw bytes. */
#ifndef BASE_TEXT_LINE_H
#define BASE_TEXT_LINE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s to f with newline, carriage return and tab as \n, \r, \t, other control bytes
 * (below 0x20, and 0x7f) and bytes that are not valid UTF-8 as \xNN, and a backslash as \\
 * (as ls -b shows names); valid UTF-8 (façade.png) is written as it is. */
void text_escape(FILE *f, const char *s);

/* One message line: the formatted text escaped as above (paths and reasons alike: the
 * reasons are one line of printable text), then a newline, written to f at once. */
void text_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
