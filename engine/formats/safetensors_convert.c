/* Any dtype of a safetensors table to float32 (fp16 by the engine's own conversion). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/util/half.h"
#include "engine/safetensors.h"
#include "engine/formats/safetensors_internal.h"

void st_to_f32(const st_tensor *t, float *dst)
{
    const uint8_t *p = t->data;
    size_t esize = st_dtype_size(t->dtype);
    for (size_t i = 0; i < t->numel; i++, p += esize) {
        switch (t->dtype) {
        case ST_F32: memcpy(&dst[i], p, 4); break;
        case ST_F16: {
            uint16_t h;
            memcpy(&h, p, 2);
            dst[i] = eng_half_to_float(h);
            break;
        }
        case ST_BF16: {
            uint16_t h;
            memcpy(&h, p, 2);
            uint32_t bits = (uint32_t)h << 16;
            memcpy(&dst[i], &bits, 4);
            break;
        }
        case ST_F64: {
            double d;
            memcpy(&d, p, 8);
            /* out-of-range double -> float conversion is undefined behaviour in C */
            dst[i] = d > FLT_MAX ? INFINITY : d < -FLT_MAX ? -INFINITY : (float)d;
            break;
        }
        case ST_I64: {
            int64_t v;
            memcpy(&v, p, 8);
            dst[i] = (float)v;
            break;
        }
        case ST_I32: {
            int32_t v;
            memcpy(&v, p, 4);
            dst[i] = (float)v;
            break;
        }
        case ST_U8: dst[i] = (float)p[0]; break;
        case ST_BOOL: dst[i] = p[0] ? 1.0f : 0.0f; break;
        }
    }
}
