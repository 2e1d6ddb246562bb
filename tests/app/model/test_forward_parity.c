/* Generators loaded from files converted from PyTorch state_dicts (no metadata: architecture
 * inferred from the keys) give PyTorch's outputs: U-Net with BatchNorm in eval mode (running
 * statistics) and train mode (batch statistics), ResNet with InstanceNorm and biases, and both
 * with resize-convolution upsampling (each ConvTranspose2d replaced by nn.Sequential(Upsample,
 * Conv2d 3x3); fixtures from tools/gen_parity.py gen_resize_conv).
 * Usage: test_app_forward_parity [DEVICE] (default cpu; exit 77 when DEVICE is unavailable). */
#include "app/model/checkpoint.h"
#include "app/model/generator.h"
#include "app_test.h"
#include "engine/device.h"

static const char *device = "cpu";

static void check_output(const char *model, int eval, const float *x, const float *want,
                         const char *what)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, model);
    eng_backend *be = eng_backend_open(device, 2);
    CHECK(be != NULL, "%s", eng_last_error());
    if (!be)
        return;
    generator r;
    if (generator_open(&r, path, be, eval, 0, err, sizeof err)) {
        CHECK(0, "%s", err);
        eng_backend_free(be);
        return;
    }
    size_t n = (size_t)3 * 32 * 32;
    float *y = calloc(n, sizeof *y);
    int rc = generator_run(&r, x, 32, 32, y, err, sizeof err);
    CHECK(rc == 0, "%s", err);
    double diff = max_abs_diff(y, want, n);
    printf("%s on %s: max |ours - PyTorch| = %.3g\n", what, device, diff);
    CHECK(diff <= 1e-4, "%s differs from PyTorch by %g", what, diff);
    free(y);
    generator_close(&r);
    eng_backend_free(be);
}

int main(int argc, char **argv)
{
    char err[256];
    if (argc > 1)
        device = device_or_skip(argv[1]);
    gen_config c;
    st_file *unet = fixture_open("unet5_g.safetensors");
    CHECK(ckpt_gen_config(unet, &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.family == GEN_UNET && c.depth == 5 && c.ngf == 4 && c.norm == NORM_BATCH &&
              c.input_nc == 3 && c.output_nc == 3,
          "U-Net inferred as family %d depth %d ngf %d norm %d", c.family, c.depth, c.ngf, c.norm);
    st_close(unet);
    st_file *resnet = fixture_open("resnet2_g.safetensors");
    CHECK(ckpt_gen_config(resnet, &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.family == GEN_RESNET && c.depth == 2 && c.ngf == 4 && c.norm == NORM_INSTANCE &&
              !c.use_dropout,
          "ResNet inferred as family %d depth %d ngf %d norm %d", c.family, c.depth, c.ngf, c.norm);
    st_close(resnet);
    const char *rc_models[] = {"unet5_rc_g.safetensors", "resnet2_rc_g.safetensors"};
    for (int i = 0; i < 2; i++) {
        st_file *f = fixture_open(rc_models[i]);
        CHECK(ckpt_gen_config(f, &c, err, sizeof err) == 0, "%s", err);
        CHECK(c.upsample == GEN_UP_RESIZE_CONV && c.family == (i ? GEN_RESNET : GEN_UNET) &&
                  c.depth == (i ? 2 : 5) && c.ngf == 4 && c.output_nc == 3,
              "%s inferred as upsample %d family %d depth %d ngf %d output_nc %d", rc_models[i],
              c.upsample, c.family, c.depth, c.ngf, c.output_nc);
        st_close(f);
    }

    st_file *out = fixture_open("unet5_out.safetensors");
    size_t n = (size_t)3 * 32 * 32;
    float *x = fixture_tensor(out, "input", n);
    float *want_eval = fixture_tensor(out, "eval", n);
    float *want_train = fixture_tensor(out, "train", n);
    st_close(out);
    st_file *rout = fixture_open("resnet2_out.safetensors");
    float *want_resnet = fixture_tensor(rout, "eval", n);
    st_close(rout);

    check_output("unet5_g.safetensors", 1, x, want_eval, "unet eval");
    check_output("unet5_g.safetensors", 0, x, want_train, "unet batch statistics");
    check_output("resnet2_g.safetensors", 1, x, want_resnet, "resnet instance norm");
    st_file *rc = fixture_open("rc_out.safetensors");
    float *rc_x = fixture_tensor(rc, "input", n), *want_unet_rc = fixture_tensor(rc, "unet5_rc", n);
    float *want_resnet_rc = fixture_tensor(rc, "resnet2_rc", n);
    st_close(rc);
    check_output("unet5_rc_g.safetensors", 1, rc_x, want_unet_rc, "unet resize-conv eval");
    check_output("resnet2_rc_g.safetensors", 1, rc_x, want_resnet_rc, "resnet resize-conv");
    free(rc_x);
    free(want_unet_rc);
    free(want_resnet_rc);
    free(x);
    free(want_eval);
    free(want_train);
    free(want_resnet);
    return test_result("forward parity");
}
