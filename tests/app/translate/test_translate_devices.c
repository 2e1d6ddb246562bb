/* translate --device with a list: one queue of images, a worker per device.
 * - cpu,cpu with --eval: every output byte for byte that of a one-device run, and both
 *   devices took images;
 * - vulkan,cpu (lavapipe in CI; argument "vulkan") with --eval: every output within 1 level
 *   of 255 of the CPU's, both devices took images; the Vulkan device's memory budget is
 *   positive and within its largest device-local heap. Skipped (77) without a Vulkan device.
 * - a device that cannot be opened in the list: one line naming it, exit 1. */
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "datasets/image.h"
#include "engine/device.h"
#include "engine/engine.h"

#define MODEL FIXTURE_DIR "/unet5_g.safetensors"
#define N_IMAGES 12

static char in_dir[256];

static int run(const char *device, const char *out)
{
    char *args[] = {"translate", "--model", MODEL, "--input", in_dir, "--output", (char *)out,
                    "--device", (char *)device, "--threads", "1", "--eval", "--full-res",
                    "--verbose", "--quiet", NULL};
    return run_captured(cmd_translate, args);
}

/* From the --verbose lines "translate: DEVICE: K images, busy ...": how many devices took at
 * least one image; *total: the images of all. */
static int busy_devices(int *total)
{
    int busy = 0;
    *total = 0;
    for (const char *p = out_text; (p = strstr(p, ", busy ")); p++) {
        const char *q = p;
        while (q > out_text && q[-1] != ' ') /* back over "images" */
            q--;
        const char *d = q - 1;
        while (d > out_text && isdigit((unsigned char)d[-1]))
            d--;
        int k = atoi(d);
        busy += k > 0;
        *total += k;
    }
    return busy;
}

/* Worst sample difference between the outputs of two runs (levels of 255); -1 when an output
 * is missing or of another size, or (exact) when two files differ at all. */
static double compare_runs(const char *a_dir, const char *b_dir, int exact)
{
    double worst = 0;
    for (int i = 0; i < N_IMAGES; i++) {
        char a[600], b[600], err[256];
        snprintf(a, sizeof a, "%s/img%02d.png", a_dir, i);
        snprintf(b, sizeof b, "%s/img%02d.png", b_dir, i);
        if (exact) {
            size_t na, nb;
            unsigned char *x = read_whole_file(a, &na), *y = read_whole_file(b, &nb);
            int same = x && y && na == nb && !memcmp(x, y, na);
            free(x);
            free(y);
            if (!same)
                return -1;
            continue;
        }
        image x = {0}, y = {0};
        int ok = !image_load(a, 0, &x, err, sizeof err) && !image_load(b, 0, &y, err, sizeof err) &&
                 x.width == y.width && x.height == y.height;
        for (size_t k = 0; ok && k < (size_t)x.width * x.height * 3; k++)
            worst = fmax(worst, fabs((double)x.pixels[k] - y.pixels[k]));
        image_free(&x);
        image_free(&y);
        if (!ok)
            return -1;
    }
    return worst;
}

static void make_inputs(void)
{
    char path[512], err[256];
    image src = {0};
    CHECK(image_load(FIXTURE_DIR "/unet5_in.png", 0, &src, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < N_IMAGES && src.pixels; i++) {
        image img = {0};
        snprintf(path, sizeof path, "%s/img%02d.png", in_dir, i);
        CHECK(image_resize_bicubic(&src, 64 + 16 * (i % 4), 96 - 8 * (i % 3), &img) == 0, "resize");
        CHECK(image_save_png(path, &img, err, sizeof err) == 0, "%s", err);
        image_free(&img);
    }
    image_free(&src);
}

/* The budget of the best Vulkan device against its largest device-local heap. */
static void check_vulkan_budget(void)
{
    eng_device_info info[8];
    int n = eng_device_list(info, 8);
    eng_backend *be = eng_backend_open("vulkan", 1);
    if (!be || n < 1)
        return;
    uint64_t heap = 0;
    for (int d = 0; d < (n < 8 ? n : 8); d++)
        for (int h = 0; h < info[d].nheaps; h++)
            if (info[d].heap_device_local[h] && info[d].heap_bytes[h] > heap)
                heap = info[d].heap_bytes[h];
    size_t budget = eng_backend_memory_budget(be);
    printf("%s: memory budget %.0f MiB of a %.0f MiB heap\n", eng_backend_name(be),
           budget / 1048576.0, heap / 1048576.0);
    CHECK(budget > 0 && budget <= heap, "budget %zu, heap %llu", budget, (unsigned long long)heap);
    eng_backend_free(be);
}

/* Without arguments the CPU runs; with "vulkan" the Vulkan device beside the CPU (a test of
 * its own: sanitizer builds cannot check the Vulkan driver's leaks, see CMakeLists.txt). */
int main(int argc, char **argv)
{
    char tmp[] = "/tmp/p2p_devices_XXXXXX", one[300], two[300], mixed[300];
    int vulkan = argc > 1 && !strcmp(argv[1], "vulkan");
    temp_dir(tmp);
    snprintf(in_dir, sizeof in_dir, "%s/in", tmp);
    snprintf(one, sizeof one, "%s/cpu", tmp);
    snprintf(two, sizeof two, "%s/cpu_cpu", tmp);
    snprintf(mixed, sizeof mixed, "%s/vulkan_cpu", tmp);
    mkdir(in_dir, 0755);
    make_inputs();

    int total, busy, status = 0;
    CHECK(run("cpu", one) == 0, "one CPU: %s", out_text);
    eng_backend *vk = vulkan ? eng_backend_open("vulkan", 1) : NULL;
    if (!vulkan) {
        CHECK(run("cpu,cpu", two) == 0, "two CPUs: %s", out_text);
        busy = busy_devices(&total);
        printf("cpu,cpu: %d of 2 devices took images (%d in all)\n", busy, total);
        CHECK(busy == 2 && total == N_IMAGES, "cpu,cpu: %d devices busy, %d images: %s", busy,
              total, out_text);
        CHECK(compare_runs(one, two, 1) == 0, "cpu,cpu outputs differ from cpu's");
        CHECK(run("cpu,nosuch", two) == 1 && strstr(out_text, "unknown device 'nosuch'"),
              "a bad device in the list: %s", out_text);
    } else if (!vk) {
        printf("skipped: %s\n", eng_last_error());
        status = 77;
    } else {
        eng_backend_free(vk);
        CHECK(run("vulkan,cpu", mixed) == 0, "vulkan,cpu: %s", out_text);
        busy = busy_devices(&total);
        double worst = compare_runs(one, mixed, 0);
        printf("vulkan,cpu: %d of 2 devices took images; outputs at most %.0f level(s) of 255 "
               "from the CPU's\n", busy, worst);
        CHECK(busy == 2 && total == N_IMAGES, "vulkan,cpu: %d devices busy: %s", busy, out_text);
        CHECK(worst >= 0 && worst <= 1, "vulkan,cpu: %.0f levels from the CPU's", worst);
        check_vulkan_budget();
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    printf("translate devices%s: %s\n", vulkan ? " (vulkan,cpu)" : "",
           test_failures ? "FAILED" : status ? "skipped" : "ok");
    return test_failures ? 1 : status;
}
