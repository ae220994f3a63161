# SPDX-License-Identifier: Apache-2.0
"""ResNet-18 on Fashion-MNIST in PyTorch: plain FP32, a lossless sfp stash, Quantum Mantissa
and BitChop with compressed activation stashing (sfp.torch), a short CPU run of each from the
same initial weights and batches. Prints test accuracy, the bytes kept for the backward pass
per step and their ratio to FP32's, the peak resident memory and the step time of each run.

    PYTHONPATH=build/python python3 python/examples/resnet18_fmnist.py [--steps 60] [--seed 1]

The data are the gzipped IDX files of Debian's dataset-fashion-mnist (scripts/deps.sh train).
"""

import argparse
import copy
import gzip
import math
import os
import statistics
import threading
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
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def normalized(images):
    """uint8 images [N, 28, 28] as normalized float32 [N, 1, 28, 28]."""
    return ((images.float() / 255.0 - MEAN) / STD).unsqueeze(1)


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
    """Counts the bytes autograd keeps for backward: each saved tensor once (a ReLU output that
    is also the next layer's input is one tensor), parameters not counted."""

    def __init__(self, net):
        self.params = {p.data_ptr() for p in net.parameters()}
        self.seen = {}

    def pack(self, t):
        if t.data_ptr() not in self.params and not (t.is_leaf and t.requires_grad):
            key = (t.data_ptr(), t._version, tuple(t.shape), tuple(t.stride()), t.dtype)
            self.seen[key] = t  # kept alive until counted: no address is reused
        return t

    @property
    def bytes(self):
        return sum(t.numel() * t.element_size() for t in self.seen.values())


def fp32_stash_bytes(net, x, y):
    """Bytes per step that plain autograd keeps, measured on a copy of the network."""
    probe = copy.deepcopy(net)
    c = CountOnly(probe)
    with torch.autograd.graph.saved_tensors_hooks(c.pack, lambda t: t):
        loss = nn.functional.cross_entropy(probe(x), y)
    n = c.bytes
    loss.backward()
    return n


class Run:
    """One training run from a copy of init: kind is fp32 (no stash), lossless (stash at 23
    bits), qm (Quantum Mantissa, stash at each layer's bits) or bitchop."""

    def __init__(self, kind, init, args):
        self.kind, self.args = kind, args
        self.net = copy.deepcopy(init)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=args.lr, momentum=0.9,
                                   weight_decay=5e-4)
        self.policy = None
        if kind == "qm":
            self.policy = sfpt.QuantumMantissa(self.net, lam=args.qm_lambda, lr=args.qm_lr,
                                               init=args.qm_init)
        elif kind == "bitchop":
            self.policy = sfpt.BitChop(self.net, period=args.bitchop_period,
                                       init_bits=args.bitchop_init, min_bits=args.bitchop_min)
        self.stash_bits = 23 if kind == "lossless" else self.policy
        self.times, self.cpu, self.stored, self.rss = [], [], [], float("nan")

    def step(self, step, steps, x, y, record=None):
        for g in self.opt.param_groups:
            g["lr"] = self.args.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps))
        t0, c0 = time.perf_counter(), time.process_time()
        if self.stash_bits is None:
            loss = task = nn.functional.cross_entropy(self.net(x), y)
            loss.backward()
        else:
            with sfpt.stash(self.stash_bits, self.net) as st:
                st.records = record
                task = nn.functional.cross_entropy(self.net(x), y)
                loss = task + self.policy.regularizer() if self.kind == "qm" else task
                loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        if self.kind == "qm":
            self.policy.step()
        elif self.kind == "bitchop":
            self.policy.observe(task.item())
        self.times.append(time.perf_counter() - t0)
        self.cpu.append(time.process_time() - c0)
        if self.stash_bits is not None:
            self.stored.append(st.take()["stored_bytes"])
        return loss.item()


class RssSampler:
    """Samples the resident set size every few milliseconds on a thread and keeps the peak
    seen while each run takes its steps (the label names the run stepping now)."""

    def __init__(self, period=0.002):
        self.label, self.peak, self.period = None, {}, period
        self.page = os.sysconf("SC_PAGE_SIZE")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        with open("/proc/self/statm") as f:
            while not self._stop.wait(self.period):
                f.seek(0)
                rss = int(f.read().split()[1]) * self.page
                label = self.label
                if label is not None and rss > self.peak.get(label, 0):
                    self.peak[label] = rss

    def stop(self):
        self._stop.set()
        self._thread.join()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--test-images", type=int, default=2000)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--runs", default="fp32,lossless,qm,bitchop")
    p.add_argument("--qm-lambda", type=float, default=0.3)
    p.add_argument("--qm-lr", type=float, default=0.3)
    p.add_argument("--qm-init", type=float, default=4.0)
    p.add_argument("--bitchop-period", type=int, default=4)
    p.add_argument("--bitchop-init", type=int, default=4)
    p.add_argument("--bitchop-min", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sfp-threads", type=int, default=1,
                   help="threads of the stash's encoder and decoder")
    p.add_argument("--log-every", type=int, default=20)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    sfp.set_num_threads(args.sfp_threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    g = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(xtr), generator=g)[: args.steps * args.batch]
    batches = [(normalized(xtr[order[i:i + args.batch]]), ytr[order[i:i + args.batch]])
               for i in range(0, len(order), args.batch)]
    test = (normalized(xte[: args.test_images]), yte[: args.test_images])
    del xtr, xte
    init = resnet18()
    fp32_bytes = fp32_stash_bytes(init, *batches[0])

    print(f"ResNet-18, Fashion-MNIST: {args.steps} steps of {args.batch} images, "
          f"{args.threads} threads, test on {len(test[0])} images, seed {args.seed}; "
          f"the runs take their steps in turn")
    kinds = args.runs.split(",")
    runs = {kind: Run(kind, init, args) for kind in kinds}
    sampler = RssSampler()
    for step, (x, y) in enumerate(batches, 1):
        for kind, r in runs.items():
            sampler.label = kind
            loss = r.step(step, len(batches), x, y)
            sampler.label = None
            if step % args.log_every == 0 or step == len(batches):
                msg = f"  {kind:8s} step {step:4d}  loss {loss:.3f}  {r.times[-1] * 1e3:6.0f} ms"
                if r.policy is not None:
                    msg += f"  mean bits {r.policy.mean_bits():5.2f}"
                if r.stored:
                    msg += f"  stash {r.stored[-1] / 2**20:6.2f} MiB"
                print(msg, flush=True)
    sampler.stop()
    for kind, r in runs.items():
        r.rss = sampler.peak.get(kind, 0) / 2**20
    for r in runs.values():
        r.acc = evaluate(r.net, *test)
        r.breakdown = {}
        if r.policy is not None:  # the stashed bytes of one more step, by the module saving them
            record = []
            r.step(len(batches), len(batches), *batches[-1], record=record)
            for kind_, m, raw, st in record:
                b = r.breakdown.setdefault(kind_ or "(layer input)", [0, 0, 0, set()])
                b[0] += 1
                b[1] += raw
                b[2] += st
                b[3].add(m)
    mean_bits = {k: r.policy.mean_bits() for k, r in runs.items() if r.policy is not None}

    def median_ms(values):
        return 1e3 * statistics.median(values[5:] or values)

    base = runs.get("fp32")
    print()
    print("peak RSS: the process's (all runs' models resident) while the run takes its steps")
    print("| run | test acc. % | stashed MiB/step (mean / last) | vs FP32 (mean / last) "
          "| peak RSS MiB | step ms (median) | vs FP32 | step CPU ms (median) | vs FP32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, r in runs.items():
        if r.stored:
            mean, last = statistics.mean(r.stored), r.stored[-1]
        else:
            mean = last = fp32_bytes
        ms, cpu = median_ms(r.times), median_ms(r.cpu)
        bms = median_ms(base.times) if base else float("nan")
        bcpu = median_ms(base.cpu) if base else float("nan")
        print(f"| {kind} | {r.acc:.2f} | {mean / 2**20:.2f} / {last / 2**20:.2f} "
              f"| {fp32_bytes / mean:.2f}x / {fp32_bytes / last:.2f}x | {r.rss:.0f} "
              f"| {ms:.0f} | {ms / bms:.2f}x | {cpu:.0f} | {cpu / bcpu:.2f}x |")
    for kind, r in runs.items():
        if not r.breakdown:
            continue
        print()
        print(f"{kind}, one more step after training: mean bits {mean_bits[kind]:.2f}")
        print("| saved by | tensors | MiB FP32 | MiB sfp | ratio | mantissa bits |")
        print("|---|---|---|---|---|---|")
        for k, (count, raw, st, ms) in sorted(r.breakdown.items(), key=lambda kv: -kv[1][1]):
            print(f"| {k} | {count} | {raw / 2**20:.2f} | {st / 2**20:.2f} | {raw / st:.2f}x "
                  f"| {min(ms)}-{max(ms)} |")


if __name__ == "__main__":
    main()
