/* pix2pixHD's perceptual loss (VGGLoss): the generator's images and the real ones through the
 * convolutions of torchvision's vgg19().features up to relu5_1, cut in five slices ending at
 * relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1 (features [0:2], [2:7], [7:12], [12:21],
 * [21:30]); the loss is sum_i w_i * L1(f_i(fake), f_i(real)) with w = 1/32, 1/16, 1/8, 1/4,
 * 1. As pix2pixHD, the images go in as they are, in [-1, 1], without ImageNet's normalization.
 *
 * The weights come from a torchvision vgg19 state_dict (.pth, or safetensors converted from
 * one): features.<i>.weight and .bias of its 13 convolutions up to relu5_1; the classifier
 * and the later layers are not read. They are frozen: parameters of the graph that no
 * backward lists (no gradient, no optimizer state) and no network saves. */
#ifndef APP_TRAIN_VGG_LOSS_H
#define APP_TRAIN_VGG_LOSS_H

#include <stddef.h>

#include "engine/engine.h"

#define VGG_CONVS 13
/* The smallest side VGG takes: four 2x2 max-poolings before relu5_1. */
#define VGG_MIN_SIDE 16

/* The 13 convolutions' weights and biases, in layer order, as one block of floats. */
typedef struct {
    float *values;
    size_t count;
} vgg_weights;

/* Reads them from path. Returns 0, or -1 with "PATH: reason" in err: a file that cannot be
 * read, or one of another network (a tensor missing or of another shape than vgg19's). */
int vgg_weights_load(const char *path, vgg_weights *w, char *err, size_t errlen);
void vgg_weights_free(vgg_weights *w);

/* The convolutions' nodes in a graph (parameters "VGG.features.<i>.weight", ".bias"). */
typedef struct {
    eng_node *weight[VGG_CONVS], *bias[VGG_CONVS];
} vgg_net;

/* Adds the network's parameters to g. */
void vgg_net_init(vgg_net *v, eng_graph *g);
/* The loss before its lambda: a [1] node; only fake's side carries gradients to fake. */
eng_node *vgg_loss(eng_graph *g, const vgg_net *v, eng_node *fake, eng_node *real);
/* Writes the weights into a plan of the graph. Returns 0 or a negative status. */
int vgg_net_write(const vgg_net *v, eng_plan *p, const vgg_weights *w);

#endif
