#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Power from simulated activity (docs/architecture.md, "Power from simulated activity"): the
# mapped netlist of a synthesized top (synth.py's <set>/<top>.mapped.v, memories kept as
# sfp_ram instances) is simulated in Verilator on training data (tb/power/), each net's toggles
# and cycles high counted; OpenSTA then reports the power with those activities on every driver
# pin, at the target clock, beside synth.py's vectorless figure.
#
#   power.py cells --liberty LIB --out FILE NETLIST...
#       Verilog models of the library cells the netlists instantiate, from the Liberty file's
#       `function` (outputs), `ff` and `latch` groups: zero-delay, for simulation only.
#   power.py sta --liberty LIB --netlist SET/TOP.sta.v --top TOP --activity ACT.json
#                --period-ps P --out SET/TOP.power.json
#       writes SET/TOP.power.tcl (per driver pin: set_power_activity -pins ... -activity
#       <toggles per cycle> -duty <fraction of cycles high>), runs OpenSTA's report_power.
#   power.py report --dir DIR --sets S... --md FILE --json FILE
#       the table of power.md/json: activity-based power and pJ/B beside the vectorless figure.
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "synth"))
import synth  # noqa: E402  (the sets, the memories and the vectorless settings)


def die(msg):
    print(f"power.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return f.read()


# Liberty ##########################################################################################

_LIB_TOKEN = re.compile(r'\s+|/\*.*?\*/|\\\n|"(?:[^"\\]|\\.)*"|[(){}:;,]|[^\s(){}:;,"]+', re.S)


def liberty_groups(text, names):
    """The cell groups of a Liberty text whose names are in `names`, each parsed as a tree:
    {"attrs": {name: value}, "groups": [(type, args, subtree)]}. Complex attributes (values
    tables) are kept as argument lists."""
    cells = {}
    for m in re.finditer(r'^\s*cell\s*\(\s*"?([\w$]+)"?\s*\)\s*\{', text, re.M):
        if m.group(1) not in names:
            continue
        tree, _ = _parse_group(text, m.end())
        cells[m.group(1)] = tree
    return cells


def _parse_group(text, pos):
    node = {"attrs": {}, "groups": []}
    words = []
    while True:
        m = _LIB_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"Liberty syntax error at offset {pos}")
        tok, pos = m.group(0), m.end()
        if tok.isspace() or tok.startswith("/*") or tok == "\\\n":
            continue
        if tok == "}":
            return node, pos
        if tok == ";":
            words = []
            continue
        if tok == ":":
            # simple attribute: name : value ;
            vm = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^;\n]*?)\s*;').match(text, pos)
            node["attrs"][words[-1]] = vm.group(1).strip('"')
            pos = vm.end()
            words = []
            continue
        if tok == "(":
            end = text.index(")", pos)
            args = [a.strip().strip('"') for a in text[pos:end].split(",")]
            pos = end + 1
            nm = re.compile(r"\s*([{;])").match(text, pos)
            name = words[-1]
            words = []
            if nm and nm.group(1) == "{":
                sub, pos = _parse_group(text, nm.end())
                node["groups"].append((name, args, sub))
            else:
                node["attrs"].setdefault(name, args)
                pos = nm.end() if nm else pos
            continue
        words.append(tok)


# A Liberty Boolean expression as Verilog: ! and ' (NOT), ^ (XOR), & * and juxtaposition (AND),
# | and + (OR), in that order of precedence; 0 and 1.
def liberty_expr(expr, names):
    toks = re.findall(r"[A-Za-z_][\w\[\]]*|[01]|[!'^&*|+()]", expr)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def primary():
        t = take()
        if t == "!":
            v = f"~{primary()}"
        elif t == "(":
            v = f"({orx()})"
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in '{expr}'")
        elif t in ("0", "1"):
            v = f"1'b{t}"
        elif re.fullmatch(r"[A-Za-z_][\w\[\]]*", t):
            if t not in names:
                raise ValueError(f"'{t}' in '{expr}' is not a pin or state of the cell")
            v = t
        else:
            raise ValueError(f"unexpected '{t}' in '{expr}'")
        while peek() == "'":
            take()
            v = f"~{v}"
        return v

    def xorx():
        v = primary()
        while peek() == "^":
            take()
            v = f"{v} ^ {primary()}"
        return v

    def andx():
        v = xorx()
        while peek() is not None and peek() not in ("|", "+", ")"):
            if peek() in ("&", "*"):
                take()
            v = f"{v} & {xorx()}"
        return v

    def orx():
        v = andx()
        while peek() in ("|", "+"):
            take()
            v = f"{v} | {andx()}"
        return v

    out = orx()
    if pos[0] != len(toks):
        raise ValueError(f"trailing tokens in '{expr}'")
    return out


def _state_value(code, q, qn):
    """clear_preset_var1/2: the state when clear and preset are both active."""
    return {"L": "1'b0", "H": "1'b1", "N": q, "T": qn, "X": "1'bx"}.get(code, "1'bx")


def cell_model(name, tree):
    """A zero-delay Verilog model of one Liberty cell."""
    pins = [(args[0], sub) for typ, args, sub in tree["groups"] if typ == "pin"]
    if not pins:
        raise ValueError(f"cell {name} has no pins")
    states = [(typ, args, sub) for typ, args, sub in tree["groups"] if typ in ("ff", "latch")]
    if any(typ in ("statetable", "ff_bank", "latch_bank") for typ, _, _ in tree["groups"]):
        raise ValueError(f"cell {name}: statetable and bank groups are not modelled")
    if len(states) > 1:
        raise ValueError(f"cell {name} has more than one ff or latch group")
    names = {p for p, _ in pins}
    for _, args, _ in states:
        names |= set(args)
    ports, body = [], []
    for p, sub in pins:
        d = sub["attrs"].get("direction")
        if d not in ("input", "output"):
            raise ValueError(f"cell {name}: pin {p} has direction {d}")
        ports.append(f"{d} wire {p}")
    if states:
        typ, args, sub = states[0]
        q, qn = args[0], args[1] if len(args) > 1 else None
        a = sub["attrs"]
        body.append(f"  reg {q};")
        if qn:
            body.append(f"  wire {qn} = ~{q};")
        clr = liberty_expr(a["clear"], names) if "clear" in a else None
        pre = liberty_expr(a["preset"], names) if "preset" in a else None
        both = (f"if (sfp_clr && sfp_pre) {q} <= "
                f"{_state_value(a.get('clear_preset_var1', 'X'), q, qn or '~' + q)};\n      else ")
        if typ == "ff":
            body.append(f"  wire sfp_clk = {liberty_expr(a['clocked_on'], names)};")
            ev = ["posedge sfp_clk"]
            if clr:
                body.append(f"  wire sfp_clr = {clr};")
                ev.append("posedge sfp_clr")
            if pre:
                body.append(f"  wire sfp_pre = {pre};")
                ev.append("posedge sfp_pre")
            nxt = liberty_expr(a["next_state"], names)
            stmt = ""
            if clr and pre:
                stmt += both
            if clr:
                stmt += f"if (sfp_clr) {q} <= 1'b0;\n      else "
            if pre:
                stmt += f"if (sfp_pre) {q} <= 1'b1;\n      else "
            stmt += f"{q} <= {nxt};"
            body.append(f"  always @({' or '.join(ev)}) begin\n      {stmt}\n  end")
        else:
            en = liberty_expr(a["enable"], names)
            din = liberty_expr(a["data_in"], names)
            stmt = ""
            if clr:
                body.append(f"  wire sfp_clr = {clr};")
            if pre:
                body.append(f"  wire sfp_pre = {pre};")
            if clr and pre:
                stmt += both
            if clr:
                stmt += f"if (sfp_clr) {q} = 1'b0;\n      else "
            if pre:
                stmt += f"if (sfp_pre) {q} = 1'b1;\n      else "
            stmt += f"if ({en}) {q} = {din};"
            body.append(f"  always @* begin\n      {stmt}\n  end")
    for p, sub in pins:
        if sub["attrs"].get("direction") != "output":
            continue
        if "three_state" in sub["attrs"]:
            raise ValueError(f"cell {name}: three-state output {p} is not modelled")
        f = sub["attrs"].get("function")
        if f is None:
            raise ValueError(f"cell {name}: output {p} has no function")
        body.append(f"  assign {p} = {liberty_expr(f, names)};")
    return (f"module {name} (\n  " + ",\n  ".join(ports) + "\n);\n" + "\n".join(body) +
            "\nendmodule\n")


def netlist_cells(path):
    """The cell types a Yosys netlist (write_verilog -noattr) instantiates."""
    with open(path) as f:
        text = f.read()
    return set(re.findall(r"^\s*([A-Za-z_]\w*)\s+(?:#\(|[\\A-Za-z_])", text, re.M)) - {
        "module", "input", "output", "inout", "wire", "reg", "assign", "endmodule", "parameter",
        "localparam", "supply0", "supply1"}


def cells(args):
    used = set()
    for n in args.netlists:
        used |= netlist_cells(n)
    lib = read_text(args.liberty)
    found = liberty_groups(lib, used)
    unknown = sorted(c for c in used if c not in found and c not in synth.BLACKBOXES)
    if unknown:
        die(f"cells not in {args.liberty} (and not memories): {' '.join(unknown)}")
    out = [f"// GENERATED by synth/power.py from {os.path.basename(args.liberty)} -- do not edit",
           "// Zero-delay models of the library cells, for the activity simulation only.",
           "/* verilator lint_off DECLFILENAME */", "/* verilator lint_off MULTITOP */", ""]
    try:
        out += [cell_model(c, found[c]) for c in sorted(found)]
    except ValueError as e:
        die(str(e))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = "\n".join(out)
    if os.path.isfile(args.out) and read_text(args.out) == text:
        print(f"power.py: {args.out} is up to date")
        return
    with open(args.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(args.out + ".tmp", args.out)
    print(f"power.py: {len(found)} cell models -> {args.out}")


# OpenSTA ##########################################################################################
#
# OpenSTA 2019's report_power keeps a user activity only on the roots of its timing graph (input
# ports, undriven pins): on every other pin it overwrites it with an activity propagated from the
# inputs through the cell functions under an independence assumption, and its
# `set_power_activity -pins` calls a procedure that does not exist. Its power model is linear in
# the activity, though: with `-global -activity a` every pin but the clock's toggles a times per
# cycle, and an instance's power is P0 + a (P1 - P0), P0 and P1 its power at a = 0 and 1 (the
# clock pins' energy and the leakage in P0). The flow takes P0 and P1 of every instance from
# OpenSTA and weighs P1 - P0 by the measured toggles per cycle of the nets the instance drives.

def sta_tcl(top, netlist, liberty, period_ps, out_tsv):
    """OpenSTA script: the timing setup of synth.py, then each instance's power at global
    activities 0 and 1 (and the vectorless total of synth.py for the check)."""
    setup = synth.sta_script(top, netlist, liberty, period_ps, "")
    setup = setup[:setup.index("report_checks")]
    return setup + f"""array set keys {{}}
set corner [sta::parse_corner keys]
set insts [get_cells *]
foreach a {{0.0 1.0}} {{
  set_power_activity -global -activity $a -duty 0.5
  foreach inst $insts {{
    set p($a,[get_full_name $inst]) [sta::instance_power $inst $corner]
  }}
}}
set_power_activity -global -activity {synth.POWER_ACTIVITY} -duty 0.5
set f [open {{{out_tsv}}} w]
puts $f "# vectorless [sta::design_power $corner]"
foreach inst $insts {{
  set name [get_full_name $inst]
  set outs {{}}
  foreach pin [get_pins -of_objects $inst] {{
    if {{[get_property $pin direction] == "output"}} {{
      set net [get_nets -quiet -of_objects $pin]
      if {{$net != "" && $net != "NULL"}} {{ lappend outs [get_full_name $net] }}
    }}
  }}
  puts $f "$name\\t[get_property $inst ref_name]\\t[join $outs " "]\\t$p(0.0,$name)\\t$p(1.0,$name)"
}}
close $f
"""


def net_key(name):
    """A net name as Verilator's scope table and OpenSTA print it, without escapes."""
    return name.replace("\\", "").replace(" ", "")


def read_activity(path):
    with open(path) as f:
        head = f.readline().split()
        if head[:2] != ["#", "cycles"]:
            die(f"{path}: not an activity file")
        cycles = int(head[2])
        nets = {}
        for line in f:
            name, toggles, high = line.rstrip("\n").split("\t")
            nets[net_key(name)] = (int(toggles), int(high))
    return cycles, nets


# Memories: the SRAM macros that synthesis keeps as sfp_ram black boxes, outside the OpenSTA
# figures. Their energy is estimated from the accesses the simulation counts (the cycles each
# instance's we_i and re_i nets are 1) and the internal power that OpenRAM states for its sky130
# macro sky130_sram_1kbyte_1rw1r_32x256_8 (Liberty sky130_sram_1kbyte_1rw1r_32x256_8_TT_1p8V_25C:
# clk0/clk1 rise + fall energy in pJ), an instance of W x D bits taken as ceil(W/32) x
# ceil(D/256) such macros, written through port 0 and read through port 1.
SRAM_MACRO = "sky130_sram_1kbyte_1rw1r_32x256_8 (TT, 1.8 V, 25 C)"
SRAM_WRITE_PJ = 2.226912 + 2.371604   # clk0 when !csb0 & !web0
SRAM_READ_PJ = 2.843456 + 2.581878    # clk1 when !csb1
SRAM_IDLE0_PJ = 1.034863 + 1.048424   # clk0 when csb0 & web0 (deselected)
SRAM_IDLE1_PJ = 1.071456 + 1.008020   # clk1 when csb1
SRAM_MACRO_WIDTH, SRAM_MACRO_DEPTH = 32, 256


def sram_energy(mapped, nets, cycles):
    """Energy (pJ) of the run's memory accesses and idle macro cycles, and the counts."""
    with open(mapped) as f:
        text = f.read()
    total = {"instances": 0, "macros": 0, "writes": 0, "reads": 0, "access_pj": 0.0,
             "idle_pj": 0.0}
    for box in synth.BLACKBOXES:
        for m in re.finditer(re.escape(box) + r"\s*#\((.*?)\)\s*([\\\w.$\[\]]+)\s*\((.*?)\);",
                             text, re.S):
            params = dict(re.findall(r"\.(\w+)\(([^()]*)\)", m.group(1)))
            width, depth = (synth.verilog_int(params.get(k, "")) for k in ("Width", "Depth"))
            ports = dict(re.findall(r"\.(\w+)\(\s*([^()]*?)\s*\)", m.group(3)))
            count = {}
            for port in ("we_i", "re_i"):
                net = ports.get(port, "")
                const = re.fullmatch(r"1'[hb]([01])", net)
                if const:
                    count[port] = cycles * int(const.group(1))
                elif net_key(net) in nets:
                    count[port] = nets[net_key(net)][1]
                else:
                    die(f"{mapped}: {box} {m.group(2)}: no activity for its {port} net '{net}'")
            macros = -(-width // SRAM_MACRO_WIDTH) * -(-depth // SRAM_MACRO_DEPTH)
            w, r = count["we_i"], count["re_i"]
            total["instances"] += 1
            total["macros"] += macros
            total["writes"] += w
            total["reads"] += r
            # A macro word of the instance is written (read) whenever the instance is; the
            # other macros of a deeper instance stay deselected.
            words = -(-width // SRAM_MACRO_WIDTH)
            total["access_pj"] += words * (w * SRAM_WRITE_PJ + r * SRAM_READ_PJ)
            total["idle_pj"] += (macros * cycles - words * w) * SRAM_IDLE0_PJ + \
                (macros * cycles - words * r) * SRAM_IDLE1_PJ
    return total


def sta(args):
    base = os.path.splitext(args.out)[0]
    tsv = base + ".sta.tsv"
    tcl = base + ".tcl"
    with open(tcl, "w") as f:
        f.write(sta_tcl(args.top, os.path.abspath(args.netlist), os.path.abspath(args.liberty),
                        args.period_ps, os.path.abspath(tsv)))
    t0 = time.time()
    cmd = ["sta", "-no_init", "-no_splash", "-exit", tcl]
    print(f"power.py: {' '.join(cmd)}", flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    with open(base + ".sta.log", "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode != 0 or re.search(r"^Error", r.stdout + r.stderr, re.M) or \
            not os.path.isfile(tsv):
        die(f"OpenSTA failed (see {base}.sta.log)")
    sta_seconds = time.time() - t0
    cycles, nets = read_activity(args.activity)
    with open(args.run) as f:
        run = json.load(f)
    if cycles != run["cycles"] or cycles < 2:
        die(f"{args.activity}: {cycles} cycles, the run says {run['cycles']}")
    per = cycles - 1  # toggles are counted between consecutive cycles
    measured = [0.0, 0.0, 0.0]  # internal, switching, leakage (W)
    vectorless = [0.0, 0.0, 0.0]
    by_cell = {}
    missing = []
    insts = 0
    with open(tsv) as f:
        vl_total = [float(x) for x in f.readline().split()[2:]]
        for line in f:
            name, cell, outs, p0, p1 = line.rstrip("\n").split("\t")
            p0 = [float(x) for x in p0.split()]
            p1 = [float(x) for x in p1.split()]
            acts = []
            for o in outs.split():
                k = net_key(o)
                if k not in nets:
                    missing.append(o)
                    continue
                acts.append(nets[k][0] / per)
            a = sum(acts) / len(acts) if acts else 0.0
            insts += 1
            for i in range(3):
                measured[i] += p0[i] + a * (p1[i] - p0[i])
                vectorless[i] += p0[i] + synth.POWER_ACTIVITY * (p1[i] - p0[i])
            kind = "sequential" if synth.is_ff(cell) else "combinational"
            e = by_cell.setdefault(kind, [0.0, 0, 0.0])
            e[0] += sum(p0[i] + a * (p1[i] - p0[i]) for i in range(3))
            e[1] += 1
            e[2] += a
    if missing:
        die(f"{len(missing)} driven nets of the netlist have no measured activity "
            f"(first: {' '.join(missing[:5])}); was the activity taken on this netlist?")
    # The same power model at the vectorless activity must give synth.py's figure.
    if abs(sum(vectorless) - vl_total[3]) > 1e-3 * vl_total[3]:
        die(f"per-instance sum at activity {synth.POWER_ACTIVITY} is {sum(vectorless)} W, "
            f"OpenSTA's design total {vl_total[3]} W")
    mem = sram_energy(args.mapped, nets, cycles)
    toggles = sum(t for t, _ in nets.values())
    high = sum(h for _, h in nets.values())
    period_s = args.period_ps * 1e-12
    values = run["values"]
    lanes = run["lanes"]
    watts = sum(measured)
    res = {
        "set": run["set"], "top": run["top"], "lanes": lanes,
        "clock_mhz": 1e6 / args.period_ps, "cycles": cycles, "values": values,
        "values_per_cycle": round(values / cycles, 4),
        "utilization": round(values / cycles / lanes, 4),
        "snapshot": run["snapshot"], "tensors": run["tensors"],
        "net_bits": len(nets), "instances": insts,
        "mean_toggles_per_cycle": round(toggles / len(nets) / per, 5),
        "mean_duty": round(high / len(nets) / cycles, 4),
        "activity_mw": {"internal": round(measured[0] * 1e3, 3),
                        "switching": round(measured[1] * 1e3, 3),
                        "leakage": round(measured[2] * 1e3, 6),
                        "total": round(watts * 1e3, 3)},
        "activity_by_kind": {k: {"mw": round(v[0] * 1e3, 3), "instances": v[1],
                                 "mean_toggles_per_cycle": round(v[2] / v[1], 5)}
                             for k, v in sorted(by_cell.items())},
        "vectorless_activity": synth.POWER_ACTIVITY,
        "vectorless_mw": {"internal": round(vectorless[0] * 1e3, 3),
                          "switching": round(vectorless[1] * 1e3, 3),
                          "leakage": round(vectorless[2] * 1e3, 6),
                          "total": round(sum(vectorless) * 1e3, 3)},
        # Energy over the run per byte of FP32 data (4 bytes a value), so the cycles the codec
        # was not at full rate (table setups, chunk ends, fill and drain) are charged.
        "pj_per_byte": round(watts * period_s * cycles / (4.0 * values) * 1e12, 3),
        "pj_per_byte_full_rate": round(watts * period_s / (4.0 * lanes) * 1e12, 3),
        "vectorless_pj_per_byte_full_rate":
            round(sum(vectorless) * period_s / (4.0 * lanes) * 1e12, 3),
        "memories": {
            "macro": SRAM_MACRO, "instances": mem["instances"], "macros": mem["macros"],
            "writes": mem["writes"], "reads": mem["reads"],
            "access_mw": round(mem["access_pj"] / (cycles * args.period_ps) * 1e3, 3),
            "idle_mw": round(mem["idle_pj"] / (cycles * args.period_ps) * 1e3, 3),
            "access_pj_per_byte": round(mem["access_pj"] / (4.0 * values), 3),
            "pj_per_byte": round((mem["access_pj"] + mem["idle_pj"]) / (4.0 * values), 3)},
        "sta_seconds": round(sta_seconds, 1),
        "sim_seconds": run.get("sim_seconds"),
    }
    with open(args.out + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(args.out + ".tmp", args.out)
    print(f"power.py: {res['set']} {res['top']}: {res['activity_mw']['total']} mW from activity "
          f"(mean {res['mean_toggles_per_cycle']} toggles/cycle), {res['pj_per_byte']} pJ/B; "
          f"vectorless {res['vectorless_mw']['total']} mW")


# Report ###########################################################################################

def report(args):
    rows = []
    for r in args.runs:
        path = os.path.join(args.dir, r + ".power.json")
        if not os.path.isfile(path):
            die(f"missing {path} (run `make power`)")
        with open(path) as f:
            rows.append(json.load(f))
        syn = os.path.join(os.path.dirname(args.dir.rstrip("/")), r + ".json")
        if os.path.isfile(syn):
            with open(syn) as f:
                rows[-1]["synth_vectorless_mw"] = json.load(f).get("power", {}).get("total_mw")
    r0 = rows[0]
    md = ["# sfp power from simulated activity", "",
          f"The mapped netlists (Yosys 0.23 on the sky130hd typical corner, `make synth`) simulated "
          f"in Verilator with zero-delay models of their cells, at full rate (input every cycle, "
          f"outputs always ready) on {r0['tensors']} tensors of the training snapshot "
          f"`{os.path.basename(r0['snapshot'])}` (weights, activations and gradients at the "
          f"mantissa bits the trainer stored them with), every output compared with the golden "
          f"model. Each net's toggles per cycle weigh OpenSTA's per-instance power (`P0 + a (P1 - "
          f"P0)`, its power at global activities 0 and 1) at the {r0['clock_mhz']:.0f} MHz target "
          f"clock; the vectorless figure is the same model at activity "
          f"{r0['vectorless_activity']} on every net. No wires, no clock tree, no clock gating; "
          f"the memories (sfp_ram, SRAM macros) are not included. pJ/B: the run's energy per "
          f"byte of FP32 data (4 bytes a value), idle and partial cycles included; at full rate: "
          f"the power per cycle over 4 x L bytes.", "",
          "| set | top | L | values | cycles | values/cycle (of L) | mean toggles/cycle | "
          "mean duty | mW (activity) | mW (vectorless 0.1) | pJ/B (run) | pJ/B full rate "
          "(activity) | pJ/B full rate (vectorless) |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['set']} | {r['top']} | {r['lanes']} | {r['values']:,} | {r['cycles']:,} "
                  f"| {r['values_per_cycle']:.3f} ({r['utilization']:.1%}) | "
                  f"{r['mean_toggles_per_cycle']:.4f} | {r['mean_duty']:.3f} | "
                  f"{r['activity_mw']['total']:.2f} | {r['vectorless_mw']['total']:.2f} | "
                  f"{r['pj_per_byte']:.3f} | {r['pj_per_byte_full_rate']:.3f} | "
                  f"{r['vectorless_pj_per_byte_full_rate']:.3f} |")
    md += ["", "| set | top | internal mW | switching mW | leakage mW | sequential mW (toggles/cycle) "
           "| combinational mW (toggles/cycle) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        a, k = r["activity_mw"], r["activity_by_kind"]
        seq, comb = k.get("sequential", {}), k.get("combinational", {})
        md.append(f"| {r['set']} | {r['top']} | {a['internal']:.2f} | {a['switching']:.2f} | "
                  f"{a['leakage']:.4f} | {seq.get('mw', 0):.2f} "
                  f"({seq.get('mean_toggles_per_cycle', 0):.4f}) | {comb.get('mw', 0):.2f} "
                  f"({comb.get('mean_toggles_per_cycle', 0):.4f}) |")
    md += ["", f"Memories (sfp_ram, not in the figures above): accesses counted in the "
           f"simulation (cycles with we_i or re_i at 1) at the energy that OpenRAM's Liberty "
           f"states for its macro {SRAM_MACRO} ({SRAM_WRITE_PJ:.2f} pJ per 32-bit write, "
           f"{SRAM_READ_PJ:.2f} pJ per read, {SRAM_IDLE0_PJ:.2f} and {SRAM_IDLE1_PJ:.2f} pJ per "
           f"idle cycle of each port; a W x D instance is ceil(W/32) x ceil(D/256) macros; the "
           f"macro's minimum period is 6.875 ns, so it would not run at 200 MHz).", "",
           "| set | top | instances | macros | writes | reads | access mW | idle mW | access "
           "pJ/B | access + idle pJ/B |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["memories"]
        md.append(f"| {r['set']} | {r['top']} | {m['instances']} | {m['macros']} | "
                  f"{m['writes']:,} | {m['reads']:,} | {m['access_mw']:.2f} | {m['idle_mw']:.2f} "
                  f"| {m['access_pj_per_byte']:.3f} | {m['pj_per_byte']:.3f} |")
    md += ["", "Simulation and OpenSTA time: " + "; ".join(
        f"{r['set']} {r['top']} {r['sim_seconds'] or 0:.0f} s and {r['sta_seconds']:.0f} s"
        for r in rows), ""]
    with open(args.md + ".tmp", "w") as f:
        f.write("\n".join(md) + "\n")
    os.replace(args.md + ".tmp", args.md)
    with open(args.json + ".tmp", "w") as f:
        json.dump({"results": rows}, f, indent=1)
    os.replace(args.json + ".tmp", args.json)
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("cells")
    a.add_argument("--liberty", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("netlists", nargs="+")
    a = sub.add_parser("sta")
    a.add_argument("--liberty", required=True)
    a.add_argument("--netlist", required=True, help="the timing netlist (<top>.sta.v)")
    a.add_argument("--mapped", required=True, help="the mapped netlist with the memories")
    a.add_argument("--top", required=True)
    a.add_argument("--activity", required=True)
    a.add_argument("--run", required=True)
    a.add_argument("--period-ps", type=int, default=5000)
    a.add_argument("--out", required=True)
    a = sub.add_parser("report")
    a.add_argument("--dir", required=True)
    a.add_argument("--runs", nargs="+", required=True)
    a.add_argument("--md", required=True)
    a.add_argument("--json", required=True)
    args = ap.parse_args()
    if args.cmd == "cells":
        cells(args)
    elif args.cmd == "sta":
        sta(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
