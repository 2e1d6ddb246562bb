/* binary16 conversions, bit by bit (C11 has no half type). */
#include "engine/util/half.h"

#include <string.h>

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t eng_float_to_half(float f)
{
    uint32_t u = bits_of(f);
    uint16_t sign = (uint16_t)(u >> 16 & 0x8000u);
    uint32_t exp = u >> 23 & 0xffu, mant = u & 0x7fffffu;
    if (exp == 0xffu) /* infinity, or NaN kept quiet with its top mantissa bits */
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u | mant >> 13 : 0u));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) { /* subnormal half (or zero): shift the full significand into place */
        if (e < -10)
            return sign;
        uint32_t sig = mant | 0x800000u;
        int shift = 14 - e;
        uint32_t half = sig >> shift, rest = sig & ((1u << shift) - 1u), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1u)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = (uint32_t)e << 10 | mant >> 13, rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
        half++; /* a carry into the exponent is right, up to infinity */
    return (uint16_t)(sign | half);
}

float eng_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = h >> 10 & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0x1fu)
        return float_of(sign | 0x7f800000u | mant << 13);
    if (exp == 0) { /* zero or subnormal: mant * 2^-24 */
        float v = (float)mant * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return float_of(sign | (exp - 15 + 127) << 23 | mant << 13);
}

void eng_floats_to_halves(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = eng_float_to_half(src[i]);
}

void eng_halves_to_floats(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = eng_half_to_float(src[i]);
}
