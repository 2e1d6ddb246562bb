/* The one place where commands turn --device into an engine backend. */
#ifndef APP_BACKEND_H
#define APP_BACKEND_H

#include <stddef.h>

#include "engine/engine.h"

#define APP_DEVICE_HELP                                                                          \
    "auto (a Vulkan GPU, else the CPU) | cpu | vulkan | vulkan:N (see 'pix2pix devices'); "      \
    "$PIX2PIX_DEVICE sets the default"

/* The default --device: $PIX2PIX_DEVICE when set, else "auto". */
const char *app_default_device(void);
/* device: auto | cpu | vulkan | vulkan:N. threads <= 0: app_default_threads().
 * NULL with the reason in eng_last_error() if unavailable, as eng_backend_open. When auto falls
 * back to the CPU, the reason is noted on stderr, once per process and not when quiet. */
eng_backend *app_backend_open(const char *device, int threads, int quiet);
/* Every device of a comma-separated list ("vulkan:0,vulkan:1,cpu"; one may repeat), into out
 * (at most max). threads > 0: each CPU entry's threads; <= 0: app_default_threads() shared
 * out among the "cpu" entries. Returns how many, or -1 with a reason in err (none left open). */
int app_backends_open(const char *list, int threads, int quiet, eng_backend **out, int max,
                      char *err, size_t errlen);

#endif
