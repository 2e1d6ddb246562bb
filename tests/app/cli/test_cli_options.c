/* The command line's enumerated values, help format and numbers (issue 24, items 4, 6, 9, 10):
 * every invalid value is named with the accepted ones, a value differing only in case is
 * taken, every command's --help has one format, and floats print shortest (inspect too). */
#include <string.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/float_text.h"
#include "app_test.h"
#include "engine/safetensors.h"


/* Values accepted (exit 0 at the --help that follows them) or refused with the message. */
static void check_choices(void)
{
    char *btoa[] = {"train", "--direction", "btoa", "--help", NULL};
    CHECK(run_captured(cmd_train, btoa) == 0, "--direction btoa: %s", out_text);
    char *side[] = {"train", "--direction", "sideways", NULL};
    CHECK(run_captured(cmd_train, side) == 2 &&
              strstr(out_text, "unknown --direction 'sideways' (accepted: AtoB, BtoA)"),
          "--direction sideways: %s", out_text);
    char *netg[] = {"train", "--netG", "foo", NULL};
    CHECK(run_captured(cmd_train, netg) == 2 && strstr(out_text, "unknown --netG 'foo'") &&
              strstr(out_text, "unet_256") && strstr(out_text, "unet_N"),
          "--netG foo: %s", out_text);
    char *unet6[] = {"train", "--netG", "unet_6", "--norm", "INSTANCE", "--help", NULL};
    CHECK(run_captured(cmd_train, unet6) == 0, "--netG unet_6 --norm INSTANCE: %s", out_text);
    char *netd[] = {"bench", "--netD", "foo", NULL};
    CHECK(run_captured(cmd_benchmark, netd) == 2 &&
              strstr(out_text, "(accepted: basic, n_layers, pixel)"),
          "bench --netD foo: %s", out_text);
    char *task[] = {"dataset", "make", "--task", "paint", NULL};
    CHECK(run_captured(cmd_dataset, task) == 2 &&
              strstr(out_text, "unknown --task 'paint' (accepted: edges, colorize, deblur)"),
          "dataset make --task paint: %s", out_text);

    /* Two names equal but for case: neither is guessed. */
    const char *value = NULL;
    static const char *const names[] = {"ab", "AB", NULL};
    const cli_choices twins = {names, NULL, NULL};
    const cli_opt opts[] = {{"pick", CLI_CHOICE, CLI_CHOICE_OF(value, twins), "a name"}};
    const cli_spec spec = {"t", "t", "t", opts, 1, 0};
    char *ambiguous[] = {"t", "--pick", "Ab", NULL}, *exact[] = {"t", "--pick", "AB", NULL};
    CHECK(cli_parse(&spec, 3, ambiguous, NULL, NULL) == CLI_ERROR, "Ab taken as %s", value);
    CHECK(cli_parse(&spec, 3, exact, NULL, NULL) == CLI_OK && value == names[1], "AB: %s",
          value);
}

/* Every command's help: usage, options: header, placeholders, --help line, exit statuses. */
static void check_help(void)
{
    char *train[] = {"train", "--help", NULL};
    CHECK(run_captured(cmd_train, train) == 0 && strstr(out_text, "--time-limit X") &&
              strstr(out_text, "after X seconds") &&
              strstr(out_text, "(accepted: basic, n_layers, pixel; default: basic)") &&
              strstr(out_text, "unet_N (N downsamplings"),
          "train --help: %s", out_text);
    char *bench[] = {"bench", "--help", NULL};
    CHECK(run_captured(cmd_benchmark, bench) == 0 && !strstr(out_text, "last conv layer") &&
              strstr(out_text, "--n-layers-d N") && strstr(out_text, "n_layers"),
          "bench --help: %s", out_text);
    char *devices[] = {"devices", "--help", NULL};
    CHECK(run_captured(cmd_devices, devices) == 0 && strstr(out_text, "\noptions:\n") &&
              strstr(out_text, "--peak-seconds X") && strstr(out_text, "Exit status:") &&
              strstr(out_text, "  --help "),
          "devices --help: %s", out_text);
    char *version[] = {"version", "--help", NULL};
    CHECK(run_captured(cmd_version, version) == 0 && strstr(out_text, "usage: pix2pix version") &&
              strstr(out_text, "\noptions:\n") && strstr(out_text, "Exit status:"),
          "version --help: %s", out_text);
    static const char *const subs[] = {"combine", "make", "synth", "check", "bench"};
    for (int i = 0; i < 5; i++) {
        char *help[] = {"dataset", (char *)subs[i], "--help", NULL};
        CHECK(run_captured(cmd_dataset, help) == 0 && strstr(out_text, "usage: pix2pix") &&
                  strstr(out_text, "Exit status:") && strstr(out_text, "\noptions:\n") &&
                  strstr(out_text, "  --help ") && strstr(out_text, " S "),
              "dataset %s --help: %s", subs[i], out_text);
    }
    char *check[] = {"dataset", "check", "--help", NULL};
    CHECK(run_captured(cmd_dataset, check) == 0 && !strstr(out_text, "--batch"),
          "dataset check --help lists --batch: %s", out_text);
}

static void check_floats(void)
{
    char text[32];
    const struct { float x; const char *text; } cases[] = {
        {2e-4f, "0.0002"}, {100.0f, "100"}, {0.5f, "0.5"}, {1e6f, "1000000"}, {1.0f / 3.0f, "0.33333334"},
        {1e-8f, "1e-08"}};
    for (int i = 0; i < 6; i++) {
        float_text(cases[i].x, text, sizeof text);
        CHECK(!strcmp(text, cases[i].text), "float_text: %s, not %s", text, cases[i].text);
    }
    float lr = 2e-4f;
    const cli_opt opts[] = {{"lr", CLI_FLOAT, &lr, "rate"}};
    const cli_spec spec = {"t", "t", "t", opts, 1, 0};
    char *json = cli_to_json(&spec);
    CHECK(json && !strcmp(json, "{\"lr\":0.0002}"), "options JSON: %s", json);
    free(json);
}

/* inspect on a file that holds the options as written before float_text: the float's
 * double. */
static void check_inspect(void)
{
    char path[] = "/tmp/p2p_inspect_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    const float w = 1.0f;
    const int64_t shape[1] = {1};
    st_writer *sw = st_writer_new();
    st_writer_add(sw, "w", ST_F32, 1, shape, &w);
    st_writer_meta(sw, "options", "{\"lr\":0.000199999994947575,\"seed\":123456789012}");
    CHECK(st_writer_save(sw, path) == 0, "%s", eng_last_error());
    st_writer_free(sw);
    char *inspect[] = {"inspect", path, NULL};
    CHECK(run_captured(cmd_inspect, inspect) == 0 &&
              strstr(out_text, "options: {\"lr\":0.0002,\"seed\":123456789012}"),
          "inspect: %s", out_text);
    unlink(path);
}

int main(void)
{
    check_choices();
    check_help();
    check_floats();
    check_inspect();
    if (!test_failures)
        printf("ok   cli options: choices, help format, shortest floats\n");
    return test_failures ? 1 : 0;
}
