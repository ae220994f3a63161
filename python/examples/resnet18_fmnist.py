# SPDX-License-Identifier: Apache-2.0
"""ResNet-18 on Fashion-MNIST in PyTorch: plain FP32 against Quantum Mantissa with compressed
activation stashing (sfp.torch), a short CPU run of each from the same initial weights and
batches. Prints test accuracy, the bytes autograd keeps for the backward pass per step, their
ratio, and the step time.

    PYTHONPATH=build/python python3 python/examples/resnet18_fmnist.py [--steps 300] [--batch 32]

The data are the gzipped IDX files of Debian's dataset-fashion-mnist (scripts/deps.sh train).
"""

import argparse
import copy
import gzip
import math
import os
import statistics
import time

import numpy as np
import torch
import torchvision
from torch import nn

import sfp
import sfp.torch as sfpt

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(images.astype(np.float32) / 255.0) - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def resnet18():
    """torchvision's ResNet-18 for 28x28 single-channel images: a 3x3 stride-1 first
    convolution with one input channel, and the max-pool kept (28 -> 14 -> 7 -> 4 -> 2)."""
    net = torchvision.models.resnet18(num_classes=10)
    net.conv1 = nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)
    return net


def evaluate(net, x, y, batch=500):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (net(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    net.train()
    return 100.0 * correct / len(x)


class CountOnly:
    """Counts the bytes autograd saves for backward (activations; not parameters)."""

    def __init__(self, net):
        self.params = {p.data_ptr() for p in net.parameters()}
        self.bytes = 0

    def pack(self, t):
        if t.data_ptr() not in self.params and not (t.is_leaf and t.requires_grad):
            self.bytes += t.numel() * t.element_size()
        return t


def fp32_stash_bytes(net, x, y):
    """Bytes per step that plain autograd keeps, measured on a copy of the network."""
    probe = copy.deepcopy(net)
    c = CountOnly(probe)
    with torch.autograd.graph.saved_tensors_hooks(c.pack, lambda t: t):
        nn.functional.cross_entropy(probe(x), y).backward()
    return c.bytes


def run(policy, init, batches, args, test):
    net = copy.deepcopy(init)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    qm = None
    if policy == "qm":
        qm = sfpt.QuantumMantissa(net, lam=args.qm_lambda, lr=args.qm_lr, init=args.qm_init)
    times, stored, raw, ratios = [], [], [], []
    for step, (x, y) in enumerate(batches, 1):
        for g in opt.param_groups:
            g["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / len(batches)))
        t0 = time.perf_counter()
        if qm is None:
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
        else:
            with sfpt.stash(qm, net) as st:
                task = nn.functional.cross_entropy(net(x), y)
                loss = task + qm.regularizer()
                loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if qm is not None:
            qm.step()
        times.append(time.perf_counter() - t0)
        if qm is not None:
            c = st.take()
            stored.append(c["stored_bytes"])
            raw.append(c["raw_bytes"])
        if step % args.log_every == 0 or step == len(batches):
            msg = f"  {policy:5s} step {step:4d}  loss {loss.item():.3f}  {times[-1] * 1e3:6.0f} ms"
            if qm is not None:
                msg += f"  mean bits {qm.mean_bits():5.2f}  stash {stored[-1] / 2**20:6.2f} MiB"
            print(msg, flush=True)
    acc = evaluate(net, *test)
    breakdown = {}
    if qm is not None:  # where the stashed bytes of one more step go, by the module saving them
        x, y = batches[-1]
        with sfpt.stash(qm, net) as st:
            st.records = []
            (nn.functional.cross_entropy(net(x), y) + qm.regularizer()).backward()
        opt.zero_grad(set_to_none=True)
        for n in qm.n.values():
            n.grad = None
        for kind, m, r, s in st.records:
            b = breakdown.setdefault(kind or "(other)", [0, 0, 0, set()])
            b[0] += 1
            b[1] += r
            b[2] += s
            b[3].add(m)
    return {"acc": acc, "times": times, "stored": stored, "raw": raw, "qm": qm,
            "breakdown": breakdown}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--test-images", type=int, default=2000)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--qm-lambda", type=float, default=0.3)
    p.add_argument("--qm-lr", type=float, default=0.2)
    p.add_argument("--qm-init", type=float, default=23.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log-every", type=int, default=50)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    sfp.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    g = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(xtr), generator=g)[: args.steps * args.batch]
    batches = [(xtr[order[i:i + args.batch]], ytr[order[i:i + args.batch]])
               for i in range(0, len(order), args.batch)]
    test = (xte[: args.test_images], yte[: args.test_images])
    init = resnet18()
    fp32_bytes = fp32_stash_bytes(init, *batches[0])

    print(f"ResNet-18, Fashion-MNIST: {args.steps} steps of {args.batch} images, "
          f"{args.threads} threads, test on {len(test[0])} images")
    plain = run("fp32", init, batches, args, test)
    qm = run("qm", init, batches, args, test)

    def median_ms(r):
        return 1e3 * statistics.median(r["times"][5:] or r["times"])

    avg_stored = statistics.mean(qm["stored"])
    print()
    print("| run | test acc. % | stashed MiB/step (mean / last) | vs FP32 (mean / last) "
          "| step ms (median) |")
    print("|---|---|---|---|---|")
    print(f"| fp32 | {plain['acc']:.2f} | {fp32_bytes / 2**20:.2f} | 1.00x "
          f"| {median_ms(plain):.0f} |")
    print(f"| qm + sfp stash | {qm['acc']:.2f} | {avg_stored / 2**20:.2f} / "
          f"{qm['stored'][-1] / 2**20:.2f} | {fp32_bytes / avg_stored:.2f}x / "
          f"{fp32_bytes / qm['stored'][-1]:.2f}x | {median_ms(qm):.0f} |")
    print()
    print("| saved by | tensors | MiB FP32 | MiB sfp | ratio | mantissa bits |")
    print("|---|---|---|---|---|---|")
    for kind, (count, r, s, ms) in sorted(qm["breakdown"].items(), key=lambda kv: -kv[1][1]):
        print(f"| {kind} | {count} | {r / 2**20:.2f} | {s / 2**20:.2f} | {r / s:.2f}x "
              f"| {min(ms)}-{max(ms)} |")
    print()
    print(f"accuracy difference: {qm['acc'] - plain['acc']:+.2f} points; "
          f"step time ratio: {median_ms(qm) / median_ms(plain):.2f}x; "
          f"QM mean bits at the end: {qm['qm'].mean_bits():.2f}; "
          f"tensors saved by the QM run, uncompressed: {statistics.mean(qm['raw']) / 2**20:.2f} MiB/step")


if __name__ == "__main__":
    main()
