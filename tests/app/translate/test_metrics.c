/* L1, PSNR and SSIM against the same measures written with numpy after skimage
 * (tools/gen_parity.py), plus their fixed points. */
#include "app/translate/metrics.h"
#include "app_test.h"

int main(void)
{
    image a = {0}, b = {0};
    char err[256];
    CHECK(image_load(FIXTURE_DIR "/metrics_a.png", 0, &a, err, sizeof err) == 0, "%s", err);
    CHECK(image_load(FIXTURE_DIR "/metrics_b.png", 0, &b, err, sizeof err) == 0, "%s", err);
    if (!a.pixels || !b.pixels)
        return 1;
    st_file *f = fixture_open("metrics.safetensors");
    float *want = fixture_tensor(f, "l1_psnr_ssim", 3);
    st_close(f);
    double got[3] = {metric_l1(&a, &b), metric_psnr(&a, &b), metric_ssim(&a, &b)};
    const char *names[3] = {"L1", "PSNR", "SSIM"};
    for (int i = 0; i < 3; i++) {
        printf("%-4s ours %.6f reference %.6f\n", names[i], got[i], (double)want[i]);
        CHECK(fabs(got[i] - want[i]) <= 1e-5 * fabs(want[i]) + 1e-6, "%s: %.7f vs %.7f",
              names[i], got[i], (double)want[i]);
    }
    CHECK(metric_l1(&a, &a) == 0 && isinf(metric_psnr(&a, &a)) &&
              fabs(metric_ssim(&a, &a) - 1.0) < 1e-12,
          "identical images");
    free(want);
    image_free(&a);
    image_free(&b);
    return test_result("metrics");
}
