/* Loss curves of loss_log.csv as inline SVG: the raw values (a min/max envelope per pixel
 * column once there are more steps than columns) and a centred moving average, against the
 * step number (bottom axis) with the epoch boundaries marked (top axis). */
#ifndef APP_LOSS_PLOT_H
#define APP_LOSS_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "app/common/losses.h"

typedef struct {
    int epoch, iter;
    float v[LOSS_COUNT];
} loss_row;

/* Reads a loss_log.csv: rows of "epoch,iter,G_GAN,G_L1,D_real,D_fake", and G_GAN_Feat, G_VGG
 * and D_mismatch in the runs that have them, as its header line names the columns (the losses a run
 * has not are NaN; malformed lines are skipped). A missing file gives 0 rows. Returns 0, or
 * -1 when out of memory. */
int loss_log_read(const char *path, loss_row **rows, size_t *count);
/* Whether the rows have loss `which` (all but G_GAN_Feat, G_VGG and D_mismatch always do). */
int loss_logged(const loss_row *rows, size_t count, int which);
/* Line colour of each loss (also used by the browser test). */
extern const char *const loss_plot_colors[LOSS_COUNT];
/* Window of the moving average for count steps (odd, >= 1). */
int loss_plot_window(size_t count);
/* One chart of loss `which`, width x height pixels. */
void loss_plot_svg(FILE *f, const loss_row *rows, size_t count, int which, int width,
                   int height);

#endif
