/* pix2pix export: a generator as an ONNX model, in eval mode (running statistics, no
 * dropout), for any image size the network takes. The graph is the one translate --eval
 * builds, written by the engine's ONNX writer (engine/onnx.h). */
#include <stdio.h>
#include <string.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/fsutil.h"
#include "app/model/generator.h"
#include "base/text_line.h"
#include "engine/onnx.h"

/* What --help says of pix2pix export: its usage line, and the text below it. */
static const char usage[] = "pix2pix export --onnx OUT.onnx --model FILE";
static const char summary[] =
    "Writes a generator as an ONNX model (opset 13): the network of translate --eval\n"
    "(BatchNorm running statistics, no dropout), one ONNX node per layer, the weights\n"
    "under their state_dict names. The input 'input' is [1, C, H, W] in [-1, 1], H and W\n"
    "any multiples of the network's stride (U-Net: 2^depth; ResNet: 4, at least 8); the\n"
    "output 'output' is [1, C, H, W] in [-1, 1].\n"
    "\n"
    "Exit status: 0 written; 1 the model cannot be used or the file cannot be written\n"
    "(the message names the file); 2 invalid command line.";

/* What the file says about itself: its doc_string and metadata_props. */
static int write_model(generator *r, const char *path)
{
    const gen_config *c = &r->cfg;
    char name[64], doc[512], ch_in[8], ch_out[8], ngf[16], stride[16], min_side[16];
    gen_name(c, name, sizeof name);
    snprintf(ch_in, sizeof ch_in, "%d", c->input_nc);
    snprintf(ch_out, sizeof ch_out, "%d", c->output_nc);
    snprintf(ngf, sizeof ngf, "%d", c->ngf);
    snprintf(stride, sizeof stride, "%d", gen_stride(c));
    snprintf(min_side, sizeof min_side, "%d", gen_min_side(c));
    snprintf(doc, sizeof doc,
             "pix2pix generator %s in eval mode (BatchNorm running statistics, no dropout). "
             "input: [1, %d, H, W], %s in [-1, 1] (pixel / 127.5 - 1); output: [1, %d, H, W] "
             "in [-1, 1]. H and W: multiples of %s, at least %s.",
             name, c->input_nc, c->input_nc == 1 ? "grey" : "RGB", c->output_nc, stride,
             min_side);
    const char *meta[] = {"netG", name, "input_nc", ch_in, "output_nc", ch_out, "ngf", ngf,
                          "norm", net_norm_name(c->norm), "upsample",
                          gen_upsample_name(c->upsample), "stride", stride, "min_side", min_side};
    eng_onnx_info info = {"pix2pix-vk", PIX2PIX_VERSION, name, doc, meta,
                          (int)(sizeof meta / sizeof meta[0] / 2)};
    eng_onnx_value in = {r->cur.in, "input", {NULL, NULL, "H", "W"}};
    eng_onnx_value out = {r->cur.out, "output", {NULL, NULL, "H", "W"}};
    return eng_onnx_write(r->cur.plan, &in, &out, &info, path);
}

static int export_onnx(const char *model, const char *path)
{
    char err[1024];
    eng_backend *be = eng_cpu_backend_new(1);
    generator r;
    if (generator_open(&r, model, be, 1, 0, err, sizeof err)) {
        text_line(stderr, "pix2pix export: %s", err); /* names the model file */
        eng_backend_free(be);
        return 1;
    }
    /* The smallest size: the graph is the same for every size, only its memory grows. */
    int side = gen_min_side(&r.cfg), rc = 1;
    if (generator_prepare(&r, side, side, 0, err, sizeof err))
        text_line(stderr, "pix2pix export: %s: %s", model, err);
    else if (write_model(&r, path))
        text_line(stderr, "pix2pix export: %s", eng_last_error()); /* names a file not written */
    else
        rc = 0;
    if (!rc) {
        char name[64];
        gen_name(&r.cfg, name, sizeof name);
        text_line(stdout, "wrote %s: generator %s, input [1, %d, H, W] with H and W multiples "
                  "of %d from %d, eval mode", path, name, r.cfg.input_nc, gen_stride(&r.cfg),
                  side);
    }
    generator_close(&r);
    eng_backend_free(be);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    const char *model = NULL, *onnx = NULL;
    const cli_opt opts[] = {
        {"model", CLI_STR, &model, "generator file (.safetensors: ours or converted)"},
        {"onnx", CLI_STR, &onnx, "the ONNX file to write (replaced atomically)"},
    };
    const cli_spec spec = {"export", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if (!model || !onnx) {
        fprintf(stderr, "pix2pix export: --model and --onnx are required\n");
        return 2;
    }
    if (fs_same_file(model, onnx)) {
        text_line(stderr, "pix2pix export: --onnx %s is the model file itself", onnx);
        return 2;
    }
    return export_onnx(model, onnx);
}
