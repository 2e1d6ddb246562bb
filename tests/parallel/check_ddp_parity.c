/* Checks a 2-rank run of pix2pix train (ddp_parity.sh) against PyTorch's
 * DistributedDataParallel (fixtures from tools/gen_ddp_parity.py): the logged losses, the mean
 * of the two ranks', within 1e-3 relative (the tolerance of app_train_parity); every trainable
 * tensor's 3-step update within 1% of its norm, running statistics (rank 0's) within 1e-4.
 * PREFIX names the run's fixtures: ddp (the default) or ddp_dsteps2 (--d-steps 2).
 * usage: check_ddp_parity EXPERIMENT_DIR [PREFIX] */
#include <string.h>

#include "app_test.h"

#define STEPS 3
#define RANKS 2
#define LOSSES 4

static void check_losses(const char *dir, const char *prefix)
{
    char name[128];
    snprintf(name, sizeof name, "%s_losses.safetensors", prefix);
    st_file *f = fixture_open(name);
    float *ref = fixture_tensor(f, "losses", STEPS * RANKS * LOSSES);
    st_close(f);
    char path[4200], line[256];
    snprintf(path, sizeof path, "%s/loss_log.csv", dir);
    FILE *log = fopen(path, "r");
    CHECK(log && fgets(line, sizeof line, log), "%s: no loss log", path);
    double worst = 0;
    for (int s = 0; log && s < STEPS; s++) {
        float v[LOSSES];
        int epoch, iter;
        CHECK(fgets(line, sizeof line, log) && sscanf(line, "%d,%d,%f,%f,%f,%f", &epoch, &iter,
              &v[0], &v[1], &v[2], &v[3]) == 6, "row %d of %s", s + 1, path);
        for (int k = 0; k < LOSSES; k++) {
            double mean = 0.5 * (ref[(s * RANKS) * LOSSES + k] + ref[(s * RANKS + 1) * LOSSES + k]);
            double rel = fabs(v[k] - mean) / fabs(mean);
            worst = rel > worst ? rel : worst;
            printf("step %d loss %d: ours %.6f, DDP mean of the ranks %.6f\n", s + 1, k, v[k],
                   mean);
            CHECK(rel <= 1e-3, "step %d loss %d: %g vs %g", s + 1, k, v[k], mean);
        }
    }
    printf("worst relative loss error %.3g\n", worst);
    if (log)
        fclose(log);
    free(ref);
}

static void check_net(const char *dir, const char *file, const char *start, const char *end)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    st_file *ours = st_open(path);
    CHECK(ours, "%s", eng_last_error());
    if (!ours)
        return;
    st_file *w0 = fixture_open(start), *w3 = fixture_open(end);
    double worst_update = 0, worst_buffer = 0;
    for (int i = 0; i < st_count(w3); i++) {
        const st_tensor *t = st_get(w3, i);
        if (t->dtype != ST_F32)
            continue; /* num_batches_tracked */
        float *ref = fixture_tensor(w3, t->name, t->numel), *a = fixture_tensor(w0, t->name,
                                                                                 t->numel);
        float *got = fixture_tensor(ours, t->name, t->numel);
        int buffer = strstr(t->name, "running_") != NULL;
        double e = 0, norm = 0, diff = 0;
        for (size_t j = 0; j < t->numel; j++) {
            double d = (double)got[j] - ref[j], u = (double)ref[j] - a[j];
            e += d * d;
            norm += u * u;
            diff = fabs(d) > diff ? fabs(d) : diff;
        }
        if (buffer) {
            worst_buffer = diff > worst_buffer ? diff : worst_buffer;
            CHECK(diff <= 1e-4, "%s: %s differs by %g", file, t->name, diff);
        } else {
            double ratio = sqrt(e) / (1e-2 * sqrt(norm));
            worst_update = ratio > worst_update ? ratio : worst_update;
            CHECK(sqrt(e) <= 1e-2 * sqrt(norm), "%s: %s update differs by %.3g (norm %.3g)", file,
                  t->name, sqrt(e), sqrt(norm));
        }
        free(ref);
        free(a);
        free(got);
    }
    printf("%s: worst update error / allowed %.3g, worst buffer error %.3g\n", file,
           worst_update, worst_buffer);
    st_close(w0);
    st_close(w3);
    st_close(ours);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: check_ddp_parity EXPERIMENT_DIR [PREFIX]\n");
        return 2;
    }
    const char *prefix = argc == 3 ? argv[2] : "ddp";
    char g3[128], d3[128];
    snprintf(g3, sizeof g3, "%s_g3.safetensors", prefix);
    snprintf(d3, sizeof d3, "%s_d3.safetensors", prefix);
    check_losses(argv[1], prefix);
    check_net(argv[1], "latest_net_G.safetensors", "ddp_g0.safetensors", g3);
    check_net(argv[1], "latest_net_D.safetensors", "ddp_d0.safetensors", d3);
    return test_result("ddp parity");
}
