/* Reading the HTML pages pix2pix writes, for the report tests: the whole file, attribute
 * values in document order. */
#ifndef TESTS_APP_PAGE_SCAN_H
#define TESTS_APP_PAGE_SCAN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_files.h"

/* The file's text (NULL if unreadable); the caller frees it. */
static inline char *read_text(const char *path)
{
    size_t size;
    return (char *)read_whole_file(path, &size);
}

static inline int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The value of the next attr="..." from *pos (the attribute name includes the '="'), copied
 * into out; advances *pos. 0 when there is no more. */
static inline int next_attr(const char **pos, const char *attr, char *out, size_t len)
{
    const char *p = strstr(*pos, attr);
    if (!p)
        return 0;
    p += strlen(attr);
    const char *end = strchr(p, '"');
    if (!end)
        return 0;
    snprintf(out, len, "%.*s", (int)(end - p), p);
    *pos = end + 1;
    return 1;
}

/* The start of the tag that contains position p. */
static inline const char *tag_start(const char *text, const char *p)
{
    while (p > text && *p != '<')
        p--;
    return p;
}

#endif
