#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/report/loss_plot.h"

const char *const loss_plot_colors[LOSS_COUNT] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2"};

#define MARGIN_LEFT 58
#define MARGIN_RIGHT 12
#define MARGIN_TOP 34
#define MARGIN_BOTTOM 34

/* The columns of a header line ("epoch,iter,G_GAN,..."): which loss each column past iter is
 * (-1: one this program does not know). Returns their count, or -1 when line is not one. */
static int header_columns(const char *line, int *column)
{
    if (strncmp(line, "epoch,iter", 10))
        return -1;
    int n = 0;
    for (const char *p = line + 10; *p == ',' && n < LOSS_COUNT + 8; n++) {
        size_t len = strcspn(++p, ",\r\n");
        column[n] = -1;
        for (int k = 0; k < LOSS_COUNT; k++)
            if (strlen(loss_names[k]) == len && !strncmp(p, loss_names[k], len))
                column[n] = k;
        p += len;
    }
    return n;
}

/* A row of the columns of the header (NaN for the losses it has not); 0, or -1 when the
 * line is not one. */
static int parse_row(const char *line, const int *column, int ncolumns, loss_row *r)
{
    char *end;
    if (sscanf(line, "%d,%d", &r->epoch, &r->iter) != 2)
        return -1;
    for (int k = 0; k < LOSS_COUNT; k++)
        r->v[k] = NAN;
    const char *p = strchr(strchr(line, ',') + 1, ',');
    int found = 0;
    for (int i = 0; i < ncolumns && p && *p == ','; i++, p = end) {
        float v = strtof(p + 1, &end);
        if (end == p + 1)
            return -1;
        if (column[i] >= 0)
            r->v[column[i]] = v;
        found += column[i] >= 0 && column[i] < LOSS_COUNT_NO_FEAT;
    }
    return found == LOSS_COUNT_NO_FEAT ? 0 : -1;
}

int loss_log_read(const char *path, loss_row **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t cap = 0;
    char line[512];
    /* logs without a header line have the columns of the first logs */
    int column[LOSS_COUNT + 8] = {LOSS_G_GAN, LOSS_G_L1, LOSS_D_REAL, LOSS_D_FAKE, LOSS_G_FEAT};
    int ncolumns = LOSS_G_FEAT + 1;
    while (fgets(line, sizeof line, f)) {
        loss_row r;
        int n = header_columns(line, column);
        if (n >= 0)
            ncolumns = n;
        if (n >= 0 || parse_row(line, column, ncolumns, &r))
            continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 1024;
            loss_row *grown = realloc(*rows, cap * sizeof **rows);
            if (!grown) {
                fclose(f);
                free(*rows);
                *rows = NULL;
                *count = 0;
                return -1;
            }
            *rows = grown;
        }
        (*rows)[(*count)++] = r;
    }
    fclose(f);
    return 0;
}

int loss_logged(const loss_row *rows, size_t count, int which)
{
    if (which < LOSS_COUNT_NO_FEAT)
        return 1;
    for (size_t i = 0; i < count; i++)
        if (!isnan(rows[i].v[which]))
            return 1;
    return 0;
}

int loss_plot_window(size_t count)
{
    int w = (int)(count / 25);
    return w < 1 ? 1 : w | 1;
}

/* Centred moving average (shorter at the ends); non-finite values are left out. */
static void moving_average(const loss_row *rows, size_t n, int which, int window, double *out)
{
    double *sum = malloc((n + 1) * sizeof *sum);
    size_t *cnt = malloc((n + 1) * sizeof *cnt);
    if (!sum || !cnt) {
        for (size_t i = 0; i < n; i++)
            out[i] = rows[i].v[which];
        free(sum);
        free(cnt);
        return;
    }
    sum[0] = 0;
    cnt[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double v = rows[i].v[which];
        int ok = isfinite(v);
        sum[i + 1] = sum[i] + (ok ? v : 0);
        cnt[i + 1] = cnt[i] + (size_t)ok;
    }
    size_t half = (size_t)window / 2;
    for (size_t i = 0; i < n; i++) {
        size_t lo = i > half ? i - half : 0, hi = i + half + 1 < n ? i + half + 1 : n;
        size_t c = cnt[hi] - cnt[lo];
        out[i] = c ? (sum[hi] - sum[lo]) / (double)c : NAN;
    }
    free(sum);
    free(cnt);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The vertical range: from the smallest value to the 99th percentile of the raw values (a
 * few spikes would otherwise flatten the curve), at least covering the smoothed curve. */
static void value_range(const loss_row *rows, size_t n, int which, const double *smooth,
                        double *lo, double *hi)
{
    double *v = malloc(n * sizeof *v);
    size_t m = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = rows[i].v[which];
        if (isfinite(x)) {
            if (v)
                v[m++] = x;
            *lo = fmin(*lo, x);
            *hi = fmax(*hi, x);
        }
        if (isfinite(smooth[i])) {
            *lo = fmin(*lo, smooth[i]);
        }
    }
    if (v && m > 20) {
        qsort(v, m, sizeof *v, compare_doubles);
        *hi = v[(size_t)(0.99 * (double)(m - 1))];
    }
    for (size_t i = 0; i < n; i++)
        if (isfinite(smooth[i]))
            *hi = fmax(*hi, smooth[i]);
    free(v);
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
    }
    if (*hi - *lo < 1e-6 * fmax(1.0, fabs(*hi))) {
        *lo -= 0.5 * fmax(1e-3, fabs(*lo));
        *hi += 0.5 * fmax(1e-3, fabs(*hi));
    }
    double pad = 0.05 * (*hi - *lo);
    *hi += pad;
    *lo = *lo >= 0 && *lo - pad < 0 ? 0 : *lo - pad;
}

/* A 1, 2 or 5 times a power of ten near range / target. */
static double nice_step(double range, int target)
{
    double raw = range / target, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

typedef struct {
    double x0, y0, w, h, xmax, lo, hi;
} frame;

static double px(const frame *fr, double step)
{
    return fr->x0 + (fr->xmax > 0 ? step / fr->xmax : 0) * fr->w;
}

static double py(const frame *fr, double v)
{
    return fr->y0 + fr->h - (v - fr->lo) / (fr->hi - fr->lo) * fr->h;
}

static void axes(FILE *f, const frame *fr, const loss_row *rows, size_t n)
{
    double ystep = nice_step(fr->hi - fr->lo, 5);
    for (double y = ceil(fr->lo / ystep) * ystep; y <= fr->hi + 1e-12; y += ystep) {
        double yy = py(fr, y);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
                fr->x0, yy, fr->x0 + fr->w, yy);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>", fr->x0 - 4,
                yy + 4, fabs(y) < ystep * 1e-6 ? 0.0 : y);
    }
    double xstep = nice_step(fr->xmax > 1 ? fr->xmax : 1, 5);
    if (xstep < 1)
        xstep = 1;
    for (double x = 0; x <= fr->xmax + 1e-9; x += xstep)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>", px(fr, x),
                fr->y0 + fr->h + 14, x);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#666\">step</text>",
            fr->x0 + fr->w / 2, fr->y0 + fr->h + 28);
    /* Epoch boundaries: a line where each epoch starts, labels at least 36 px apart. */
    double last_label = -1e9;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rows[i].epoch == rows[i - 1].epoch)
            continue;
        double x = px(fr, (double)i);
        if (i > 0)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#ddd\" stroke-dasharray=\"3,3\"/>",
                    x, fr->y0, x, fr->y0 + fr->h);
        if (x - last_label >= 36) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666\">%s%d</text>", x + 2,
                    fr->y0 - 4, i == 0 ? "epoch " : "", rows[i].epoch);
            last_label = x + (i == 0 ? 40 : 0);
        }
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#999\"/>",
            fr->x0, fr->y0, fr->w, fr->h);
}

/* The raw values: every point, or per pixel column its minimum and maximum in step order. */
static void raw_line(FILE *f, const frame *fr, const loss_row *rows, size_t n, int which,
                     const char *color)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-opacity=\"0.35\" "
            "stroke-width=\"1\" points=\"", color);
    size_t columns = (size_t)fr->w;
    for (size_t c = 0, i = 0; i < n; c++) {
        size_t end = n <= columns ? i + 1 : (c + 1) * n / columns;
        if (end <= i)
            continue;
        size_t imin = i, imax = i;
        for (size_t k = i; k < end; k++) {
            if (!isfinite(rows[k].v[which]))
                continue;
            if (!isfinite(rows[imin].v[which]) || rows[k].v[which] < rows[imin].v[which])
                imin = k;
            if (!isfinite(rows[imax].v[which]) || rows[k].v[which] > rows[imax].v[which])
                imax = k;
        }
        size_t first = imin < imax ? imin : imax, second = imin < imax ? imax : imin;
        if (isfinite(rows[first].v[which]))
            fprintf(f, "%.1f,%.1f ", px(fr, (double)first), py(fr, rows[first].v[which]));
        if (second != first && isfinite(rows[second].v[which]))
            fprintf(f, "%.1f,%.1f ", px(fr, (double)second), py(fr, rows[second].v[which]));
        i = end;
    }
    fputs("\"/>", f);
}

static void smooth_line(FILE *f, const frame *fr, const double *smooth, size_t n,
                        const char *color)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
            "stroke-linejoin=\"round\" points=\"", color);
    size_t columns = (size_t)fr->w, stride = n > columns ? n / columns : 1;
    for (size_t i = 0; i < n; i += stride)
        if (isfinite(smooth[i]))
            fprintf(f, "%.1f,%.1f ", px(fr, (double)i), py(fr, smooth[i]));
    if (n > 0 && (n - 1) % stride && isfinite(smooth[n - 1]))
        fprintf(f, "%.1f,%.1f", px(fr, (double)(n - 1)), py(fr, smooth[n - 1]));
    fputs("\"/>", f);
}

void loss_plot_svg(FILE *f, const loss_row *rows, size_t n, int which, int width, int height)
{
    const char *color = loss_plot_colors[which];
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-size=\"11\" font-family=\"sans-serif\" data-loss=\"%s\">",
            width, height, loss_names[which]);
    fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"13\" font-weight=\"bold\">%s</text>",
            MARGIN_LEFT, loss_names[which]);
    if (n == 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">no steps "
                "yet</text></svg>", width / 2, height / 2);
        return;
    }
    double *smooth = malloc(n * sizeof *smooth);
    if (!smooth) {
        fputs("</svg>", f);
        return;
    }
    int window = loss_plot_window(n);
    moving_average(rows, n, which, window, smooth);
    frame fr = {MARGIN_LEFT, MARGIN_TOP, width - MARGIN_LEFT - MARGIN_RIGHT,
                height - MARGIN_TOP - MARGIN_BOTTOM, n > 1 ? (double)(n - 1) : 1, 0, 1};
    value_range(rows, n, which, smooth, &fr.lo, &fr.hi);
    fprintf(f, "<text x=\"%d\" y=\"14\" text-anchor=\"end\" fill=\"#666\">last %.4g, "
            "smoothed %.4g (window %d)</text>",
            width - MARGIN_RIGHT, (double)rows[n - 1].v[which], smooth[n - 1], window);
    axes(f, &fr, rows, n);
    fprintf(f, "<clipPath id=\"clip-%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/></clipPath><g clip-path=\"url(#clip-%s)\">",
            loss_names[which], fr.x0, fr.y0, fr.w, fr.h, loss_names[which]);
    raw_line(f, &fr, rows, n, which, color);
    smooth_line(f, &fr, smooth, n, color);
    if (n == 1)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", px(&fr, 0),
                py(&fr, smooth[0]), color);
    fputs("</g></svg>\n", f);
    free(smooth);
}
