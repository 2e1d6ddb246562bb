/* The one place where commands turn --device into an engine backend. */
#ifndef APP_BACKEND_H
#define APP_BACKEND_H

#include <stddef.h>

#include "engine/engine.h"

/* device: "cpu". threads <= 0: all cores. NULL with a reason in err if unavailable. */
eng_backend *app_backend_open(const char *device, int threads, char *err, size_t errlen);

#endif
