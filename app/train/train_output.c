#include <stdlib.h>
#include <string.h>

#include "app/common/fsutil.h"
#include "app/common/tensor_image.h"
#include "app/train/train_output.h"

FILE *loss_log_open(const char *dir, unsigned logged)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/loss_log.csv", dir);
    int is_new = !fs_exists(path);
    FILE *f = fopen(path, "a");
    if (f && is_new) {
        fputs("epoch,iter", f);
        for (int k = 0; k < LOSS_COUNT; k++)
            if (logged & LOSS_BIT(k))
                fprintf(f, ",%s", loss_names[k]);
        fputc('\n', f);
    }
    return f;
}

/* Whether a loss_log row ("epoch,iter,...") comes after iteration iter of epoch. */
static int row_is_later(const char *line, int epoch, int iter)
{
    int e, i;
    if (sscanf(line, "%d,%d,", &e, &i) != 2)
        return 0; /* the header */
    return e > epoch || (e == epoch && i > iter);
}

int loss_log_rewind(const char *dir, int epoch, int iter)
{
    char path[4200], line[512];
    snprintf(path, sizeof path, "%s/loss_log.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* nothing logged yet */
    size_t cap = 1 << 16, len = 0;
    char *kept = malloc(cap);
    int dropped = 0, rc = kept ? 0 : -1;
    while (!rc && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (row_is_later(line, epoch, iter)) {
            dropped++;
            continue;
        }
        if (len + n + 1 > cap) {
            char *grown = realloc(kept, cap *= 2);
            if (!grown) {
                rc = -1;
                break;
            }
            kept = grown;
        }
        memcpy(kept + len, line, n + 1);
        len += n;
    }
    fclose(f);
    if (!rc && dropped)
        rc = fs_write_atomic(path, kept);
    free(kept);
    return rc;
}

void loss_log_row(FILE *f, int epoch, int iter, const float losses[LOSS_COUNT],
                  unsigned logged)
{
    fprintf(f, "%d,%d", epoch, iter);
    for (int k = 0; k < LOSS_COUNT; k++)
        if (logged & LOSS_BIT(k))
            fprintf(f, ",%.6g", (double)losses[k]);
    fputc('\n', f);
    fflush(f);
}

int web_save_samples(const char *dir, int epoch, const trainer *t, const float *a,
                     const float *b, char *err, size_t errlen)
{
    const trainer_opts *o = &t->opts;
    int h = o->height, w = o->width, cin = o->gen.input_nc, cout = o->gen.output_nc;
    char images[4200], path[4400];
    snprintf(images, sizeof images, "%s/web/images", dir);
    if (fs_mkdirs(images)) {
        snprintf(err, errlen, "%s: cannot create the folder", images);
        return -1;
    }
    float *fake = malloc(sizeof *fake * eng_node_numel(t->fake_b));
    if (!fake || eng_plan_read(t->plan, t->fake_b, fake)) {
        free(fake);
        snprintf(err, errlen, "cannot read the generated image");
        return -1;
    }
    const struct { const char *name; const float *x; int c; } items[3] = {
        {"real_A", a, cin}, {"fake_B", fake, cout}, {"real_B", b, cout}};
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(path, sizeof path, "%s/epoch%03d_%s.png", images, epoch, items[i].name);
        rc = tensor_save_png(path, items[i].x, items[i].c, h, w, err, errlen);
    }
    free(fake);
    return rc;
}
