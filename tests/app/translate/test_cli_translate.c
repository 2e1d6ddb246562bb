/* pix2pix translate end to end: (a) a converted PyTorch U-Net gives PyTorch's eval output
 * within one level of 255 through PNG decode/encode; (b) a folder with a corrupt file, an
 * odd-sized image and a text file: the bad one reported with its path and skipped, the
 * others written at their own size, exit status 1, no partial or temporary files. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app/common/tensor_image.h"
#include "app_test.h"
#include "datasets/image.h"

static int run(char *const *args, const char *stderr_path)
{
    int argc = 0;
    while (args[argc])
        argc++;
    fflush(stderr);
    int saved = dup(2), fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    int rc = cmd_translate(argc, (char **)args);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return rc;
}

/* The file's text, at most 8 KiB of it ("" when unreadable), in a buffer the next call
 * reuses. */
static const char *read_text(const char *path)
{
    static char buf[8192];
    size_t n;
    char *text = (char *)read_whole_file(path, &n);
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    free(text);
    return buf;
}

int main(void)
{
    char tmp[] = "/tmp/p2p_translate_XXXXXX";
    temp_dir(tmp);
    char in_dir[256], out_dir[256], log[256], path[512], err[256];
    snprintf(in_dir, sizeof in_dir, "%s/in", tmp);
    snprintf(out_dir, sizeof out_dir, "%s/out", tmp);
    snprintf(log, sizeof log, "%s/stderr.txt", tmp);
    mkdir(in_dir, 0755);

    /* (a) parity through the command line. */
    char *args_a[] = {"translate", "--model", FIXTURE_DIR "/unet5_g.safetensors", "--input",
                      FIXTURE_DIR "/unet5_in.png", "--output", out_dir, "--eval", "--full-res",
                      "--threads", "2", NULL};
    CHECK(run(args_a, log) == 0, "translate failed: %s", read_text(log));
    snprintf(path, sizeof path, "%s/unet5_in.png", out_dir);
    image out = {0};
    CHECK(image_load(path, 0, &out, err, sizeof err) == 0, "%s: %s", path, err);
    st_file *ref = fixture_open("unet5_out.safetensors");
    float *want = fixture_tensor(ref, "eval", 3 * 32 * 32);
    st_close(ref);
    if (out.pixels) {
        CHECK(out.width == 32 && out.height == 32, "output %dx%d", out.width, out.height);
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 32 * 32; i++) {
                double expect = (want[c * 1024 + i] + 1.0) * 0.5 * 255.0;
                double d = fabs(out.pixels[i * 3 + c] - expect);
                worst = d > worst ? d : worst;
            }
        printf("translate --eval vs PyTorch: max difference %.3f of 255\n", worst);
        CHECK(worst <= 1.0, "max difference %.3f levels", worst);
        image_free(&out);
    }
    free(want);

    /* (b) a folder with good, odd-sized, corrupt and non-image files. */
    image odd = {0};
    image src = {0};
    CHECK(image_load(FIXTURE_DIR "/unet5_in.png", 0, &src, err, sizeof err) == 0, "%s", err);
    CHECK(image_resize_bicubic(&src, 45, 37, &odd) == 0, "resize");
    snprintf(path, sizeof path, "%s/odd.png", in_dir);
    CHECK(image_save_png(path, &odd, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/good.png", in_dir);
    CHECK(image_save_png(path, &src, err, sizeof err) == 0, "%s", err);
    image_free(&odd);
    image_free(&src);
    write_text_in(in_dir, "broken.png", "\x89PNG\r\n\x1a\nnot really");
    write_text_in(in_dir, "notes.txt", "not an image");
    for (int full = 0; full < 2; full++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s/b%d", tmp, full);
        char *args_b[] = {"translate", "--model", FIXTURE_DIR "/unet5_g.safetensors", "--input",
                          in_dir, "--output", sub, "--format", "jpg", "--seed", "3",
                          full ? "--full-res" : "--eval", NULL};
        CHECK(run(args_b, log) == 1, "exit status with a broken file");
        const char *msg = read_text(log);
        CHECK(strstr(msg, "broken.png: ") != NULL, "message names the file: %s", msg);
        CHECK(strstr(msg, "odd.png") == NULL && strstr(msg, "notes") == NULL, "others: %s", msg);
        const char *names[2] = {"good.jpg", "odd.jpg"};
        const int widths[2] = {32, 45}, heights[2] = {32, 37};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", sub, names[i]);
            image img = {0};
            CHECK(image_load(path, 0, &img, err, sizeof err) == 0, "%s: %s", path, err);
            CHECK(img.width == widths[i] && img.height == heights[i], "%s is %dx%d", path,
                  img.width, img.height);
            image_free(&img);
        }
        int entries = count_dir_entries(sub);
        CHECK(entries == 2, "%d files in the output folder, want 2", entries);
    }
    /* Output folder = input folder: the PNG inputs are not overwritten. */
    char *args_d[] = {"translate", "--model", FIXTURE_DIR "/unet5_g.safetensors", "--input", in_dir,
                      "--output", in_dir, "--eval", NULL};
    CHECK(run(args_d, log) == 1 && strstr(read_text(log), "would overwrite the input"),
          "in-place translation: %s", read_text(log));
    snprintf(path, sizeof path, "%s/good.png", in_dir);
    image kept = {0};
    CHECK(image_load(path, 0, &kept, err, sizeof err) == 0 && kept.width == 32, "input kept");
    image_free(&kept);

    /* Missing model: one line naming it. */
    char *args_c[] = {"translate", "--model", "/nonexistent/g.safetensors", "--input", in_dir,
                      "--output", out_dir, NULL};
    CHECK(run(args_c, log) == 1, "missing model");
    CHECK(strstr(read_text(log), "/nonexistent/g.safetensors") != NULL, "%s", read_text(log));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    return test_result("cli translate");
}
