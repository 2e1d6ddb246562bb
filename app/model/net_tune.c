/* The graph of a network for the tuner, and --tune auto (net_tune.h). */
#include "app/model/net_tune.h"

#include <stdio.h>
#include <string.h>

eng_graph *net_tune_graph(const char *cmd, const gen_config *gc, const disc_config *dc, int batch,
                          int h, int w, int training)
{
    eng_graph *g = eng_graph_new();
    net G, D;
    eng_node *a = eng_input4(g, "input", batch, gc->input_nc, h, w);
    net_init_struct(&G, g, "G.", training, 0, 1);
    eng_node *fake = net_generator(&G, gc, a);
    if (training) {
        net_init_struct(&D, g, "D.", 1, 0, 1);
        net_discriminator(&D, dc, eng_concat(g, a, fake));
        net_release(&D);
    }
    net_release(&G);
    if (eng_graph_status(g)) {
        fprintf(stderr, "pix2pix %s: %s\n", cmd, eng_last_error());
        eng_graph_free(g);
        return NULL;
    }
    return g;
}

/* Tunes g's GEMMs and saves the winners; one line on stderr says what it did. */
static void tune_and_save(const char *cmd, eng_backend *be, const eng_graph *g, int training,
                          int fp16, int untuned)
{
    char path[4200];
    fprintf(stderr, "pix2pix %s: --tune auto: measuring the kernels of this network's %d "
            "untuned conv GEMM%s on %s (at most %.0f s, once per device and network)\n", cmd,
            untuned, untuned == 1 ? "" : "s", eng_backend_name(be), NET_TUNE_AUTO_SECONDS);
    eng_tune *t = eng_tune_convs(be, g, training, fp16, NET_TUNE_AUTO_SECONDS);
    if (!t || eng_tune_save(be, t, path, sizeof path)) {
        fprintf(stderr, "pix2pix %s: --tune auto failed, the default kernels stay: %s\n", cmd,
                eng_last_error());
        eng_tune_free(t);
        return;
    }
    double before = 0.0, after = 0.0;
    for (int i = 0; i < eng_tune_count(t); i++) {
        before += eng_tune_row_at(t, i)->default_ms;
        after += eng_tune_row_at(t, i)->best_ms;
    }
    fprintf(stderr, "pix2pix %s: --tune auto: %d conv GEMMs tuned, %.2fx faster together "
            "(each timed alone: %.1f ms -> %.1f ms); written to %s\n", cmd, eng_tune_count(t),
            after > 0 ? before / after : 1.0, before, after, path);
    eng_tune_free(t);
}

int net_tune_auto(const char *cmd, eng_backend *be, const gen_config *gc, const disc_config *dc,
                  int batch, int h, int w, int training, int fp16)
{
    if (strncmp(eng_backend_name(be), "vulkan", 6))
        return 0; /* the CPU's kernels have nothing to tune */
    eng_graph *g = net_tune_graph(cmd, gc, dc, batch, h, w, training);
    if (!g)
        return -1;
    int untuned = eng_tune_untuned(be, g, training);
    if (untuned)
        tune_and_save(cmd, be, g, training, fp16, untuned);
    eng_graph_free(g);
    return 0;
}
