/* Escaped message lines (see text_line.h). */
#include "base/text_line.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

/* Length of the valid UTF-8 sequence at p (2 to 4), or 0 (ASCII, or not valid UTF-8):
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_length(const uint8_t *p)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    int n;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) /* the terminating NUL stops here too */
            return 0;
    return n;
}

static void put_hex(FILE *f, uint8_t c)
{
    fprintf(f, "\\x%02x", c);
}

void text_escape(FILE *f, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    flockfile(f);
    while (*p) {
        int n = utf8_length(p);
        if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) { /* U+0080..U+009F: C1 controls */
            put_hex(f, p[0]);
            put_hex(f, p[1]);
        } else if (n) {
            fwrite(p, 1, (size_t)n, f);
        } else if (*p == '\n' || *p == '\r' || *p == '\t' || *p == '\\') {
            fputc('\\', f);
            fputc(*p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : '\\', f);
        } else if (*p < 0x20 || *p >= 0x7f) {
            put_hex(f, *p);
        } else {
            fputc(*p, f);
        }
        p += n ? n : 1;
    }
    funlockfile(f);
}

void text_line(FILE *f, const char *fmt, ...)
{
    char small[512], *text = small;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len >= (int)sizeof small && (text = malloc((size_t)len + 1)) != NULL)
        vsnprintf(text, (size_t)len + 1, fmt, again);
    va_end(again);
    if (!text) /* out of memory: the line cut short rather than lost */
        text = small;
    if (len >= 0) {
        flockfile(f);
        text_escape(f, text);
        fputc('\n', f);
        funlockfile(f);
    }
    if (text != small)
        free(text);
}
