/* Per-channel statistics of a network's normalisation layers (its net_norm_site list),
 * accumulated over several runs (the tiles of one image) with Chan et al.'s pairwise update,
 * which stays exact where sums of squares would cancel. */
#ifndef APP_NORM_STATS_H
#define APP_NORM_STATS_H

typedef struct {
    int nlayers, nchannels;   /* layers; channels of all layers together */
    int *first;               /* [nlayers + 1]: index of each layer's first channel */
    double *count, *mean, *m2; /* per channel: values seen, their mean, sum of squared deviations */
} norm_stats;

/* Layers of channels[l] channels each, nothing seen yet. 0 or -1 (out of memory). */
int norm_stats_init(norm_stats *s, int nlayers, const int *channels);
void norm_stats_free(norm_stats *s);
void norm_stats_clear(norm_stats *s);
/* Adds count values per channel of layer l with these means and biased variances. */
void norm_stats_add(norm_stats *s, int l, double count, const float *mean, const float *var);
/* Layers [0, nlayers) of from replace those of to (same layout). */
void norm_stats_copy_layers(norm_stats *to, const norm_stats *from, int nlayers);
/* The mean and biased variance of each channel of layer l (what a batch norm of all the values
 * seen would use). */
void norm_stats_get(const norm_stats *s, int l, float *mean, float *var);

#endif
