#!/usr/bin/python3
"""Writes the seed corpus of the image decoder fuzzer (tests/fuzz/corpus_image/): tiny JPEG and
PNG files covering the decoder's paths. Needs python3-pil. Run from the repository root."""
import io

from PIL import Image

OUT = "tests/fuzz/corpus_image"


def base(mode, size=(12, 9)):
    img = Image.new("RGB", size)
    img.putdata([((x * 40) % 256, (y * 60) % 256, (x * y * 7) % 256)
                 for y in range(size[1]) for x in range(size[0])])
    return img.convert(mode)


def save(name, img, **kw):
    img.save(f"{OUT}/{name}", **kw)


def main():
    save("rgb.jpg", base("RGB"), quality=90)
    save("progressive.jpg", base("RGB"), quality=90, progressive=True)
    save("gray.jpg", base("L"), quality=90)
    save("cmyk.jpg", base("CMYK"), quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif6.jpg", base("RGB"), quality=90, exif=exif.tobytes())
    save("rgb.png", base("RGB"))
    save("rgba.png", base("RGBA"))
    save("gray.png", base("L"))
    save("gray_alpha.png", base("LA"))
    save("palette.png", base("P"), transparency=3)
    save("bilevel.png", base("1"))
    save("gray16.png", base("I").point(lambda v: v * 257), bits=16)
    buf = io.BytesIO()
    base("RGB").save(buf, "JPEG", quality=90)
    with open(f"{OUT}/truncated.jpg", "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])


if __name__ == "__main__":
    main()
