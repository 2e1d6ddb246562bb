#include "app/common/precision.h"

#include <stdio.h>
#include <string.h>

int app_precision_parse(const char *command, const char *value)
{
    if (!strcmp(value, "fp32"))
        return 0;
    if (!strcmp(value, "fp16"))
        return 1;
    fprintf(stderr, "pix2pix %s: --precision must be fp32 or fp16, not '%s'\n", command, value);
    return -1;
}

void app_precision_apply(eng_graph *g, int fp16)
{
    if (fp16)
        eng_mixed_precision(g);
}

void app_precision_note(const eng_plan *p, const eng_backend *be, int fp16, int quiet)
{
    static int noted;
    if (!fp16 || !p || eng_plan_fp16(p) || quiet || noted)
        return;
    noted = 1;
    if (eng_backend_has_fp16(be))
        return;
    fprintf(stderr, "note: --precision fp16: %s %s; running in fp32\n", eng_backend_name(be),
            strncmp(eng_backend_name(be), "cpu", 3) ? "has no 16-bit storage buffers"
                                                    : "computes in fp32 only");
}
