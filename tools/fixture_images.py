"""Test pictures shared by the fixture generators and the Python tests, with numpy alone (no
torch, no PIL): smooth random colour images and an 8-bit RGB PNG writer."""
import struct
import zlib

import numpy as np


def smooth_image(rng, h, w, max_freq=0.4, noise=0.0):
    """A smooth random colour image (uint8 HWC): three sinusoids per channel of frequencies up
    to max_freq, then (noise > 0) uniform noise of that amplitude, scaled to 0..255."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        for _ in range(3):
            fy, fx = rng.uniform(0.05, max_freq), rng.uniform(0.05, max_freq)
            ph = rng.uniform(0, 6.3)
            img[:, :, c] += np.sin(fy * y + fx * x + ph)
    if noise:
        img += rng.uniform(-noise, noise, img.shape)
    img = (img - img.min()) / (img.max() - img.min())
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def write_png(path, rgb):
    """8-bit RGB PNG with zlib alone (no PIL on the oracle machine)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
