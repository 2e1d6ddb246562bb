/* Loss charts: loss_log.csv parsing (the optional losses by the header's column names), every
 * raw point up to one per pixel column and a
 * min/max envelope beyond, the moving average, and no NaN or infinity reaching the SVG. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "app/report/loss_plot.h"
#include "app_test.h"
#include "page_scan.h"

static char *chart(const loss_row *rows, size_t n, int which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    loss_plot_svg(f, rows, n, which, 560, 250);
    fclose(f);
    return buf;
}

/* Points of the first (raw) and second (smoothed) polyline. */
static void points(const char *svg, int *raw, int *smooth)
{
    *raw = *smooth = 0;
    const char *p = strstr(svg, "<polyline");
    for (int k = 0; p && k < 2; k++, p = strstr(p + 1, "<polyline")) {
        const char *q = strstr(p, "points=\""), *end = q ? strchr(q + 8, '"') : NULL;
        int n = 0;
        for (const char *c = q; c && c < end; c++)
            n += *c == ',';
        *(k ? smooth : raw) = n;
    }
}

int main(void)
{
    char path[] = "/tmp/p2p_losslog_XXXXXX";
    int fd = mkstemp(path);
    const char csv[] = "epoch,iter,G_GAN,G_L1,D_real,D_fake\n1,1,0.5,0.25,0.7,0.6\n"
                       "garbage line\n1,2,nan,0.2,inf,0.5\n2,1,0.4,0.1,0.6,0.4\n";
    CHECK(write(fd, csv, sizeof csv - 1) == (ssize_t)(sizeof csv - 1), "write");
    close(fd);
    loss_row *rows;
    size_t n;
    CHECK(loss_log_read(path, &rows, &n) == 0 && n == 3, "%zu rows (malformed skipped)", n);
    unlink(path);
    CHECK(n == 3 && rows[2].epoch == 2 && rows[1].v[LOSS_G_L1] == 0.2f, "values");
    char *svg = chart(rows, n, LOSS_G_GAN);
    int raw, smooth;
    points(svg, &raw, &smooth);
    /* Window 1 for 3 steps: the NaN step is missing from both curves. */
    CHECK(raw == 2 && smooth == 2, "G_GAN: %d raw points, %d smoothed", raw, smooth);
    CHECK(!strstr(svg, "nan") && !strstr(svg, "inf"), "non-finite values in the SVG");
    free(svg);
    svg = chart(rows, n, LOSS_D_REAL);
    CHECK(!strstr(svg, "nan") && !strstr(svg, "inf") && strstr(svg, "data-loss=\"D_real\""),
          "D_real chart");
    free(svg);
    free(rows);

    /* G_VGG without G_GAN_Feat: the header says which column it is */
    char vgg_path[] = "/tmp/p2p_losslog_XXXXXX";
    fd = mkstemp(vgg_path);
    const char vgg[] = "epoch,iter,G_GAN,G_L1,D_real,D_fake,G_VGG\n1,1,0.5,0.25,0.7,0.6,3.5\n"
                       "1,2,0.4,0.2,0.6,0.5,3.25\n";
    CHECK(write(fd, vgg, sizeof vgg - 1) == (ssize_t)(sizeof vgg - 1), "write");
    close(fd);
    CHECK(loss_log_read(vgg_path, &rows, &n) == 0 && n == 2, "%zu rows with G_VGG", n);
    unlink(vgg_path);
    CHECK(n == 2 && rows[1].v[LOSS_G_VGG] == 3.25f && isnan(rows[1].v[LOSS_G_FEAT]) &&
              rows[1].v[LOSS_D_FAKE] == 0.5f,
          "G_VGG's column");
    CHECK(loss_logged(rows, n, LOSS_G_VGG) && !loss_logged(rows, n, LOSS_G_FEAT),
          "G_VGG logged, G_GAN_Feat not");
    free(rows);

    svg = chart(NULL, 0, LOSS_G_L1);
    CHECK(strstr(svg, "no steps yet") && !strstr(svg, "<polyline"), "empty chart");
    free(svg);

    /* 10000 steps: one min and one max per pixel column (490 plot columns). */
    size_t big = 10000;
    rows = calloc(big, sizeof *rows);
    for (size_t i = 0; i < big; i++) {
        rows[i].epoch = 1 + (int)(i / 1000);
        rows[i].v[LOSS_G_L1] = (float)(1.0 / (1.0 + i * 1e-3) + 0.05 * sin((double)i));
    }
    svg = chart(rows, big, LOSS_G_L1);
    points(svg, &raw, &smooth);
    CHECK(raw == 2 * 490 && smooth >= 490 && smooth <= 520, "%d raw, %d smoothed points",
          raw, smooth);
    CHECK(count_of(svg, "stroke-dasharray") == 9, "9 epoch starts after the first");
    CHECK(loss_plot_window(big) == 401, "window %d", loss_plot_window(big));
    free(svg);
    free(rows);
    return test_failures ? 1 : 0;
}
