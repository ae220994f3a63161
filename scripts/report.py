#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Assembles build/report/report.md and its plots from the outputs of scripts/report.sh.

Reads <out>/runs/<net>-<policy>/{config.json,summary.json,epochs.jsonl,steps.jsonl,stats.json},
the per-snapshot <out>/runs/*/snapshots/step_*.stats.json, <out>/eval.json, <out>/eval.md,
<out>/rtl.jsonl, <out>/synth.json and <out>/bench.json; writes <out>/report.md.tmp (the caller
renames it) and <out>/*.png. Every number in the report comes from those files (the networks'
multiply-accumulates from summary.json, which sfp train writes), apart from the traffic model's
parameters (environment: DRAM_PJ_PER_BIT, PEAK_TFLOPS, BANDWIDTH_GBS) and the published claims
(CLAIMS, with their sources).
"""
import json
import os
import pathlib
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from mdtable import table  # noqa: E402

M = 23  # FP32 mantissa bits

# Published claims each run is set beside ("Published claims beside this run"): what the paper
# reports, the project's target, and their sources. main() fills in the run's figures only.
# Schrödinger's FP (Gecko, Quantum Mantissa, BitChop) is the paper sfp implements; the targets
# are the project's own, with their results in docs/format_choice.md and docs/training.md.
CLAIMS = {
    "exponent": {  # exponent bits per value, lossless, per network and kind
        "paper": "3.36 (best case)", "source": "Schrödinger's FP, Gecko",
        "target": "≤ H0 + {margin:.2f} = {limit:.2f}", "margin": 0.10,
        "target_source": "docs/format_choice.md, Targets and misses",
    },
    "qm": {  # mantissa footprint reduction at the end of training
        "paper": "92 %", "source": "Schrödinger's FP, Quantum Mantissa",
        "target": "≥ 92 %", "target_source": "docs/training.md",
    },
    "bitchop": {
        "paper": "81 %", "source": "Schrödinger's FP, BitChop",
        "target": "≥ 81 %", "target_source": "docs/training.md",
    },
    "container_qm": {  # whole container with QM's bitlengths, bits per value
        "paper": "≈ 5.7", "source": "Schrödinger's FP, Gecko with Quantum Mantissa",
        "target": "≤ 5.5", "target_source": "docs/format_choice.md, Targets and misses",
    },
    "accuracy": {  # test accuracy of a policy against the FP32 run
        "target": "within 0.5 points of FP32", "target_source": "docs/training.md",
    },
}


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
            "stats_v1": (json.loads((d / "stats_v1.json").read_text())
                         if (d / "stats_v1.json").exists() else None),
        }
        runs[(s["network"], s["policy"])]["snapshots"] = snapshot_stats(runs[(s["network"], s["policy"])])
    if not runs:
        sys.exit(f"report.py: {out}/runs holds no runs")
    return runs


def plot_accuracy(out, runs, net):
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.2))
    mine = [(pol, r) for (n, pol), r in sorted(runs.items()) if n == net]
    one_epoch = all(len(r["epochs"]) == 1 for _, r in mine)
    if one_epoch:  # a point per run: bars read better
        accs = [100 * r["epochs"][0]["test_accuracy"] for _, r in mine]
        bars = ax.bar([pol for pol, _ in mine], accs, color=[f"C{i}" for i in range(len(mine))])
        ax.bar_label(bars, fmt="%.2f")
        ax.set_ylim(min(accs) - 2, max(accs) + 1)
    for i, (pol, r) in enumerate(mine):
        if not one_epoch:
            ep = [e["epoch"] for e in r["epochs"]]
            acc = [100 * e["test_accuracy"] for e in r["epochs"]]
            ax.plot(ep, acc, marker="o", label=pol, color=f"C{i}")
        steps = [s["step"] for s in r["steps"]]
        loss = [s["loss"] for s in r["steps"]]
        k = max(1, len(loss) // 50)  # moving average over ~2 % of the run
        smooth = [sum(loss[max(0, i - k + 1):i + 1]) / len(loss[max(0, i - k + 1):i + 1])
                  for i in range(len(loss))]
        bx.plot(steps, smooth, lw=1, label=pol, color=f"C{i}")
    ax.set_xlabel("policy" if one_epoch else "epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{net}: test accuracy" + (" after 1 epoch" if one_epoch else ""))
    ax.grid(alpha=0.3)
    if not one_epoch:
        ax.legend()
    bx.set_xlabel("step")
    bx.set_ylabel("training loss (moving average)")
    bx.set_title(f"{net}: training loss")
    bx.grid(alpha=0.3)
    bx.legend()
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


STASHED = ("act", "weight")  # what the policies quantize and the container stores


def snapshot_stats(run, suffix=".stats.json"):
    """[(step, {kind: {values, sign, exponent, mantissa, overhead, total}})] of every snapshot
    encoded at its stored bitlengths (sfp stats --stored-bits; format 3, or format 1 with
    suffix ".stats_v1.json"), in step order."""
    out = []
    for f in sorted((run["dir"] / "snapshots").glob("step_*" + suffix)):
        step = int(re.search(r"step_(\d+)", f.name).group(1))
        agg = {}
        for t in json.loads(f.read_text())["tensors"]:
            a = agg.setdefault(kind_of(t["name"]), {"values": 0, "sign": 0, "exponent": 0,
                                                    "mantissa": 0, "overhead": 0, "total": 0})
            a["values"] += t["values"]
            for k in ("sign", "exponent", "mantissa", "overhead", "total"):
                a[k] += t["bits"][k]
        out.append((step, agg))
    return out


def stashed_bits(agg):
    """Bits per value over the stashed kinds (activations and weights) of one snapshot."""
    v = sum(agg[k]["values"] for k in STASHED if k in agg)
    return {f: sum(agg[k][f] for k in STASHED if k in agg) / v
            for f in ("sign", "exponent", "mantissa", "overhead", "total")} if v else None


def plot_footprint(out, runs, net):
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    any_line = False
    for (n, pol), r in sorted(runs.items()):
        if n != net or not r["snapshots"]:
            continue
        xs = [step for step, _ in r["snapshots"]]
        ys = [stashed_bits(agg)["total"] for _, agg in r["snapshots"]]
        ax.plot(xs, ys, marker="o", label=pol)
        any_line = True
    if not any_line:
        plt.close(fig)
        return None
    ax.set_xlabel("step")
    ax.set_ylabel("bits per value")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{net}: stashed activations + weights, whole container")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    name = f"footprint_{net}.png"
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def role(top):
    """"encoder" or "decoder" for a synthesized top (sfp3_encoder, sfp3_decoder), else None."""
    for r in ("encoder", "decoder"):
        if top.endswith("_" + r):
            return r
    return None


def codec_energy(out):
    """pJ per byte of FP32 values of an encoder and a decoder of one synthesized set, from
    OpenSTA's power estimate; None without a Liberty synthesis. The set is one with both tops:
    v3-v16 if the synthesis report has it, else the first there."""
    path = out / "synth.json"
    if not path.exists():
        return None
    rows = [r for r in json.loads(path.read_text()).get("results", [])
            if "pj_per_byte" in r and r.get("formats", "FP32+BF16") == "FP32+BF16"
            and role(r["top"])]
    by_set = {}
    for r in rows:
        by_set.setdefault(r["set"], {}).setdefault(role(r["top"]), r)
    sets = [k for k, e in by_set.items() if "encoder" in e and "decoder" in e]
    if not sets:
        return None
    want = min(sets, key=lambda k: (k != "v3-v16", sets.index(k)))
    return by_set[want]["encoder"], by_set[want]["decoder"]


# Codec energy in a modern node. The sky130 figures (130 nm, 1.8 V) scale by the energy-per-
# operation fits of Stillmaker and Baas, "Scaling equations for the accurate prediction of CMOS
# device performance from 180 nm to 7 nm", Integration, the VLSI Journal 58 (2017) 74-81: per
# node a polynomial a V^2 + b V + c in the supply voltage. From 130 nm at its nominal 1.3 V to
# 7 nm at 0.7 V the energy falls to 0.0076 of its value (about 1/132). sky130 runs at 1.8 V,
# above the fit's 130 nm voltage, so the factor is conservative.
NODE_SCALING = {
    "source": "Stillmaker and Baas, Integration, the VLSI Journal 58 (2017) 74-81",
    "from": (130, 1.3, (7.171, -6.709, 2.904)),
    "to": (7, 0.7, (0.1776, -0.09097, 0.02447)),
}


def node_factor():
    """Energy in the target node over energy at 130 nm (NODE_SCALING)."""
    def e(node):
        _, v, (a, b, c) = NODE_SCALING[node]
        return a * v * v + b * v + c
    return e("to") / e("from")


def activity_energy(out, set_name):
    """pJ per byte of FP32 values of the encoder and decoder of one set from `make power`
    (<out>/power.json: the mapped netlists simulated on a training snapshot), logic and memories;
    None when that run did not cover both tops of the set."""
    path = out / "power.json"
    if not path.exists():
        return None
    by_role = {}
    for r in json.loads(path.read_text()).get("results", []):
        if r.get("set") == set_name and role(r.get("top", "")):
            by_role[role(r["top"])] = r
    if "encoder" not in by_role or "decoder" not in by_role:
        return None
    return by_role["encoder"], by_role["decoder"]


def energy_section(runs, out):
    """The codec's energy per byte beside the DRAM energy its compression saves per byte."""
    codec = codec_energy(out)
    if not codec:
        return []
    pj = float(os.environ.get("DRAM_PJ_PER_BIT", "6.0"))
    enc, dec = codec
    act = activity_energy(out, enc["set"])
    if act:
        snap = os.path.basename(act[0]["snapshot"])
        src = (f"from simulated activity (`make power`: the mapped set {enc['set']} netlists run "
               f"on {act[0]['values']:,} values of the training snapshot `{snap}`, every output "
               f"checked against the golden model; each net's toggles weigh OpenSTA's "
               f"per-instance power, plus the memory accesses)")
        e_pj = act[0]["pj_per_byte"] + act[0]["memories"]["pj_per_byte"]
        d_pj = act[1]["pj_per_byte"] + act[1]["memories"]["pj_per_byte"]
    else:
        src = (f"OpenSTA's vectorless estimate (every net toggling in "
               f"{enc['power_activity']:.0%} of the cycles; no `make power` results for set "
               f"{enc['set']} here: `make power POWER_SETS={enc['set']}` after `make synth "
               f"SYNTH_SETS={enc['set']}` writes build/synth/power.json, which the report then "
               f"uses)")
        e_pj, d_pj = enc["pj_per_byte"], dec["pj_per_byte"]
    f = node_factor()
    md = ["## Codec energy against the DRAM energy it saves", ""]
    md.append(
        f"Codec energy per byte of FP32 values, sky130hd typical corner (130 nm, 1.8 V), {src}: "
        f"encoder {e_pj:.2f} pJ/B, decoder {d_pj:.2f} pJ/B"
        + (f" (logic {act[0]['pj_per_byte']:.2f} and {act[1]['pj_per_byte']:.2f}, the rest "
           f"memories; vectorless, logic only: {enc['pj_per_byte']:.2f} and "
           f"{dec['pj_per_byte']:.2f})" if act else "")
        + f". Scaled to 7 nm at 0.7 V by a factor of {f:.4f} (1/{1 / f:.0f}): the "
        f"energy-per-operation fits of {NODE_SCALING['source']} from 130 nm at 1.3 V; an "
        f"assumption, conservative since sky130 runs at 1.8 V. DRAM saved per byte written or "
        f"read: 8 × {pj} pJ/bit × (1 − container bytes / FP32 bytes) over the run's last "
        f"snapshot's activations and weights. Target: codec ≤ 1/10 of the DRAM energy saved.\n")
    rows = []
    for (net, pol), r in sorted(runs.items()):
        if not r["snapshots"] or pol == "fp32":
            continue
        a, w = r["snapshots"][-1][1].get("act"), r["snapshots"][-1][1].get("weight")
        if not a or not w:
            continue
        fp32 = 4 * (a["values"] + w["values"])
        saved = 8 * pj * (1 - (a["total"] + w["total"]) / 8 / fp32)
        if saved <= 0:
            continue
        rows.append([net, pol, f"{fp32 / ((a['total'] + w['total']) / 8):.2f}x",
                     f"{saved:.1f}", f"{e_pj / saved:.2f}", f"{d_pj / saved:.2f}",
                     f"{e_pj * f:.3f}", f"{d_pj * f:.3f}", f"{e_pj * f / saved:.4f}",
                     f"{d_pj * f / saved:.4f}"])
    if rows:
        md.append(table(["network", "policy", "compression", "DRAM pJ saved per B",
                         "encoder / saved (130 nm)", "decoder / saved (130 nm)",
                         "encoder pJ/B (7 nm)", "decoder pJ/B (7 nm)", "encoder / saved (7 nm)",
                         "decoder / saved (7 nm)"], rows))
    return md


def traffic_section(runs, out):
    """Memory traffic, DRAM energy and roofline step time per training step, FP32 against the
    container at the measured encoding of each run's last snapshot."""
    codec = codec_energy(out)
    pj = float(os.environ.get("DRAM_PJ_PER_BIT", "6.0"))
    tflops = float(os.environ.get("PEAK_TFLOPS", "100"))
    gbs = float(os.environ.get("BANDWIDTH_GBS", "2000"))
    md = ["## Memory traffic, time and energy per training step", ""]
    md.append(
        "Per step, stashed activations are written in the forward pass and read in the backward "
        "pass; the weights as used by the layers are read in the forward and in the backward "
        "pass, and with the container one compressed copy is written after each update; the "
        "optimizer reads the gradients and reads and writes the FP32 master weights (and the "
        "backward pass writes the gradients): 4 FP32 transfers per parameter in both cases, so "
        "the gain is not inflated by what the container does not touch. Container sizes are the "
        "measured encodings of the run's last snapshot at its stored bitlengths (`sfp stats "
        f"--stored-bits`). DRAM energy at {pj} pJ/bit (`DRAM_PJ_PER_BIT`; HBM2E ≈ 6.0 and GDDR6 ≈ "
        "7.5 pJ/bit are the usual accelerator estimates for access plus I/O). Step time under a "
        f"roofline with {tflops:g} TFLOP/s (`PEAK_TFLOPS`) and {gbs:g} GB/s (`BANDWIDTH_GBS`): "
        "max(FLOPs / peak, bytes / bandwidth), FLOPs = 3 × 2 × forward MACs × batch (forward, "
        "two backward products). A memory-bound step speeds up by the traffic ratio.\n")
    codec_pj = None
    if codec:
        enc, dec = codec
        act = activity_energy(out, enc["set"])
        if act:
            codec_pj = tuple(r["pj_per_byte"] + r["memories"]["pj_per_byte"] for r in act)
            how = ("from simulated activity on a training snapshot (`make power`, logic and "
                   "memories; the next section gives the method)")
        else:
            codec_pj = (enc["pj_per_byte"], dec["pj_per_byte"])
            how = (f"OpenSTA's vectorless estimate on the Liberty library given (every net "
                   f"toggling in {enc['power_activity']:.0%} of the cycles, clocks every cycle)")
        md.append(
            f"Codec energy from synthesis (set {enc['set']}, L = {enc['L']}): encoder "
            f"(`{enc['top']}`) {codec_pj[0]:.2f} pJ and decoder (`{dec['top']}`) "
            f"{codec_pj[1]:.2f} pJ per byte of FP32 values, {how}. Every "
            "stash and every weight write goes through the encoder, every restore and weight "
            "read through the decoder. The DRAM figures are for current memories while the codec "
            "is estimated in the library's node (130 nm for SKY130), so the codec column is "
            "pessimistic against a codec built in the accelerator's node.\n")
    else:
        md.append("Codec energy: not measured in this run (it needs a Liberty synthesis: set "
                  "keep `SYNTH=1` and `LIBERTY` unset, the committed sky130hd library).\n")
    rows = []
    for (net, pol), r in sorted(runs.items()):
        if not r["snapshots"]:
            continue
        step, agg = r["snapshots"][-1]
        a, w = agg.get("act"), agg.get("weight")
        if not a or not w:
            continue
        params = agg.get("master", w)["values"]
        fp32 = 4 * (2 * a["values"] + 2 * w["values"] + 4 * params)
        sfp = (2 * a["total"] + 3 * w["total"]) / 8 + 4 * 4 * params
        codec_uj = None
        if codec:
            codec_uj = (4 * (a["values"] + w["values"]) * codec_pj[0] +
                        4 * (a["values"] + 2 * w["values"]) * codec_pj[1]) * 1e-6
        if pol == "fp32":
            sfp = fp32  # the baseline stores FP32 and runs no codec
            codec_uj = 0.0 if codec else None
        macs = r["summary"].get("forward_macs_per_sample")  # sfp train's nets (mac_ops())
        batch = None
        for t in json.loads(sorted((r["dir"] / "snapshots").glob("step_*.stats.json"))[-1]
                            .read_text())["tensors"]:
            if kind_of(t["name"]) == "act" and t.get("shape"):
                batch = t["shape"][0]
                break
        t_fp32 = t_sfp = None
        if macs and batch:
            flops = 6 * macs * batch
            t_fp32 = max(flops / (tflops * 1e12), fp32 / (gbs * 1e9))
            t_sfp = max(flops / (tflops * 1e12), sfp / (gbs * 1e9))
        rows.append([net, pol, f"{fp32 / 1e6:.3f}", f"{sfp / 1e6:.3f}", f"{fp32 / sfp:.2f}x",
                     f"{fp32 * 8 * pj * 1e-6:.1f}", f"{sfp * 8 * pj * 1e-6:.1f}",
                     f"{codec_uj:.1f}" if codec_uj is not None else "-",
                     f"{t_fp32 * 1e6:.2f}" if t_fp32 else "-",
                     f"{t_sfp * 1e6:.2f}" if t_sfp else "-",
                     f"{t_fp32 / t_sfp:.2f}x" if t_fp32 else "-",
                     f"{6 * macs * batch / fp32:.1f}" if t_fp32 else "-"])
    if not rows:
        return []
    md.append(table(["network", "policy", "MB/step FP32", "MB/step sfp", "traffic ratio",
                     "DRAM µJ/step FP32", "DRAM µJ/step sfp", "codec µJ/step", "step µs FP32",
                     "step µs sfp", "step speed-up", "FLOP/byte (FP32)"], rows))
    return md


def synth_section(out):
    path = out / "synth.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    res = d.get("results", [])
    if not res:
        return []
    lib = d.get("flow") == "liberty"
    md = ["## Synthesis: area and timing", ""]
    if lib:
        md.append("Yosys 0.23 mapped to the Liberty library given in `LIBERTY`, OpenSTA for the "
                  "critical path (ideal clock); build/synth/report.md has the flow's details and "
                  "the critical paths.\n")
    else:
        md.append("**Generic estimate** (`LIBERTY=none`): Yosys 0.23 generic cells weighted "
                  "as NAND2 equivalents, no timing (build/synth/report.md states the method). "
                  "The default maps to the committed sky130hd library for area in µm², fmax and "
                  "power.\n")
    sets = sorted({r["set"] for r in res})
    if "v3-v16" not in sets:
        md.append(f"Set{'s' if len(sets) > 1 else ''} {', '.join(sets)} only, for the report's "
                  "time budget (`SYNTH_SETS`); the targets are stated at the default set v16 "
                  "(`make synth SYNTH_SETS=v3-v16` maps it; docs/architecture.md, \"Format "
                  "version 3 encoder\" and \"decoder\", gives the blocks' area and timing).\n")
    # EBPC's figures per role (synth.py keys them by top, the same for both RTL families), from
    # the entries of the tops synthesized here.
    ref = d.get("ebpc", {})
    ebpc = {}
    for k in [k for k in ref if k in {r["top"] for r in res}] or list(ref):
        if role(k):
            ebpc.setdefault(role(k), ref[k])
    if ebpc:
        md.append("EBPC in the same flow: " + ", ".join(
            f"{k} {v['kge_per_byte_cycle']} kGE per byte/cycle at "
            f"{v['fmax_mhz']:.0f} MHz" for k, v in ebpc.items()) +
            "; target: at least 2× less area per byte/cycle, fmax ≥ "
            f"{d.get('fmax_target_mhz', 200):.0f} MHz.\n")
    head = ["set", "top", "L", "C", "BW", "B/cycle", "logic GE", "memory bits",
            "memory GE-eq.", "kGE-eq. per B/cycle", "vs EBPC"]
    power = lib and all("pj_per_byte" in r for r in res)
    if lib:
        head += ["total µm²", "fmax MHz", "GB/s"]
    if power:
        head += [f"mW at {res[0]['power_clock_mhz']:.0f} MHz", "pJ per byte"]
    rows = []
    for r in res:
        row = [r["set"], r["top"], r["L"], r["C"], r["BW"], r["bytes_per_cycle"],
               f"{r['ge']:,.0f}", f"{r['memory_bits']:,}",
               f"{r.get('memory_um2', 0) / d.get('ge_um2', 3.7536):,.0f}",
               f"{r.get('total_kge_per_byte_cycle', r['kge_per_byte_cycle']):.3f}",
               f"{r.get('total_vs_ebpc', r['vs_ebpc']):.2f}x"]
        if lib:
            row += [f"{r.get('total_um2', r['area_um2']):,.0f}", f"{r['fmax_mhz']:.0f}",
                    f"{r['gbytes_per_s']:.1f}"]
        if power:
            row += [f"{r['power_mw']:.1f}", f"{r['pj_per_byte']:.2f}"]
        rows.append(row)
    md.append(table(head, rows))
    md.append("\nMemories (`sfp_ram`) count at the area of OpenRAM's sky130 macro "
              "sky130_sram_1kbyte_1rw1r_32x256_8 tiled over them, or of flip-flops where that is "
              "smaller (build/synth/report.md lists each); the targets apply to logic + "
              "memories.\n")
    return md


def rtl_section(out):
    """The version 3 encoder and loopback benches on the snapshots (tb_enc3, tb_loop3): what they
    compared and their cycles per step."""
    path = out / "rtl.jsonl"
    if not path.exists():
        return []
    lines = jsonl(path)
    if not lines:
        return []
    rows = []
    for x in lines:
        run = pathlib.Path(x["snapshot"]).parent.parent.name
        snap = pathlib.Path(x["snapshot"]).stem
        if x["bench"] == "encoder":
            what = f"{x['words_compared']} payload words + index entries"
        else:
            what = f"{x['values_compared']} decoded values + statuses"
        rows.append([run, snap, x["bench"], x["set"], x["tensors"], x["values"], what,
                     x["chunks"], x["expired_words"], x["mismatches"], x["steps"], x["cycles"],
                     x.get("latency", "-"), f"{x['cycles_per_step']:.4f}"])
    sets = sorted({(x["set"], x["lanes"], x["chunk_values"], x["version"]) for x in lines})
    md = ["## RTL on the real snapshots (Verilator)", ""]
    md.append(
        "Parameter set " + ", ".join(
            f"{s} ({lanes} lanes, C = {c} values per chunk, format version {v})"
            for s, lanes, c, v in sets) +
        " on every tensor of the snapshot but the FP32 master weights, each at the mantissa bits "
        "the trainer stored it with. Encoder (tb_enc3): input every cycle, outputs always ready; "
        "every payload word and every chunk index entry (length, CRC-32C) against the golden "
        "model (`encode_chunk_v3`). Loopback (tb_loop3): encoder → memory model → decoder at "
        "the streams' rate (input every cycle, no stalls); every decoded value against Q_m of "
        "its input (`sfp::quantize`), every chunk's status against 0, and the encoder's words "
        "and index entries against the model as well. Expired words: the words the encoder "
        "let expire (version 3's bounded window). A mismatch stops a run at the first differing "
        "word, entry, value or status, so a finished run has none.\n")
    per = {b: max(x["cycles_per_step"] for x in lines if x["bench"] == b)
           for b in sorted({x["bench"] for x in lines})}
    over = sorted({x["bench"] for x in lines if x["cycles_per_step"] > 1.02})
    md.append(
        "A step is L_c values: a chunk is coded in L_c lanes, the set's lanes halved while the "
        "chunk holds fewer than 64 values per lane (docs/format.md, \"Version 3 configuration\"). "
        "Cycles run from the first values in to the last values in (encoder) or the last values "
        "out (loopback); the loopback's latency is from the first values in to the first values "
        "out. Cycles per step leave each tensor's setup and the fill and drain out, as each "
        "bench's rate tests measure them: the encoder's from each tensor's first beat after its "
        "codeword setup to its last beat in (input offered every cycle, so every wait is the "
        "encoder's), the loopback's each tensor's steps but its first over the cycles from its "
        "first values out to its last. Target: at most 1.02 cycles per step; "
        "largest here " + ", ".join(f"{b} {v:.4f}" for b, v in per.items()) +
        (", within it.\n" if not over else f"; {' and '.join(over)} above it.\n"))
    md.append(table(["run", "snapshot", "bench", "set", "tensors", "values", "compared", "chunks",
                     "expired words", "mismatches", "steps", "cycles", "latency", "cycles/step"],
                    rows))
    return md


def accuracy_section(out, runs, nets):
    """Test accuracy, mantissa bits and footprint reduction per run, with the plots."""
    md = ["## Accuracy and mantissa footprint", ""]
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
              f"activations and weights, against FP32's 23 (targets: QM {CLAIMS['qm']['target']}, "
              f"BitChop {CLAIMS['bitchop']['target']}, {CLAIMS['accuracy']['target']}).\n")
    for net in nets:
        md.append(f"![accuracy {net}]({plot_accuracy(out, runs, net)})\n")
    for (net, pol), r in sorted(runs.items()):
        if pol in ("qm", "bitchop"):
            name = plot_bits(out, r, net, pol)
            if name:
                md.append(f"![bits {net} {pol}]({name})\n")
    return md


def footprint_section(out, runs, nets):
    """Every snapshot's stashed tensors at their stored bitlengths, with the plots."""
    md = ["## Footprint over training", ""]
    rows = []
    for (net, pol), r in sorted(runs.items()):
        v1 = dict(snapshot_stats(r, ".stats_v1.json"))
        for step, agg in r["snapshots"]:
            b = stashed_bits(agg)
            b1 = stashed_bits(v1[step]) if step in v1 else None
            if b:
                rows.append([net, pol, step] + [f"{b[k]:.2f}" for k in
                                                ("sign", "exponent", "mantissa", "overhead",
                                                 "total")] + [f"{32 / b['total']:.1f}x"] +
                            [f"{b1['total']:.2f}" if b1 else "-"])
    if rows:
        md.append("Every snapshot's stashed activations and weights encoded at the bitlengths the "
                  "trainer stored them with (format version 3, default configuration; the last "
                  "column is format version 1), bits per value:\n")
        md.append(table(["network", "policy", "step", "sign", "exponent+metadata", "mantissa",
                         "padding+index+CRC", "total", "vs FP32", "v1 total"], rows))
        for net in nets:
            name = plot_footprint(out, runs, net)
            if name:
                md.append(f"![footprint {net}]({name})\n")
    return md


def container_section(runs, ev):
    """The container by field: at the trained bitlengths (sfp eval), and lossless (FP32 runs)."""
    md = ["## Container footprint by field (trained mantissa bits, format 3 beside formats 2 "
          "and 1)", ""]
    rows = []
    for c in ev.get("containers", []):
        rows.append([c["network"], c["policy"], c["kind"], c["values"],
                     f"{c['sfp_v2_sign_bits']:.2f}", f"{c['sfp_v3_exp_bits']:.2f}",
                     f"{c['sfp_v2_man_bits']:.2f}", f"{c['sfp_v3_overhead_bits']:.3f}",
                     f"{c['sfp_v3_bits']:.2f}", f"{32 / c['sfp_v3_bits']:.1f}x",
                     f"{c['sfp_v2_bits']:.2f}", f"{c['sfp_bits']:.2f}"])
    md.append(table(["network", "policy", "kind", "values", "sign", "exponent+metadata", "mantissa",
                     "padding+index+CRC", "total bits/value", "vs FP32", "v2 total", "v1 total"],
                    rows))
    rows = []
    fields = ("sign", "zero", "repeat", "delta", "table", "header", "mantissa", "overhead",
              "total")
    for (net, pol), r in sorted(runs.items()):
        if pol != "fp32" or not r["stats"]:
            continue
        agg = {}
        for t in r["stats"]["tensors"]:
            a = agg.setdefault(kind_of(t["name"]), dict.fromkeys(("values", "zeros") + fields, 0))
            a["values"] += t["values"]
            a["zeros"] += t["zero_fraction"] * t["values"]
            for k in fields:
                a[k] += t["bits"][k]
        v1 = {}
        for t in (r["stats_v1"] or {"tensors": []})["tensors"]:
            b = v1.setdefault(kind_of(t["name"]), [0, 0])
            b[0] += t["bits"]["total"]
            b[1] += t["values"]
        for kind, a in sorted(agg.items()):
            v = a["values"]
            t1 = v1.get(kind)
            rows.append([net, kind, v, f"{100 * a['zeros'] / v:.0f} %"] +
                        [f"{a[k] / v:.3f}" for k in fields] +
                        [f"{t1[0] / t1[1]:.3f}" if t1 and t1[1] else "-"])
    if rows:
        md += ["Lossless (FP32 run, last snapshot), bits per value by field, format version 3: "
               "the exponent is the ZERO, REP and distance/escape codewords with the escaped "
               "exponents and the table sections (version 3 has no chunk headers); the last "
               "column is the total in format version 1.", ""]
        md.append(table(["network", "kind", "values", "zeros", "sign", "ZERO", "REP",
                         "codes+escapes", "table", "headers", "mantissa", "padding+index+CRC",
                         "total", "v1 total"], rows))
    return md


def claims_section(runs, ev):
    """The published claims (CLAIMS) beside this run's figures."""
    md = ["## Published claims beside this run", ""]
    rows = []
    groups = {(g["network"], g["kind"]): g for g in ev.get("groups", [])}
    exp, cq = CLAIMS["exponent"], CLAIMS["container_qm"]
    for (net, kind), g in sorted(groups.items()):
        limit = g["exp_entropy_order0"] + exp["margin"]
        rows.append([f"Exponent bits/value, {net} {kind}", exp["paper"],
                     exp["target"].format(margin=exp["margin"], limit=limit),
                     f"v3 {g['v3_exp_bits']:.2f}; v2 {g['v2_exp_bits']:.2f}; "
                     f"v1 {g['gecko_exp_bits']:.2f} "
                     f"(best config {g['best_exp_bits']:.2f})"])
    for (net, pol), r in sorted(runs.items()):
        if pol in ("qm", "bitchop"):
            name = "QM" if pol == "qm" else "BitChop"
            rows.append([f"{name} mantissa footprint reduction, {net}", CLAIMS[pol]["paper"],
                         CLAIMS[pol]["target"],
                         f"{100 * r['summary']['footprint_reduction_end']:.1f} % (end)"])
    both = {}
    for c in ev.get("containers", []):
        if c["policy"] == "qm":
            rows.append([f"Container + QM total bits/value, {c['network']} {c['kind']}",
                         cq["paper"], cq["target"],
                         f"v3 {c['sfp_v3_bits']:.2f}; v2 {c['sfp_v2_bits']:.2f}; "
                         f"v1 {c['sfp_bits']:.2f}"])
            if c["kind"] in STASHED:
                b = both.setdefault(c["network"], [0, 0, 0, 0])
                b[0] += c["sfp_v2_bits"] * c["values"]
                b[1] += c["sfp_bits"] * c["values"]
                b[2] += c["values"]
                b[3] += c["sfp_v3_bits"] * c["values"]
    for net, (bits2, bits1, values, bits3) in sorted(both.items()):
        rows.append([f"Container + QM total bits/value, {net} activations + weights",
                     cq["paper"], cq["target"],
                     f"v3 {bits3 / values:.2f}; v2 {bits2 / values:.2f}; "
                     f"v1 {bits1 / values:.2f}"])
    md.append(table(["claim", "paper", "target", "this run"], rows))
    md.append("The papers report ImageNet-scale networks trained to convergence; this run trains "
              "small Fashion-MNIST networks for a few epochs on 2 CPU cores, so the figures are "
              "indicative of the method, not a reproduction of the papers' setting.\n")
    return md


def eval_section(out):
    """The tables of sfp eval."""
    md = ["## Exponents and baselines (sfp eval)", ""]
    md.append((out / "eval.md").read_text())
    return md


def bench_section(out):
    """The model benchmark of this run, if it ran."""
    md = []
    bench = out / "bench.json"
    if bench.exists():
        b = json.loads(bench.read_text())
        rows = []
        for x in b.get("benchmarks", []):
            rows.append([x["name"], f"{x.get('bytes_per_second', 0) / 1e9:.2f}",
                         f"{x.get('ratio', 0):.2f}"])
        md += ["## Golden-model throughput (this run)", ""]
        md.append(table(["benchmark", "GB/s of FP32 input", "ratio"], rows))
        md.append("Data 0: post-ReLU-like activations, 1: normal weights; format 1 or 2; threads "
                  "coding chunks in parallel (bench/sfp_bench.cpp). Wall-clock rates on a shared "
                  "machine: compare rows of one run, not runs.\n")
    return md


def torch_section(out):
    """The PyTorch stash runs of python/examples/stash_fmnist.py, if they ran."""
    md = []
    table_md = out / "torch" / "table.md"
    if table_md.exists():
        doc = json.loads((out / "torch" / "results.json").read_text())
        md += ["## PyTorch stash (sfp.torch)", ""]
        md.append(f"`python/examples/stash_fmnist.py`, {doc['args']['steps']} steps per run "
                  f"({doc['wall_seconds']:.0f} s): FP32, a lossless stash, Quantum Mantissa and "
                  "BitChop with the stash, from the same weights and batches, the runs taking "
                  "their steps in turn. Short runs: the accuracy of a few steps says little; "
                  "the README's \"From PyTorch\" section has longer runs over three seeds.\n")
        md.append(table_md.read_text())
        md.append("![stash.png](torch/stash.png)\n")
    return md


def run_time_section(out):
    """Seconds per stage of scripts/report.sh."""
    md = []
    times = out / "stage_seconds.txt"
    if times.exists():
        rows = [line.split() for line in times.read_text().splitlines() if line.strip()]
        md += ["## Run time of this report", ""]
        md.append(table(["stage", "seconds"], rows + [["total (before assembling)",
                                                        sum(int(r[1]) for r in rows)]]))
        md.append("Wall-clock seconds on this machine, build excluded (`make report` builds "
                  "first).\n")
    return md


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

    md += accuracy_section(out, runs, nets)
    md += footprint_section(out, runs, nets)
    md += container_section(runs, ev)
    md += claims_section(runs, ev)
    md += traffic_section(runs, out)
    md += energy_section(runs, out)
    md += rtl_section(out)
    md += synth_section(out)
    md += eval_section(out)
    md += bench_section(out)
    md += torch_section(out)
    md += run_time_section(out)

    (out / "report.md.tmp").write_text("\n".join(md), encoding="utf-8")


if __name__ == "__main__":
    main()
