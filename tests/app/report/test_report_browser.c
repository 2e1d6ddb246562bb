/* The two pages in headless Chromium (run after app_report_pages wrote them): the page's
 * check script must report every eagerly loaded image decoded, and the screenshot, decoded
 * with our own loader, must show each loss chart's bold curve in its colour across the
 * chart, and the images as pictures (not blank). Exit 77 (skipped) without Chromium. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "app/report/loss_plot.h"
#include "app_test.h"
#include "datasets/image.h"
#include "page_scan.h"

#define SKIPPED 77
#define WIDTH 1280
#define HEIGHT 1700 /* the charts (five with feature matching) and the first samples */

static char browser[1024];

static int find_browser(void)
{
    const char *env = getenv("PIX2PIX_CHROMIUM");
    if (env && *env) {
        snprintf(browser, sizeof browser, "%s", env);
        return access(browser, X_OK) == 0;
    }
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome"};
    const char *path = getenv("PATH");
    for (int i = 0; i < 3 && path; i++) {
        for (const char *p = path; *p;) {
            size_t len = strcspn(p, ":");
            snprintf(browser, sizeof browser, "%.*s/%s", (int)len, p, names[i]);
            if (len && access(browser, X_OK) == 0)
                return 1;
            p += len + (p[len] == ':');
        }
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Runs the browser on page with one more argument ("--dump-dom" or "--screenshot=FILE"),
 * stdout to out; a fresh profile each time, nothing reaching the network. */
static int browse(const char *page, const char *what, const char *out, const char *log)
{
    char profile[] = "/tmp/p2p_chromium_XXXXXX";
    if (!mkdtemp(profile))
        return -1;
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "timeout -k 5 120 '%s' --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir='%s' "
             "--window-size=%d,%d %s 'file://%s' > '%s' 2> '%s'",
             browser, profile, WIDTH, HEIGHT, what, page, out, log);
    int rc = system(cmd);
    nftw(profile, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc) {
        char *text = read_text(log);
        fprintf(stderr, "%s failed (%d): %s\n", cmd, rc, text ? text : "");
        free(text);
    }
    return rc;
}

typedef struct {
    int x, y, w, h;
} rect;

static int hex(const char *s)
{
    return (int)strtol((char[3]){s[0], s[1], 0}, NULL, 16);
}

static int near(const uint8_t *p, const int rgb[3], int tol)
{
    return abs(p[0] - rgb[0]) <= tol && abs(p[1] - rgb[1]) <= tol && abs(p[2] - rgb[2]) <= tol;
}

/* The bold curve of a chart: pixels of its colour in at least 60 % of the plot's columns. */
static void check_chart(const image *shot, rect r, const char *color, const char *name)
{
    int rgb[3] = {hex(color + 1), hex(color + 3), hex(color + 5)}, columns = 0, x0 = r.x + 58,
        x1 = r.x + r.w - 12;
    for (int x = x0; x < x1 && x < shot->width; x++) {
        int hit = 0;
        for (int y = r.y + 34; y < r.y + r.h - 34 && y < shot->height && !hit; y++)
            hit = near(shot->pixels + ((size_t)y * shot->width + x) * 3, rgb, 24);
        columns += hit;
    }
    CHECK(columns >= 0.6 * (x1 - x0), "%s: its colour %s in %d of %d columns", name, color,
          columns, x1 - x0);
}

/* A picture: not one flat colour (a missing image shows white or a broken-image icon). */
static void check_picture(const image *shot, rect r)
{
    int lo = 255, hi = 0;
    for (int y = r.y + 2; y < r.y + r.h - 2 && y < shot->height; y++)
        for (int x = r.x + 2; x < r.x + r.w - 2 && x < shot->width; x++) {
            int v = shot->pixels[((size_t)y * shot->width + x) * 3 + 1];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    CHECK(hi - lo > 40, "image at %d,%d (%dx%d) looks blank: green from %d to %d", r.x, r.y,
          r.w, r.h, lo, hi);
}

/* Loads the page twice: the DOM after the load (check script results, element rectangles)
 * and a screenshot. Returns the number of charts checked. */
static int check_page(const char *page, const char *tmp, int min_images)
{
    char dom_path[512], shot_path[512], log[512], arg[600];
    snprintf(dom_path, sizeof dom_path, "%s/dom.html", tmp);
    snprintf(shot_path, sizeof shot_path, "%s/shot.png", tmp);
    snprintf(log, sizeof log, "%s/chromium.log", tmp);
    snprintf(arg, sizeof arg, "--screenshot='%s'", shot_path);
    char err[256];
    image shot = {0};
    CHECK(browse(page, "--dump-dom", dom_path, log) == 0, "%s: --dump-dom", page);
    CHECK(browse(page, arg, "/dev/null", log) == 0, "%s: --screenshot", page);
    char *dom = read_text(dom_path);
    int loaded = image_load(shot_path, 0, &shot, err, sizeof err) == 0;
    CHECK(dom && loaded, "%s: no DOM or screenshot (%s)", page, loaded ? "" : err);
    int charts = 0;
    if (dom && loaded) {
        CHECK(shot.width == WIDTH && shot.height == HEIGHT, "screenshot %dx%d", shot.width,
              shot.height);
        char value[64];
        const char *pos = dom;
        CHECK(strstr(dom, "data-images=\"ok\""), "%s: broken images", page);
        CHECK(next_attr(&pos, "data-image-count=\"", value, sizeof value) &&
                  atoi(value) >= min_images,
              "%s: %s images loaded, want %d", page, value, min_images);
        size_t white = 0, all = (size_t)shot.width * shot.height;
        for (size_t i = 0; i < all; i++)
            white += shot.pixels[3 * i] > 245 && shot.pixels[3 * i + 1] > 245 &&
                     shot.pixels[3 * i + 2] > 245;
        CHECK(white < 0.9 * all, "%s: the screenshot is %.0f %% white", page,
              100.0 * white / all);
        pos = dom;
        while (next_attr(&pos, "data-rect=\"", value, sizeof value)) {
            rect r;
            if (sscanf(value, "%d %d %d %d", &r.x, &r.y, &r.w, &r.h) != 4 ||
                r.y + r.h > shot.height)
                continue; /* below the screenshot */
            const char *tag = tag_start(dom, pos);
            if (!strncmp(tag, "<img", 4)) {
                check_picture(&shot, r);
            } else if (!strncmp(tag, "<svg", 4)) {
                for (int k = 0; k < LOSS_COUNT; k++) {
                    char attr[64];
                    snprintf(attr, sizeof attr, "data-loss=\"%s\"", loss_names[k]);
                    const char *end = strchr(tag, '>');
                    const char *found = strstr(tag, attr);
                    if (found && found < end) {
                        check_chart(&shot, r, loss_plot_colors[k], loss_names[k]);
                        charts++;
                    }
                }
            }
        }
    }
    free(dom);
    image_free(&shot);
    return charts;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR (written by test_app_report_pages)\n", argv[0]);
        return 2;
    }
    if (!find_browser()) {
        printf("SKIP: no chromium found (apt-get install chromium, or set PIX2PIX_CHROMIUM)\n");
        return SKIPPED;
    }
    char tmp[] = "/tmp/p2p_browser_XXXXXX", page[8192], dir[4096];
    if (!realpath(argv[1], dir) || !mkdtemp(tmp)) { /* file:// needs an absolute path */
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    snprintf(page, sizeof page, "%s/checkpoints/run/web/index.html", dir);
    int charts = check_page(page, tmp, 15);
    /* every loss but G_VGG (the run has feature matching and mismatched pairs; a VGG loss
     * needs torchvision's weights, which test_app_vgg_loss covers) */
    CHECK(charts == LOSS_COUNT - 1, "%d loss charts seen in the screenshot", charts);
    snprintf(page, sizeof page, "%s/results/index.html", dir);
    check_page(page, tmp, 12);
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return test_failures ? 1 : 0;
}
