#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Assembles build/report/report.md and its plots from the outputs of scripts/report.sh.

Reads <out>/runs/<net>-<policy>/{config.json,summary.json,epochs.jsonl,steps.jsonl,stats.json},
<out>/eval.json, <out>/eval.md and <out>/bench.json; writes <out>/report.md.tmp (the caller
renames it) and <out>/*.png. Every number in the report comes from those files.
"""
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

M = 23  # FP32 mantissa bits


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_runs(out):
    runs = {}
    for d in sorted((out / "runs").iterdir()):
        if not (d / "summary.json").exists():
            sys.exit(f"report.py: {d}: no summary.json (training did not finish)")
        s = json.loads((d / "summary.json").read_text())
        runs[(s["network"], s["policy"])] = {
            "dir": d,
            "summary": s,
            "epochs": jsonl(d / "epochs.jsonl"),
            "steps": jsonl(d / "steps.jsonl"),
            "stats": json.loads((d / "stats.json").read_text()) if (d / "stats.json").exists() else None,
        }
    if not runs:
        sys.exit(f"report.py: {out}/runs holds no runs")
    return runs


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def plot_accuracy(out, runs, net):
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for (n, pol), r in sorted(runs.items()):
        if n != net:
            continue
        ep = [e["epoch"] for e in r["epochs"]]
        acc = [100 * e["test_accuracy"] for e in r["epochs"]]
        ax.plot(ep, acc, marker="o", label=pol)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{net}: test accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    name = f"accuracy_{net}.png"
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def plot_bits(out, run, net, pol):
    steps = run["steps"]
    names = sorted(steps[0]["bits"].keys()) if steps else []
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.4))
    xs = [s["step"] for s in steps]
    for name in names:
        key = "n" if pol == "qm" and "n" in steps[0] else "bits"
        ax.plot(xs, [s[key][name] for s in steps], label=name, lw=1)
    ax.plot(xs, [s["mean_bits"] for s in steps], "k--", lw=1.5, label="footprint-weighted mean")
    ax.set_xlabel("step")
    ax.set_ylabel("mantissa bits")
    ax.set_ylim(-0.5, M + 0.5)
    ax.set_title(f"{net} {pol}: mantissa bitlengths over training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    name = f"bits_{net}_{pol}.png"
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def kind_of(name):
    return name.split("/", 1)[0] if "/" in name else "tensor"


def main():
    out = pathlib.Path(sys.argv[1])
    runs = load_runs(out)
    ev = json.loads((out / "eval.json").read_text())
    nets = sorted({n for n, _ in runs})
    md = ["# sfp report", ""]
    cfg0 = next(iter(runs.values()))["summary"]
    md += [
        f"Fashion-MNIST, {cfg0['epochs']} epoch(s) per run, seed {cfg0['seed']}; every number "
        "below was measured by this run of `make report` (scripts/report.sh).",
        "",
    ]

    # Accuracy and mantissa footprint.
    md += ["## Accuracy and mantissa footprint", ""]
    rows = []
    for (net, pol), r in sorted(runs.items()):
        s = r["summary"]
        base = runs.get((net, "fp32"))
        delta = ""
        if base and pol != "fp32":
            delta = f"{100 * (s['test_accuracy'] - base['summary']['test_accuracy']):+.2f}"
        rows.append([net, pol, f"{100 * s['test_accuracy']:.2f}", delta,
                     f"{s['mean_bits_end']:.2f}", f"{100 * s['footprint_reduction_end']:.1f} %",
                     f"{100 * s['footprint_reduction_avg']:.1f} %",
                     f"{s['time_per_step_median_s'] * 1000:.0f} ms"])
    md.append(table(["network", "policy", "test acc. %", "vs fp32 (points)", "mantissa bits (end)",
                     "mantissa footprint reduction (end)", "reduction (avg over training)",
                     "median step"], rows))
    md.append("Mantissa footprint: footprint-weighted mean of the mantissa bits of the stashed "
              "activations and weights, against FP32's 23 (targets: QM ≥ 92 %, BitChop ≥ 81 %, "
              "within 0.5 points of FP32).\n")
    for net in nets:
        md.append(f"![accuracy {net}]({plot_accuracy(out, runs, net)})\n")
    for (net, pol), r in sorted(runs.items()):
        if pol in ("qm", "bitchop"):
            name = plot_bits(out, r, net, pol)
            if name:
                md.append(f"![bits {net} {pol}]({name})\n")

    # Footprint breakdown with the trained bits.
    md += ["## Container footprint by field (trained mantissa bits, Gecko default)", ""]
    rows = []
    for c in ev.get("containers", []):
        rows.append([c["network"], c["policy"], c["kind"], c["values"],
                     f"{c['sfp_sign_bits']:.2f}", f"{c['sfp_exp_bits']:.2f}",
                     f"{c['sfp_man_bits']:.2f}", f"{c['sfp_overhead_bits']:.3f}",
                     f"{c['sfp_bits']:.2f}", f"{32 / c['sfp_bits']:.1f}x"])
    md.append(table(["network", "policy", "kind", "values", "sign", "exponent+metadata", "mantissa",
                     "padding+index", "total bits/value", "vs FP32"], rows))
    rows = []
    for (net, pol), r in sorted(runs.items()):
        if pol != "fp32" or not r["stats"]:
            continue
        agg = {}
        for t in r["stats"]["tensors"]:
            a = agg.setdefault(kind_of(t["name"]), {"values": 0, "sign": 0, "exponent": 0,
                                                    "mantissa": 0, "overhead": 0, "total": 0})
            a["values"] += t["values"]
            for k in ("sign", "exponent", "mantissa", "overhead", "total"):
                a[k] += t["bits"][k]
        for kind, a in sorted(agg.items()):
            v = a["values"]
            rows.append([net, kind, v] + [f"{a[k] / v:.2f}" for k in
                                          ("sign", "exponent", "mantissa", "overhead", "total")])
    if rows:
        md += ["Lossless (FP32 run, last snapshot):", ""]
        md.append(table(["network", "kind", "values", "sign", "exponent+metadata", "mantissa",
                         "padding+index", "total"], rows))

    # Paper versus ours.
    md += ["## Published claims beside this run", ""]
    rows = []
    groups = {(g["network"], g["kind"]): g for g in ev.get("groups", [])}
    for (net, kind), g in sorted(groups.items()):
        target = {"act": 2.2, "weight": 3.3, "grad": 2.9}.get(kind)
        rows.append([f"Gecko exponent bits/value, {net} {kind}",
                     "3.36 (best case)", f"≤ {target}" if target else "",
                     f"{g['gecko_exp_bits']:.2f} (best config {g['best_exp_bits']:.2f})"])
    for (net, pol), r in sorted(runs.items()):
        if pol == "qm":
            rows.append([f"QM mantissa footprint reduction, {net}", "92 %", "≥ 92 %",
                         f"{100 * r['summary']['footprint_reduction_end']:.1f} % (end)"])
        if pol == "bitchop":
            rows.append([f"BitChop mantissa footprint reduction, {net}", "81 %", "≥ 81 %",
                         f"{100 * r['summary']['footprint_reduction_end']:.1f} % (end)"])
    for c in ev.get("containers", []):
        if c["policy"] == "qm":
            rows.append([f"Gecko + QM total bits/value, {c['network']} {c['kind']}", "≈ 5.7",
                         "≤ 5.5", f"{c['sfp_bits']:.2f}"])
    md.append(table(["claim", "paper", "target", "this run"], rows))
    md.append("The papers report ImageNet-scale networks trained to convergence; this run trains "
              "small Fashion-MNIST networks for a few epochs on 2 CPU cores, so the figures are "
              "indicative of the method, not a reproduction of the papers' setting.\n")

    # Eval tables.
    md += ["## Exponents and baselines (sfp eval)", ""]
    md.append((out / "eval.md").read_text())

    # Benchmark.
    bench = out / "bench.json"
    if bench.exists():
        b = json.loads(bench.read_text())
        rows = []
        for x in b.get("benchmarks", []):
            rows.append([x["name"], f"{x.get('bytes_per_second', 0) / 1e9:.2f}",
                         f"{x.get('ratio', 0):.2f}"])
        md += ["## Golden-model throughput (one core, this run)", ""]
        md.append(table(["benchmark (data/m)", "GB/s of FP32 input", "ratio"], rows))
        md.append("Data 0: post-ReLU-like activations, 1: normal weights (bench/sfp_bench.cpp).\n")

    (out / "report.md.tmp").write_text("\n".join(md), encoding="utf-8")


if __name__ == "__main__":
    main()
