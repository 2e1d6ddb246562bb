/* libFuzzer target for model files on top of safetensors: the architecture inferred from the
 * metadata or from the keys and shapes, a discriminator offered as a generator and the other
 * way round, tensors of the wrong shape. A file either describes a network whose every tensor
 * it holds with the right shape, or is refused with a reason; small accepted generators are
 * loaded (or refused for values that are not numbers) and run once. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/model/checkpoint.h"
#include "app/model/generator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static eng_backend *backend(void)
{
    static eng_backend *be;
    if (!be && !(be = app_backend_open("cpu", 1, 1)))
        abort();
    return be;
}

/* Builds the network on a graph without memory and checks the file against it; loads and
 * runs small networks. */
static void check(const st_file *f, const gen_config *gc, const disc_config *dc)
{
    char err[512];
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "", 0, 0, 0);
    int s = gc ? gen_min_side(gc) : disc_min_side(dc);
    int nc = gc ? gc->input_nc : dc->input_nc;
    eng_node *x = eng_input4(g, "input", 1, nc, s, s);
    eng_node *y = gc ? net_generator(&n, gc, x) : net_discriminator(&n, dc, x);
    long long values = 0;
    for (int i = 0; i < n.n; i++)
        values += (long long)eng_node_numel(n.t[i].node);
    if (!ckpt_check_net(&n, f, "fuzz", err, sizeof err) && values < 200000 && s <= 64) {
        eng_forward(g, y);
        eng_plan *p = eng_plan_new(g, backend());
        float *zeros = calloc(eng_node_numel(x), sizeof *zeros);
        /* A file that passed the check must load and run, unless its values are not all
         * numbers: the load refuses those, naming the tensor ("... holds nan at ..."). */
        int load = p && zeros ? ckpt_load_net(&n, p, f, "fuzz", err, sizeof err) : -1;
        if (!p || !zeros || (load && !strstr(err, " holds ")) ||
            (!load && (eng_plan_write(p, x, zeros) || eng_plan_run(p))))
            abort();
        free(zeros);
        eng_plan_free(p);
    }
    net_release(&n);
    eng_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file *f = st_parse(data, size);
    if (!f)
        return 0;
    char err[512];
    gen_config gc;
    disc_config dc;
    if (!ckpt_gen_config(f, &gc, err, sizeof err))
        check(f, &gc, NULL);
    if (!ckpt_disc_config(f, &dc, err, sizeof err))
        check(f, NULL, &dc);
    (void)ckpt_param_count(f);
    st_close(f);
    return 0;
}
