#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""BitPruning tables and plots from `sfp train` run folders (see scripts/bitprune_results.sh).

Reads RUNS/<net>-fp32 and RUNS/<net>-bp-<reg>-l<lambda> (config.json, summary.json) and replaces
the text between `<!-- results:begin -->` and `<!-- results:end -->` in the Markdown file with:
per network the runs (accuracy vs FP32, average bits per layer for weights and activations,
bit-operation and memory ratios), the per-layer bitlengths of the main run, and the commands;
and writes docs/img/bitprune_<net>_sweep.png (accuracy against average bits).
"""
import argparse
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from mdtable import table  # noqa: E402

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def load(path):
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(path, "summary.json")) as f:
        summary = json.load(f)
    return {"dir": path, "config": config, "summary": summary}


def command(run):
    c = run["config"]
    parts = [f"sfp train --net {c['net']} --policy {c['policy']}"]
    if c["policy"] == "bitprune":
        b = c["bitprune"]
        parts.append(f"--init {c['init']} --bp-reg {b['reg']} --bp-lambda {b['lambda']:g} "
                     f"--bp-learn-epochs {b['learn_epochs']} "
                     f"--bp-finetune-epochs {b['finetune_epochs']}")
        defaults = {"granularity": "layer", "act_range": "running", "weight_scale": "channel"}
        for k, v in defaults.items():
            if b[k] != v:
                parts.append(f"--bp-{k.replace('_', '-')} {b[k]}")
        if b["granularity"] == "group":
            parts.append(f"--bp-group {b['group']}")
    else:
        parts.append(f"--epochs {c['epochs']}")
    parts.append(f"--seed {c['seed']}")
    if c.get("train_subset"):
        parts.append(f"--train-subset {c['train_subset']}")
    if c.get("test_subset"):
        parts.append(f"--test-subset {c['test_subset']}")
    parts.append(f"--threads {c['threads']} --out {run['dir']}")
    return " ".join(parts)


def avg_bits(b):
    return b["avg_bits"]


def label(r):
    """Regularizer, plus the settings that differ from the defaults."""
    b = r["config"]["bitprune"]
    extra = []
    if b["act_range"] != "running":
        extra.append(f"{b['act_range']} range")
    if b["granularity"] != "layer":
        extra.append(b["granularity"] + (f" {b['group']}" if b["granularity"] == "group" else ""))
    if b["weight_scale"] != "channel":
        extra.append(f"weight scale per {b['weight_scale']}")
    return b["reg"] + (f" ({', '.join(extra)})" if extra else "")


def is_default(r):
    return label(r) == r["config"]["bitprune"]["reg"]


def net_section(net, base, runs, main_reg, main_lambda, img, rel):
    out = [f"### {net}", ""]
    fp = 100 * base["summary"]["test_accuracy"] if base else float("nan")
    out.append(f"FP32 ({base['config']['epochs']} epochs): **{fp:.2f} %**." if base else
               "No FP32 run.")
    out.append("")
    rows = []
    order = {"bops": 0, "bits": 1, "memory": 2}
    for r in sorted(runs, key=lambda r: (order.get(r["config"]["bitprune"]["reg"], 9),
                                         r["config"]["bitprune"]["lambda"])):
        b = r["summary"]["bitprune"]
        cfg = r["config"]["bitprune"]
        acc = 100 * b["test_accuracy"]
        ok = acc >= fp - 1.0 and max(b["avg_weight_bits"], b["avg_act_bits"]) <= 4.0
        mark = " ✓" if ok else ""
        rows.append([label(r), f"{cfg['lambda']:g}", f"{acc:.2f} %{mark}", f"{acc - fp:+.2f}",
                     f"{100 * b['frozen_test_accuracy']:.2f} %", f"{b['avg_weight_bits']:.2f}",
                     f"{b['avg_act_bits']:.2f}", f"{avg_bits(b):.2f}",
                     f"{100 * b['bops_ratio']:.1f} %", f"{100 * b['memory_ratio']:.1f} %"])
    out.append(table(["regularizer", "λ", "accuracy, integer network", "vs FP32",
                      "right after freeze", "avg weight bits", "avg activation bits",
                      "avg bits (all layers)", "bit-operations vs 8 bits", "memory vs 8 bits"],
                     rows))
    out.append("✓: at most 4 bits average per layer for weights and for activations, within 1 "
               "point of FP32.")
    out.append("")
    main = [r for r in runs if r["config"]["bitprune"]["reg"] == main_reg and is_default(r)
            and r["config"]["bitprune"]["lambda"] == main_lambda]
    if main:
        b = main[0]["summary"]["bitprune"]
        out.append(f"Per-layer bitlengths of the main run ({main_reg}, λ {main_lambda:g}):")
        out.append("")
        w = list(b["weight_bits"].items())
        a = list(b["act_bits"].items())
        rows = []
        for i in range(max(len(w), len(a))):
            wl, wv = w[i] if i < len(w) else ("", None)
            al, av = a[i] if i < len(a) else ("", None)
            rows.append([wl, "" if wv is None else f"{wv:g}", al, "" if av is None else f"{av:g}"])
        out.append(table(["layer", "weight bits", "activation", "activation bits"], rows))
    out.append("Charged bits per tensor (channel mean of ⌈n⌉) in every run:")
    out.append("")
    srt = sorted(runs, key=lambda r: (r["config"]["bitprune"]["reg"] != main_reg,
                                      not is_default(r),
                                      r["config"]["bitprune"]["reg"],
                                      r["config"]["bitprune"]["lambda"]))
    names = list(srt[0]["summary"]["bitprune"]["tensors"].keys())
    names = [n for n in names if n.startswith("weight/")] + \
        [n for n in names if n.startswith("act/")]
    rows = []
    for n in names:
        vals = [r["summary"]["bitprune"]["tensors"].get(n, {}).get("bits") for r in srt]
        rows.append([n] + ["" if v is None else f"{v:g}" for v in vals])
    out.append(table(["tensor"] + [f"{label(r)} λ {r['config']['bitprune']['lambda']:g}"
                                   for r in srt], rows))
    path = plot(net, fp, runs, img)
    out.append(f"![{os.path.basename(path)}]({rel}/{os.path.basename(path)})")
    out.append("")
    out.append("Commands:")
    out.append("")
    out.append("```")
    if base:
        out.append(command(base))
    for r in runs:
        out.append(command(r))
    out.append("```")
    out.append("")
    return out


def plot(net, fp, runs, img):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    style = {"bops": ("o", "bit-operations"), "bits": ("s", "bits"), "memory": ("^", "memory")}
    for reg, (marker, name) in style.items():
        rs = sorted([r for r in runs if r["config"]["bitprune"]["reg"] == reg and is_default(r)],
                    key=lambda r: avg_bits(r["summary"]["bitprune"]))
        if not rs:
            continue
        xs = [avg_bits(r["summary"]["bitprune"]) for r in rs]
        ys = [100 * r["summary"]["bitprune"]["test_accuracy"] for r in rs]
        ax.plot(xs, ys, marker=marker, ls="-" if len(rs) > 1 else "none", label=name)
        for r, x, y in zip(rs, xs, ys):
            ax.annotate(f"λ {r['config']['bitprune']['lambda']:g}", (x, y), fontsize=7,
                        textcoords="offset points", xytext=(4, 3))
    for r in runs:
        if is_default(r):
            continue
        x, y = avg_bits(r["summary"]["bitprune"]), 100 * r["summary"]["bitprune"]["test_accuracy"]
        ax.plot([x], [y], marker="*", ms=10, ls="none", label=label(r))
        ax.annotate(f"λ {r['config']['bitprune']['lambda']:g}", (x, y), fontsize=7,
                    textcoords="offset points", xytext=(4, 3))
    ax.axhline(fp, color="gray", ls="--", lw=1, label="FP32")
    ax.axhline(fp - 1, color="gray", ls=":", lw=1, label="FP32 − 1 point")
    ax.axvline(4, color="red", ls=":", lw=1, label="4 bits")
    ax.set_xlabel("average bits per layer (weights and activations)")
    ax.set_ylabel("test accuracy, integer network (%)")
    ax.set_title(f"{net}: BitPruning, accuracy against bits")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = os.path.join(img, f"bitprune_{net}_sweep.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default="runs/bitprune")
    ap.add_argument("--md", default="docs/bitpruning.md")
    ap.add_argument("--img", default="docs/img")
    ap.add_argument("--main-reg", default="bits", help="regularizer of the main run")
    ap.add_argument("--main-lambda", action="append", default=[],
                    help="NET=LAMBDA: the run whose per-layer bits are listed")
    args = ap.parse_args()
    main_lambda = {k: float(v) for k, v in (m.split("=", 1) for m in args.main_lambda)}
    if not os.path.isdir(args.runs):
        sys.exit(f"bitprune_results.py: {args.runs}: no such folder")
    nets = {}
    for d in sorted(os.listdir(args.runs)):
        path = os.path.join(args.runs, d)
        if not os.path.exists(os.path.join(path, "summary.json")):
            continue
        r = load(path)
        n = nets.setdefault(r["config"]["net"], {"base": None, "runs": []})
        if r["config"]["policy"] == "fp32":
            n["base"] = r
        elif r["config"]["policy"] == "bitprune":
            n["runs"].append(r)
    if not nets:
        sys.exit(f"bitprune_results.py: {args.runs}: no finished runs")
    os.makedirs(args.img, exist_ok=True)
    rel = os.path.relpath(args.img, os.path.dirname(args.md) or ".")
    text = ["Generated by `scripts/bitprune_results.sh` (seed "
            f"{next(iter(nets.values()))['runs'][0]['config']['seed']}, one run per setting).", ""]
    for net in ("cnn", "vit"):
        if net in nets and nets[net]["runs"]:
            text += net_section(net, nets[net]["base"], nets[net]["runs"], args.main_reg,
                                main_lambda.get(net, 1.0), args.img, rel)
    with open(args.md) as f:
        md = f.read()
    if BEGIN not in md or END not in md:
        sys.exit(f"bitprune_results.py: {args.md}: no {BEGIN} ... {END} markers")
    md = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                lambda _: BEGIN + "\n" + "\n".join(text) + "\n" + END, md, flags=re.S)
    with open(args.md, "w") as f:
        f.write(md)
    print(f"wrote {args.md} and plots in {args.img}")


if __name__ == "__main__":
    main()
