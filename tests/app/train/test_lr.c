/* Learning rate: each --lr-policy gives PyTorch's rates epoch by epoch (the reference's
 * schedulers, plateau fed a metric that falls and stalls), and the rate set on the trainer is
 * the one its Adam steps use (a first Adam step moves each weight by about lr). */
#include <cjson/cJSON.h>

#include "app/train/lr_policy.h"
#include "app/train/train.h"
#include "app_test.h"

static double first_step_size(float lr)
{
    trainer_opts o = {
        .gen = {.family = GEN_UNET, .depth = 5, .input_nc = 3, .output_nc = 3, .ngf = 4,
            .norm = NORM_BATCH, .use_dropout = 0},
        .disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH, 1, 0},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .seed = 3,
    };
    char err[256];
    eng_backend *be = eng_cpu_backend_new(1);
    trainer t;
    if (trainer_init(&t, &o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    trainer_set_lr(&t, lr);
    const eng_node *w = t.G.t[0].node;
    size_t numel = eng_node_numel(w);
    float *before = malloc(sizeof *before * numel), *after = malloc(sizeof *after * numel);
    float *a = calloc(3 * 32 * 32, sizeof *a), *b = calloc(3 * 32 * 32, sizeof *b);
    for (int i = 0; i < 3 * 32 * 32; i++) {
        a[i] = sinf(i * 0.37f);
        b[i] = cosf(i * 0.11f);
    }
    float losses[LOSS_COUNT];
    eng_plan_read(t.plan, w, before);
    CHECK(trainer_step(&t, a, b, losses) == 0, "step");
    eng_plan_read(t.plan, w, after);
    double step = max_abs_diff(before, after, numel);
    free(before);
    free(after);
    free(a);
    free(b);
    trainer_free(&t);
    eng_backend_free(be);
    return step;
}

/* The PyTorch schedulers' rate for each epoch of each case of lr_policies.json
 * (tools/gen_lr_fixture.py), against lr_schedule's. */
static void check_policies(void)
{
    size_t len;
    char *text = (char *)read_whole_file(FIXTURE_DIR "/lr_policies.json", &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    CHECK(root != NULL, "cannot read lr_policies.json");
    const cJSON *c;
    int cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        const char *policy = cJSON_GetObjectItem(c, "policy")->valuestring;
        const cJSON *o = cJSON_GetObjectItem(c, "options");
#define OPT(name) cJSON_GetObjectItem(o, name)->valuedouble
        lr_policy_kind kind;
        CHECK(lr_policy_parse(policy, &kind) == 0, "policy %s", policy);
        lr_schedule s;
        int epoch_count = (int)OPT("epoch_count");
        lr_schedule_init(&s, kind, (float)OPT("lr"), (int)OPT("n_epochs"),
                         (int)OPT("n_epochs_decay"), epoch_count, (int)OPT("lr_decay_iters"));
        const cJSON *metrics = cJSON_GetObjectItem(c, "metrics"), *lr;
        int k = 0;
        double worst = 0;
        cJSON_ArrayForEach(lr, cJSON_GetObjectItem(c, "lr")) {
            double got = lr_schedule_rate(&s, epoch_count + k), want = lr->valuedouble;
            double err = fabs(got - want) / OPT("lr");
            worst = err > worst ? err : worst;
            CHECK(err <= 1e-6, "%s (epoch_count %d): epoch %d: %g, PyTorch %g", policy,
                  epoch_count, epoch_count + k, got, want);
            if (cJSON_GetArraySize(metrics) > k)
                lr_schedule_metric(&s, cJSON_GetArrayItem(metrics, k)->valuedouble);
            k++;
        }
#undef OPT
        printf("%s (epoch_count %d): %d epochs, largest difference to PyTorch %.2g of lr\n",
               policy, epoch_count, k, worst);
        cases++;
    }
    CHECK(cases == 7, "%d cases", cases);
    CHECK(lr_policy_parse("lambda", &(lr_policy_kind){0}) == -1, "an unknown policy accepted");
    cJSON_Delete(root);
    free(text);
}

int main(void)
{
    check_policies();
    for (int k = 0; k < 2; k++) {
        float lr = k ? 1e-3f : 1e-4f;
        double step = first_step_size(lr);
        printf("lr %g: largest first-step change %g\n", (double)lr, step);
        CHECK(step > 0.9 * lr && step < 1.01 * lr, "lr %g moved weights by %g", (double)lr, step);
    }
    return test_result("lr");
}
