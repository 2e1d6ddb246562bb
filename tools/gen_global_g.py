#!/usr/bin/python3
"""Write the fixtures of pix2pixHD's GlobalGenerator (--netG global) with PyTorch as the oracle.

The network is pix2pixHD's (NVIDIA/pix2pixHD, models/networks.py: GlobalGenerator and its
ResnetBlock), written out here as published, so that the files have its state_dict keys.
Run from the repository root with Debian's python3-torch; nothing is downloaded.

tests/app/fixtures/:
  global_keys.txt         keys and shapes of full-size global generators (pix2pixHD's default:
                          ngf 64, 4 downsamplings, 9 blocks, instance norm; and one with batch
                          norm), in keys.txt's format
  global_in.png           a 24x24 RGB input
  global3_g.pth           GlobalGenerator(3, 3, ngf 1, 3 downsamplings, 1 block, instance norm)
                          saved with torch.save as pix2pixHD saves latest_net_G.pth
  global2b_g.pth          GlobalGenerator(3, 3, ngf 2, 2 downsamplings, 2 blocks, batch norm: a
                          bias on every conv), random running statistics
  global_out.safetensors  input (global_in.png as the reference's transform makes it); eval
                          outputs global3 and global2b; weights r of the loss sum(G(x) * r) and,
                          for global3 in train mode, the loss ("global3_loss") and the gradient of
                          every parameter ("global3_grad.<key>"), and for global2b in train mode
                          (batch statistics) the same ("global2b_..."); and LocalEnhancer
                          local1 (ngf 1, a 2-downsampling global generator of 1 block, 1
                          enhancer of 1 block, instance norm) likewise
  local1_g.pth            that LocalEnhancer as pix2pixHD saves it
  local_train_*           three training steps of a LocalEnhancer against a pixel
                          discriminator (write_train), float32 and float64

usage: tools/gen_global_g.py [OUTDIR]
"""
import functools
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_parity  # noqa: E402
from convert_torch import save_safetensors  # noqa: E402
from gen_parity import (  # noqa: E402
    randomize_running_stats,
    smooth_image,
    state,
    to_tensor,
    train_with_f64,
    write_png,
)
from torch_reference import PixelDiscriminator, init_weights  # noqa: E402
from torch_reference import get_norm_layer as reference_norm  # noqa: E402


# ---- pix2pixHD, models/networks.py (as published; ResnetBlock's padding choice factored) ----
def get_norm_layer(norm_type="instance"):
    if norm_type == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True)
    if norm_type == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False)
    raise NotImplementedError("normalization layer [%s] is not found" % norm_type)


class GlobalGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=64, n_downsampling=3, n_blocks=9,
                 norm_layer=nn.BatchNorm2d, padding_type="reflect"):
        assert n_blocks >= 0
        super().__init__()
        activation = nn.ReLU(True)
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0),
                 norm_layer(ngf), activation]
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1),
                      norm_layer(ngf * mult * 2), activation]
        mult = 2 ** n_downsampling
        for i in range(n_blocks):
            model += [ResnetBlock(ngf * mult, padding_type=padding_type, activation=activation,
                                  norm_layer=norm_layer)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2,
                                         padding=1, output_padding=1),
                      norm_layer(int(ngf * mult / 2)), activation]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0),
                  nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, input):
        return self.model(input)


class ResnetBlock(nn.Module):
    def __init__(self, dim, padding_type, norm_layer, activation=nn.ReLU(True),
                 use_dropout=False):
        super().__init__()
        self.conv_block = self.build_conv_block(dim, padding_type, norm_layer, activation,
                                                use_dropout)

    def build_conv_block(self, dim, padding_type, norm_layer, activation, use_dropout):
        # pix2pixHD writes the padding choice out before each conv; one helper here
        def padding():
            if padding_type == "reflect":
                return [nn.ReflectionPad2d(1)], 0
            if padding_type == "replicate":
                return [nn.ReplicationPad2d(1)], 0
            if padding_type == "zero":
                return [], 1
            raise NotImplementedError("padding [%s] is not implemented" % padding_type)

        conv_block, p = padding()
        conv_block += [nn.Conv2d(dim, dim, kernel_size=3, padding=p), norm_layer(dim), activation]
        if use_dropout:
            conv_block += [nn.Dropout(0.5)]
        pad, p = padding()
        conv_block += pad + [nn.Conv2d(dim, dim, kernel_size=3, padding=p), norm_layer(dim)]
        return nn.Sequential(*conv_block)

    def forward(self, x):
        return x + self.conv_block(x)


class LocalEnhancer(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=32, n_downsample_global=3, n_blocks_global=9,
                 n_local_enhancers=1, n_blocks_local=3, norm_layer=nn.BatchNorm2d,
                 padding_type="reflect"):
        super().__init__()
        self.n_local_enhancers = n_local_enhancers
        ngf_global = ngf * (2 ** n_local_enhancers)
        model_global = GlobalGenerator(input_nc, output_nc, ngf_global, n_downsample_global,
                                       n_blocks_global, norm_layer).model
        model_global = [model_global[i] for i in range(len(model_global) - 3)]
        self.model = nn.Sequential(*model_global)
        for n in range(1, n_local_enhancers + 1):
            ngf_global = ngf * (2 ** (n_local_enhancers - n))
            model_downsample = [nn.ReflectionPad2d(3),
                                nn.Conv2d(input_nc, ngf_global, kernel_size=7, padding=0),
                                norm_layer(ngf_global), nn.ReLU(True),
                                nn.Conv2d(ngf_global, ngf_global * 2, kernel_size=3, stride=2,
                                          padding=1),
                                norm_layer(ngf_global * 2), nn.ReLU(True)]
            model_upsample = []
            for i in range(n_blocks_local):
                model_upsample += [ResnetBlock(ngf_global * 2, padding_type=padding_type,
                                               norm_layer=norm_layer)]
            model_upsample += [nn.ConvTranspose2d(ngf_global * 2, ngf_global, kernel_size=3,
                                                  stride=2, padding=1, output_padding=1),
                               norm_layer(ngf_global), nn.ReLU(True)]
            if n == n_local_enhancers:
                model_upsample += [nn.ReflectionPad2d(3),
                                   nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0),
                                   nn.Tanh()]
            setattr(self, "model" + str(n) + "_1", nn.Sequential(*model_downsample))
            setattr(self, "model" + str(n) + "_2", nn.Sequential(*model_upsample))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)

    def forward(self, input):
        input_downsampled = [input]
        for i in range(self.n_local_enhancers):
            input_downsampled.append(self.downsample(input_downsampled[-1]))
        output_prev = self.model(input_downsampled[-1])
        for n_local_enhancers in range(1, self.n_local_enhancers + 1):
            model_downsample = getattr(self, "model" + str(n_local_enhancers) + "_1")
            model_upsample = getattr(self, "model" + str(n_local_enhancers) + "_2")
            input_i = input_downsampled[self.n_local_enhancers - n_local_enhancers]
            output_prev = model_upsample(model_downsample(input_i) + output_prev)
        return output_prev


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)
# ---------------------------------------------------------------------------------------------


def write_keys(out):
    nets = {
        "global_instance": GlobalGenerator(3, 3, 64, 4, 9, get_norm_layer("instance")),
        "global_batch_3down_6blocks": GlobalGenerator(3, 3, 64, 3, 6, get_norm_layer("batch")),
        # pix2pixHD's train_1024p: --netG local --ngf 32 (4 downsamplings, 9 + 3 blocks)
        "local_instance": LocalEnhancer(3, 3, 32, 4, 9, 1, 3, get_norm_layer("instance")),
        "local2_batch": LocalEnhancer(3, 3, 16, 3, 2, 2, 1, get_norm_layer("batch")),
    }
    gen_parity.write_keys(os.path.join(out, "global_keys.txt"), nets)


def spread_weights(net, gen, factor):
    """pix2pixHD's init, scaled so that the outputs span much of [-1, 1] without saturating
    the Tanh, and random biases (its init leaves them as PyTorch's default)."""
    net.apply(weights_init)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02 * factor)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def loss_and_grads(net, x, r, name, outputs):
    net.train()
    net.zero_grad()
    loss = (net(x) * r).sum()
    loss.backward()
    outputs[name + "_loss"] = loss.detach().reshape(1)
    for k, p in net.named_parameters():
        outputs[name + "_grad." + k] = p.grad.detach().clone()


def write_train(out, steps=3):
    """Three pix2pix training steps (the reference's optimize_parameters, LSGAN as pix2pixHD,
    batch 1) of a LocalEnhancer (ngf 2, a 2-downsampling global generator of no block, 1
    enhancer of 1 block) against a pixel discriminator (ndf 2), instance norm, and the same in
    float64 (gen_parity.train_with_f64)."""
    rng = np.random.default_rng(6)
    gen = torch.Generator().manual_seed(6)
    g = LocalEnhancer(3, 3, 2, 2, 0, 1, 1, get_norm_layer("instance"))
    d = PixelDiscriminator(6, ndf=2, norm_layer=reference_norm("instance"))
    init_weights(g, gen)
    init_weights(d, gen)
    save_safetensors(os.path.join(out, "local_train_g0.safetensors"), state(g))
    save_safetensors(os.path.join(out, "local_train_d0.safetensors"), state(d))
    real_a = to_tensor(smooth_image(rng, 32, 32))
    real_b = to_tensor(smooth_image(rng, 32, 32))
    train_with_f64(out, "local_train", g, d, real_a, real_b, steps)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/app/fixtures"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    write_keys(out)
    gen = torch.Generator().manual_seed(25)
    rgb = smooth_image(np.random.default_rng(5), 24, 24)
    write_png(os.path.join(out, "global_in.png"), rgb)
    x = to_tensor(rgb)
    r = torch.randn(x.shape, generator=gen)
    outputs = {"input": x, "r": r}
    nets = {"global3": (GlobalGenerator(3, 3, 1, 3, 1, get_norm_layer("instance")), 5.0),
            "global2b": (GlobalGenerator(3, 3, 2, 2, 2, get_norm_layer("batch")), 9.5),
            "local1": (LocalEnhancer(3, 3, 1, 2, 1, 1, 1, get_norm_layer("instance")), 5.0)}
    for name, (net, factor) in nets.items():
        spread_weights(net, gen, factor)
        randomize_running_stats(net, gen)
        net.eval()
        with torch.no_grad():
            outputs[name] = net(x)
        # pix2pixHD's save_network: torch.save(network.cpu().state_dict(), save_path)
        torch.save(net.state_dict(), os.path.join(out, name + "_g.pth"))
        loss_and_grads(net, x, r, name, outputs)
    save_safetensors(os.path.join(out, "global_out.safetensors"), outputs)
    write_train(out)


if __name__ == "__main__":
    main()
