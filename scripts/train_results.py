#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Table and plots from `sfp train` run folders (see scripts/train_results.sh).

Reads RUNS/<net>-<policy>/{config.json,summary.json,epochs.jsonl,steps.jsonl} and writes a
Markdown table (accuracy, mantissa footprint reduction vs FP32 at the end and averaged over
training, mean bits, step time) and PNG plots: accuracy per epoch, footprint-weighted mean bits
per step, and the per-tensor bitlength trajectories of QM and BitChop.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from mdtable import table  # noqa: E402

ORDER = ["fp32", "bf16", "qm", "bitchop"]


def load_run(path):
    def lines(name):
        with open(os.path.join(path, name)) as f:
            return [json.loads(line) for line in f if line.strip()]

    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(path, "summary.json")) as f:
        summary = json.load(f)
    return {"dir": path, "config": config, "summary": summary,
            "epochs": lines("epochs.jsonl"), "steps": lines("steps.jsonl")}


def policy_key(p):
    return (ORDER.index(p) if p in ORDER else len(ORDER), p)


def flags_of(config):
    c = config
    parts = [f"--net {c['net']}", f"--policy {c['policy']}", f"--epochs {c['epochs']}",
             f"--seed {c['seed']}"]
    if c.get("train_subset"):
        parts.append(f"--train-subset {c['train_subset']}")
    if c.get("test_subset"):
        parts.append(f"--test-subset {c['test_subset']}")
    if c["policy"] == "qm":
        q = c["qm"]
        parts.append(f"--qm-lambda {q['lambda']:g} --qm-optim {q.get('optim', 'adam')} "
                     f"--qm-lr-weights {q['lr_weights']:g} --qm-lr-acts {q['lr_acts']:g}")
    if c["policy"] == "bitchop":
        b = c["bitchop"]
        parts.append(f"--bitchop-period {b['period']} --bitchop-ema {b['ema_factor']:g} "
                     f"--bitchop-threshold {b['threshold']:g} --bitchop-min {b['min_bits']} "
                     f"--bitchop-max {b['max_bits']}")
    if c["policy"] != "fp32":
        parts.append(f"--rounding {c['rounding']}")
    parts.append(f"--threads {c['threads']}")
    return " ".join(parts)


def policy_tables(nets):
    out = []
    for net, runs in nets.items():
        base = runs.get("fp32")
        out.append(f"### {net}\n")
        rows = []
        for p in sorted(runs, key=policy_key):
            s = runs[p]["summary"]
            acc = 100 * s["test_accuracy"]
            dacc = f"{acc - 100 * base['summary']['test_accuracy']:+.2f}" if base else "n/a"
            rows.append([p, f"{acc:.2f} %", dacc, f"{100 * s['footprint_reduction_end']:.1f} %",
                         f"{100 * s['footprint_reduction_avg']:.1f} %", f"{s['mean_bits_end']:.2f}",
                         f"{s['mean_bits_avg']:.2f}"])
        out.append(table(["policy", "test accuracy", "vs FP32", "mantissa footprint reduction, end",
                          "reduction, averaged over training", "mean bits, end",
                          "mean bits, average"], rows))
        out.append("Commands:\n")
        out.append("```")
        for p in sorted(runs, key=policy_key):
            out.append(f"sfp train {flags_of(runs[p]['config'])} --out {runs[p]['dir']}")
        out.append("```\n")
    return "\n".join(out)


def plot_accuracy(net, runs, img):
    fig, ax = plt.subplots(figsize=(6, 4))
    for p in sorted(runs, key=policy_key):
        e = runs[p]["epochs"]
        ax.plot([x["epoch"] for x in e], [100 * x["test_accuracy"] for x in e], marker="o", label=p)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{net}: test accuracy per epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    path = os.path.join(img, f"train_{net}_accuracy.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_mean_bits(net, runs, img):
    fig, ax = plt.subplots(figsize=(6, 4))
    for p in sorted(runs, key=policy_key):
        st = runs[p]["steps"]
        ax.plot([x["step"] for x in st], [x["mean_bits"] for x in st], label=p, lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("footprint-weighted mean mantissa bits")
    ax.set_ylim(0, 24)
    ax.set_title(f"{net}: mantissa bits per step")
    ax.grid(alpha=0.3)
    ax.legend()
    path = os.path.join(img, f"train_{net}_mean_bits.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_trajectories(net, policy, run, img):
    st = run["steps"]
    steps = [x["step"] for x in st]
    if policy == "qm" and "n" in st[-1]:
        key = "n"
        names = list(st[-1]["n"].keys())
        groups = [("activations", [n for n in names if n.startswith("act/")]),
                  ("weights", [n for n in names if n.startswith("weight/")])]
    else:  # one network-wide bitlength
        key = "bits"
        groups = [("all stored tensors", list(st[-1]["bits"].keys())[:1])]
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4.5), squeeze=False)
    for ax, (title, names) in zip(axes[0], groups):
        for name in names:
            ax.plot(steps, [x[key].get(name, float("nan")) for x in st], lw=0.8,
                    label=name.split("/", 1)[1] if key == "n" else title)
        ax.set_xlabel("step")
        ax.set_ylabel("learned bitlength n" if key == "n" else "mantissa bits")
        ax.set_ylim(0, 24)
        ax.set_title(f"{net} / {policy}: {title}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=2 if len(names) > 10 else 1, loc="upper right")
    path = os.path.join(img, f"train_{net}_{policy}_bits.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default="runs/results")
    ap.add_argument("--md", default="docs/training_results.md")
    ap.add_argument("--img", default="docs/img")
    args = ap.parse_args()

    nets = {}
    if not os.path.isdir(args.runs):
        sys.exit(f"train_results.py: {args.runs}: no such folder")
    for d in sorted(os.listdir(args.runs)):
        path = os.path.join(args.runs, d)
        if not os.path.exists(os.path.join(path, "summary.json")):
            continue
        r = load_run(path)
        nets.setdefault(r["config"]["net"], {})[r["config"]["policy"]] = r
    if not nets:
        sys.exit(f"train_results.py: {args.runs}: no finished runs (summary.json)")
    os.makedirs(args.img, exist_ok=True)

    md = ["# Training results", "",
          "Generated by `scripts/train_results.sh` from `sfp train` run folders; see "
          "docs/training.md for the networks, policies and definitions. Mantissa footprint "
          "reduction is 1 - (footprint-weighted mean mantissa bits) / 23 over the stored tensors "
          "(activations kept for backward and the read copy of the weights). Step times are in "
          "each run's summary.json; they depend on the load of the machine, so the QM-vs-FP32 "
          "step time is measured separately, side by side (docs/training.md).", ""]
    md.append(policy_tables(nets))
    rel = os.path.relpath(args.img, os.path.dirname(args.md) or ".")
    for net, runs in nets.items():
        md.append(f"### {net}: plots\n")
        for path in [plot_accuracy(net, runs, args.img), plot_mean_bits(net, runs, args.img)]:
            md.append(f"![{os.path.basename(path)}]({rel}/{os.path.basename(path)})\n")
        for p in ("qm", "bitchop"):
            if p in runs:
                path = plot_trajectories(net, p, runs[p], args.img)
                md.append(f"![{os.path.basename(path)}]({rel}/{os.path.basename(path)})\n")
    with open(args.md, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print(f"wrote {args.md} and plots in {args.img}")


if __name__ == "__main__":
    main()
