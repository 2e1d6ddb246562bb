/* Procedural label maps and their rendered scenes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/dataset_tools.h"
#include "datasets/file_list.h"
#include "rng.h"
#include "datasets/synthetic.h"

enum { SHAPE_CIRCLE = 1, SHAPE_RECTANGLE, SHAPE_TRIANGLE };
#define MAX_SHAPES 6

typedef struct {
    int kind;
    double cx, cy, r;         /* circle; bounding radius of the triangle */
    double x0, y0, x1, y1;    /* rectangle */
    double vx[3], vy[3];      /* triangle */
} shape;

static const uint8_t label_colours[4][3] = {SYNTH_LABEL_BACKGROUND, SYNTH_LABEL_CIRCLE,
                                            SYNTH_LABEL_RECTANGLE, SYNTH_LABEL_TRIANGLE};

static double edge_side(double ax, double ay, double bx, double by, double px, double py)
{
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

static int inside(const shape *s, double px, double py)
{
    switch (s->kind) {
    case SHAPE_CIRCLE:
        return (px - s->cx) * (px - s->cx) + (py - s->cy) * (py - s->cy) <= s->r * s->r;
    case SHAPE_RECTANGLE:
        return px >= s->x0 && px <= s->x1 && py >= s->y0 && py <= s->y1;
    default: {
        double d0 = edge_side(s->vx[0], s->vy[0], s->vx[1], s->vy[1], px, py);
        double d1 = edge_side(s->vx[1], s->vy[1], s->vx[2], s->vy[2], px, py);
        double d2 = edge_side(s->vx[2], s->vy[2], s->vx[0], s->vy[0], px, py);
        return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
    }
    }
}

static int make_shapes(uint64_t rng, int size, shape *shapes)
{
    int n = 3 + (int)rng_below(&rng, MAX_SHAPES - 2);
    for (int i = 0; i < n; i++) {
        shape *s = &shapes[i];
        memset(s, 0, sizeof *s);
        s->kind = SHAPE_CIRCLE + (int)rng_below(&rng, 3);
        s->cx = size * (0.1 + 0.8 * rng_unit(&rng));
        s->cy = size * (0.1 + 0.8 * rng_unit(&rng));
        s->r = size * (0.08 + 0.14 * rng_unit(&rng));
        if (s->kind == SHAPE_RECTANGLE) {
            double hw = s->r * (0.6 + 0.8 * rng_unit(&rng)), hh = s->r * (0.6 + 0.8 * rng_unit(&rng));
            s->x0 = s->cx - hw;
            s->x1 = s->cx + hw;
            s->y0 = s->cy - hh;
            s->y1 = s->cy + hh;
        } else if (s->kind == SHAPE_TRIANGLE) {
            double t = 2 * M_PI * rng_unit(&rng);
            for (int v = 0; v < 3; v++) {
                s->vx[v] = s->cx + s->r * 1.3 * cos(t + v * 2 * M_PI / 3);
                s->vy[v] = s->cy + s->r * 1.3 * sin(t + v * 2 * M_PI / 3);
            }
        }
    }
    return n;
}

static uint8_t clamp_u8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

/* The scene colour of a pixel covered by shape s (or the background when s is NULL). */
static void render(const shape *s, double px, double py, int size, uint8_t *rgb)
{
    if (!s) { /* sky-to-sand vertical gradient */
        double t = py / size;
        rgb[0] = clamp_u8(120 + 110 * t);
        rgb[1] = clamp_u8(170 + 50 * t);
        rgb[2] = clamp_u8(230 - 60 * t);
        return;
    }
    if (s->kind == SHAPE_CIRCLE) { /* sphere lit from the top left */
        double dx = (px - s->cx) / s->r, dy = (py - s->cy) / s->r;
        double dz = sqrt(fmax(0.0, 1.0 - dx * dx - dy * dy));
        double light = 0.3 + 0.7 * fmax(0.0, -0.48 * dx - 0.6 * dy + 0.64 * dz);
        rgb[0] = clamp_u8(250 * light);
        rgb[1] = clamp_u8(120 * light);
        rgb[2] = clamp_u8(30 * light);
    } else if (s->kind == SHAPE_RECTANGLE) { /* panel with a dark frame */
        double border = size / 64.0 + 1;
        int frame = px - s->x0 < border || s->x1 - px < border || py - s->y0 < border ||
                    s->y1 - py < border;
        rgb[0] = frame ? 20 : 40;
        rgb[1] = frame ? 40 : 150;
        rgb[2] = frame ? 60 : 140;
    } else { /* stone with horizontal stripes */
        int stripe = ((int)((py - s->cy + 4 * s->r) / (size / 32.0 + 1))) % 2;
        rgb[0] = stripe ? 150 : 120;
        rgb[1] = stripe ? 90 : 70;
        rgb[2] = stripe ? 170 : 140;
    }
}

int synth_render_pair(uint64_t seed, uint64_t index, int size, image *label, image *scene)
{
    label->pixels = scene->pixels = NULL;
    if (size < 16 || image_alloc(label, size, size, 3) || image_alloc(scene, size, size, 3)) {
        image_free(label);
        return -1;
    }
    shape shapes[MAX_SHAPES];
    int n = make_shapes(rng_derive(seed, index, 0x53594E54ull, 0), size, shapes);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double px = x + 0.5, py = y + 0.5;
            const shape *top = NULL;
            for (int i = n - 1; i >= 0 && !top; i--)
                if (inside(&shapes[i], px, py))
                    top = &shapes[i];
            size_t o = ((size_t)y * size + x) * 3;
            memcpy(label->pixels + o, label_colours[top ? top->kind : 0], 3);
            render(top, px, py, size, scene->pixels + o);
        }
    return 0;
}

int synth_write_dataset(const synth_opts *o, char *err, size_t errlen)
{
    size_t counts[3];
    static const char *splits[3] = {"train", "val", "test"};
    if (o->count < 1 || o->size < 16) {
        snprintf(err, errlen, "need a count >= 1 and a size >= 16 (got %d and %d)", o->count,
                 o->size);
        return -1;
    }
    if (split_counts((size_t)o->count, o->val_fraction, o->test_fraction, &counts[0], &counts[1],
                     &counts[2], err, errlen))
        return -1;
    uint64_t index = 0;
    for (int s = 0; s < 3; s++) {
        if (!counts[s]) /* an empty split folder would only be refused later */
            continue;
        char *dir = path_join(o->out, splits[s]);
        if (!dir || make_dirs(dir, err, errlen)) {
            free(dir);
            return -1;
        }
        for (size_t i = 0; i < counts[s]; i++, index++) {
            image a, b;
            char name[32], why[256];
            snprintf(name, sizeof name, "%zu.png", i + 1);
            char *path = path_join(dir, name);
            int rc = !path || synth_render_pair(o->seed, index, o->size, &a, &b) ? -1 : 0;
            if (!rc) {
                rc = write_aligned_pair(path, &a, &b, 0, why, sizeof why);
                image_free(&a);
                image_free(&b);
                if (rc)
                    snprintf(err, errlen, "%s: %s", path, why);
            } else {
                snprintf(err, errlen, "out of memory rendering %dx%d", o->size, o->size);
            }
            free(path);
            if (rc) {
                free(dir);
                return -1;
            }
            if (o->progress)
                o->progress->step(o->progress->ctx, (size_t)index + 1, (size_t)o->count);
        }
        free(dir);
    }
    return 0;
}
