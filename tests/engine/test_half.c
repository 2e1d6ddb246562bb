/* engine/util/half.c, the host's fp16 conversions of Vulkan transfers: every one of the 65536
 * halves converts to float and back to itself (NaNs stay NaNs), and floats round to nearest
 * even at the edges: ties, the largest finite half, overflow, subnormals, signed zero. */
#include <math.h>
#include <stdio.h>

#include "engine/util/half.h"

static int failures;

static void expect(float f, unsigned want, const char *what)
{
    unsigned got = eng_float_to_half(f);
    if (got != want) {
        printf("FAIL %s: %.9g gives 0x%04x, not 0x%04x\n", what, (double)f, got, want);
        failures++;
    }
}

int main(void)
{
    for (unsigned h = 0; h < 65536; h++) {
        float f = eng_half_to_float((uint16_t)h);
        unsigned back = eng_float_to_half(f);
        int nan = (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu);
        if (nan ? !isnan(f) || (back & 0x7c00u) != 0x7c00u || !(back & 0x3ffu) : back != h) {
            printf("FAIL half 0x%04x -> %.9g -> 0x%04x\n", h, (double)f, back);
            failures++;
        }
    }
    expect(1.0f, 0x3c00, "one");
    expect(-2.0f, 0xc000, "minus two");
    expect(-0.0f, 0x8000, "negative zero");
    expect(1.0f + 0x1p-11f, 0x3c00, "a tie rounds to even (down)");
    expect(1.0f + 3 * 0x1p-11f, 0x3c02, "a tie rounds to even (up)");
    expect(65504.0f, 0x7bff, "the largest half");
    expect(65519.0f, 0x7bff, "just under the rounding to infinity");
    expect(65520.0f, 0x7c00, "overflow to infinity");
    expect(1e30f, 0x7c00, "far past the range");
    expect(INFINITY, 0x7c00, "infinity");
    expect(0x1p-24f, 0x0001, "the smallest subnormal");
    expect(0x1p-25f, 0x0000, "half the smallest subnormal (a tie, to even)");
    expect(3 * 0x1p-26f, 0x0001, "three quarters of the smallest subnormal");
    expect(0x1p-14f - 0x1p-25f, 0x0400, "rounding up into the normals");
    expect(1e-10f, 0x0000, "underflow to zero");
    printf("%s\n", failures ? "FAILED" : "half conversions: all 65536 round trips and the edges");
    return failures != 0;
}
