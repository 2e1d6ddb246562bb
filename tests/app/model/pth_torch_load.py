#!/usr/bin/python3
"""torch.load reads the .pth files that app_pth_save wrote (FOLDER/net_G.pth, net_D.pth) into
the same tensors as the safetensors files written beside them: names, dtypes, shapes and
values; and net_D_sn.pth (the PatchGAN of train --spectral-norm) loads strictly into the
reference's NLayerDiscriminator under torch.nn.utils.spectral_norm. Exit 77 (skipped) without
torch."""
import json
import os
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


def load_spectral_normed(sd):
    """Loads sd into the reference's basic PatchGAN (ndf 4, BatchNorm) with spectral_norm on
    every conv, as train --spectral-norm builds it; runs it once in training mode."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                    "tools"))
    from torch_reference import NLayerDiscriminator, get_norm_layer
    d = NLayerDiscriminator(6, ndf=4, n_layers=3, norm_layer=get_norm_layer("batch"))
    for m in d.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.utils.spectral_norm(m)
    d.load_state_dict(sd, strict=True)
    d.train()
    out = d(torch.zeros(1, 6, 32, 32))
    print(f"net_D_sn.pth: loads strictly into a spectral_norm'ed NLayerDiscriminator "
          f"(output {list(out.shape)})")


def main():
    folder = sys.argv[1]
    failures = 0
    for name in ("net_G", "net_D", "net_D_sn"):
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
        if name == "net_D_sn":
            load_spectral_normed(sd)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
