/* The common frame of the HTML pages pix2pix writes (training report, test results): one
 * self-contained file with relative image paths, no external resources, readable from
 * file://. A few lines of inline script mark <body data-images="ok|broken"> once the page has
 * loaded (every eagerly loaded <img> decoded with a non-zero width), for the browser test. */
#ifndef APP_HTML_PAGE_H
#define APP_HTML_PAGE_H

#include <stdio.h>

/* Writes s with &, <, >, " escaped. */
void html_escape(FILE *f, const char *s);
/* refresh_seconds > 0 adds a meta refresh (the training page, while training runs). */
void html_begin(FILE *f, const char *title, int refresh_seconds);
void html_end(FILE *f);
/* Builds a page in memory with open_memstream; html_finish writes it atomically to path and
 * frees it. Both return 0 or -1. */
int html_open(FILE **f, char **buf, size_t *len);
int html_finish(FILE *f, char **buf, const char *path);

#endif
