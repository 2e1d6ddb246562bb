/* The tuner on the device present (engine/tune.h): a conv's three GEMMs (its
 * forward, input and weight gradient) tuned, every row measured; the file written
 * and read by a fresh backend, whose convs (now on the tuned choices) still equal the CPU; the
 * file ignored when its device UUID or driver version is another, or with PIX2PIX_VK_TUNING=0;
 * the CPU refused. Under the validation layer, with a cache folder of its own. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/tune.h"
#include "engine/vulkan/vk_internal.h"
#include "test_files.h"
#include "tests/vulkan/vk_compare.h"

#define TOLERANCE 1e-4

/* conv2d 48 -> 40 channels at 6x6, two samples, with bias: three quick GEMMs */
static eng_node *small_conv(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 2, 48, 6, 6);
    return eng_conv2d(g, x, eng_param4(g, "w", 40, 48, 3, 3), eng_param1(g, "b", 40), 1, 1);
}

static size_t loaded_choices(eng_backend *vk) { return ((vk_ctx *)vk->impl)->tuning.ntuned; }

/* A fresh backend: how many choices it read from the file. */
static size_t fresh_choices(void)
{
    int skip = 0;
    eng_backend *vk = vkt_open_vulkan(&skip);
    size_t n = vk ? loaded_choices(vk) : 0;
    if (vk)
        eng_backend_free(vk);
    return n;
}

/* Rewrites the first occurrence of `field`'s value in the file with `value`. */
static void edit_file(const char *path, const char *field, const char *value)
{
    char text[1 << 16], out[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    char *at = strstr(text, field), *end = at ? strchr(at, ',') : NULL;
    CHECK(end != NULL, "%s has no %s", path, field);
    if (!end)
        return;
    snprintf(out, sizeof out, "%.*s%s: %s%s", (int)(at - text), text, field, value, end);
    f = fopen(path, "w");
    CHECK(f && fputs(out, f) >= 0, "rewriting %s", path);
    if (f)
        fclose(f);
}

static void tune_and_reload(eng_backend *cpu, eng_backend *vk, eng_graph *g, char *path)
{
    eng_tune *t = eng_tune_convs(vk, g, 1, 0, 60);
    CHECK(t && eng_tune_count(t) == 3, "tune: %s", t ? "not 3 GEMMs" : eng_last_error());
    for (int i = 0; t && i < eng_tune_count(t); i++) {
        const eng_tune_row *r = eng_tune_row_at(t, i);
        printf("  %s: %s %.2f ms -> %s %.2f ms\n", r->gemm, r->default_choice, r->default_ms,
               r->best_choice, r->best_ms);
        CHECK(r->measured > 0 && r->best_ms > 0 && r->best_ms <= r->default_ms && !r->rejected,
              "row %d: %d measured, %d rejected (%s)", i, r->measured, r->rejected, r->rejects);
    }
    CHECK(t && !eng_tune_save(vk, t, path, 4200), "save: %s", eng_last_error());
    CHECK(t && access(path, R_OK) == 0, "no tuning file at %s", path);
    size_t n = t ? (size_t)eng_tune_count(t) : 0;
    eng_tune_free(t);
    int skip = 0;
    eng_backend *fresh = vkt_open_vulkan(&skip);
    CHECK(fresh && loaded_choices(fresh) == n, "a fresh backend read %zu choices, not %zu",
          fresh ? loaded_choices(fresh) : 0, n);
    vkt_errors e;
    CHECK(fresh && !vkt_compare("tuned convs", small_conv, 3, 2, cpu, fresh, &e) &&
          e.value_err <= TOLERANCE && e.grad_err <= TOLERANCE,
          "tuned convs against the CPU: forward %.2e backward %.2e", e.value_err, e.grad_err);
    if (fresh)
        eng_backend_free(fresh);
}

int main(void)
{
    char dir[] = "/tmp/vk_tune_XXXXXX", path[4200];
    temp_dir(dir);
    setenv("XDG_CACHE_HOME", dir, 1);
    int skip = 0;
    eng_backend *vk = vkt_open_vulkan(&skip), *cpu = eng_cpu_backend_new(1);
    if (!vk)
        return skip ? VKT_SKIP : 1;
    eng_graph *g = eng_graph_new();
    uint32_t rng = 3;
    small_conv(g, &rng);
    tune_and_reload(cpu, vk, g, path);
    setenv("PIX2PIX_VK_TUNING", "0", 1);
    CHECK(fresh_choices() == 0, "PIX2PIX_VK_TUNING=0 read the file");
    unsetenv("PIX2PIX_VK_TUNING");
    edit_file(path, "\"driver_version\"", "4294967295");
    CHECK(fresh_choices() == 0, "a file of another driver version was read");
    edit_file(path, "\"device_uuid\"", "\"00000000000000000000000000000000\"");
    CHECK(fresh_choices() == 0, "a file of another device was read");
    CHECK(!eng_tune_convs(cpu, g, 0, 0, 1) && strstr(eng_last_error(), "Vulkan"),
          "the CPU backend was tuned: %s", eng_last_error());
    CHECK(!vkt_check_validation(vk), "validation errors");
    eng_graph_free(g);
    eng_backend_free(vk);
    eng_backend_free(cpu);
    unlink(path);
    printf("%s\n", vkt_failures() ? "FAILED" : "ok");
    return vkt_failures() ? 1 : 0;
}
