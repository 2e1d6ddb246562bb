/* A network's conv kernels measured on a Vulkan device (engine/tune.h): the graph the tuner
 * reads, for pix2pix tune and for --tune auto on train, translate and bench. */
#ifndef APP_MODEL_NET_TUNE_H
#define APP_MODEL_NET_TUNE_H

#include "app/model/networks.h"
#include "engine/tune.h"

/* --tune's help (its values: off, auto), and its default. */
#define NET_TUNE_HELP                                                                            \
    "auto: on a Vulkan device, first measure the conv kernels of this network that have no "    \
    "measured choice in the device's tuning file (at most 60 s; see 'pix2pix tune')"
#define NET_TUNE_DEFAULT "off"
#define NET_TUNE_AUTO_SECONDS 60.0

/* The graph whose convs the tuner reads: G on a batch of h x w inputs, and for training D on
 * the pair. NULL after printing "pix2pix CMD: " and why. */
eng_graph *net_tune_graph(const char *cmd, const gen_config *gc, const disc_config *dc, int batch,
                          int h, int w, int training);
/* --tune auto: on a Vulkan backend, tunes the network's conv GEMMs when some have no measured
 * choice yet (within NET_TUNE_AUTO_SECONDS) and saves them to the device's tuning file, which
 * the plans built after it use; a line on stderr says what it did. Nothing on the CPU. A
 * failure is noted and the defaults stay: 0 except when out of memory (-1, printed). */
int net_tune_auto(const char *cmd, eng_backend *be, const gen_config *gc, const disc_config *dc,
                  int batch, int h, int w, int training, int fp16);

#endif
