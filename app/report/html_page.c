#include <stdlib.h>

#include "app/common/fsutil.h"
#include "app/report/html_page.h"

void html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char style[] =
    "body{font-family:sans-serif;margin:16px;color:#222;background:#fff}"
    "h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:20px 0 8px}"
    "table.info td{padding:1px 12px 1px 0;vertical-align:top}"
    "table.img td,table.img th{padding:2px 4px;text-align:center;vertical-align:top;"
    "font-size:13px}"
    "img{image-rendering:pixelated;border:1px solid #ccc;display:block}"
    ".plots{display:flex;flex-wrap:wrap;gap:8px}.plots svg{border:1px solid #ddd}"
    "pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}"
    "summary{cursor:pointer;margin:6px 0}.note{color:#555;font-size:13px}";

/* Marks the body once loaded: data-images ok|broken (the eagerly loaded images all decoded
 * with a non-zero width; lazy ones, in collapsed history, are left out) and every image and
 * chart with data-rect="x y width height", so a test can find them in a screenshot. */
static const char check_script[] =
    "<script>window.addEventListener('load',function(){var bad=0,n=0;"
    "function mark(e){var r=e.getBoundingClientRect();e.setAttribute('data-rect',"
    "[r.left,r.top,r.width,r.height].map(Math.round).join(' '));}"
    "document.querySelectorAll('img:not([loading=lazy])').forEach(function(i){n++;"
    "if(!i.complete||i.naturalWidth===0)bad++;mark(i);});"
    "document.querySelectorAll('svg').forEach(mark);"
    "document.body.setAttribute('data-images',bad?'broken':'ok');"
    "document.body.setAttribute('data-image-count',String(n));});</script>\n";

void html_begin(FILE *f, const char *title, int refresh_seconds)
{
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">", f);
    if (refresh_seconds > 0)
        fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh_seconds);
    fputs("<title>", f);
    html_escape(f, title);
    fprintf(f, "</title><style>%s</style></head>\n<body>\n", style);
}

void html_end(FILE *f)
{
    fputs(check_script, f);
    fputs("</body></html>\n", f);
}

int html_open(FILE **f, char **buf, size_t *len)
{
    *buf = NULL;
    *f = open_memstream(buf, len);
    return *f ? 0 : -1;
}

int html_finish(FILE *f, char **buf, const char *path)
{
    int rc = fclose(f) ? -1 : 0;
    if (!rc && (!*buf || fs_write_atomic(path, *buf)))
        rc = -1;
    free(*buf);
    *buf = NULL;
    return rc;
}
