#!/usr/bin/python3
"""Convert a reference pytorch-CycleGAN-and-pix2pix checkpoint (a state_dict saved with
torch.save, e.g. latest_net_G.pth) to safetensors, keeping the key names, with torch alone.

usage: convert_torch.py IN.pth OUT.safetensors

No longer needed to use such a file: pix2pix reads .pth files itself, and `pix2pix convert`
writes the same tensors as this script. It stays as the torch-side safetensors writer of the
fixture and comparison scripts (save_safetensors), and as a check of `pix2pix convert` made by
torch's own loader.
"""
import json
import os
import struct
import sys

import torch

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def save_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> torch.Tensor (cpu). Written atomically."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in DTYPES:
            raise SystemExit(f"{name}: unsupported dtype {t.dtype}")
        data = t.numpy().tobytes()
        header[name] = {
            "dtype": DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    state = torch.load(sys.argv[1], map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        sys.exit(f"{sys.argv[1]}: not a state_dict")
    out = {}
    for key, value in state.items():
        if not torch.is_tensor(value):
            continue
        if key.startswith("module."):  # saved from DataParallel
            key = key[len("module."):]
        out[key] = value
    save_safetensors(sys.argv[2], out)
    print(f"{sys.argv[2]}: {len(out)} tensors")


if __name__ == "__main__":
    main()
