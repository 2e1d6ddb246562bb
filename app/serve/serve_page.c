/* The page's files (HTML, JS, CSS of app/serve/page), served from the binary. */
#include <string.h>

#include "app/serve/serve.h"
#include "app/serve/serve_page.h"

const uint8_t *serve_page_file(const char *path, size_t *size, const char **mime)
{
    for (int i = 0; i < serve_page_nassets; i++)
        if (!strcmp(path, serve_page_assets[i].path)) {
            *size = serve_page_assets[i].size;
            *mime = serve_page_assets[i].mime;
            return serve_page_assets[i].data;
        }
    return NULL;
}
