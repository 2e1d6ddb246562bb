/* translate on a folder overlaps decoding, compute and encoding (app/translate/translate_pipeline.c);
 * this checks that it changes nothing: a folder of many images of mixed sizes and formats,
 * with two broken files among them, gives byte-identical outputs to translating each file
 * alone, each broken file is reported once, and nothing else is written.
 * Both with --eval (PNG out) and with dropout and batch statistics at full resolution (JPEG). */
#include <string.h>
#include <sys/stat.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "datasets/image.h"

#define MODEL FIXTURE_DIR "/unet5_g.safetensors"
#define N_GOOD 14

static int count_occurrences(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

int main(void)
{
    char tmp[] = "/tmp/p2p_pipeline_XXXXXX";
    temp_dir(tmp);
    char in_dir[256], path[512], err[256];
    snprintf(in_dir, sizeof in_dir, "%s/in", tmp);
    mkdir(in_dir, 0755);

    /* Inputs: the fixture image resized to various sizes, as PNG and JPEG. */
    image src = {0};
    CHECK(image_load(FIXTURE_DIR "/unet5_in.png", 0, &src, err, sizeof err) == 0, "%s", err);
    char names[N_GOOD][32];
    for (int i = 0; i < N_GOOD && src.pixels; i++) {
        image img = {0};
        int w = 24 + 7 * i, h = 20 + 5 * (i % 5);
        snprintf(names[i], sizeof names[i], "img%02d.%s", i, i % 3 ? "png" : "jpg");
        snprintf(path, sizeof path, "%s/%s", in_dir, names[i]);
        CHECK(image_resize_bicubic(&src, w, h, &img) == 0, "resize");
        CHECK((i % 3 ? image_save_png(path, &img, err, sizeof err)
                     : image_save_jpeg(path, &img, 90, err, sizeof err)) == 0, "%s", err);
        image_free(&img);
    }
    image_free(&src);
    write_text_in(in_dir, "img03b.png", "\x89PNG\r\n\x1a\nnot really");
    write_text_in(in_dir, "img09b.jpg", "\xff\xd8\xff not a jpeg either");

    for (int mode = 0; mode < 2; mode++) {
        const char *ext = mode ? "jpg" : "png";
        char all_dir[256];
        snprintf(all_dir, sizeof all_dir, "%s/all%d", tmp, mode);
        char *args[] = {"translate", "--model", MODEL, "--input", in_dir, "--output", all_dir,
                        /* with --eval the list ends before --seed */
                        "--format", (char *)ext, "--threads", "2", "--quiet",
                        mode ? "--full-res" : "--eval", mode ? "--seed" : NULL, "7", NULL};
        CHECK(run_captured(cmd_translate, args) == 1, "exit status with two broken files");
        const char *a = strstr(out_text, "img03b.png: "), *b = strstr(out_text, "img09b.jpg: ");
        CHECK(a && b, "both broken files reported: %s", out_text);
        CHECK(count_occurrences(out_text, "img03b.png") == 1 &&
                  count_occurrences(out_text, "img09b.jpg") == 1,
              "each broken file reported once: %s", out_text);
        CHECK(strstr(out_text, "translated 14 of 16 images") != NULL, "summary: %s", out_text);
        CHECK(count_dir_entries(all_dir) == N_GOOD, "%d files in %s, want %d",
              count_dir_entries(all_dir), all_dir, N_GOOD);

        for (int i = 0; i < N_GOOD; i++) {
            char one_dir[256], input[1024], stem[16], got[600], want[600];
            snprintf(one_dir, sizeof one_dir, "%s/one%d_%d", tmp, mode, i);
            snprintf(input, sizeof input, "%s/%s", in_dir, names[i]);
            char *one[] = {"translate", "--model", MODEL, "--input", input, "--output", one_dir,
                           /* with --eval the list ends before --seed */
                           "--format", (char *)ext, "--threads", "2", "--quiet",
                           mode ? "--full-res" : "--eval", mode ? "--seed" : NULL, "7", NULL};
            CHECK(run_captured(cmd_translate, one) == 0, "%s alone: %s", input, out_text);
            snprintf(stem, sizeof stem, "%.5s", names[i]);
            snprintf(got, sizeof got, "%s/%s.%s", all_dir, stem, ext);
            snprintf(want, sizeof want, "%s/%s.%s", one_dir, stem, ext);
            size_t got_len, want_len;
            unsigned char *g = read_whole_file(got, &got_len);
            unsigned char *w = read_whole_file(want, &want_len);
            CHECK(g && w && got_len == want_len && !memcmp(g, w, got_len),
                  "%s differs from %s", got, want);
            free(g);
            free(w);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    return test_result("translate pipeline");
}
