#!/usr/bin/python3
"""Writes tests/datasets/fixtures/resize_*.png: a small random RGB image and what Pillow's
Image.resize(BICUBIC) and convert('L') make of it, the oracle for datasets/image_resize.c;
and pipeline_*.png: an aligned A|B image and its halves after the reference's transform
(base_dataset.py get_transform with fixed params: resize 40, crop 32 at (3, 6), flip; A also
through Grayscale(1) first), the oracle for datasets/preprocess.c.
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

    ab = Image.new("RGB", (60, 30))
    ab.putdata([tuple(rng.randint(0, 255) for _ in range(3)) for _ in range(60 * 30)])
    ab.save(f"{OUT}/pipeline_ab.png")
    a, b = ab.crop((0, 0, 30, 30)), ab.crop((30, 0, 60, 30))

    def transform(img):  # resize_and_crop, load 40, crop 32, crop_pos (3, 6), flip
        img = img.resize((40, 40), Image.BICUBIC).crop((3, 6, 3 + 32, 6 + 32))
        return img.transpose(Image.FLIP_LEFT_RIGHT)

    transform(a.convert("L")).save(f"{OUT}/pipeline_a_gray.png")
    transform(b).save(f"{OUT}/pipeline_b.png")


if __name__ == "__main__":
    main()
