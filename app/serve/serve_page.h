/* The page's files, embedded at build time (embed_page.cmake writes the table). */
#ifndef APP_SERVE_PAGE_H
#define APP_SERVE_PAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *path, *mime;
    const uint8_t *data;
    size_t size;
} serve_page_asset;

extern const serve_page_asset serve_page_assets[];
extern const int serve_page_nassets;

#endif
