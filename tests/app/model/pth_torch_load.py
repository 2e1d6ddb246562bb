#!/usr/bin/python3
"""torch.load reads the .pth files that app_pth_save wrote (FOLDER/net_G.pth, net_D.pth) into
the same tensors as the safetensors files written beside them: names, dtypes, shapes and
values. Exit 77 (skipped) without torch."""
import json
import struct
import sys

try:
    import torch
except ImportError:
    print("skipped: no torch for /usr/bin/python3")
    sys.exit(77)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[8 + n + begin:8 + n + end]
        dtype = {"F32": torch.float32, "I64": torch.int64}[info["dtype"]]
        out[name] = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(info["shape"])
    return out


def main():
    folder = sys.argv[1]
    failures = 0
    for name in ("net_G", "net_D"):
        sd = torch.load(f"{folder}/{name}.pth", map_location="cpu")
        want = read_safetensors(f"{folder}/{name}.safetensors")
        if list(sd.keys()) != list(want.keys()):
            print(f"{name}: keys differ: {list(sd.keys())[:3]} ... against {list(want)[:3]}")
            failures += 1
        for key, value in want.items():
            got = sd.get(key)
            if got is None or got.dtype != value.dtype or got.shape != value.shape or \
                    not torch.equal(got, value):
                print(f"{name}: {key} differs")
                failures += 1
        print(f"{name}.pth: torch {torch.__version__} loads {len(sd)} tensors equal to the "
              "safetensors file")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
