#!/bin/sh
# Rebuilds the seed corpora of the safetensors, checkpoint and pairs fuzz targets
# (tests/fuzz/corpus_*) from the built pix2pix binary. Usage: tools/make_fuzz_corpus.sh [BUILD]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build}" && pwd)/pix2pix
FUZZ=$ROOT/tests/fuzz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
"$BIN" dataset synth --out data --count 2 --size 32 --val-fraction 0 --test-fraction 0 >/dev/null
# The smallest networks of each family: U-Net and ResNet generators, PatchGAN and pixel D.
train() {
    name=$1
    shift
    "$BIN" train --data data --checkpoints-dir ck --name "$name" --ngf 1 --ndf 1 --load-size 32 \
        --crop-size 32 --epochs 1 --epochs-decay 0 --threads 1 --workers 1 --display-freq 0 \
        --max-steps 1 "$@" >/dev/null 2>&1
}
train unet --netG unet_5 --n-layers-d 1 --netD n_layers
train resnet --netG resnet_1blocks --norm instance --netD pixel
mkdir -p "$FUZZ/corpus_checkpoint" "$FUZZ/corpus_safetensors" "$FUZZ/corpus_pairs"
cp ck/unet/latest_net_G.safetensors "$FUZZ/corpus_checkpoint/unet_g.safetensors"
cp ck/unet/latest_net_D.safetensors "$FUZZ/corpus_checkpoint/nlayers_d.safetensors"
cp ck/resnet/latest_net_G.safetensors "$FUZZ/corpus_checkpoint/resnet_g.safetensors"
cp ck/resnet/latest_net_D.safetensors "$FUZZ/corpus_checkpoint/pixel_d.safetensors"
/usr/bin/python3 - "$FUZZ" <<'PY'
import json, struct, sys, zlib
fuzz = sys.argv[1]

def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]

def write(path, header, data):
    h = json.dumps(header, separators=(',', ':')).encode()
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + data)

# Files converted from the reference carry no metadata: the architecture comes from the keys.
for name in ('unet_g', 'resnet_g'):
    h, d = read(f'{fuzz}/corpus_checkpoint/{name}.safetensors')
    h.pop('__metadata__')
    write(f'{fuzz}/corpus_checkpoint/{name}_converted.safetensors', h, d)

# safetensors edge cases: every dtype, scalars, empty tensors, metadata, no tensors.
sizes = {'F32': 4, 'F16': 2, 'BF16': 2, 'F64': 8, 'I64': 8, 'I32': 4, 'U8': 1, 'BOOL': 1}
h, data, off = {}, b'', 0
for i, (dt, sz) in enumerate(sizes.items()):
    shape = [2, 3] if i % 2 else [5]
    n = sz * (6 if i % 2 else 5)
    h[f't{i}.{dt}'] = {'dtype': dt, 'shape': shape, 'data_offsets': [off, off + n]}
    data += bytes((j * 37 + i) % 256 for j in range(n))
    off += n
h['scalar'] = {'dtype': 'F32', 'shape': [], 'data_offsets': [off, off + 4]}
data += struct.pack('<f', 1.5)
off += 4
h['empty'] = {'dtype': 'F32', 'shape': [0, 7], 'data_offsets': [off, off]}
h['__metadata__'] = {'format': 'pt', 'note': 'seed'}
write(f'{fuzz}/corpus_safetensors/all_dtypes.safetensors', h, data)
write(f'{fuzz}/corpus_safetensors/empty.safetensors', {}, b'')
write(f'{fuzz}/corpus_safetensors/big_shape.safetensors',
      {'x': {'dtype': 'F32', 'shape': [4294967296, 4294967296, 2], 'data_offsets': [0, 8]}},
      b'\0' * 8)
write(f'{fuzz}/corpus_safetensors/meta_only.safetensors', {'__metadata__': {'a': 'b'}}, b'')

# Pairs: 8 option bytes, then one aligned A|B PNG or two files (A, then B at the split).
def png(w, h, channels, seed):
    colour = {1: 0, 3: 2, 4: 6}[channels]
    raw = b''.join(b'\0' + bytes((x * 7 + y * 13 + seed) % 256 for x in range(w * channels))
                   for y in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))

aligned = png(16, 8, 3, 1)
cases = {
    'resize_and_crop': (bytes([0, 20, 16, 0, 1, 0, 0, 0]), aligned),
    'crop_gray_btoa': (bytes([1, 8, 6, 3, 2, 0, 0, 0]), aligned),
    'scale_width': (bytes([2, 12, 10, 4, 3, 0, 0, 0]), png(16, 8, 4, 2)),
    'scale_width_crop': (bytes([3, 12, 5, 0, 4, 0, 0, 0]), png(14, 9, 1, 3)),
    'none': (bytes([4, 0, 0, 0, 5, 0, 0, 0]), png(30, 6, 3, 4)),
}
a, b = png(8, 8, 3, 5), png(8, 8, 1, 6)
cases['separate'] = (bytes([0, 9, 8, 8, 6, len(a) >> 8, len(a) & 255, 0]), a + b)
for name, (opts, body) in cases.items():
    open(f'{fuzz}/corpus_pairs/{name}', 'wb').write(opts + body)
PY
cp "$FUZZ/corpus_checkpoint/nlayers_d.safetensors" "$FUZZ/corpus_safetensors/model_d.safetensors"
