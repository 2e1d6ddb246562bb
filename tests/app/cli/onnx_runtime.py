"""pix2pix export checked with tools written elsewhere: onnx.checker (full check, with shape
inference) accepts the file, its initializers are the model file's tensors under their
state_dict keys, and OpenCV's DNN module runs it, at two image sizes per network, within 1e-4
of the generator as `translate --eval --full-res` runs it (onnx_ref, on the same image).
Skipped (exit 77) without python3-onnx or python3-opencv.

usage: onnx_runtime.py PIX2PIX ONNX_REF FIXTURE_DIR
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import cv2
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print(f"skipped: the Python module {e.name} is missing "
          "(Debian: python3-onnx python3-opencv; tools/install_deps.sh installs them)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools"))
from fixture_images import smooth_image  # noqa: E402

TOLERANCE = 1e-4
# model fixture, factor on its convolution weights, (H, W) sizes: two per network, not square,
# so that H and W cannot swap. The U-Net fixture's weights are at their initial scale (its
# output stays within +-0.1, where 1e-4 is lenient); five times larger, its output spans
# +-0.5 and a LeakyReLU slope of 0.1 instead of 0.2 moves it by 2e-2, a BatchNorm epsilon of
# 1e-3 by 5e-4.
CASES = [("unet5_g.safetensors", 1, [(32, 64), (96, 64)]),
         ("unet5_g.safetensors", 5, [(32, 64), (96, 64)]),
         ("resnet2_g.safetensors", 1, [(24, 40), (48, 32)]),
         # resize-convolution upsampling: Resize (nearest) then Conv in each ConvTranspose's place
         ("unet5_rc_g.safetensors", 1, [(32, 64), (96, 64)]),
         ("resnet2_rc_g.safetensors", 1, [(24, 40), (48, 32)]),
         # pix2pixHD's GlobalGenerator and LocalEnhancer as PyTorch saved them (.pth, converted
         # to read their weights)
         ("global3_g.pth", 1, [(24, 40), (48, 32)]),
         ("global2b_g.pth", 1, [(24, 40), (48, 32)]),
         ("local1_g.pth", 1, [(24, 40), (48, 32)])]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def safetensors(path):
    """The float tensors of a safetensors file by name."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    types = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    out = {}
    for key, v in header.items():
        if key != "__metadata__":
            start, end = v["data_offsets"]
            raw = data[8 + n + start:8 + n + end]
            out[key] = np.frombuffer(raw, types[v["dtype"]]).reshape(v["shape"])
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for key, v in tensors.items():
        blob = np.ascontiguousarray(v).tobytes()
        dtype = {np.float32: "F32", np.float64: "F64", np.int64: "I64"}[v.dtype.type]
        header[key] = {"dtype": dtype, "shape": list(v.shape),
                       "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def check_model(path, weights):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)  # raises on any error
    print(f"{os.path.basename(path)}: onnx.checker.check_model(full_check=True) passed "
          f"(onnx {onnx.__version__}, opset {model.opset_import[0].version})")
    dims = [d.dim_param or d.dim_value for d in
            model.graph.input[0].type.tensor_type.shape.dim]
    check(model.graph.input[0].name == "input" and dims == [1, 3, "H", "W"],
          f"input {model.graph.input[0].name} {dims}")
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    # Every tensor of the model file but the BatchNorm counters, under its key, with its
    # values; the other initializers are the writer's constants (pads, unit scales).
    expected = {k for k in weights if not k.endswith("num_batches_tracked")}
    # (named <word>_<n>; pix2pixHD's model<k>_<n> keys look alike and are the file's)
    named = {k for k in inits if k in weights or not k.split(".")[0].rsplit("_", 1)[-1].isdigit()}
    check(named == expected, f"initializers {sorted(named ^ expected)} differ from the keys")
    for k in expected & named:
        check(np.array_equal(inits[k], weights[k].astype(np.float32)), f"values of {k}")


def compare(tmp, bin_ref, model, onnx_path, h, w, rng):
    """Max abs difference between OpenCV's output and the generator's on one image."""
    png = os.path.join(tmp, f"in_{h}x{w}.png")
    img = smooth_image(rng, h, w, max_freq=0.5, noise=0.3)
    cv2.imwrite(png, img[:, :, ::-1])  # OpenCV writes BGR
    fin, fout = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
    subprocess.run([bin_ref, model, png, fin, fout], check=True)
    x = np.fromfile(fin, np.float32).reshape(1, 3, h, w)
    y_ref = np.fromfile(fout, np.float32).reshape(1, 3, h, w)
    # The input as the reference's ToTensor + Normalize(0.5, 0.5) makes it.
    expect_x = (img.transpose(2, 0, 1)[None].astype(np.float32) / 255 - 0.5) / 0.5
    check(np.abs(x - expect_x).max() < 1e-6, f"{png}: input tensor")
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(x)
    y = net.forward()
    check(y.shape == y_ref.shape, f"output shape {y.shape}, expected {y_ref.shape}")
    return float(np.abs(y - y_ref).max()) if y.shape == y_ref.shape else float("inf")


def main():
    bin_pix2pix, bin_ref, fixtures = sys.argv[1:4]
    print(f"OpenCV {cv2.__version__}, onnx {onnx.__version__}")
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="p2p_onnx_") as tmp:
        for name, scale, sizes in CASES:
            model = os.path.join(fixtures, name)
            label = os.path.splitext(name)[0] + (f"_x{scale}" if scale != 1 else "")
            if name.endswith(".pth"):
                model = os.path.join(tmp, label + ".safetensors")
                subprocess.run([bin_pix2pix, "convert", os.path.join(fixtures, name), model],
                               check=True, stdout=subprocess.DEVNULL)
            weights = safetensors(model)
            if scale != 1:
                weights = {k: v * scale if v.ndim == 4 else v for k, v in weights.items()}
                model = os.path.join(tmp, label + ".safetensors")
                write_safetensors(model, weights)
            onnx_path = os.path.join(tmp, label + ".onnx")
            subprocess.run([bin_pix2pix, "export", "--model", model, "--onnx", onnx_path],
                           check=True)
            check_model(onnx_path, weights)
            for h, w in sizes:
                diff = compare(tmp, bin_ref, model, onnx_path, h, w, rng)
                print(f"{label} {w}x{h}: max |OpenCV - translate --eval| = {diff:.3g}")
                check(diff <= TOLERANCE, f"{label} {w}x{h}: {diff} > {TOLERANCE}")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
