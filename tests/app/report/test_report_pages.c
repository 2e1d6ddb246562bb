/* The training report and the test results page, read as files: a small training run and a
 * test run write them (into the folder given as argument, kept for the browser test), then
 * every referenced image must exist and decode, the loss charts (the four, G_GAN_Feat and
 * D_mismatch) must hold both curves, nothing may come from the network, and the test rows must be ordered worst L1 first with
 * their mean at the top. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "datasets/image.h"
#include "datasets/synthetic.h"
#include "page_scan.h"

/* %XX escapes decoded in place. */
static void url_decode(char *s)
{
    char *out = s;
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            *out++ = (char)v;
            s += 2;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* Every src="images/..." of a page exists and decodes; returns how many. */
static int check_images(const char *dir, const char *html)
{
    char src[512], path[2048], err[256];
    const char *pos = html;
    int n = 0;
    while (next_attr(&pos, "src=\"", src, sizeof src)) {
        CHECK(!strncmp(src, "images/", 7), "image source not relative to the page: %s", src);
        url_decode(src);
        snprintf(path, sizeof path, "%s/%s", dir, src);
        image img;
        int ok = image_load(path, 0, &img, err, sizeof err) == 0;
        CHECK(ok, "%s: %s", path, err);
        if (ok)
            image_free(&img);
        n++;
    }
    return n;
}

/* Only local content: the one "http" allowed is the SVG namespace name, which is not fetched. */
static void check_offline(const char *html)
{
    CHECK(count_of(html, "http") == count_of(html, "xmlns=\"http://www.w3.org/2000/svg\""),
          "a page refers to the network");
    CHECK(!strstr(html, "<link") && !strstr(html, "<iframe"), "external resources");
}

static int polyline_points(const char *p)
{
    char pts[65536];
    const char *pos = p;
    if (!next_attr(&pos, "points=\"", pts, sizeof pts))
        return 0;
    int n = 0;
    for (char *t = strtok(pts, " "); t; t = strtok(NULL, " "))
        n += strchr(t, ',') != NULL;
    return n;
}

/* dir/index.html's text, checked to need nothing from the network (NULL, a failed check, when
 * it is missing). */
static char *read_index_page(const char *dir)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *html = read_text(path);
    CHECK(html, "%s missing", path);
    if (html)
        check_offline(html);
    return html;
}

static void check_training_page(const char *web)
{
    char *html = read_index_page(web);
    if (!html)
        return;
    /* 3 epochs: the newest shown with 4 fixed samples (3 images each) and its training
     * images; older ones collapsed, lazily loaded, still referenced. */
    int images = check_images(web, html);
    CHECK(images == 3 * (4 + 1) * 3, "%d images referenced", images);
    CHECK(strstr(html, "finished: epoch 3 of 3") != NULL, "state line missing");
    CHECK(strstr(html, "<h3>epoch 3</h3>") && strstr(html, "<summary>epoch 1</summary>"),
          "epoch blocks missing");
    const char *names[6] = {"G_GAN", "G_L1", "D_real", "D_fake", "G_GAN_Feat", "D_mismatch"};
    for (int k = 0; k < 6; k++) {
        char tag[64];
        snprintf(tag, sizeof tag, "data-loss=\"%s\"", names[k]);
        const char *svg = strstr(html, tag);
        CHECK(svg, "no chart of %s", names[k]);
        if (!svg)
            continue;
        /* 3 epochs of 6 steps: every raw point and the smoothed curve. */
        const char *raw = strstr(svg, "<polyline");
        const char *smooth = raw ? strstr(raw + 1, "<polyline") : NULL;
        CHECK(raw && polyline_points(raw) == 18, "%s: raw curve of %d points", names[k],
              raw ? polyline_points(raw) : 0);
        CHECK(smooth && polyline_points(smooth) == 18, "%s: smoothed curve", names[k]);
    }
    free(html);
}

static void check_test_page(const char *results)
{
    char value[64];
    char *html = read_index_page(results);
    if (!html)
        return;
    CHECK(check_images(results, html) == 4 * 3, "test page images");
    CHECK(strstr(html, "<td>odd #2 &amp; &lt;it&gt;%</td>") &&
              strstr(html, "src=\"images/odd%20%232%20%26%20%3Cit%3E%25_fake_B.png\""),
          "the odd name escaped in the text and in the image address");
    const char *pos = html;
    double prev = INFINITY, sum = 0;
    int rows = 0;
    while (next_attr(&pos, "data-l1=\"", value, sizeof value)) {
        double l1 = atof(value);
        CHECK(l1 <= prev, "rows not ordered worst first: %g after %g", l1, prev);
        prev = l1;
        sum += l1;
        rows++;
    }
    CHECK(rows == 4, "%d rows", rows);
    const char *means = strstr(html, "id=\"means\"");
    double mean = -1;
    CHECK(means && sscanf(means, "id=\"means\"><b>L1 %lf", &mean) == 1 &&
              fabs(mean - sum / rows) < 1e-3,
          "mean L1 %g at the top, rows average %g", mean, rows ? sum / rows : 0);
    CHECK(means && means < strstr(html, "data-l1"), "the means come after the rows");
    free(html);
}

static int run(int (*cmd)(int, char **), char **args)
{
    int argc = 0;
    while (args[argc])
        argc++;
    return cmd(argc, args);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    char data[1024], ckpt[1024], web[1200], model[1200], results[1024], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints", dir);
    snprintf(web, sizeof web, "%s/run/web", ckpt);
    snprintf(model, sizeof model, "%s/run/latest_net_G.safetensors", ckpt);
    snprintf(results, sizeof results, "%s/results", dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* a fresh run every time */
    if (strchr(dir, '\'') || system(cmd)) {
        fprintf(stderr, "cannot clear %s\n", dir);
        return 1;
    }
    /* 20 pairs: 12 train (6 steps of 2 per epoch), 4 val (the fixed samples), 4 test. */
    synth_opts so = {.out = data, .count = 20, .size = 32, .seed = 3, .val_fraction = 0.2,
                     .test_fraction = 0.2};
    if (synth_write_dataset(&so, err, sizeof err)) {
        fprintf(stderr, "synth: %s\n", err);
        return 1;
    }
    /* A name that must be escaped in HTML and in a URL. */
    char plain[1100], odd[1100];
    snprintf(plain, sizeof plain, "%s/test/2.png", data);
    snprintf(odd, sizeof odd, "%s/test/odd #2 & <it>%%.png", data);
    if (rename(plain, odd)) {
        perror(plain);
        return 1;
    }
    char *train[] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name", "run",
                     "--netG", "unet_5", "--ngf", "8", "--ndf", "8", "--load-size", "36",
                     "--crop-size", "32", "--batch-size", "2", "--epochs", "2",
                     "--epochs-decay", "1", "--display-freq", "4", "--threads", "1",
                     "--workers", "1", "--quiet", "--lambda-feat", "1", "--lambda-mismatch", "0.5",
                     NULL};
    /* with feature matching and mismatched pairs: all the losses but G_VGG are charted (the
     * browser test sees them) */
    CHECK(run(cmd_train, train) == 0, "training failed");
    char *test[] = {"test", "--data", data, "--model", model, "--results", results,
                    "--threads", "1", "--quiet", NULL};
    CHECK(run(cmd_test, test) == 0, "test failed");
    check_training_page(web);
    check_test_page(results);
    return test_failures ? 1 : 0;
}
