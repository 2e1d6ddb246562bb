/* What the libFuzzer targets of the model-file readers require of every input, shared so that
 * each target says it once: a refusal comes with a reason, a parsed table's tensors lie inside
 * its buffer. A broken rule aborts (libFuzzer keeps the input). */
#ifndef TESTS_FUZZ_FUZZ_CHECK_H
#define TESTS_FUZZ_FUZZ_CHECK_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/safetensors.h"

/* The failure's reason, in eng_last_error() (cleared before the call): there is one; with
 * printable, one line of printable ASCII. */
static inline void fuzz_check_reason(int printable)
{
    const char *err = eng_last_error();
    if (!strcmp(err, "no error"))
        abort();
    for (const char *p = err; printable && *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            abort();
}

/* Every tensor is found by its name and converts to floats: reading every value makes ASan
 * check that it lies inside the parsed buffer. */
static inline void fuzz_check_tensors(const st_file *f)
{
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_get(f, i);
        if (st_find(f, t->name) != t)
            abort();
        float *v = malloc(sizeof *v * (t->numel ? t->numel : 1));
        if (v)
            st_to_f32(t, v);
        free(v);
    }
}

/* A reader's answer f: a refusal with its reason (printable: one printable line), or a table
 * whose tensors pass fuzz_check_tensors. Returns f. */
static inline st_file *fuzz_check_parsed(st_file *f, int printable)
{
    if (f)
        fuzz_check_tensors(f);
    else
        fuzz_check_reason(printable);
    return f;
}

#endif
