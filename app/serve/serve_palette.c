/* The palette of a labels model for the page: the colours that cover at least 0.2% of the
 * pixels of the first images (at most 8) of a folder of training A images, most frequent
 * first (at most 32). Anti-aliased or JPEG-blurred edges fall below the share. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/serve/serve.h"

#define PALETTE_FILES 8
#define PALETTE_SLOTS 8192 /* distinct colours counted, at most 3/4 of it */
#define PALETTE_MAX 32

typedef struct {
    uint32_t key[PALETTE_SLOTS]; /* rgb + 1; 0: free */
    uint64_t count[PALETTE_SLOTS];
    int used;
    uint64_t pixels;
} colour_count;

static void count_colour(colour_count *cc, uint32_t rgb)
{
    uint32_t key = rgb + 1, i = (key * 2654435761u) % PALETTE_SLOTS;
    while (cc->key[i] && cc->key[i] != key)
        i = (i + 1) % PALETTE_SLOTS;
    if (!cc->key[i]) {
        if (cc->used >= PALETTE_SLOTS * 3 / 4)
            return;
        cc->key[i] = key;
        cc->used++;
    }
    cc->count[i]++;
}

static int has_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg"));
}

static int count_folder(const char *dir, colour_count *cc, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open the folder");
        return -1;
    }
    int files = 0;
    for (struct dirent *e; files < PALETTE_FILES && (e = readdir(d));) {
        char path[4096], why[256];
        image img;
        if (!has_image_name(e->d_name) ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            image_load(path, 0, &img, why, sizeof why))
            continue;
        for (size_t p = 0; p < (size_t)img.width * img.height; p++) {
            const uint8_t *px = img.pixels + 3 * p;
            count_colour(cc, (uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2]);
        }
        cc->pixels += (uint64_t)img.width * img.height;
        image_free(&img);
        files++;
    }
    closedir(d);
    if (!files)
        snprintf(err, errlen, "no PNG or JPEG image could be read there");
    return files ? 0 : -1;
}

char *serve_palette_json(const char *dir, char *err, size_t errlen)
{
    colour_count *cc = calloc(1, sizeof *cc);
    char *out = malloc(PALETTE_MAX * 12 + 4);
    if (!cc || !out) {
        snprintf(err, errlen, "out of memory");
        free(cc);
        free(out);
        return NULL;
    }
    if (count_folder(dir, cc, err, errlen)) {
        free(cc);
        free(out);
        return NULL;
    }
    size_t len = (size_t)sprintf(out, "[");
    for (int n = 0; n < PALETTE_MAX; n++) {
        int best = -1;
        for (int i = 0; i < PALETTE_SLOTS; i++)
            if (cc->key[i] && (best < 0 || cc->count[i] > cc->count[best]))
                best = i;
        if (best < 0 || cc->count[best] * 500 < cc->pixels)
            break;
        len += (size_t)sprintf(out + len, "%s\"#%06x\"", n ? "," : "", cc->key[best] - 1);
        cc->key[best] = 0;
    }
    sprintf(out + len, "]");
    free(cc);
    return out;
}
