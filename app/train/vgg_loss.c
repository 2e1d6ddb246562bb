/* pix2pixHD's VGGLoss (vgg_loss.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/model_file.h"
#include "app/train/vgg_loss.h"

/* vgg19().features up to relu5_1: each conv (its index in features), 3x3 with padding 1 and
 * followed by a ReLU, after a 2x2 max-pooling where pooled, ending a slice where ends. */
static const struct {
    int index, in, out, pooled, ends;
} layers[VGG_CONVS] = {
    {0, 3, 64, 0, 1},      {2, 64, 64, 0, 0},     {5, 64, 128, 1, 1},   {7, 128, 128, 0, 0},
    {10, 128, 256, 1, 1},  {12, 256, 256, 0, 0},  {14, 256, 256, 0, 0}, {16, 256, 256, 0, 0},
    {19, 256, 512, 1, 1},  {21, 512, 512, 0, 0},  {23, 512, 512, 0, 0}, {25, 512, 512, 0, 0},
    {28, 512, 512, 1, 1},
};
#define VGG_SLICES 5
static const float slice_weights[VGG_SLICES] = {1.0f / 32, 1.0f / 16, 1.0f / 8, 1.0f / 4, 1.0f};

static size_t weight_count(int i) { return (size_t)layers[i].out * layers[i].in * 9; }

/* Whether tensor t (NULL: absent) has shape, of ndim dims. */
static int shaped(const st_tensor *t, int ndim, const int64_t *shape)
{
    if (!t || t->ndim != ndim)
        return 0;
    for (int d = 0; d < ndim; d++)
        if (t->shape[d] != shape[d])
            return 0;
    return 1;
}

static void shape_text(const st_tensor *t, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < t->ndim && n < len; d++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

/* Copies conv i's weight and bias to dst; -1 with the reason when f lacks them as vgg19
 * has them. */
static int take_layer(const st_file *f, const char *path, int i, float *dst, char *err,
                      size_t errlen)
{
    const int64_t wshape[4] = {layers[i].out, layers[i].in, 3, 3}, bshape[1] = {layers[i].out};
    for (int part = 0; part < 2; part++) {
        char key[64];
        snprintf(key, sizeof key, "features.%d.%s", layers[i].index, part ? "bias" : "weight");
        const st_tensor *t = st_find(f, key);
        int ok = part ? shaped(t, 1, bshape) : shaped(t, 4, wshape);
        if (!ok) {
            char want[48], have[96] = "";
            if (part)
                snprintf(want, sizeof want, "[%d]", layers[i].out);
            else
                snprintf(want, sizeof want, "[%d, %d, 3, 3]", layers[i].out, layers[i].in);
            if (t)
                shape_text(t, have, sizeof have);
            snprintf(err, errlen, "%s: not a torchvision vgg19 state_dict: %s %s%s, vgg19's is "
                     "%s (the weights of torchvision.models.vgg19 are needed)", path, key,
                     t ? "is " : "is missing", have, want);
            return -1;
        }
        st_to_f32(t, dst);
        st_release(f, t);
        dst += part ? 0 : weight_count(i);
    }
    return 0;
}

int vgg_weights_load(const char *path, vgg_weights *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    for (int i = 0; i < VGG_CONVS; i++)
        w->count += weight_count(i) + (size_t)layers[i].out;
    st_file *f = model_file_open(path);
    if (!f) {
        snprintf(err, errlen, "%s", eng_last_error()); /* names the file */
        return -1;
    }
    int rc = (w->values = malloc(w->count * sizeof *w->values)) ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s: out of memory reading the VGG19 weights", path);
    for (size_t i = 0, at = 0; i < VGG_CONVS && !rc; i++) {
        rc = take_layer(f, path, (int)i, w->values + at, err, errlen);
        at += weight_count((int)i) + (size_t)layers[i].out;
    }
    st_close(f);
    if (rc)
        vgg_weights_free(w);
    return rc;
}

void vgg_weights_free(vgg_weights *w)
{
    free(w->values);
    memset(w, 0, sizeof *w);
}

void vgg_net_init(vgg_net *v, eng_graph *g)
{
    for (int i = 0; i < VGG_CONVS; i++) {
        char name[64];
        snprintf(name, sizeof name, "VGG.features.%d.weight", layers[i].index);
        v->weight[i] = eng_param4(g, name, layers[i].out, layers[i].in, 3, 3);
        snprintf(name, sizeof name, "VGG.features.%d.bias", layers[i].index);
        v->bias[i] = eng_param1(g, name, layers[i].out);
    }
}

/* The five slices' outputs of images x. */
static void features(eng_graph *g, const vgg_net *v, eng_node *x, eng_node **out)
{
    for (int i = 0, s = 0; i < VGG_CONVS; i++) {
        if (layers[i].pooled)
            x = eng_max_pool2d(g, x, 2, 2, 0);
        x = eng_relu(g, eng_conv2d(g, x, v->weight[i], v->bias[i], 1, 1));
        if (layers[i].ends)
            out[s++] = x;
    }
}

eng_node *vgg_loss(eng_graph *g, const vgg_net *v, eng_node *fake, eng_node *real)
{
    eng_node *f[VGG_SLICES], *r[VGG_SLICES], *sum = NULL;
    features(g, v, fake, f);
    features(g, v, real, r);
    for (int i = 0; i < VGG_SLICES; i++) {
        eng_node *l1 = eng_scale(g, eng_l1_loss(g, f[i], r[i]), slice_weights[i]);
        sum = sum ? eng_add(g, sum, l1) : l1;
    }
    return sum;
}

int vgg_net_write(const vgg_net *v, eng_plan *p, const vgg_weights *w)
{
    const float *at = w->values;
    for (int i = 0; i < VGG_CONVS; i++) {
        int rc = eng_plan_write(p, v->weight[i], at);
        if (rc)
            return rc;
        at += weight_count(i);
        if ((rc = eng_plan_write(p, v->bias[i], at)))
            return rc;
        at += layers[i].out;
    }
    return 0;
}
