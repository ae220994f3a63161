# SPDX-License-Identifier: Apache-2.0
"""ResNet-18 and a small ViT on Fashion-MNIST in PyTorch: plain FP32, a lossless sfp stash,
Quantum Mantissa and BitChop with compressed activation stashing (sfp.torch), short CPU runs of
each from the same initial weights and batches, for one or more seeds. Reports test accuracy,
the bytes kept for the backward pass per step and their ratio to FP32's, peak memory and step
time, as a markdown table (mean, min and max over the seeds), a JSON file and a plot.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/stash_fmnist.py \\
        [--nets resnet18,vit] [--seeds 1,2,3] [--steps 60] [--out DIR]

The data are the gzipped IDX files of Debian's dataset-fashion-mnist (scripts/deps.sh train).
"""

import argparse
import copy
import gzip
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time

# libgomp spin-waits for work by default, which slows 2-thread training badly on a busy 2-core
# machine (and would be charged to whichever run shares the cores with it); set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

import sfp  # noqa: E402
import sfp.torch as sfpt  # noqa: E402

MEAN, STD = 0.2860, 0.3530
KINDS = ("fp32", "lossless", "qm", "bitchop")


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


# ---- networks

def resnet18():
    """torchvision's ResNet-18 for 28x28 single-channel images: a 3x3 stride-1 first
    convolution with one input channel, and the max-pool kept (28 -> 14 -> 7 -> 4 -> 2)."""
    net = torchvision.models.resnet18(num_classes=10)
    net.conv1 = nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)
    return net


class AttentionCore(nn.Module):
    """softmax(q k^T / sqrt(d)) v over heads, from the packed [B, T, 3 D] output of the qkv
    projection. A leaf module, so that a policy quantizes its input (q, k and v at once) and
    the stash stores what it saves (q, k, v and the attention weights) at its bits."""

    def __init__(self, heads):
        super().__init__()
        self.heads = heads

    def forward(self, qkv):
        b, t, three_d = qkv.shape
        d = three_d // 3
        q, k, v = qkv.view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5, dim=-1)
        return (att @ v).transpose(1, 2).reshape(b, t, d)


class Block(nn.Module):
    """Pre-norm transformer block: x + proj(attention(ln1(x))), then x + fc2(gelu(fc1(ln2(x))))."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.ln1, self.qkv = nn.LayerNorm(dim), nn.Linear(dim, 3 * dim)
        self.attn, self.proj = AttentionCore(heads), nn.Linear(dim, dim)
        self.ln2, self.fc1 = nn.LayerNorm(dim), nn.Linear(dim, hidden)
        self.act, self.fc2 = nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.proj(self.attn(self.qkv(self.ln1(x))))
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    """A small vision transformer for 28x28 images: 4x4 patches (49 tokens and a class token),
    a convolution as the patch embedding, `depth` pre-norm blocks, a linear head."""

    def __init__(self, dim=64, depth=4, heads=4, hidden=128, patch=4, classes=10):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)
        tokens = (28 // patch) ** 2 + 1
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.ln, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(len(x), -1, -1), x], dim=1) + self.pos
        return self.head(self.ln(self.blocks(x))[:, 0])


# The layers whose input a policy quantizes (and whose saved tensors it stores at its bits).
NETS = {
    "resnet18": dict(make=resnet18, name="ResNet-18", lr=0.05,
                     layers=(nn.Conv2d, nn.Linear, nn.BatchNorm2d)),
    "vit": dict(make=ViT, name="ViT (4 blocks, dim 64)", lr=0.05,
                layers=(nn.Conv2d, nn.Linear, nn.LayerNorm, nn.GELU, AttentionCore)),
}


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


# ---- memory

def vm_hwm():
    """The process's peak resident set size in bytes (VmHWM of /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def memory_probe(net_key, kind, args):
    """Peak memory of one run on its own: a fresh process builds the network, takes
    --probe-steps steps of the run and reports its peak resident set (VmHWM) and its resident
    set before the first step."""
    cmd = [sys.executable, os.path.abspath(__file__), "--probe", f"{net_key}:{kind}",
           "--data", args.data, "--batch", str(args.batch), "--threads", str(args.threads),
           "--steps", str(args.probe_steps), "--min-values", str(args.min_values),
           "--sfp-threads", str(args.sfp_threads)]
    if not args.overlap:
        cmd.append("--no-overlap")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"memory probe {net_key}:{kind} failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def probe_main(args):
    net_key, kind = args.probe.split(":")
    torch.manual_seed(1)
    xtr, ytr = load(args.data, "train")
    x, y = normalized(xtr[: args.batch]), ytr[: args.batch]
    del xtr, ytr
    spec = NETS[net_key]
    run_args = argparse.Namespace(**vars(args))
    run_args.lr = args.lr if args.lr is not None else spec["lr"]
    run = Run(kind, spec["make"](), spec["layers"], run_args)
    # Resets VmHWM to the present resident set (Linux 4.0 and later), so that the peak is that
    # of the steps, not of reading the data.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    with open("/proc/self/statm") as f:
        base = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    for step in range(1, args.steps + 1):
        run.step(step, args.steps, x, y)
    print(json.dumps({"peak_rss": vm_hwm(), "base_rss": base}))


class RssSampler:
    """Samples the resident set size every few milliseconds on a thread. For the run stepping
    now (label) it keeps the peak, and the peak above the resident size when its step began."""

    def __init__(self, period=0.002):
        self.label, self.base, self.peak, self.growth = None, 0, {}, {}
        self.period = period
        self.page = os.sysconf("SC_PAGE_SIZE")
        self._f = open("/proc/self/statm")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def rss(self):
        with self._lock:
            self._f.seek(0)
            return int(self._f.read().split()[1]) * self.page

    def begin(self, label):
        self.base = self.rss()
        self.label = label

    def end(self):
        self._sample()
        self.label = None

    def _sample(self):
        label = self.label
        if label is None:
            return
        rss = self.rss()
        self.peak[label] = max(self.peak.get(label, 0), rss)
        self.growth[label] = max(self.growth.get(label, 0), rss - self.base)

    def _loop(self):
        while not self._stop.wait(self.period):
            self._sample()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._f.close()


# ---- one training run

class Run:
    """One training run from a copy of init: kind is fp32 (no stash), lossless (stash at 23
    bits), qm (Quantum Mantissa, stash at each layer's bits) or bitchop."""

    def __init__(self, kind, init, layers, args, mod=sfpt):
        self.kind, self.args, self.mod = kind, args, mod
        self.net = copy.deepcopy(init)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=args.lr, momentum=0.9,
                                   weight_decay=5e-4)
        self.policy = None
        if kind == "qm":
            self.policy = mod.QuantumMantissa(self.net, layers=layers, lam=args.qm_lambda,
                                               lr=args.qm_lr, init=args.qm_init)
        elif kind == "bitchop":
            self.policy = mod.BitChop(self.net, layers=layers, period=args.bitchop_period,
                                       init_bits=args.bitchop_init, min_bits=args.bitchop_min,
                                       threshold=args.bitchop_threshold)
        self.stash_bits = 23 if kind == "lossless" else self.policy
        self.times, self.cpu, self.stored, self.bits, self.losses = [], [], [], [], []

    def step(self, step, steps, x, y, record=None):
        for g in self.opt.param_groups:
            g["lr"] = self.args.lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps))
        t0, c0 = time.perf_counter(), time.process_time()
        if self.stash_bits is None:
            loss = task = nn.functional.cross_entropy(self.net(x), y)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
        else:
            with self.mod.stash(self.stash_bits, self.net, min_values=self.args.min_values,
                                overlap=self.args.overlap) as st:
                st.records = record
                task = nn.functional.cross_entropy(self.net(x), y)
                loss = task + self.policy.regularizer() if self.kind == "qm" else task
                t1 = time.perf_counter()
                loss.backward()
                t2 = time.perf_counter()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        if self.kind == "qm":
            self.policy.step()
        elif self.kind == "bitchop":
            self.policy.observe(task.item())
        if self.stash_bits is not None:
            stored = st.take()["stored_bytes"]
        t3 = time.perf_counter()
        self.times.append(t3 - t0)
        self.cpu.append(time.process_time() - c0)
        # The step's phases (wall seconds): forward, backward, optimizer and take.
        self.phases = (t1 - t0, t2 - t1, t3 - t2)
        if self.stash_bits is not None:
            self.stored.append(stored)
        if self.policy is not None:
            self.bits.append(self.policy.mean_bits())
        self.losses.append(task.item())
        return loss.item()


def median_ms(values, skip=5):
    """Median in ms of the steps after the first `skip` (warm-up), or of all if too few."""
    return 1e3 * statistics.median(values[skip:] or values)


def train_one(net_key, seed, data, args, sampler):
    """Every run of one network and seed, taking their steps in turn (so that a shared
    machine's load falls on all of them alike). Returns {kind: result dict}."""
    spec = NETS[net_key]
    xtr, ytr, test = data
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(xtr), generator=g)[: args.steps * args.batch]
    batches = [(normalized(xtr[order[i:i + args.batch]]), ytr[order[i:i + args.batch]])
               for i in range(0, len(order), args.batch)]
    init = spec["make"]()
    fp32_bytes = fp32_stash_bytes(init, *batches[0])
    run_args = argparse.Namespace(**vars(args))
    run_args.lr = args.lr if args.lr is not None else spec["lr"]
    runs = {k: Run(k, init, spec["layers"], run_args) for k in args.runs}
    print(f"{spec['name']}, seed {seed}: {len(batches)} steps of {args.batch} images, "
          f"FP32 keeps {fp32_bytes / 2**20:.2f} MiB per step", flush=True)
    for step, (x, y) in enumerate(batches, 1):
        for kind, r in runs.items():
            sampler.begin(f"{net_key}/{seed}/{kind}")
            loss = r.step(step, len(batches), x, y)
            sampler.end()
            if step % args.log_every == 0 or step == len(batches):
                msg = f"  {kind:8s} step {step:4d}  loss {loss:.3f}  {r.times[-1] * 1e3:6.0f} ms"
                if r.bits:
                    msg += f"  mean bits {r.bits[-1]:5.2f}"
                if r.stored:
                    msg += f"  stash {r.stored[-1] / 2**20:6.2f} MiB"
                print(msg, flush=True)
    accs = {kind: evaluate(r.net, *test) for kind, r in runs.items()}
    probes = None
    if args.probe_steps > 0 and seed == args.seeds[0]:
        probes = {kind: memory_probe(net_key, kind, args) for kind in runs}
    out, replay = {}, None
    if "fp32" in runs and "bitchop" in runs:
        # BitChop's controller fed FP32's losses: the bitlengths it would pick if quantization
        # did not change the loss at all (its moves then follow the training progress alone).
        c = sfp._sfp.BitChopController(args.bitchop_period, 0.9, args.bitchop_threshold,
                                       args.bitchop_min, 23, args.bitchop_init)
        replay = [c.observe(loss) for loss in runs["fp32"].losses]
    for kind, r in runs.items():
        label = f"{net_key}/{seed}/{kind}"
        stored = r.stored or [fp32_bytes] * len(r.times)
        out[kind] = {
            "acc": accs[kind],
            "fp32_bytes": fp32_bytes,
            "stored_bytes": stored,
            "stored_mean": statistics.mean(stored),
            "stored_last": stored[-1],
            "peak_rss": sampler.peak.get(label, 0),
            "own_peak_rss": probes[kind]["peak_rss"] if probes else float("nan"),
            "own_base_rss": probes[kind]["base_rss"] if probes else float("nan"),
            "step_ms": median_ms(r.times),
            "step_cpu_ms": median_ms(r.cpu),
            "times": r.times,
            "bits": r.bits,
            "losses": r.losses,
        }
        if kind == "bitchop" and replay is not None:
            out[kind]["replay_bits"] = replay
    return out


# ---- aggregation and output

def spread(values):
    """mean, min, max"""
    return {"mean": statistics.mean(values), "min": min(values), "max": max(values)}


def aggregate(results):
    """results[net][seed][kind] -> summary[net][kind]: each figure's mean, min and max over the
    seeds; ratios are taken per seed (against that seed's FP32 run), then aggregated."""
    summary = {}
    for net, by_seed in results.items():
        summary[net] = {}
        kinds = next(iter(by_seed.values())).keys()
        for kind in kinds:
            per = [by_seed[s][kind] for s in by_seed]
            base = [by_seed[s].get("fp32") for s in by_seed]
            row = {
                "seeds": len(per),
                "acc": spread([r["acc"] for r in per]),
                "stored_mean_mib": spread([r["stored_mean"] / 2**20 for r in per]),
                "stored_last_mib": spread([r["stored_last"] / 2**20 for r in per]),
                "bytes_ratio_mean": spread([r["fp32_bytes"] / r["stored_mean"] for r in per]),
                "bytes_ratio_last": spread([r["fp32_bytes"] / r["stored_last"] for r in per]),
                "peak_rss_mib": spread([r["peak_rss"] / 2**20 for r in per]),
                "own_peak_rss_mib": per[0]["own_peak_rss"] / 2**20,
                "own_growth_mib": (per[0]["own_peak_rss"] - per[0]["own_base_rss"]) / 2**20,
                "step_ms": spread([r["step_ms"] for r in per]),
                "final_bits": spread([r["bits"][-1] for r in per]) if per[0]["bits"] else None,
            }
            if all(b is not None for b in base):
                row["acc_delta"] = spread([r["acc"] - b["acc"] for r, b in zip(per, base)])
                row["time_ratio"] = spread([r["step_ms"] / b["step_ms"]
                                            for r, b in zip(per, base)])
            summary[net][kind] = row
    return summary


def fmt(s, digits=2, suffix=""):
    """mean (min to max), or the value alone for one seed."""
    if s is None:
        return "-"
    if s["min"] == s["max"]:
        return f"{s['mean']:.{digits}f}{suffix}"
    return (f"{s['mean']:.{digits}f}{suffix} ({s['min']:.{digits}f} to "
            f"{s['max']:.{digits}f})")


def markdown(summary, args):
    lines = ["| net | run | test acc. % | vs FP32 (points) | stashed MiB/step mean / last "
             "| vs FP32 mean / last | peak RSS MiB, own process (above start) | step ms (median) "
             "| vs FP32 | mean bits (end) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for net, rows in summary.items():
        for kind, r in rows.items():
            lines.append(
                f"| {NETS[net]['name']} | {kind} | {fmt(r['acc'])} | "
                f"{fmt(r.get('acc_delta'), suffix='') if kind != 'fp32' else '-'} | "
                f"{r['stored_mean_mib']['mean']:.2f} / {r['stored_last_mib']['mean']:.2f} | "
                f"{fmt(r['bytes_ratio_mean'], suffix='x')} / "
                f"{r['bytes_ratio_last']['mean']:.2f}x | "
                f"{r['own_peak_rss_mib']:.0f} ({r['own_growth_mib']:.0f}) | "
                f"{r['step_ms']['mean']:.0f} | {fmt(r.get('time_ratio'), suffix='x')} | "
                f"{fmt(r['final_bits'])} |")
    seeds = ",".join(map(str, args.seeds))
    lines += ["", f"Seeds {seeds}: mean (min to max) over the seeds; {args.steps} steps of "
              f"{args.batch} images per run, {args.threads} torch threads, test on "
              f"{args.test_images} images. Ratios are per seed against that seed's FP32 run. "
              f"Peak RSS: of a process of its own taking {args.probe_steps} steps of the run "
              "(VmHWM), and in brackets its rise above the resident set before the first step "
              "(model, data and libraries loaded); first seed only."]
    return "\n".join(lines) + "\n"


def plot(results, summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    nets = list(results)
    fig, axes = plt.subplots(len(nets), 3, figsize=(15, 4 * len(nets)), squeeze=False)
    colors = {"fp32": "black", "lossless": "tab:blue", "qm": "tab:orange", "bitchop": "tab:green"}
    for row, net in enumerate(nets):
        by_seed = results[net]
        kinds = list(next(iter(by_seed.values())))
        ax = axes[row][0]
        for kind in kinds:
            series = np.array([np.array(by_seed[s][kind]["stored_bytes"]) / 2**20
                               for s in by_seed])
            steps = np.arange(1, series.shape[1] + 1)
            ax.plot(steps, series.mean(0), color=colors.get(kind), label=kind)
            ax.fill_between(steps, series.min(0), series.max(0), color=colors.get(kind),
                            alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("stashed MiB per step")
        ax.set_title(f"{NETS[net]['name']}: stashed bytes")
        ax.legend()
        ax = axes[row][1]
        for kind in kinds:
            if not by_seed[next(iter(by_seed))][kind]["bits"]:
                continue
            series = np.array([by_seed[s][kind]["bits"] for s in by_seed])
            steps = np.arange(1, series.shape[1] + 1)
            ax.plot(steps, series.mean(0), color=colors.get(kind), label=kind)
            ax.fill_between(steps, series.min(0), series.max(0), color=colors.get(kind),
                            alpha=0.2)
            if "replay_bits" in by_seed[next(iter(by_seed))][kind]:
                replay = np.array([by_seed[s][kind]["replay_bits"] for s in by_seed])
                ax.plot(steps, replay.mean(0), color=colors.get(kind), linestyle=":",
                        label=f"{kind} controller on FP32's loss")
        ax.set_xlabel("step")
        ax.set_ylabel("mean mantissa bits")
        ax.set_title("policy bitlength")
        ax.legend()
        ax = axes[row][2]
        x = np.arange(len(kinds))
        acc = [summary[net][k]["acc"] for k in kinds]
        ax.bar(x, [a["mean"] for a in acc], color=[colors.get(k) for k in kinds],
               yerr=[[a["mean"] - a["min"] for a in acc], [a["max"] - a["mean"] for a in acc]],
               capsize=4)
        lo = min(a["min"] for a in acc)
        ax.set_ylim(max(0, lo - 5), min(100, max(a["max"] for a in acc) + 2))
        labels = []
        for k in kinds:
            t = summary[net][k].get("time_ratio")
            labels.append(f"{k}\n{t['mean']:.2f}x time" if t else k)
        ax.set_xticks(x)
        ax.set_xticklabels(labels)
        ax.set_ylabel("test accuracy % (min to max over seeds)")
        ax.set_title("accuracy, step time vs FP32")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--nets", default="resnet18,vit", help="resnet18, vit or both")
    p.add_argument("--seeds", default="1", help="comma-separated seeds, e.g. 1,2,3")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--test-images", type=int, default=2000)
    p.add_argument("--lr", type=float, default=None, help="SGD learning rate (net's default)")
    p.add_argument("--runs", default=",".join(KINDS))
    p.add_argument("--qm-lambda", type=float, default=0.3)
    p.add_argument("--qm-lr", type=float, default=0.3)
    p.add_argument("--qm-init", type=float, default=4.0)
    p.add_argument("--bitchop-period", type=int, default=4)
    p.add_argument("--bitchop-init", type=int, default=4)
    p.add_argument("--bitchop-min", type=int, default=3)
    p.add_argument("--bitchop-threshold", type=float, default=0.05)
    p.add_argument("--min-values", type=int, default=1024,
                   help="saved tensors with fewer values are kept as they are")
    p.add_argument("--sfp-threads", type=int, default=1,
                   help="threads of the stash's encoder and decoder")
    p.add_argument("--no-overlap", dest="overlap", action="store_false",
                   help="encode in the saving thread, not on the stash's worker thread")
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--probe-steps", type=int, default=3,
                   help="steps of each run in a process of its own for its peak memory (0: none)")
    p.add_argument("--probe", default=None, metavar="NET:RUN",
                   help="only measure the peak memory of --steps steps of one run (e.g. "
                        "resnet18:qm) in this process; prints JSON")
    p.add_argument("--out", default=None,
                   help="folder for results.json, table.md and stash.png (none: print only)")
    args = p.parse_args()
    if args.probe:
        torch.set_num_threads(args.threads)
        sfp.set_num_threads(args.sfp_threads)
        return probe_main(args)
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    args.runs = [k for k in args.runs.split(",") if k]
    nets = [n for n in args.nets.split(",") if n]
    for n in nets:
        if n not in NETS:
            p.error(f"--nets: unknown network {n!r} (resnet18, vit)")
    for k in args.runs:
        if k not in KINDS:
            p.error(f"--runs: unknown run {k!r} ({', '.join(KINDS)})")
    if not args.seeds or args.steps < 1:
        p.error("--seeds needs at least one seed and --steps at least 1")

    torch.set_num_threads(args.threads)
    sfp.set_num_threads(args.sfp_threads)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    test = (normalized(xte[: args.test_images]), yte[: args.test_images])
    data = (xtr, ytr, test)

    sampler = RssSampler()
    t0 = time.perf_counter()
    results = {}
    for net in nets:
        results[net] = {}
        for seed in args.seeds:
            results[net][seed] = train_one(net, seed, data, args, sampler)
    sampler.stop()
    wall = time.perf_counter() - t0
    summary = aggregate(results)
    table = markdown(summary, args)
    print()
    print(table)
    print(f"wall time {wall:.0f} s")
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        doc = {"args": {k: v for k, v in vars(args).items()}, "wall_seconds": wall,
               "summary": summary, "runs": results}
        (out / "results.json.tmp").write_text(json.dumps(doc, indent=1))
        (out / "results.json.tmp").rename(out / "results.json")
        (out / "table.md").write_text(table)
        plot(results, summary, out / "stash.png")
        print(f"wrote {out / 'results.json'}, {out / 'table.md'}, {out / 'stash.png'}")


if __name__ == "__main__":
    main()
