#include <stdlib.h>
#include <string.h>

#include "app/model/norm_stats.h"

int norm_stats_init(norm_stats *s, int nlayers, const int *channels)
{
    memset(s, 0, sizeof *s);
    s->nlayers = nlayers;
    s->first = malloc(sizeof *s->first * (size_t)(nlayers + 1));
    if (!s->first)
        return -1;
    s->first[0] = 0;
    for (int l = 0; l < nlayers; l++)
        s->first[l + 1] = s->first[l] + channels[l];
    s->nchannels = s->first[nlayers];
    size_t n = (size_t)(s->nchannels ? s->nchannels : 1);
    s->count = calloc(n, sizeof *s->count);
    s->mean = calloc(n, sizeof *s->mean);
    s->m2 = calloc(n, sizeof *s->m2);
    if (!s->count || !s->mean || !s->m2) {
        norm_stats_free(s);
        return -1;
    }
    return 0;
}

void norm_stats_free(norm_stats *s)
{
    free(s->first);
    free(s->count);
    free(s->mean);
    free(s->m2);
    memset(s, 0, sizeof *s);
}

void norm_stats_clear(norm_stats *s)
{
    size_t n = (size_t)s->nchannels;
    memset(s->count, 0, n * sizeof *s->count);
    memset(s->mean, 0, n * sizeof *s->mean);
    memset(s->m2, 0, n * sizeof *s->m2);
}

void norm_stats_add(norm_stats *s, int l, double count, const float *mean, const float *var)
{
    for (int c = 0; c < s->first[l + 1] - s->first[l]; c++) {
        int i = s->first[l] + c;
        double n = s->count[i] + count, delta = mean[c] - s->mean[i];
        s->mean[i] += delta * count / n;
        s->m2[i] += var[c] * count + delta * delta * s->count[i] * count / n;
        s->count[i] = n;
    }
}

void norm_stats_copy_layers(norm_stats *to, const norm_stats *from, int nlayers)
{
    int l = nlayers < from->nlayers ? nlayers : from->nlayers;
    size_t n = (size_t)from->first[l];
    memcpy(to->count, from->count, n * sizeof *to->count);
    memcpy(to->mean, from->mean, n * sizeof *to->mean);
    memcpy(to->m2, from->m2, n * sizeof *to->m2);
}

void norm_stats_get(const norm_stats *s, int l, float *mean, float *var)
{
    for (int c = 0; c < s->first[l + 1] - s->first[l]; c++) {
        int i = s->first[l] + c;
        mean[c] = (float)s->mean[i];
        var[c] = s->count[i] > 0 ? (float)(s->m2[i] / s->count[i]) : 1.0f;
    }
}
