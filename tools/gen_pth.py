#!/usr/bin/python3
"""Write the PyTorch .pth fixtures with torch itself, and the seed corpora of the pth and pickle
fuzz targets. Run from the repository root (needs python3-torch, for the fixtures only).

tests/app/fixtures/:
  pth_unet_g.pth, pth_unet_g_legacy.pth  the reference's UnetGenerator (5 levels, ngf 2, batch
                                         norm) saved with torch.save, zip and legacy formats
  pth_unet_g_fp16.pth                    the same in half precision (legacy format)
  pth_resnet_g_dp.pth                    a ResnetGenerator (2 blocks, ngf 2, instance norm)
                                         saved wrapped in nn.DataParallel ("module." keys)
  pth_basic_d.pth                        the basic PatchGAN (ndf 2, 3 layers, batch norm)
  pth_old_d.pth                          that D as PyTorch < 0.4 saved it: _rebuild_tensor,
                                         no num_batches_tracked
  pth_unknown.pth                        keys of no known network
  evil.pth, evil_legacy.pth              a state_dict whose pickle calls os.system through
                                         GLOBAL/REDUCE (never loaded here)
  pth_out.safetensors                    the input and PyTorch's eval outputs of the generators
tests/engine/fixtures/:
  pth_dtypes.pth, pth_dtypes_legacy.pth  tensors of every dtype, scalars, an empty tensor and
                                         views sharing one storage at offsets (and in pickle
  pth_dtypes_legacy_p4.pth               protocol 4: frames, MEMOIZE, SHORT_BINUNICODE)
  pth_views_old.pth                      legacy views of a storage (view metadata) and
                                         _rebuild_tensor, as PyTorch < 0.4 wrote them
  pth_noncontig.pth                      a transposed (not contiguous) tensor
tests/fuzz/corpus_pth/, corpus_pickle/   small files of both formats and their pickles
"""
import collections
import os
import pickle
import pickletools
import struct
import sys
import zipfile

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_torch import save_safetensors  # noqa: E402
from gen_parity import (  # noqa: E402
    randomize_running_stats,
    resnet2_with_biases,
    seeded_unet5,
    smooth_image,
    to_tensor,
)
from torch_reference import (  # noqa: E402
    NLayerDiscriminator,
    ResnetGenerator,
    get_norm_layer,
    init_weights,
)

APP = "tests/app/fixtures"
ENGINE = "tests/engine/fixtures"
FUZZ = "tests/fuzz"


def save(obj, path, legacy=False, protocol=2):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)


def save_old_legacy(path, tensors, views=()):
    """The legacy layout as PyTorch < 0.4 wrote it: tensors rebuilt by _rebuild_tensor(storage,
    offset, size, stride), storages as views of a root storage when listed in views
    (name -> (root name, offset, size)). Checked by torch.load afterwards."""
    roots = {}

    class Storage:
        def __init__(self, key, t, view):
            self.key, self.t, self.view = key, t, view

    class Old:
        def __init__(self, storage, offset, t):
            self.args = (storage, offset, tuple(t.shape), t.stride())

        def __reduce__(self):
            return (torch._utils._rebuild_tensor, self.args)

    def persistent_id(obj):
        if not isinstance(obj, Storage):
            return None
        typ = {torch.float32: torch.FloatStorage, torch.int64: torch.LongStorage}[obj.t.dtype]
        return ("storage", typ, obj.key, "cpu", obj.t.numel(), obj.view)

    state = collections.OrderedDict()
    for name, t in tensors.items():
        if name in views:
            root, offset, size = views[name]
            view = (f"view_{name}", offset, size)
            state[name] = Old(Storage(root, roots[root], view), 0, t)
        else:
            roots[name] = t.contiguous()
            state[name] = Old(Storage(name, roots[name], None), 0, t)
    with open(path, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 8}}, f, protocol=2)
        p = pickle.Pickler(f, protocol=2)
        p.persistent_id = persistent_id
        p.dump(state)
        keys = sorted(roots)
        pickle.dump(keys, f, protocol=2)
        for k in keys:
            f.write(struct.pack("<q", roots[k].numel()))
            f.write(roots[k].numpy().tobytes())
    back = torch.load(path)
    for name, t in tensors.items():
        assert torch.equal(back[name], t), name


class System:
    """Pickles as os.system(command): GLOBAL posix system, the argument, REDUCE."""

    def __reduce__(self):
        return (os.system, ("echo pwned > pix2pix_pwned.txt",))


def write_evil(path, legacy):
    state = collections.OrderedDict(
        [("model.model.0.weight", torch.zeros(2, 3, 4, 4)), ("model.model.0.bias", System())])
    save(state, path, legacy)
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(pickles(path)[-2 if legacy else 0])]
    assert ("GLOBAL", "posix system") in ops and ("REDUCE", None) in ops, ops


def pickles(path):
    """The pickles of a .pth: data.pkl of a zip archive, the five of a legacy file."""
    if zipfile.is_zipfile(path):
        z = zipfile.ZipFile(path)
        return [z.read(n) for n in z.namelist() if n.endswith("/data.pkl")]
    data = open(path, "rb").read()
    out, pos = [], 0
    for _ in range(5):
        end = pos
        for op, _, at in pickletools.genops(data[pos:]):
            end = pos + at + 1
            if op.name == "STOP":
                break
        out.append(data[pos:end])
        pos = end
    return out


def generators(out):
    g, gen, rng = seeded_unet5(3, ngf=2, use_dropout=True)
    g.eval()
    save(g.state_dict(), f"{APP}/pth_unet_g.pth")
    save(g.state_dict(), f"{APP}/pth_unet_g_legacy.pth", legacy=True)
    save(g.half().state_dict(), f"{APP}/pth_unet_g_fp16.pth", legacy=True)
    x = to_tensor(smooth_image(rng, 32, 32))
    with torch.no_grad():
        fp16_eval = g.float()(x)  # the half weights, computed in fp32 as pix2pix does
        g.load_state_dict(torch.load(f"{APP}/pth_unet_g.pth"))
        unet_eval = g(x)

    r = resnet2_with_biases(2, gen)
    r.eval()
    save(nn.DataParallel(r).state_dict(), f"{APP}/pth_resnet_g_dp.pth")
    with torch.no_grad():
        resnet_eval = r(x)
    save_safetensors(f"{APP}/pth_out.safetensors", {"input": x, "unet_eval": unet_eval,
                                                    "unet_fp16_eval": fp16_eval,
                                                    "resnet_eval": resnet_eval})


def discriminators():
    gen = torch.Generator().manual_seed(4)
    d = NLayerDiscriminator(6, ndf=2, n_layers=3, norm_layer=get_norm_layer("batch"))
    init_weights(d, gen)
    randomize_running_stats(d, gen)
    save(d.state_dict(), f"{APP}/pth_basic_d.pth")
    old = {k: v for k, v in d.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_old_legacy(f"{APP}/pth_old_d.pth", old)
    save({"encoder.weight": torch.ones(2, 2)}, f"{APP}/pth_unknown.pth")


def dtype_tensors():
    base = torch.arange(12, dtype=torch.float32)
    v = torch.arange(6, dtype=torch.float64).reshape(2, 3) * 0.5 - 1  # exact in every dtype
    return collections.OrderedDict([
        ("f32", v.float()), ("f16", v.half()), ("bf16", v.bfloat16()), ("f64", v),
        ("count", torch.tensor(7)), ("i32", torch.arange(3, dtype=torch.int32) - 1),
        ("empty", torch.zeros(0, 3)), ("base", base), ("view", base[4:8]),
        ("row", base.view(3, 4)[2]), ("column", base.view(12, 1)[3:5]),
    ])


def engine_fixtures():
    save(dtype_tensors(), f"{ENGINE}/pth_dtypes.pth")
    save(dtype_tensors(), f"{ENGINE}/pth_dtypes_legacy.pth", legacy=True)
    save(dtype_tensors(), f"{ENGINE}/pth_dtypes_legacy_p4.pth", legacy=True, protocol=4)
    root = torch.arange(10, dtype=torch.float32) * 2
    save_old_legacy(f"{ENGINE}/pth_views_old.pth",
                    collections.OrderedDict([("root", root), ("mid", root[3:7].clone()),
                                             ("count", torch.tensor(5))]),
                    views={"mid": ("root", 3, 4)})
    save({"t": torch.arange(6, dtype=torch.float32).reshape(2, 3).t()},
         f"{ENGINE}/pth_noncontig.pth")


def fuzz_corpora():
    os.makedirs(f"{FUZZ}/corpus_pth", exist_ok=True)
    os.makedirs(f"{FUZZ}/corpus_pickle", exist_ok=True)
    gen = torch.Generator().manual_seed(5)
    r = ResnetGenerator(3, 3, ngf=1, norm_layer=get_norm_layer("batch"), n_blocks=1)
    init_weights(r, gen)
    files = {"resnet_g.pth": False, "resnet_g_legacy.pth": True}
    for name, legacy in files.items():
        save(r.state_dict(), f"{FUZZ}/corpus_pth/{name}", legacy)
    sources = [f"{FUZZ}/corpus_pth/{n}" for n in files] + [
        f"{ENGINE}/pth_dtypes.pth", f"{ENGINE}/pth_dtypes_legacy.pth",
        f"{ENGINE}/pth_dtypes_legacy_p4.pth",
        f"{ENGINE}/pth_views_old.pth", f"{ENGINE}/pth_noncontig.pth", f"{APP}/evil.pth"]
    for path in sources:
        name = os.path.basename(path)
        if not path.startswith(f"{FUZZ}/"):
            with open(f"{FUZZ}/corpus_pth/{name}", "wb") as f:
                f.write(open(path, "rb").read())
        for i, p in enumerate(pickles(path)):
            with open(f"{FUZZ}/corpus_pickle/{name[:-4]}_{i}.pkl", "wb") as f:
                f.write(p)


def main():
    generators(APP)
    discriminators()
    write_evil(f"{APP}/evil.pth", legacy=False)
    write_evil(f"{APP}/evil_legacy.pth", legacy=True)
    engine_fixtures()
    fuzz_corpora()


if __name__ == "__main__":
    main()
