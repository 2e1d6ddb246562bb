/* eng_backend.supports: a backend that lacks an op refuses the graph at plan time, naming the
 * backend, the op and the node, for eng_plan_new and eng_plan_estimate alike; the real
 * backends' hooks accept every op of the table. The lacking backend is the CPU backend with a
 * hook that refuses avg_pool2d. */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"

static int failures;

static void check(int ok, const char *what)
{
    printf("%-4s %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static int lacks_avg_pool(eng_backend *be, const eng_node *n)
{
    (void)be;
    return n->op != ENG_OP_AVG_POOL2D;
}

/* x -> relu -> avg_pool2d (its node named when named is set) -> sum */
static eng_graph *pool_graph(int named)
{
    eng_graph *g = eng_graph_new();
    eng_node *pool = eng_avg_pool2d(g, eng_relu(g, eng_input4(g, "x", 1, 2, 7, 7)), 3, 2, 1);
    if (named)
        strcpy(pool->name, "D.downsample");
    eng_forward(g, eng_sum(g, pool));
    return g;
}

static void check_refused(eng_backend *be, int named, const char *want)
{
    eng_graph *g = pool_graph(named);
    eng_plan *p = eng_plan_new(g, be);
    char what[256];
    snprintf(what, sizeof what, "eng_plan_new refuses: %s", want);
    check(!p && !strcmp(eng_last_error(), want), what);
    if (strcmp(eng_last_error(), want))
        printf("     message: %s\n", eng_last_error());
    size_t bytes = 0;
    check(eng_plan_estimate(g, be, NULL, &bytes) == ENG_EINVAL && !strcmp(eng_last_error(), want) &&
              bytes == 0,
          "eng_plan_estimate refuses it the same way");
    eng_plan_free(p);
    eng_graph_free(g);
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(1);
    check(be->supports != NULL, "the CPU backend has a supports hook");
    int all = 1;
    eng_node probe = {0};
    for (int op = 0; op < ENG_OP_COUNT; op++) {
        probe.op = (eng_op)op;
        all = all && be->supports(be, &probe);
    }
    check(all, "the CPU backend supports every op of the table");

    eng_graph *g = pool_graph(0);
    eng_plan *p = eng_plan_new(g, be);
    check(p != NULL, "the graph plans on the CPU backend");
    eng_plan_free(p);
    eng_graph_free(g);

    be->supports = lacks_avg_pool;
    check_refused(be, 0, "cpu: op 'avg_pool2d' (node 2) is not supported");
    check_refused(be, 1, "cpu: op 'avg_pool2d' (D.downsample) is not supported");
    eng_backend_free(be);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
