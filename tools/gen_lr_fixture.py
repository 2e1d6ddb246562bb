#!/usr/bin/python3
"""Write tests/app/fixtures/lr_policies.json: the learning rate of each epoch under the
reference's --lr_policy choices (its networks.get_scheduler), as PyTorch's schedulers give it.
Run from the repository root with /usr/bin/python3 (needs python3-torch).

Each case: the options (lr, n_epochs, n_epochs_decay, epoch_count, lr_decay_iters), for plateau
the metric given after each epoch, and "lr": the rate after k scheduler steps for k = 0, 1, ...
(pix2pix-vk's epoch epoch_count + k).
"""
import json
import math

import torch
from torch.optim import lr_scheduler


def scheduler(policy, opt, optimizer):
    """networks.get_scheduler of the reference."""
    if policy == "linear":
        def lambda_rule(epoch):
            return 1.0 - max(0, epoch + opt["epoch_count"] - opt["n_epochs"]) / float(
                opt["n_epochs_decay"] + 1)
        return lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda_rule)
    if policy == "step":
        return lr_scheduler.StepLR(optimizer, step_size=opt["lr_decay_iters"], gamma=0.1)
    if policy == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.2,
                                              threshold=0.01, patience=5)
    return lr_scheduler.CosineAnnealingLR(optimizer, T_max=opt["n_epochs"], eta_min=0)


def plateau_metrics(n):
    """A loss that falls, stalls (within 1%), falls again, then stalls for good."""
    out = []
    for k in range(n):
        if k < 5:
            out.append(1.0 - 0.05 * k)
        elif k < 14:
            out.append(0.8 - 0.001 * (k - 5))
        elif k < 18:
            out.append(0.6 - 0.05 * (k - 14))
        else:
            out.append(0.45 + 0.0001 * math.sin(k))
    return out


def case(policy, **opt):
    base = {"lr": 0.0002, "n_epochs": 10, "n_epochs_decay": 10, "epoch_count": 1,
            "lr_decay_iters": 4}
    base.update(opt)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=base["lr"], betas=(0.5, 0.999))
    sched = scheduler(policy, base, optimizer)
    epochs = base["n_epochs"] + base["n_epochs_decay"] - base["epoch_count"] + 1
    metrics = plateau_metrics(epochs) if policy == "plateau" else []
    rates = []
    for k in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        if policy == "plateau":
            sched.step(metrics[k])
        else:
            sched.step()
    return {"policy": policy, "options": base, "metrics": metrics, "lr": rates}


def main():
    cases = [
        case("linear"),
        case("linear", n_epochs=5, n_epochs_decay=7, epoch_count=3),
        case("step"),
        case("step", lr_decay_iters=7, epoch_count=2),
        case("plateau", n_epochs=15, n_epochs_decay=15),
        case("cosine"),
        case("cosine", n_epochs=6, n_epochs_decay=9),
    ]
    with open("tests/app/fixtures/lr_policies.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
