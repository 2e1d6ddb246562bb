#!/usr/bin/python3
"""Writes tests/datasets/fixtures/resize_*.png: a small random RGB image and what Pillow's
Image.resize(BICUBIC) and convert('L') make of it, the oracle for datasets/image_resize.c.
Needs python3-pil (apt-get install python3-pil). Run from the repository root."""
import random

from PIL import Image

OUT = "tests/datasets/fixtures"
SIZES = [(64, 48), (17, 11), (41, 13), (90, 29), (7, 5), (100, 70)]


def main():
    rng = random.Random(1234)
    w, h = 41, 29
    src = Image.new("RGB", (w, h))
    # Noise on top of a smooth ramp: exercises both the rounding and the clipping.
    src.putdata([
        tuple(max(0, min(255, (x * 6 + y * 3 * c) % 256 + rng.randint(-60, 60))) for c in range(3))
        for y in range(h) for x in range(w)
    ])
    src.save(f"{OUT}/resize_src.png")
    for tw, th in SIZES:
        src.resize((tw, th), Image.BICUBIC).save(f"{OUT}/resize_{tw}x{th}.png")
    src.convert("L").save(f"{OUT}/resize_gray.png")


if __name__ == "__main__":
    main()
