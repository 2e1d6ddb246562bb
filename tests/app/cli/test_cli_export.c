/* pix2pix export end to end, without Python: the fixture U-Net and ResNet written as ONNX
 * files that protobuf-c reads back (input "input" [1, 3, H, W], output "output", one
 * initializer per tensor of the model file under its key, BatchNorm counters aside); then
 * the bad command lines (exit 2) and the files it cannot use or write (exit 1, one line
 * naming the file), which leave the previous ONNX file as it was and no temporary file.
 * (onnx_runtime.py runs the exported files in onnx.checker and OpenCV.) */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "onnx/onnx.pb-c.h"

static char tmp[] = "/tmp/p2p_export_XXXXXX";

static Onnx__ModelProto *load(const char *path, uint8_t **buf)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        if (f)
            fclose(f);
        return NULL;
    }
    *buf = malloc((size_t)st.st_size);
    size_t n = fread(*buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return onnx__model_proto__unpack(NULL, n, *buf);
}

static int has_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!strcmp(g->initializer[i]->name, name))
            return 1;
    return 0;
}

/* Exports a fixture and checks what the file holds. */
static void export_fixture(const char *name, const char *first_op)
{
    char model[512], out[512];
    snprintf(model, sizeof model, "%s/%s.safetensors", FIXTURE_DIR, name);
    snprintf(out, sizeof out, "%s/%s.onnx", tmp, name);
    char *args[] = {"export", "--model", model, "--onnx", out, NULL};
    CHECK(run_captured(cmd_export, args) == 0 && strstr(out_text, "wrote ") &&
              strstr(out_text, "input [1, 3, H, W]"),
          "export %s: %s", name, out_text);
    uint8_t *buf = NULL;
    Onnx__ModelProto *m = load(out, &buf);
    CHECK(m != NULL, "%s does not unpack as an onnx.ModelProto", out);
    if (m) {
        const Onnx__GraphProto *g = m->graph;
        const Onnx__TensorShapeProto *s = g->input[0]->type->tensor_type->shape;
        CHECK(!strcmp(g->input[0]->name, "input") && s->n_dim == 4 && s->dim[0]->dim_value == 1 &&
                  s->dim[1]->dim_value == 3 && !strcmp(s->dim[2]->dim_param, "H") &&
                  !strcmp(s->dim[3]->dim_param, "W") && !strcmp(g->output[0]->name, "output"),
              "%s: input or output", name);
        CHECK(m->opset_import[0]->version == 13 && !strcmp(g->node[0]->op_type, first_op),
              "%s: opset %lld, first node %s", name, (long long)m->opset_import[0]->version,
              g->node[0]->op_type);
        st_file *f = fixture_open(strrchr(model, '/') + 1);
        for (int i = 0; i < st_count(f); i++) {
            const char *key = st_get(f, i)->name;
            int counter = strstr(key, "num_batches_tracked") != NULL;
            CHECK(has_initializer(g, key) == !counter,
                  "%s: initializer %s", name, key);
        }
        st_close(f);
        onnx__model_proto__free_unpacked(m, NULL);
    }
    free(buf);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static int temp_files(void)
{
    DIR *d = opendir(tmp);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* A command that fails with status, printing one line that holds want. */
static void fails(char **args, int status, const char *want)
{
    int rc = run_captured(cmd_export, args);
    CHECK(rc == status && strstr(out_text, want) && strchr(out_text, '\n') ==
                                                        out_text + strlen(out_text) - 1,
          "status %d (want %d), message: %s (want %s)", rc, status, out_text, want);
}

int main(void)
{
    temp_dir(tmp);
    export_fixture("unet5_g", "Conv");
    export_fixture("resnet2_g", "Pad");
    char *help[] = {"export", "--help", NULL};
    CHECK(run_captured(cmd_export, help) == 0 && strstr(out_text, "--onnx"), "%s", out_text);

    char onnx[512], missing[512], dir_out[512], no_dir[512], copy[512];
    snprintf(onnx, sizeof onnx, "%s/unet5_g.onnx", tmp);
    snprintf(missing, sizeof missing, "%s/missing.safetensors", tmp);
    snprintf(dir_out, sizeof dir_out, "%s/a_folder", tmp);
    snprintf(no_dir, sizeof no_dir, "%s/no/such/folder/g.onnx", tmp);
    snprintf(copy, sizeof copy, "%s/g.safetensors", tmp);
    mkdir(dir_out, 0755);
    long before = file_size(onnx);
    char *unet = FIXTURE_DIR "/unet5_g.safetensors";

    fails((char *[]){"export", "--onnx", onnx, NULL}, 2, "--model and --onnx are required");
    fails((char *[]){"export", "--model", unet, NULL}, 2, "--model and --onnx are required");
    fails((char *[]){"export", "--model", unet, "--onnx", onnx, "--size", "64", NULL}, 2,
          "--size");
    char cp[1200];
    snprintf(cp, sizeof cp, "cp %s %s", unet, copy);
    CHECK(system(cp) == 0, "%s", cp);
    fails((char *[]){"export", "--model", copy, "--onnx", copy, NULL}, 2,
          "is the model file itself");
    fails((char *[]){"export", "--model", missing, "--onnx", onnx, NULL}, 1, missing);
    fails((char *[]){"export", "--model", FIXTURE_DIR "/unet5_in.png", "--onnx", onnx, NULL}, 1,
          FIXTURE_DIR "/unet5_in.png: ");
    fails((char *[]){"export", "--model", FIXTURE_DIR "/train_d0.safetensors", "--onnx", onnx,
                     NULL},
          1, FIXTURE_DIR "/train_d0.safetensors: not a generator");
    fails((char *[]){"export", "--model", unet, "--onnx", no_dir, NULL}, 1,
          "no/such/folder/g.onnx: cannot create a temporary file: No such file or directory");
    fails((char *[]){"export", "--model", unet, "--onnx", dir_out, NULL}, 1,
          "a_folder: not a regular file (a folder); refusing to replace it");
    CHECK(file_size(onnx) == before && before > 0, "the previous ONNX file changed: %ld, %ld",
          file_size(onnx), before);
    CHECK(temp_files() == 0, "temporary files left in %s", tmp);
    char rm[64];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    CHECK(system(rm) == 0, "%s", rm);
    return test_failures;
}
