/* eng_last_error's message, one per thread. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

static _Thread_local char last_error[512];

int eng_set_error(int status, const char *fmt, ...)
{
    /* Formatted aside first: the message may quote the last one. */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return status;
}

const char *eng_last_error(void)
{
    return last_error[0] ? last_error : "no error";
}
