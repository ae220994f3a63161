#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Synthesis flow of the sfp encoder and decoder (docs/architecture.md, "Area and timing").
#
#   synth.py sets <name|alias>...     expand set names and aliases (default, shipped, all)
#   synth.py runs <name|alias>...     the same as <set>/<top> pairs, one per top of each set
#   synth.py run --set S --top T --out DIR [--liberty LIB --period-ps P]
#       Yosys 0.23: read the RTL (read_verilog -sv -noautowire -DSYNTHESIS), hierarchy -check
#       with the set's parameters, synth -flatten, check -assert, no latch; generic statistics,
#       logic depth (ltp -noff) and the generic gate netlist DIR/S/T.gate.v (write_verilog
#       -noattr); the memories (sfp_ram) stay black boxes, counted in bits. With a Liberty file (already filtered, see filter_liberty.py): dfflibmap,
#       abc -D P -constr (ABC_SCRIPT), check -assert again, stat -liberty, the mapped netlist, then OpenSTA
#       for the critical path, fmax and a vectorless power estimate at the target clock (every
#       net at the activity POWER_ACTIVITY). Writes DIR/S/T.json.
#       Wall and CPU (user + system) time of Yosys go in the JSON.
#   synth.py report --dir DIR --sets S... --md FILE --json FILE
#       a table per configuration and a lanes sweep when several sets are given, against the
#       EBPC anchors and the targets (docs/architecture.md).
#   synth.py hier --set S --top T --out DIR --liberty LIB [--period-ps P]
#       the same reading and mapping without -flatten (no STA): each module mapped on its own;
#       DIR/S/T.hier.json holds the hierarchy of instances, each with its mapped area
#       (stat -liberty), flip-flops and black-box memory bits, its own and with everything below.
#   synth.py hier-report --dir DIR --sets S... --md FILE [--depth D] [--tops T...]
#       per top, a table of the instances down to depth D (2) in every set, and how each one's
#       area scales from the set of fewest lanes to that of most (docs/architecture.md,
#       "Version 3 area per submodule").
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The RTL families: the parameter-set files that list their sets, their tops (encoder first),
# the parameters every set of the family gives, and the prefix of the family's set names here
# (the file's v16 is `v3-v16`).
FAMILIES = {
    "v3": {"files": (("rtl/param_sets_v3.txt", "shipped"),),
           "tops": ("sfp3_encoder", "sfp3_decoder"),
           "params": ("NumLanes", "ChunkValues", "BeatWords"), "prefix": "v3-"},
}
TOPS = tuple(t for f in FAMILIES.values() for t in f["tops"])
# Modules synthesis keeps as black boxes (memories a chip builds from SRAM macros); their bits
# are reported beside the logic area.
BLACKBOXES = ("sfp_ram",)
GE_UM2 = 3.7536  # area of sky130_fd_sc_hd__nand2_1
# EBPC in this same flow (docs/architecture.md): kGE for 1 byte/cycle and fmax in MHz.
EBPC_ENC, EBPC_DEC = (3.76, 118.0), (4.02, 84.0)
EBPC = {"sfp3_encoder": EBPC_ENC, "sfp3_decoder": EBPC_DEC}
FMAX_TARGET_MHZ = 200.0
# Memory area. sfp_ram is a simple dual-port RAM (a write and a read in the same cycle), built
# either from OpenRAM sky130 macros with a read-write and a read port, tiled over width and depth,
# or from flip-flops; each instance takes the smaller. Macro: sky130_sram_1kbyte_1rw1r_32x256_8
# (VLSIDA/sky130_sram_macros, its LEF: SIZE 493.38 BY 400.22 um, 32 bits x 256 words, 24.1 um2
# per bit when full). Flip-flops: per bit a sky130_fd_sc_hd__edfxtp_1 (30.03 um2, the write
# enable) and a mux2_1 (11.26 um2, the read tree), from the vendored library; address decode and
# wiring are not counted, so small memories are slightly favoured.
SRAM_MACRO = {"name": "sky130_sram_1kbyte_1rw1r_32x256_8", "width": 32, "depth": 256,
              "area_um2": 493.38 * 400.22}
FLOP_BIT_UM2 = 30.0288 + 11.2608
# Vectorless power: toggles per clock cycle of every net but the clock, duty 0.5 (`-global`, no
# propagation: OpenSTA 2019's propagation from the inputs counts every glitch of deep logic and
# gave a 16-lane decoder 52 W). A stand-in for a simulation trace; see docs/architecture.md.
POWER_ACTIVITY = 0.1
# The sets of a plain `make synth`, both tops: v3-v4, the smallest shipped set, which CI,
# `make report` and `make gate` synthesize too (4 to 6 minutes per block on an idle core), so
# that a plain run takes minutes. The targets are stated at v3-v16, the format's L and C: `make
# synth SYNTH_SETS=v3-v16` (estimated at about 28 minutes on two idle cores, over the 15 a plain
# run may take; docs/synthesis_log.md, "Version 3 run times").
DEFAULT_SETS = ("v3-v4",)

# ABC's mapping: Yosys's script for `abc -D -constr -liberty` without its SAT sweeps
# (`&fraig -x`, `scorr`), which ran for over 56 CPU minutes on the v4 encoder's 123,000 gates
# without finishing; the rewriting (dc2), structural choices (&dch -f), delay-driven mapping
# (&nf) and buffering and sizing remain. Yosys substitutes {D} (-D <period>) and the commas.
ABC_SCRIPT = ("+strash;dc2;dretime;strash;&get,-n;&dch,-f;&nf,{D};&put;"
              "buffer;upsize,{D};dnsize,{D};stime,-p")

# Generic estimate without a library: each Yosys internal gate weighs as much as the sky130hd
# x1 cell with the same function, in NAND2 equivalents (area / 3.7536 um2). ABC maps to
# compound cells (a21oi, o21ai, mux4, ...), so this overestimates a mapped netlist;
# docs/architecture.md gives the measured ratio.
GE_GENERIC = {
    "$_NOT_": 1.0, "$_BUF_": 1.0,                  # inv_1, buf_1
    "$_NAND_": 1.0, "$_NOR_": 1.0,                 # nand2_1, nor2_1
    "$_AND_": 1.67, "$_OR_": 1.67,                 # and2_1, or2_1
    "$_ANDNOT_": 2.0, "$_ORNOT_": 2.0,             # and2b_1, or2b_1
    "$_XOR_": 2.33, "$_XNOR_": 2.33,               # xor2_1, xnor2_1
    "$_MUX_": 3.0, "$_NMUX_": 2.67,                # mux2_1, mux2i_1
    "$_AOI3_": 1.33, "$_OAI3_": 1.33,              # a21oi_1, o21ai_1
    "$_AOI4_": 2.0, "$_OAI4_": 2.0,                # a22oi_1, o22ai_1
}
GE_DFF = 5.33          # dfxtp_1
GE_DFF_ASYNC = 6.67    # dfrtp_1 (async reset or set)
GE_DFF_ENABLE = 3.0    # + mux2_1 for a clock enable
GE_DFF_SYNC = 2.0      # + and2b_1 for a synchronous reset


def die(msg):
    print(f"synth.py: {msg}", file=sys.stderr)
    sys.exit(1)


def ge_of_generic(cell):
    if cell in GE_GENERIC:
        return GE_GENERIC[cell]
    m = re.fullmatch(r"\$_(S?)DFF(S?R?)(C?E?)_([PN]+)([01]?)([PN]?)_", cell)
    if not m:
        die(f"no generic weight for cell type {cell} (add it to GE_GENERIC)")
    sync, sr, en, _, _, _ = m.groups()
    ge = GE_DFF
    if sync:
        ge += GE_DFF_SYNC
    elif sr or re.fullmatch(r"\$_DFFE?_[PN]{2}[01][PN]?_", cell):
        ge = GE_DFF_ASYNC if not sr else 8.67  # dfbbp_1 for set and reset
    if en:
        ge += GE_DFF_ENABLE
    return ge


def is_ff(cell):
    return "DFF" in cell or re.search(r"__(e?df|dl|sdf|sedf)", cell) is not None


# Configurations ##################################################################################

def read_sets():
    sets = {}
    for fam, spec in FAMILIES.items():
        for rel, kind in spec["files"]:
            path = os.path.join(ROOT, rel)
            if not os.path.isfile(path):
                continue
            with open(path) as f:
                for line in f:
                    fields = line.split("#", 1)[0].split()
                    if not fields:
                        continue
                    kv = dict(x.split("=", 1) for x in fields[1:])
                    missing = [k for k in spec["params"] if k not in kv]
                    if missing:
                        die(f"{rel}: set '{fields[0]}' lacks {' '.join(missing)}")
                    name = spec["prefix"] + fields[0]
                    if name in sets:
                        die(f"{rel}: set name '{fields[0]}' is used twice")
                    p = {k: int(kv[k]) for k in spec["params"]}
                    sets[name] = {"name": name, "kind": kind, "family": fam,
                                  "tops": spec["tops"], "params": p}
    return sets


def expand(names):
    sets = read_sets()
    out = []
    for n in names:
        if n == "default":
            add = list(DEFAULT_SETS)
        elif n == "shipped":
            add = [s for s in sets if sets[s]["kind"] == "shipped"]
        elif n == "all":
            add = list(sets)
        elif n in sets:
            add = [n]
        else:
            die(f"unknown synthesis set '{n}' (known: {' '.join(sets)}, default, shipped, all)")
        out += [a for a in add if a not in out]
    return out


# One Yosys + OpenSTA run #########################################################################

def rtl_files():
    with open(os.path.join(ROOT, "rtl/sfp.f")) as f:
        return [os.path.join(ROOT, l.strip()) for l in f if l.strip() and not l.startswith("#")]


def is_blackbox_cell(cell):
    return any(cell.lstrip("\\") == b or ("\\" + b + "\\") in cell for b in BLACKBOXES)


def is_blackbox_file(path):
    return os.path.splitext(os.path.basename(path))[0] in BLACKBOXES


def yosys_script(s, top, out, liberty, period_ps, constr):
    files = [f for f in rtl_files() if not is_blackbox_file(f)]
    boxes = [f for f in rtl_files() if is_blackbox_file(f)]
    module = top
    chparams = " ".join(f"-chparam {k} {v}" for k, v in s["params"].items())
    base = os.path.join(out, top)
    lines = [
        f"read_verilog -sv -lib -DSYNTHESIS {' '.join(boxes)}" if boxes else "",
        f"read_verilog -sv -noautowire -DSYNTHESIS {' '.join(files)}",
        f"hierarchy -check -top {module} {chparams}",
        f"synth -flatten -top {module}",
        "check -assert",
        "select -assert-none t:$_DLATCH* t:$_SR_* t:$dlatch* t:$adlatch t:$sr t:$_DLATCHSR*",
        f"tee -q -o {base}.generic.json stat -json",
        f"tee -q -o {base}.ltp.txt ltp -noff",
        f"write_verilog -noattr {base}.gate.v",
    ]
    if liberty:
        lines += [
            f"read_liberty -lib {liberty}",  # cell directions for check -assert after mapping
            f"dfflibmap -liberty {liberty}",
            f"abc -D {period_ps} -constr {constr} -liberty {liberty} -script {ABC_SCRIPT}",
            "opt_clean -purge",
            "rename -wire",  # cells named after the nets they drive: readable timing paths
            "check -assert",
            "select -assert-none t:$_*",  # everything mapped to library cells
            f"tee -q -o {base}.lib.json stat -json -liberty {liberty}",
            f"tee -q -o {base}.lib.stat stat -liberty {liberty}",
            "hilomap -singleton -hicell sky130_fd_sc_hd__conb_1 HI -locell sky130_fd_sc_hd__conb_1 LO",
            "insbuf -buf sky130_fd_sc_hd__buf_1 A X",
            f"write_verilog -noattr -noexpr {base}.mapped.v",
            # OpenSTA's Verilog reader rejects parameterized instances, and the memory macros
            # have no timing model here: the timing netlist leaves them out (their read data
            # undriven), so paths into and out of the memories are not timed.
        ] + [f"delete t:{b}" for b in BLACKBOXES] + [
            f"write_verilog -noattr -noexpr {base}.sta.v",
        ]
    return "\n".join(l for l in lines if l) + "\n"


def memories(netlist):
    """The black-box memories of a netlist: instances, total bits, and each (width, depth)."""
    with open(netlist) as f:
        text = f.read()
    found = []
    for box in BLACKBOXES:
        for m in re.finditer(re.escape(box) + r"\s*#\((.*?)\)\s*[\\\w.$\[\]]+\s*\(", text, re.S):
            params = dict(re.findall(r"\.(\w+)\(([^()]*)\)", m.group(1)))
            width, depth = (verilog_int(params.get(k, "")) for k in ("Width", "Depth"))
            if width is None or depth is None:
                die(f"{netlist}: cannot read the Width and Depth of a {box} instance")
            found.append((width, depth))
    return {"instances": len(found), "bits": sum(w * d for w, d in found),
            "shapes": sorted(found, reverse=True)}


def verilog_int(text):
    """A Verilog integer literal as Yosys writes parameters (32'd1234, 32'b..., 1234)."""
    m = re.fullmatch(r"\s*(?:\d*'[sS]?([dbhDBH]))?([0-9a-fA-F_]+)\s*", text)
    if not m:
        return None
    base = {"d": 10, "b": 2, "h": 16}[(m.group(1) or "d").lower()]
    return int(m.group(2).replace("_", ""), base)


def stat_json(path, top):
    with open(path) as f:
        text = f.read()
    j = json.loads(text[text.index("{"):])
    mods = j["modules"]
    key = next(k for k in mods if k.lstrip("\\") == top)
    return mods[key]


def sta_script(top, netlist, liberty, period_ps, out):
    p_ns = period_ps / 1000.0
    return f"""read_liberty {liberty}
read_verilog {netlist}
link_design {top}
create_clock -name clk -period {p_ns:.3f} [get_ports clk_i]
set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports {{clk_i rst_ni}}]]
set_output_delay 0 -clock clk [all_outputs]
set_false_path -from [get_ports rst_ni]
set_driving_cell -lib_cell sky130_fd_sc_hd__inv_2 -pin Y [delete_from_list [all_inputs] [get_ports clk_i]]
set_load 0.005 [all_outputs]
report_checks -path_delay max -format full -digits 3
report_wns -digits 3
report_worst_slack -digits 3
set_power_activity -global -activity {POWER_ACTIVITY} -duty 0.5
report_power -digits 4
"""


def hier_script(s, top, base, liberty, period_ps, constr):
    """The flow of yosys_script without `-flatten`: each module mapped on its own."""
    files = [f for f in rtl_files() if not is_blackbox_file(f)]
    boxes = [f for f in rtl_files() if is_blackbox_file(f)]
    chparams = " ".join(f"-chparam {k} {v}" for k, v in s["params"].items())
    lines = [
        f"read_verilog -sv -lib -DSYNTHESIS {' '.join(boxes)}" if boxes else "",
        f"read_verilog -sv -noautowire -DSYNTHESIS {' '.join(files)}",
        f"hierarchy -check -top {top} {chparams}",
        f"synth -top {top}",
        "check -assert",
        "select -assert-none t:$_DLATCH* t:$_SR_* t:$dlatch* t:$adlatch t:$sr t:$_DLATCHSR*",
        f"read_liberty -lib {liberty}",
        f"dfflibmap -liberty {liberty}",
        f"abc -D {period_ps} -constr {constr} -liberty {liberty} -script {ABC_SCRIPT}",
        "opt_clean -purge",
        "check -assert",
        "select -assert-none t:$_*",
        f"tee -q -o {base}.json.stat stat -json -liberty {liberty}",
        f"tee -q -o {base}.stat stat -liberty {liberty}",
        f"write_verilog -noattr -noexpr {base}.v",
    ]
    return "\n".join(l for l in lines if l) + "\n"


def yosys_cpu(cmd):
    """Runs Yosys; returns (completed process, wall seconds, user + system CPU seconds)."""
    before = os.times()
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system -
                                                          before.children_system)
    return r, time.time() - t0, cpu


def netlist_instances(path, modules):
    """Per module of a hierarchical netlist: [(instance, child module)] for the instances of
    `modules` and [(instance, width, depth)] for the black-box memories."""
    with open(path) as f:
        text = f.read()
    inst, mems = {}, {}
    name = r"(\\\S+|[A-Za-z_][\w$]*)"
    for m in re.finditer(r"^module\s+" + name + r"\s*\((.*?)^endmodule", text, re.S | re.M):
        mod, body = m.group(1).lstrip("\\"), m.group(2)
        inst[mod], mems[mod] = [], []
        for c in re.finditer(r"^\s*" + name + r"\s+(#\((.*?)\)\s*)?" + name + r"\s*\(",
                             body, re.S | re.M):
            typ, params, iname = c.group(1).lstrip("\\"), c.group(3), c.group(4).lstrip("\\")
            if typ in modules:
                inst[mod].append((iname, typ))
            elif typ in BLACKBOXES:
                p = dict(re.findall(r"\.(\w+)\(([^()]*)\)", params or ""))
                width, depth = (verilog_int(p.get(k, "")) for k in ("Width", "Depth"))
                if width is None or depth is None:
                    die(f"{path}: cannot read the Width and Depth of {typ} {iname}")
                mems[mod].append((iname, width, depth))
    return inst, mems


def set_and_top(args):
    """The set args.set names, once it is known to have the top args.top."""
    sets = read_sets()
    if args.set not in sets:
        die(f"unknown synthesis set '{args.set}'")
    s = sets[args.set]
    if args.top not in s["tops"]:
        die(f"set '{args.set}' has no top '{args.top}' (its tops: {' '.join(s['tops'])})")
    return s


def write_abc_constr(path):
    """ABC's driving cell and load for the mapping, written to path; returns path."""
    with open(path, "w") as f:
        f.write("set_driving_cell sky130_fd_sc_hd__inv_2\nset_load 0.005\n")
    return path


def yosys_run(args, base, label):
    """Runs Yosys on base.ys (log base.yosys.log); dies naming the log if it fails. Returns
    (wall, CPU) seconds."""
    cmd = ["yosys", "-q", "-l", base + ".yosys.log", "-s", base + ".ys"]
    print(f"synth.py: {args.set} {args.top}{label}: {' '.join(cmd)}", flush=True)
    r, wall, cpu = yosys_cpu(cmd)
    if r.returncode != 0:
        die(f"yosys failed for {args.set} {args.top} (see {base}.yosys.log):\n{r.stderr[-3000:]}")
    return wall, cpu


def hier(args):
    """Maps a top without flattening and writes the area, flip-flops and memory bits of each
    instance of its hierarchy (each with its submodules) to DIR/S/T.hier.json."""
    s = set_and_top(args)
    if not os.path.isfile(args.liberty):
        die(f"liberty file '{args.liberty}' does not exist")
    out = os.path.join(args.out, args.set)
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, args.top + ".hier")
    constr = write_abc_constr(base + ".abc.constr")
    with open(base + ".ys", "w") as f:
        f.write(hier_script(s, args.top, base, args.liberty, args.period_ps, constr))
    wall, cpu = yosys_run(args, base, " (hierarchical)")
    hier_collect(s, args, base, wall, cpu)


def hier_collect(s, args, base, wall, cpu):
    with open(base + ".json.stat") as f:
        text = f.read()
    # Yosys 0.23 follows the modules of a hierarchical `stat -json` with a design summary that
    # is not JSON: only the "modules" object is read.
    start = text.index("{", text.index('"modules"'))
    mods = {k.lstrip("\\"): v for k, v in json.JSONDecoder().raw_decode(text, start)[0].items()}
    with open(base + ".stat") as f:
        areas = {m.group(1).lstrip("\\"): float(m.group(2)) for m in
                 re.finditer(r"Chip area for module '(.*?)': ([0-9.]+)", f.read())}
    missing = [m for m in mods if m not in areas]
    if missing:
        die(f"no area for module {missing[0]} in {base}.stat")
    inst, mems = netlist_instances(base + ".v", set(mods))
    if args.top not in inst:
        die(f"{base}.v has no module {args.top}")

    def node(path, mod):
        cells = mods[mod]["num_cells_by_type"]
        own_mems = [(w, d) for _, w, d in mems.get(mod, [])]
        n = {"path": path, "module": mod, "own_um2": areas[mod],
             "own_ffs": sum(v for k, v in cells.items() if is_ff(k)),
             "um2": areas[mod], "ffs": 0, "memory_shapes": own_mems, "children": []}
        n["ffs"] = n["own_ffs"]
        for iname, child in inst.get(mod, []):
            c = node(f"{path}.{iname}" if path else iname, child)
            n["children"].append(c)
            n["um2"] += c["um2"]
            n["ffs"] += c["ffs"]
            n["memory_shapes"] = n["memory_shapes"] + c["memory_shapes"]
        n["um2"] = round(n["um2"], 1)
        n["memory_bits"] = sum(w * d for w, d in n["memory_shapes"])
        return n

    res = {"set": args.set, "top": args.top, "params": s["params"],
           "library": os.path.basename(args.liberty), "period_ps": args.period_ps,
           "yosys_seconds": round(wall, 1), "yosys_cpu_seconds": round(cpu, 1),
           "tree": node("", args.top)}
    with open(base + ".json.tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(base + ".json.tmp", base + ".json")
    t = res["tree"]
    print(f"synth.py: {args.set} {args.top} (hierarchical): {t['um2']} um2, {t['ffs']} flip-flops, "
          f"{t['memory_bits']} memory bits ({wall:.0f} s, {cpu:.0f} s CPU)", flush=True)


def run(args):
    s = set_and_top(args)
    out = os.path.join(args.out, args.set)
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, args.top)
    constr = None
    if args.liberty:
        if not os.path.isfile(args.liberty):
            die(f"liberty file '{args.liberty}' does not exist")
        constr = write_abc_constr(base + ".abc.constr")
    with open(base + ".ys", "w") as f:
        f.write(yosys_script(s, args.top, out, args.liberty, args.period_ps, constr))
    t0 = time.time()
    t_yosys, cpu_yosys = yosys_run(args, base, "")
    res = {"set": args.set, "top": args.top, "params": s["params"], "kind": s["kind"],
           "yosys_seconds": round(t_yosys, 1), "yosys_cpu_seconds": round(cpu_yosys, 1),
           "memories": memories(base + ".gate.v")}
    g = stat_json(base + ".generic.json", args.top)
    # The black-box memories are counted in bits ("memories"), not in the logic estimate.
    cells = {k: v for k, v in g["num_cells_by_type"].items() if not is_blackbox_cell(k)}
    with open(base + ".ltp.txt") as f:
        m = re.search(r"length=(\d+)", f.read())
    res["generic"] = {
        "cells": g["num_cells"],
        "ffs": sum(v for k, v in cells.items() if is_ff(k)),
        "ge_estimate": round(sum(ge_of_generic(k) * v for k, v in cells.items()), 1),
        "depth": int(m.group(1)) if m else None,
        "cells_by_type": cells,
    }
    if args.liberty:
        l = stat_json(base + ".lib.json", args.top)
        lcells = l["num_cells_by_type"]
        with open(base + ".lib.stat") as f:
            m = re.search(r"Chip area for module .*: ([0-9.]+)", f.read())
        if not m:
            die(f"no chip area in {base}.lib.stat")
        area = float(m.group(1))
        res["liberty"] = {"library": os.path.basename(args.liberty), "area_um2": round(area, 1),
                          "ge": round(area / GE_UM2, 1), "cells": l["num_cells"],
                          "ffs": sum(v for k, v in lcells.items() if is_ff(k)),
                          "cells_by_type": lcells}
        with open(base + ".sta.tcl", "w") as f:
            f.write(sta_script(args.top, base + ".sta.v", args.liberty, args.period_ps, out))
        t1 = time.time()
        cmd = ["sta", "-no_init", "-no_splash", "-exit", base + ".sta.tcl"]
        print(f"synth.py: {args.set} {args.top}: {' '.join(cmd)}", flush=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        with open(base + ".sta.log", "w") as f:
            f.write(r.stdout + r.stderr)
        ws = re.search(r"worst slack\s+(-?[0-9.]+)", r.stdout)
        if r.returncode != 0 or not ws or re.search(r"^Error", r.stdout + r.stderr, re.M):
            die(f"OpenSTA failed for {args.set} {args.top} (see {base}.sta.log)")
        slack = float(ws.group(1))
        crit = args.period_ps / 1000.0 - slack
        sp = re.search(r"Startpoint: (\S+)", r.stdout)
        ep = re.search(r"Endpoint: (\S+)", r.stdout)
        res["sta"] = {"period_ns": args.period_ps / 1000.0, "worst_slack_ns": slack,
                      "critical_ns": round(crit, 3), "fmax_mhz": round(1000.0 / crit, 1),
                      "startpoint": sp.group(1) if sp else "", "endpoint": ep.group(1) if ep else "",
                      "seconds": round(time.time() - t1, 1)}
        pw = re.search(r"^Total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", r.stdout, re.M)
        if not pw:
            die(f"no power report from OpenSTA for {args.set} {args.top} (see {base}.sta.log)")
        watts = float(pw.group(4))
        seq = re.search(r"^Sequential\s+\S+\s+\S+\s+\S+\s+(\S+)", r.stdout, re.M)
        res["power"] = {"activity": POWER_ACTIVITY, "clock_mhz": 1e6 / args.period_ps,
                        "internal_mw": round(float(pw.group(1)) * 1e3, 3),
                        "switching_mw": round(float(pw.group(2)) * 1e3, 3),
                        "leakage_mw": round(float(pw.group(3)) * 1e3, 6),
                        "total_mw": round(watts * 1e3, 3),
                        "sequential_mw": round(float(seq.group(1)) * 1e3, 3) if seq else None,
                        "pj_per_cycle": round(watts * args.period_ps, 2)}
    res["seconds"] = round(time.time() - t0, 1)
    with open(base + ".json.tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(base + ".json.tmp", base + ".json")
    summary = f"{res['generic']['cells']} generic cells, est. {res['generic']['ge_estimate']} GE"
    if "liberty" in res:
        summary = (f"{res['liberty']['area_um2']} um2 = {res['liberty']['ge']} GE, "
                   f"{res['liberty']['cells']} cells, fmax {res['sta']['fmax_mhz']} MHz")
    print(f"synth.py: {args.set} {args.top}: {summary} ({res['seconds']} s)", flush=True)


# Report ##########################################################################################

def memory_area(shapes):
    """Area of the black-box memories: (total um2, [(width, depth, form, um2)])."""
    parts = []
    for w, d in shapes:
        tiles = -(-w // SRAM_MACRO["width"]) * -(-d // SRAM_MACRO["depth"])
        macro = tiles * SRAM_MACRO["area_um2"]
        flops = w * d * FLOP_BIT_UM2
        parts.append((w, d, f"{tiles} macros" if macro <= flops else "flip-flops",
                      round(min(macro, flops), 1)))
    return round(sum(p[3] for p in parts), 1), parts


def bytes_per_cycle(r):
    return r["params"]["NumLanes"] * 4


def area_ge(r):
    return r["liberty"]["ge"] if "liberty" in r else r["generic"]["ge_estimate"]


def row(r):
    p = r["params"]
    bpc = bytes_per_cycle(r)
    ge = area_ge(r)
    kge_b = ge / 1000.0 / bpc
    ebpc_kge, ebpc_mhz = EBPC[r["top"]]
    mem = r.get("memories", {"instances": 0, "bits": 0, "shapes": []})
    mem_um2, mem_parts = memory_area(mem.get("shapes", []))
    total_kge_b = (ge + mem_um2 / GE_UM2) / 1000.0 / bpc
    out = {"set": r["set"], "top": r["top"], "L": p["NumLanes"], "C": p["ChunkValues"],
           "BW": p["BeatWords"], "bytes_per_cycle": bpc,
           "memory_instances": mem["instances"], "memory_bits": mem["bits"],
           "memory_um2": mem_um2, "memory_forms": mem_parts,
           "total_kge_per_byte_cycle": round(total_kge_b, 3),
           "total_vs_ebpc": round(ebpc_kge / total_kge_b, 2),
           "total_target_2x_met": ebpc_kge / total_kge_b >= 2.0,
           "generic_cells": r["generic"]["cells"], "generic_ge_estimate": r["generic"]["ge_estimate"],
           "generic_ffs": r["generic"]["ffs"], "logic_depth": r["generic"]["depth"],
           "ge": ge, "ge_source": "liberty" if "liberty" in r else "generic estimate",
           "kge_per_byte_cycle": round(kge_b, 3),
           "vs_ebpc": round(ebpc_kge / kge_b, 2),
           "target_2x_met": ebpc_kge / kge_b >= 2.0}
    if "liberty" in r:
        out.update({"area_um2": r["liberty"]["area_um2"], "cells": r["liberty"]["cells"],
                    "ffs": r["liberty"]["ffs"], "fmax_mhz": r["sta"]["fmax_mhz"],
                    "critical_ns": r["sta"]["critical_ns"],
                    "critical_path": f"{r['sta']['startpoint']} -> {r['sta']['endpoint']}",
                    "total_um2": round(r["liberty"]["area_um2"] + mem_um2, 1),
                    "fmax_target_met": r["sta"]["fmax_mhz"] >= FMAX_TARGET_MHZ,
                    "gbytes_per_s": round(bpc * r["sta"]["fmax_mhz"] / 1000.0, 1)})
    if "power" in r:
        out.update({"power_mw": r["power"]["total_mw"], "power_clock_mhz": r["power"]["clock_mhz"],
                    "power_activity": r["power"]["activity"],
                    "pj_per_byte": round(r["power"]["pj_per_cycle"] / bpc, 3)})
    return out


def md_table(rows, lib):
    if lib:
        head = ["set", "top", "L", "C", "B/cycle", "cells", "flops", "logic um2", "GE",
                "logic kGE per B/cycle", "memory bits", "memory um2", "total um2",
                "total kGE per B/cycle", "vs EBPC", "fmax MHz", "GB/s", "mW", "pJ/B"]
        keys = ["set", "top", "L", "C", "bytes_per_cycle", "cells", "ffs", "area_um2", "ge",
                "kge_per_byte_cycle", "memory_bits", "memory_um2", "total_um2",
                "total_kge_per_byte_cycle", "total_vs_ebpc", "fmax_mhz", "gbytes_per_s",
                "power_mw", "pj_per_byte"]
    else:
        head = ["set", "top", "L", "C", "B/cycle", "generic cells", "flops", "GE (estimate)",
                "logic kGE per B/cycle", "memory bits", "memory um2", "total kGE per B/cycle",
                "vs EBPC", "logic depth"]
        keys = ["set", "top", "L", "C", "bytes_per_cycle", "generic_cells", "generic_ffs", "ge",
                "kge_per_byte_cycle", "memory_bits", "memory_um2", "total_kge_per_byte_cycle",
                "total_vs_ebpc", "logic_depth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k, "")
            if k in ("vs_ebpc", "total_vs_ebpc"):
                v = f"{v:.2f}x"
            elif isinstance(v, int) and v >= 10000:
                v = f"{v:,}"
            elif isinstance(v, float):
                v = (f"{v:.3f}" if k in ("kge_per_byte_cycle", "total_kge_per_byte_cycle",
                                         "pj_per_byte") else f"{v:,.1f}")
            cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(args):
    results = []
    sets = read_sets()
    for s in expand(args.sets):
        for top in sets[s]["tops"]:
            path = os.path.join(args.dir, s, top + ".json")
            if not os.path.isfile(path):
                die(f"missing synthesis result {path} (run `make synth SYNTH_SETS={s}`)")
            with open(path) as f:
                results.append(json.load(f))
    lib = all("liberty" in r for r in results)
    if not lib and any("liberty" in r for r in results):
        die("some results have a liberty mapping and some not; rerun all with the same LIBERTY")
    rows = [row(r) for r in results]
    by = {(r["set"], r["top"]): r for r in rows}
    md = ["# sfp synthesis report", ""]
    if lib:
        md += [f"Yosys 0.23 (`synth -flatten`, `dfflibmap`, `abc -D {args.period_ps}` with a "
               f"driving cell and load, Yosys's ABC script without its SAT sweeps) on `{results[0]['liberty']['library']}` (lpflow cells "
               f"removed); OpenSTA with an ideal clock, input and output delays 0, inputs driven "
               f"by sky130_fd_sc_hd__inv_2, outputs loaded with 5 fF, rst_ni a false path. "
               f"1 GE = sky130_fd_sc_hd__nand2_1 = {GE_UM2} um2. Power (mW) is OpenSTA's "
               f"vectorless estimate at the {1e6 / args.period_ps:.0f} MHz target clock with "
               f"every net but the clock toggling in {POWER_ACTIVITY:.0%} of the cycles, no "
               f"clock gating, no wires; pJ/B is that energy per cycle per byte of input, nearly "
               f"independent of the clock for dynamic power.", ""]
    else:
        md += ["**Generic estimate, no library** (LIBERTY unset): Yosys 0.23 `synth -flatten` "
               "cell counts, each internal gate weighted as the sky130hd x1 cell of the same "
               "function in NAND2 equivalents (synth/synth.py, `GE_GENERIC`); logic depth is the "
               "longest register-to-register path in generic gates (`ltp -noff`), no timing. "
               "Set LIBERTY for area in um2 and fmax.", ""]
    md += [f"Bytes per cycle: L x 4 (one step of L FP32 values per cycle). The memories "
           f"(sfp_ram) are black boxes to synthesis; each is counted as {SRAM_MACRO['name']} "
           f"macros ({SRAM_MACRO['width']} x {SRAM_MACRO['depth']}, "
           f"{SRAM_MACRO['area_um2'] / 1e6:.4f} mm2 each, from its LEF, tiled over width and "
           f"depth) or as flip-flops (edfxtp_1 + mux2_1 per bit, {FLOP_BIT_UM2:.1f} um2), "
           f"whichever is smaller, and the total (logic + memories, in GE-equivalent: um2 / "
           f"{GE_UM2}) is what the targets apply to. Paths into and out of the memories are not "
           f"timed (no macro timing model). EBPC anchors in this flow: encoder "
           f"{EBPC['sfp3_encoder'][0]} kGE at {EBPC['sfp3_encoder'][1]:.0f} MHz, decoder "
           f"{EBPC['sfp3_decoder'][0]} kGE at {EBPC['sfp3_decoder'][1]:.0f} MHz, each for "
           f"1 byte/cycle. Targets: at least 2x better per byte/cycle, memories included (`vs EBPC` >= 2.00x, i.e. "
           f"at most {EBPC['sfp3_encoder'][0] / 2:.2f} and {EBPC['sfp3_decoder'][0] / 2:.2f} kGE) "
           f"and fmax >= {FMAX_TARGET_MHZ:.0f} MHz, for each block.", "",
           "## Per configuration", "", md_table(rows, lib), ""]
    if lib:
        md += ["## Against the targets", "", "| set | top | fmax | area per B/cycle |",
               "|---|---|---|---|"]
        for r in rows:
            f_ok = "met" if r["fmax_target_met"] else "missed"
            a_ok = "met" if r["total_target_2x_met"] else "missed"
            md.append(f"| {r['set']} | {r['top']} | {r['fmax_mhz']:.1f} MHz ({f_ok}) | "
                      f"{r['total_kge_per_byte_cycle']:.2f} kGE-equivalent with memories, "
                      f"{r['total_vs_ebpc']:.2f}x EBPC ({a_ok}) |")
        md += ["", "Critical paths: " + "; ".join(f"{r['set']} {r['top']}: {r['critical_path']} "
                                                   f"({r['critical_ns']:.2f} ns)" for r in rows),
               ""]
    if len({x["set"] for x in results}) >= 2:
        rs = sorted(results, key=lambda x: (x["top"], x["params"]["NumLanes"],
                                            x["params"]["ChunkValues"]))
        md += ["## Lanes sweep", "", md_table([by[(x["set"], x["top"])] for x in rs], lib), ""]
    if any(r["memory_forms"] for r in rows):
        md += ["## Memories", "", "| set | top | width x depth | instances | form | um2 each |",
               "|---|---|---|---|---|---|"]
        for r in rows:
            counts = {}
            for w, d, form, um2 in r["memory_forms"]:
                counts[(w, d, form, um2)] = counts.get((w, d, form, um2), 0) + 1
            for (w, d, form, um2), n in sorted(counts.items(), reverse=True):
                md.append(f"| {r['set']} | {r['top']} | {w} x {d} | {n} | {form} | {um2:,.1f} |")
        md.append("")
    md += ["## Runtime", "", "| set | top | Yosys s | Yosys CPU s | total s |",
           "|---|---|---|---|---|"]
    md += [f"| {r['set']} | {r['top']} | {r['yosys_seconds']} | {r.get('yosys_cpu_seconds', '')} "
           f"| {r['seconds']} |" for r in results]
    with open(args.md + ".tmp", "w") as f:
        f.write("\n".join(md) + "\n")
    os.replace(args.md + ".tmp", args.md)
    with open(args.json + ".tmp", "w") as f:
        json.dump({"flow": "liberty" if lib else "generic-estimate",
                   "ge_um2": GE_UM2, "ebpc": {k: {"kge_per_byte_cycle": v[0], "fmax_mhz": v[1]}
                                              for k, v in EBPC.items()},
                   "fmax_target_mhz": FMAX_TARGET_MHZ, "results": rows}, f, indent=1)
    os.replace(args.json + ".tmp", args.json)
    print("\n".join(md))


def hier_report(args):
    """Markdown: per top, each instance's mapped area, flip-flops and memory bits in every set,
    and how the area scales between the sets of fewest and most lanes."""
    sets = read_sets()
    names = expand(args.sets)
    tops = []
    for n in names:
        tops += [t for t in sets[n]["tops"] if t not in tops and (not args.tops or t in args.tops)]
    md = ["# sfp area per submodule", "",
          "Yosys 0.23 without `-flatten` (each module synthesized and mapped on its own: no "
          "optimization across module boundaries, so a top's total differs from the flat run's), "
          "then the flat flow's `dfflibmap` and `abc -D` on the Liberty library, `stat -liberty`. "
          "Each row is an instance with everything below it; `own logic` is a module's own "
          "cells outside its instances (`top-level logic`: the top's). um2 is logic only; the "
          "memories (`sfp_ram`, black boxes) are counted in bits. % is of the top's logic "
          "area.", ""]
    runs = []
    for top in tops:
        res = []
        for n in names:
            if top not in sets[n]["tops"]:
                continue
            path = os.path.join(args.dir, n, top + ".hier.json")
            if not os.path.isfile(path):
                die(f"missing result {path} (run `make synth-hier HIER_SETS={n}`)")
            with open(path) as f:
                res.append(json.load(f))
        res.sort(key=lambda r: r["params"]["NumLanes"])
        # Per run: each path (an instance, "" the top) and path + ":own" (its own cells).
        by, order = [], []
        for r in res:
            d = {}

            def index(n, depth):
                d[n["path"]] = n
                key = (n["path"], depth)
                if key not in order:
                    order.append(key)
                if depth >= args.depth or not n["children"]:
                    return
                d[n["path"] + ":own"] = {
                    "um2": n["own_um2"], "ffs": n["own_ffs"],
                    "memory_bits": n["memory_bits"] - sum(c["memory_bits"] for c in n["children"])}
                if (n["path"] + ":own", depth + 1) not in order:
                    order.append((n["path"] + ":own", depth + 1))
                for c in n["children"]:
                    index(c, depth + 1)
            index(r["tree"], 0)
            by.append(d)
        head = ["instance"]
        for r in res:
            head += [f"{r['set']} um2", "%", "flops", "memory bits"]
        lo, hi = res[0], res[-1]
        scale = len(res) >= 2 and hi["params"]["NumLanes"] > lo["params"]["NumLanes"]
        if scale:
            head.append(f"um2 x, L {lo['params']['NumLanes']} -> {hi['params']['NumLanes']}")
        md += [f"## {top}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for path, depth in order:
            if path == "":
                label = f"**{top}** (all)"
            elif path == ":own":
                label = "top-level logic"
            elif path.endswith(":own"):
                label = f"`{path[:-4]}` own logic"
            else:
                label = f"`{path}`"
            cells = [label]
            for r, d in zip(res, by):
                n = d.get(path)
                if n is None:
                    cells += ["-"] * 4
                    continue
                total = r["tree"]["um2"]
                cells += [f"{n['um2']:,.0f}", f"{100.0 * n['um2'] / total:.1f}",
                          f"{n['ffs']:,}", f"{n['memory_bits']:,}"]
            if scale:
                a, b = by[0].get(path), by[-1].get(path)
                cells.append(f"{b['um2'] / a['um2']:.2f}" if a and b and a["um2"] > 0 else "-")
            md.append("| " + " | ".join(cells) + " |")
        for r in res:
            um2, parts = memory_area(r["tree"]["memory_shapes"])
            if parts:
                forms = sorted({p[2] for p in parts})
                md += ["", f"{r['set']} memories: {r['tree']['memory_bits']:,} bits in "
                       f"{len(parts)} `sfp_ram` instances, {um2:,.0f} um2 priced as "
                       f"{' and '.join(forms)} (as `synth.py report` prices them)."]
        if scale:
            md += ["", f"L {lo['params']['NumLanes']} -> {hi['params']['NumLanes']} is x"
                   f"{hi['params']['NumLanes'] / lo['params']['NumLanes']:g} in lanes and bytes "
                   f"per cycle (C {lo['params']['ChunkValues']} -> {hi['params']['ChunkValues']}, "
                   f"BW {lo['params']['BeatWords']} -> {hi['params']['BeatWords']})."]
        md.append("")
        runs += res
    md += ["## Runtime", "", "| set | top | Yosys wall s | Yosys CPU s |", "|---|---|---|---|"]
    md += [f"| {r['set']} | {r['top']} | {r['yosys_seconds']} | {r['yosys_cpu_seconds']} |"
           for r in runs]
    with open(args.md + ".tmp", "w") as f:
        f.write("\n".join(md) + "\n")
    os.replace(args.md + ".tmp", args.md)
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("sets")
    a.add_argument("names", nargs="*", default=["default"])
    a = sub.add_parser("runs")
    a.add_argument("names", nargs="*", default=["default"])
    a = sub.add_parser("run")
    a.add_argument("--set", required=True)
    a.add_argument("--top", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--liberty")
    a.add_argument("--period-ps", type=int, default=5000)
    a = sub.add_parser("hier")
    a.add_argument("--set", required=True)
    a.add_argument("--top", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--liberty", required=True)
    a.add_argument("--period-ps", type=int, default=5000)
    a = sub.add_parser("hier-report")
    a.add_argument("--dir", required=True)
    a.add_argument("--sets", nargs="+", required=True)
    a.add_argument("--md", required=True)
    a.add_argument("--depth", type=int, default=2)
    a.add_argument("--tops", nargs="+", help="only these tops (default: every top of the sets)")
    a = sub.add_parser("report")
    a.add_argument("--dir", required=True)
    a.add_argument("--sets", nargs="+", default=["default"])
    a.add_argument("--md", required=True)
    a.add_argument("--json", required=True)
    a.add_argument("--period-ps", type=int, default=5000)
    args = ap.parse_args()
    if args.cmd == "sets":
        print(" ".join(expand(args.names or ["default"])))
    elif args.cmd == "runs":
        sets = read_sets()
        print(" ".join(f"{n}/{t}" for n in expand(args.names or ["default"])
                       for t in sets[n]["tops"]))
    elif args.cmd == "run":
        run(args)
    elif args.cmd == "hier":
        hier(args)
    elif args.cmd == "hier-report":
        hier_report(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
