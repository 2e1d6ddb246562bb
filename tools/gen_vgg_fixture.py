#!/usr/bin/python3
"""Writes the PyTorch reference of pix2pix train --lambda-vgg at test time (test_app_vgg_loss).

Usage: /usr/bin/python3 tools/gen_vgg_fixture.py OUT_DIR
Exit status 77 (skipped) where torchvision (Debian's python3-torchvision) is missing.

Writes into OUT_DIR, deterministically (fixed seed, one thread):
  vgg19.pth         a torchvision vgg19 state_dict of random weights: the features.* tensors of
                    torchvision.models.vgg19 (its classifier, 120 M weights, left out but for
                    classifier.6.bias, which the program must not need), torchvision's own
                    initialisation (kaiming_normal_ fan_out) with random biases so that they
                    count; in torch.save's legacy format, that of torchvision's
                    vgg19-dcbb9e9d.pth (saved before PyTorch 1.6's zip format).
  vgg19_zip.pth     the same in the zip format.
  vgg16.pth         the same of vgg16: another network, which --vgg-weights must refuse.
  gray.pth          features.0.weight of a VGG on one channel ([64, 1, 3, 3]) alone: refused
                    for its shape.
  vgg_case.safetensors  fake and real [2, 3, 32, 32] images in [-1, 1], pix2pixHD's VGGLoss of
                    them (loss, [1]) and its gradient with respect to fake (grad).
  vgg_step_g1.safetensors, vgg_step_d1.safetensors, vgg_step.safetensors  one pix2pix training
                    step with --lambda-vgg 10 (vanilla GAN, lambda_l1 100) from
                    tests/app/fixtures' gan_g0 and gan_d0 (tools/gen_gan_parity.py's U-Net and
                    PatchGAN) on its gan_data pair: G and D after it, and the losses G_GAN,
                    G_L1, D_real, D_fake, G_VGG (G_L1 and G_VGG before their lambdas).

The loss is pix2pixHD's models/networks.py VGGLoss and Vgg19, verbatim but for the weights:
vgg19().features cut at [0:2], [2:7], [7:12], [12:21], [21:30] (relu1_1 .. relu5_1), the sum
of weights [1/32, 1/16, 1/8, 1/4, 1] times L1(x_i, y_i.detach()); the images go in as they
are, without ImageNet's normalization.
"""
import collections
import json
import os
import struct
import sys

try:
    import torch
    import torchvision
    from torchvision.models import vgg as tv_vgg
except ImportError as e:
    print(f"skipped: {e} (apt-get install python3-torchvision)")
    sys.exit(77)

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from convert_torch import save_safetensors  # noqa: E402
from gen_gan_parity import critic_loss, generator_loss, networks  # noqa: E402
from gen_golden import write_safetensors  # noqa: E402
from gen_parity import state  # noqa: E402

APP_FIXTURES = os.path.join(TOOLS, "..", "tests", "app", "fixtures")


def features(cfg):
    """torchvision's vgg<N>().features, initialised as torchvision's VGG initialises them,
    with biases drawn too."""
    layers = tv_vgg.make_layers(tv_vgg.cfgs[cfg], batch_norm=False)
    for m in layers:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            torch.nn.init.uniform_(m.bias, -0.1, 0.1)
    return layers


def state_dict(layers):
    sd = collections.OrderedDict(("features." + k, v.clone()) for k, v in
                                 layers.state_dict().items())
    sd["classifier.6.bias"] = torch.zeros(1000)
    return sd


class Vgg19(torch.nn.Module):
    """pix2pixHD's Vgg19, on the given vgg19().features."""

    def __init__(self, vgg_pretrained_features):
        super().__init__()
        self.slice1 = torch.nn.Sequential()
        self.slice2 = torch.nn.Sequential()
        self.slice3 = torch.nn.Sequential()
        self.slice4 = torch.nn.Sequential()
        self.slice5 = torch.nn.Sequential()
        for x in range(2):
            self.slice1.add_module(str(x), vgg_pretrained_features[x])
        for x in range(2, 7):
            self.slice2.add_module(str(x), vgg_pretrained_features[x])
        for x in range(7, 12):
            self.slice3.add_module(str(x), vgg_pretrained_features[x])
        for x in range(12, 21):
            self.slice4.add_module(str(x), vgg_pretrained_features[x])
        for x in range(21, 30):
            self.slice5.add_module(str(x), vgg_pretrained_features[x])
        for param in self.parameters():
            param.requires_grad = False

    def forward(self, X):
        h_relu1 = self.slice1(X)
        h_relu2 = self.slice2(h_relu1)
        h_relu3 = self.slice3(h_relu2)
        h_relu4 = self.slice4(h_relu3)
        h_relu5 = self.slice5(h_relu4)
        return [h_relu1, h_relu2, h_relu3, h_relu4, h_relu5]


class VGGLoss(torch.nn.Module):
    """pix2pixHD's VGGLoss (without .cuda())."""

    def __init__(self, vgg_features):
        super().__init__()
        self.vgg = Vgg19(vgg_features)
        self.criterion = torch.nn.L1Loss()
        self.weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0]

    def forward(self, x, y):
        x_vgg, y_vgg = self.vgg(x), self.vgg(y)
        loss = 0
        for i in range(len(x_vgg)):
            loss += self.weights[i] * self.criterion(x_vgg[i], y_vgg[i].detach())
        return loss


def read_safetensors(path):
    """The tensors of a safetensors file (F32 and I64)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        begin, end = v["data_offsets"]
        data = bytearray(raw[8 + n + begin:8 + n + end])
        out[key] = torch.frombuffer(data, dtype=dtypes[v["dtype"]]).reshape(v["shape"]).clone()
    return out


def training_step(out, criterion, lambda_vgg=10.0, lambda_l1=100.0):
    """pix2pix's optimize_parameters (vanilla GAN) with pix2pixHD's VGG loss added to G's:
    G_GAN + lambda_l1 * G_L1 + lambda_vgg * G_VGG, the critic updated first."""
    g, d = networks(torch.Generator().manual_seed(0))
    g.load_state_dict(read_safetensors(os.path.join(APP_FIXTURES, "gan_g0.safetensors")))
    d.load_state_dict(read_safetensors(os.path.join(APP_FIXTURES, "gan_d0.safetensors")))
    data = read_safetensors(os.path.join(APP_FIXTURES, "gan_data.safetensors"))
    real_a, real_b = data["real_A"], data["real_B"]
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fake_b = g(real_a)
    fake_ab = torch.cat((real_a, fake_b), 1)
    opt_d.zero_grad()
    loss_d_fake = critic_loss("vanilla", d(fake_ab.detach()), False)
    loss_d_real = critic_loss("vanilla", d(torch.cat((real_a, real_b), 1)), True)
    ((loss_d_fake + loss_d_real) * 0.5).backward()
    opt_d.step()
    d.requires_grad_(False)
    opt_g.zero_grad()
    loss_g_gan = generator_loss("vanilla", d(fake_ab))
    loss_g_l1 = torch.nn.functional.l1_loss(fake_b, real_b)
    loss_g_vgg = criterion(fake_b, real_b)
    (loss_g_gan + loss_g_l1 * lambda_l1 + loss_g_vgg * lambda_vgg).backward()
    opt_g.step()
    d.requires_grad_(True)
    save_safetensors(os.path.join(out, "vgg_step_g1.safetensors"), state(g))
    save_safetensors(os.path.join(out, "vgg_step_d1.safetensors"), state(d))
    losses = [loss_g_gan.item(), loss_g_l1.item(), loss_d_real.item(), loss_d_fake.item(),
              loss_g_vgg.item()]
    write_safetensors(os.path.join(out, "vgg_step.safetensors"),
                      [("losses", torch.tensor(losses, dtype=torch.float32))])
    return losses


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(2024)
    vgg19 = features("E")
    torch.save(state_dict(vgg19), os.path.join(out, "vgg19.pth"),
               _use_new_zipfile_serialization=False)
    torch.save(state_dict(vgg19), os.path.join(out, "vgg19_zip.pth"))
    torch.save(state_dict(features("D")), os.path.join(out, "vgg16.pth"))
    torch.save({"features.0.weight": torch.randn(64, 1, 3, 3)}, os.path.join(out, "gray.pth"))

    # what the program reads back, in vgg19().features (make_layers of cfgs["E"], as
    # torchvision.models.vgg19 builds it, without the classifier's 120 M weights to draw)
    net = tv_vgg.make_layers(tv_vgg.cfgs["E"], batch_norm=False)
    net.load_state_dict({k[len("features."):]: v for k, v in
                         torch.load(os.path.join(out, "vgg19.pth")).items()
                         if k.startswith("features.")})
    criterion = VGGLoss(net)
    fake = torch.tanh(torch.randn(2, 3, 32, 32)).requires_grad_(True)
    real = torch.rand(2, 3, 32, 32) * 2 - 1
    loss = criterion(fake, real)
    loss.backward()
    write_safetensors(os.path.join(out, "vgg_case.safetensors"), [
        ("fake", fake), ("real", real), ("loss", loss.reshape(1)), ("grad", fake.grad)])
    print(f"torchvision {torchvision.__version__}: loss {loss.item():.8f}, "
          f"|grad| max {fake.grad.abs().max().item():.3g}")
    print("training step: G_GAN, G_L1, D_real, D_fake, G_VGG =",
          " ".join(f"{v:.7f}" for v in training_step(out, criterion)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
