/* IEEE 754 binary16 <-> binary32 for host transfers of fp16 tensors (engine-internal). */
#ifndef ENGINE_HALF_H
#define ENGINE_HALF_H

#include <stddef.h>
#include <stdint.h>

/* Round to nearest even, as the GPU's conversions; overflow gives infinity, NaN stays NaN. */
uint16_t eng_float_to_half(float f);
float eng_half_to_float(uint16_t h);
void eng_floats_to_halves(const float *src, uint16_t *dst, size_t n);
void eng_halves_to_floats(const uint16_t *src, float *dst, size_t n);

#endif
