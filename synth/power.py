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
# | and + (OR), in that order of precedence; 0 and 1. `names` maps each pin or state name the
# expression may use to the Verilog operand that stands for it.
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
                raise ValueError(f"'{t}' in '{expr}' is not a connected pin or state of the cell")
            v = names[t]
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

    if peek() is None:
        raise ValueError("empty expression")
    out = orx()
    if pos[0] != len(toks):
        raise ValueError(f"trailing tokens in '{expr}'")
    return out


def _edge(expr, what, cell):
    """A Liberty clock, clear or preset expression of one pin as (edge, pin): `P` rises,
    `!P` or `P'` falls."""
    m = re.fullmatch(r"\s*(!?)\s*([A-Za-z_]\w*)\s*('?)\s*", expr)
    if not m:
        raise ValueError(f"cell {cell}: {what} '{expr}' is not a single pin or its inverse")
    return ("negedge" if (m.group(1) or m.group(3)) else "posedge"), m.group(2)


class LibCell:
    """What the flattener needs of a Liberty cell: its pins and directions, the function of each
    output, and its flip-flop (state names, clock, next state, clear, preset), if any."""

    def __init__(self, name, tree):
        self.name = name
        self.dirs, self.funcs = {}, {}
        for typ, args, sub in tree["groups"]:
            if typ != "pin":
                continue
            d = sub["attrs"].get("direction")
            if d not in ("input", "output"):
                raise ValueError(f"cell {name}: pin {args[0]} has direction {d}")
            self.dirs[args[0]] = d
            if d == "output":
                if "three_state" in sub["attrs"]:
                    raise ValueError(f"cell {name}: three-state output {args[0]} is not modelled")
                if "function" not in sub["attrs"]:
                    raise ValueError(f"cell {name}: output {args[0]} has no function")
                self.funcs[args[0]] = sub["attrs"]["function"]
        if not self.dirs:
            raise ValueError(f"cell {name} has no pins")
        kinds = [typ for typ, _, _ in tree["groups"]]
        for bad in ("latch", "statetable", "ff_bank", "latch_bank"):
            if bad in kinds:
                raise ValueError(f"cell {name}: {bad} groups are not modelled")
        ffs = [(args, sub["attrs"]) for typ, args, sub in tree["groups"] if typ == "ff"]
        if len(ffs) > 1:
            raise ValueError(f"cell {name} has more than one ff group")
        self.ff = None
        if ffs:
            args, a = ffs[0]
            self.ff = {"q": args[0], "qn": args[1] if len(args) > 1 else None,
                       "clock": _edge(a["clocked_on"], "clocked_on", name),
                       "next": a["next_state"],
                       "clear": _edge(a["clear"], "clear", name) if "clear" in a else None,
                       "preset": _edge(a["preset"], "preset", name) if "preset" in a else None,
                       "both": a.get("clear_preset_var1", "X")}


# The mapped netlist #############################################################################
#
# Yosys's `write_verilog -noattr -noexpr` output of one flat module: port and wire declarations,
# library cell instances and memory (sfp_ram) instances with named connections, and `assign`
# statements between nets and constants. Every single-bit net of it is a bit (name, index).

_V_TOKEN = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|\\\S+|\d+'[sS]?[bBhHdDoO][0-9a-fA-FxXzZ_?]+|"
                      r"[A-Za-z_$][\w$]*|\d+|[()\[\]{}:;,.#=]", re.S)


def verilog_tokens(text):
    pos, out = 0, []
    while pos < len(text):
        m = _V_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"netlist syntax at '{text[pos:pos + 40]}'")
        t = m.group(0)
        pos = m.end()
        if not (t.isspace() or t.startswith("//") or t.startswith("/*")):
            out.append(t)
    return out


def const_bits(tok):
    """The bits of a sized constant, most significant first ('0', '1'; x and z as '0')."""
    m = re.fullmatch(r"(\d+)'[sS]?([bBhHdDoO])(.+)", tok)
    width, base, digits = int(m.group(1)), m.group(2).lower(), m.group(3).replace("_", "")
    digits = re.sub(r"[xXzZ?]", "0", digits)
    value = int(digits, {"b": 2, "h": 16, "d": 10, "o": 8}[base])
    return [str((value >> i) & 1) for i in reversed(range(width))]


class Netlist:
    """A parsed flat mapped netlist."""

    def __init__(self, text):
        toks = verilog_tokens(text)
        self.decls = {}  # name -> (kind, msb, lsb) with msb/lsb None for a scalar
        self.ports = []  # port names in order
        self.cells = []  # (type, instance, params {name: token}, {pin: [bits]})
        self.assigns = []  # ([lhs bits], [rhs bits])
        i = 0

        def expect(t):
            nonlocal i
            if toks[i] != t:
                raise ValueError(f"expected '{t}', found '{toks[i]}' (token {i})")
            i += 1

        expect("module")
        self.top = toks[i].lstrip("\\")
        i += 1
        expect("(")
        while toks[i] != ")":
            if toks[i] != ",":
                self.ports.append(toks[i])
            i += 1
        i += 1
        expect(";")
        pending = []
        while toks[i] != "endmodule":
            t = toks[i]
            if t in ("input", "output", "inout", "wire", "reg"):
                i += 1
                msb = lsb = None
                if toks[i] == "[":
                    msb, lsb = int(toks[i + 1]), int(toks[i + 3])
                    i += 5
                name = toks[i]
                i += 1
                expect(";")
                if t == "inout":
                    raise ValueError(f"inout port {name} is not supported")
                old = self.decls.get(name)
                kind = t if t in ("input", "output") else (old[0] if old else "wire")
                self.decls[name] = (kind, msb, lsb)
            elif t == "assign":
                i += 1
                start = i
                while toks[i] != "=":
                    i += 1
                lhs = toks[start:i]
                i += 1
                start = i
                while toks[i] != ";":
                    i += 1
                pending.append((lhs, toks[start:i]))
                i += 1
            else:
                ctype = t.lstrip("\\")
                i += 1
                params = {}
                if toks[i] == "#":
                    i += 2
                    while toks[i] != ")":
                        if toks[i] == ".":
                            pname = toks[i + 1]
                            i += 3
                            start = i
                            while toks[i] != ")":
                                i += 1
                            params[pname] = "".join(toks[start:i])
                        i += 1
                    i += 1
                inst = toks[i].lstrip("\\")
                i += 1
                expect("(")
                conns = {}
                while toks[i] != ")":
                    if toks[i] == ",":
                        i += 1
                        continue
                    expect(".")
                    pin = toks[i]
                    i += 1
                    expect("(")
                    depth, start = 1, i
                    while depth:
                        depth += {"(": 1, ")": -1}.get(toks[i], 0)
                        i += 1
                    conns[pin] = toks[start:i - 1]
                i += 1
                expect(";")
                self.cells.append([ctype, inst, params, conns])
        # The expressions, once every declaration is known.
        for c in self.cells:
            c[3] = {p: self.bits(e) for p, e in c[3].items()}
        for lhs, rhs in pending:
            self.assigns.append((self.bits(lhs), self.bits(rhs)))

    def bits(self, toks):
        """The bits of an expression (a net, a bit or range of one, a constant, a
        concatenation), most significant first: (name, index) or (name, None) for a scalar, or
        '0' / '1'."""
        if not toks:
            return []
        if toks[0] == "{":
            out, depth, start = [], 0, 1
            for k in range(1, len(toks)):
                if toks[k] == "{":
                    depth += 1
                elif toks[k] == "}":
                    depth -= 1
                if depth < 0 or (depth == 0 and toks[k] == ","):
                    out += self.bits(toks[start:k])
                    start = k + 1
                if depth < 0:
                    return out
            raise ValueError(f"unbalanced concatenation {' '.join(toks)}")
        if "'" in toks[0]:
            return const_bits(toks[0])
        name = toks[0]
        if name not in self.decls:
            raise ValueError(f"net {name} is not declared")
        _, msb, lsb = self.decls[name]
        if len(toks) == 1:
            if msb is None:
                return [(name, None)]
            step = -1 if msb >= lsb else 1
            return [(name, k) for k in range(msb, lsb + step, step)]
        if len(toks) == 4:  # name [ k ]
            return [(name, int(toks[2]))]
        hi, lo = int(toks[2]), int(toks[4])  # name [ hi : lo ]
        step = -1 if hi >= lo else 1
        return [(name, k) for k in range(hi, lo + step, step)]


def decl_bits(name, msb, lsb):
    """The bits of a declared net, most significant first."""
    if msb is None:
        return [(name, None)]
    step = -1 if msb >= lsb else 1
    return [(name, k) for k in range(msb, lsb + step, step)]


def bit_name(b):
    """A bit as OpenSTA names its net: the name without the escape, [index] for a vector."""
    name, idx = b
    name = name.lstrip("\\")
    return name if idx is None else f"{name}[{idx}]"


def flatten(netlist_text, lib_cells):
    """The mapped netlist as one flat SystemVerilog module of continuous assignments (one per
    library cell output, from its Liberty function) and flip-flop processes, the memories kept
    as sfp_ram instances; every net driven by a cell output is a bit of `sfp_act`, an unpacked
    array of 32-bit words that the simulation reads (public). Returns the Verilog text and, for
    each bit of sfp_act in order, the names of the nets it stands for."""
    nl = Netlist(netlist_text)
    # Nets joined by assignments are one net.
    parent = {}

    def find(b):
        while parent.get(b, b) != b:
            parent[b] = parent.get(parent[b], parent[b])
            b = parent[b]
        return b

    for lhs, rhs in nl.assigns:
        if len(lhs) != len(rhs):
            raise ValueError(f"assign of {len(rhs)} bits to {len(lhs)}")
        for a, b in zip(lhs, rhs):
            if a in ("0", "1"):
                raise ValueError("assignment to a constant")
            ra, rb = find(a), (b if b in ("0", "1") else find(b))
            if ra != rb:
                parent[ra] = rb

    def root(b):
        return b if b in ("0", "1") else find(b)

    # The operand that stands for each net: an input port bit, a constant, or sfp_n<k>.
    operand = {"0": "1'b0", "1": "1'b1"}
    inputs = set()
    for name, (kind, msb, lsb) in nl.decls.items():
        if kind != "input":
            continue
        for b in decl_bits(name, msb, lsb):
            r = root(b)
            if r in operand:
                raise ValueError(f"input {bit_name(b)} is joined to {operand[r]}")
            operand[r] = bit_name(b) if b[1] is None else f"{name}[{b[1]}]"
            inputs.add(r)
    nets = []  # the nets that cells drive, in sfp_act order (roots)
    index = {}
    internal = []

    def net(b):
        r = root(b)
        if r not in operand:
            operand[r] = f"sfp_n{len(internal)}"
            internal.append(r)
        return operand[r]

    def driven(b):
        r = root(b)
        if r in index or r in inputs or r in ("0", "1"):
            raise ValueError(f"net {bit_name(b)} has more than one driver")
        index[r] = len(nets)
        nets.append(r)
        return net(b)

    body, regs, mems = [], 0, 0
    mem_out = set()
    for ctype, inst, params, conns in nl.cells:
        if ctype in synth.BLACKBOXES:
            cs = []
            for pin, bits in conns.items():
                cs.append(f".{pin}({{{', '.join(net(b) for b in bits)}}})")
                if pin.endswith("_o"):
                    mem_out |= {root(b) for b in bits}
            ps = ", ".join(f".{k}({v})" for k, v in params.items())
            body.append(f"  {ctype} #({ps}) u_mem{mems} ({', '.join(cs)});  // {inst}")
            mems += 1
            continue
        if params:
            raise ValueError(f"cell {inst} ({ctype}) has parameters")
        lc = lib_cells.get(ctype)
        if lc is None:
            raise ValueError(f"cell {inst}: {ctype} is not in the library")
        names = {}
        for pin, bits in conns.items():
            if pin not in lc.dirs:
                raise ValueError(f"cell {inst} ({ctype}) has no pin {pin}")
            if len(bits) > 1:
                raise ValueError(f"cell {inst}: pin {pin} is connected to {len(bits)} bits")
            if lc.dirs[pin] == "input":
                if not bits:
                    raise ValueError(f"cell {inst}: input {pin} is not connected")
                names[pin] = net(bits[0])
        missing = [p for p, d in lc.dirs.items() if d == "input" and p not in names]
        if missing:
            raise ValueError(f"cell {inst} ({ctype}): inputs {' '.join(missing)} not connected")
        if lc.ff:
            f = lc.ff
            q = f"sfp_s{regs}"
            regs += 1
            names[f["q"]] = q
            if f["qn"]:
                names[f["qn"]] = f"~{q}"
            ev = [f"{f['clock'][0]} {names[f['clock'][1]]}"]
            tests = []
            for kind, val in (("clear", "1'b0"), ("preset", "1'b1")):
                if f[kind]:
                    edge, pin = f[kind]
                    ev.append(f"{edge} {names[pin]}")
                    tests.append(((f"~{names[pin]}" if edge == "negedge" else names[pin]), val))
            stmt = ""
            if len(tests) == 2:
                both = {"L": "1'b0", "H": "1'b1", "N": q, "T": f"~{q}"}.get(f["both"])
                if both is None:
                    raise ValueError(f"cell {ctype}: clear_preset_var1 {f['both']}")
                stmt += f"if ({tests[0][0]} & {tests[1][0]}) {q} <= {both}; else "
            for test, val in tests:
                stmt += f"if ({test}) {q} <= {val}; else "
            stmt += f"{q} <= {liberty_expr(f['next'], names)};"
            body.append(f"  logic {q};")
            body.append(f"  always_ff @({' or '.join(ev)}) {stmt}")
        for pin, bits in conns.items():
            if lc.dirs[pin] != "output" or not bits:
                continue
            if bits[0] in ("0", "1"):
                raise ValueError(f"cell {inst}: output {pin} drives a constant")
            body.append(f"  assign {driven(bits[0])} = {liberty_expr(lc.funcs[pin], names)};")
    outs = []
    for name, (kind, msb, lsb) in nl.decls.items():
        if kind == "output":
            outs.append(f"  assign {name} = {{{', '.join(net(b) for b in decl_bits(name, msb, lsb))}}};")
    undriven = [bit_name(r) for r in internal if r not in index and r not in mem_out]
    if undriven:
        raise ValueError(f"{len(undriven)} nets are read but not driven (first: "
                         f"{' '.join(undriven[:5])})")
    words = max(1, -(-len(nets) // 32))
    decl = []
    for name in nl.ports:
        kind, msb, lsb = nl.decls[name]
        rng = "" if msb is None else f"[{msb}:{lsb}] "
        decl.append(f"  {kind} logic {rng}{name}")
    text = [f"module {nl.top} (", ",\n".join(decl), ");",
            "  /*verilator tracing_off*/"]
    for k in range(0, len(internal), 16):
        text.append("  logic " + ", ".join(operand[r] for r in internal[k:k + 16]) + ";")
    text += body + outs
    text.append(f"  logic [31:0] sfp_act [{words}] /*verilator public_flat_rd*/;")
    for w in range(words):
        ops = [operand[nets[k]] if k < len(nets) else "1'b0"
               for k in reversed(range(32 * w, 32 * w + 32))]
        text.append(f"  assign sfp_act[{w}] = {{{', '.join(ops)}}};")
    text.append("endmodule")
    # Each sfp_act bit's names: every net joined to it.
    names = [[] for _ in nets]
    for name, (kind, msb, lsb) in nl.decls.items():
        for b in decl_bits(name, msb, lsb):
            r = root(b)
            if r in index:
                names[index[r]].append(bit_name(b))
    return "\n".join(text) + "\n", names


def flatten_cmd(args):
    lib = read_text(args.liberty)
    with open(args.netlist) as f:
        text = f.read()
    used = set(re.findall(r"^\s*(\\?[A-Za-z_][\w$]*)\s+(?:#\(|[\\A-Za-z_])", text, re.M))
    used = {u.lstrip("\\") for u in used} - {
        "module", "input", "output", "inout", "wire", "reg", "assign", "endmodule"}
    found = liberty_groups(lib, used)
    unknown = sorted(c for c in used if c not in found and c not in synth.BLACKBOXES)
    if unknown:
        die(f"{args.netlist}: cells not in {args.liberty} (and not memories): {' '.join(unknown)}")
    try:
        lib_cells = {c: LibCell(c, t) for c, t in found.items()}
        verilog, names = flatten(text, lib_cells)
    except (ValueError, KeyError, IndexError) as e:
        die(f"{args.netlist}: {e}")
    head = (f"// GENERATED by synth/power.py flatten from {os.path.basename(args.netlist)} and "
            f"{os.path.basename(args.liberty)} -- do not edit\n"
            "// The mapped netlist as zero-delay logic for the activity simulation only.\n")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    for path, body in ((args.out, head + verilog),
                       (args.nets, "".join(" ".join(n) + "\n" for n in names))):
        if os.path.isfile(path) and read_text(path) == body:
            continue
        with open(path + ".tmp", "w") as f:
            f.write(body)
        os.replace(path + ".tmp", path)
    print(f"power.py: {args.netlist}: {len(names)} driven nets -> {args.out}")


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


def read_activity(path, names_path):
    """The run's cycles and each net's (toggles, cycles at 1), by name: the simulation's counts
    per bit of sfp_act (one line each after `# cycles <n>`) joined with the names that
    `flatten` wrote for each bit."""
    with open(names_path) as f:
        names = [line.split() for line in f]
    with open(path) as f:
        head = f.readline().split()
        if head[:2] != ["#", "cycles"]:
            die(f"{path}: not an activity file")
        cycles = int(head[2])
        counts = [tuple(int(x) for x in line.split("\t")) for line in f]
    if len(counts) < len(names) or len(counts) - len(names) >= 32:
        die(f"{path}: {len(counts)} counted bits for the {len(names)} nets of {names_path}")
    nets = {}
    for bit, ns in enumerate(names):
        for n in ns:
            nets[net_key(n)] = counts[bit]
    return cycles, nets, counts[:len(names)]


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
    cycles, nets, bits = read_activity(args.activity, args.nets)
    with open(args.run) as f:
        run = json.load(f)
    if cycles != run["cycles"] or cycles < 2:
        die(f"{args.activity}: {cycles} cycles, the run says {run['cycles']}")
    per = cycles - 1  # toggles are counted between consecutive cycles
    measured = [0.0, 0.0, 0.0]  # internal, switching, leakage (W)
    vectorless = [0.0, 0.0, 0.0]
    floor = 0.0  # the sum of P0: clock pins' energy and leakage, whatever the data (W)
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
            floor += sum(p0[:3])
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
    toggles = sum(t for t, _ in bits)
    high = sum(h for _, h in bits)
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
        "net_bits": len(bits), "instances": insts,
        "mean_toggles_per_cycle": round(toggles / len(bits) / per, 5),
        "mean_duty": round(high / len(bits) / cycles, 4),
        "activity_mw": {"internal": round(measured[0] * 1e3, 3),
                        "switching": round(measured[1] * 1e3, 3),
                        "leakage": round(measured[2] * 1e3, 6),
                        "total": round(watts * 1e3, 3)},
        # The part that no data changes (P0: each flip-flop clocked every cycle, and leakage)
        # and the part the measured toggles add.
        "floor_mw": round(floor * 1e3, 3),
        "data_mw": round((watts - floor) * 1e3, 3),
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
          f"in Verilator as zero-delay flat models (`power.py flatten`), at full rate (input every cycle, "
          f"outputs always ready) on {r0['tensors']} tensors of the training snapshot "
          f"`{os.path.basename(r0['snapshot'])}` (weights, activations and gradients at the "
          f"mantissa bits the trainer stored them with), every output compared with the golden "
          f"model. Each net's toggles per cycle weigh OpenSTA's per-instance power (`P0 + a (P1 - "
          f"P0)`, its power at global activities 0 and 1) at the {r0['clock_mhz']:.0f} MHz target "
          f"clock; the vectorless figure is the same model at activity "
          f"{r0['vectorless_activity']} on every net. No wires, no clock tree, no clock gating; "
          f"the memories (sfp_ram, SRAM macros) are counted apart (last table). pJ/B: the run's energy per "
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
    md += ["", "P0: the power at activity 0 (each flip-flop's clock pin every cycle, leakage), "
           "which no data changes; data: what the measured toggles add.", "",
           "| set | top | P0 mW | data mW | internal mW | switching mW | leakage mW | "
           "sequential mW (toggles/cycle) | combinational mW (toggles/cycle) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, k = r["activity_mw"], r["activity_by_kind"]
        seq, comb = k.get("sequential", {}), k.get("combinational", {})
        md.append(f"| {r['set']} | {r['top']} | {r['floor_mw']:.2f} | {r['data_mw']:.2f} | "
                  f"{a['internal']:.2f} | {a['switching']:.2f} | "
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
           "pJ/B | access + idle pJ/B | logic + memories pJ/B (run) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["memories"]
        md.append(f"| {r['set']} | {r['top']} | {m['instances']} | {m['macros']} | "
                  f"{m['writes']:,} | {m['reads']:,} | {m['access_mw']:.2f} | {m['idle_mw']:.2f} "
                  f"| {m['access_pj_per_byte']:.3f} | {m['pj_per_byte']:.3f} | "
                  f"{r['pj_per_byte'] + m['pj_per_byte']:.3f} |")
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
    a = sub.add_parser("flatten")
    a.add_argument("--liberty", required=True)
    a.add_argument("--netlist", required=True, help="the mapped netlist (<top>.mapped.v)")
    a.add_argument("--out", required=True, help="the flat model (.sv)")
    a.add_argument("--nets", required=True, help="the names of each counted net (.txt)")
    a = sub.add_parser("sta")
    a.add_argument("--liberty", required=True)
    a.add_argument("--netlist", required=True, help="the timing netlist (<top>.sta.v)")
    a.add_argument("--mapped", required=True, help="the mapped netlist with the memories")
    a.add_argument("--top", required=True)
    a.add_argument("--activity", required=True)
    a.add_argument("--nets", required=True, help="the names of the counted nets (flatten)")
    a.add_argument("--run", required=True)
    a.add_argument("--period-ps", type=int, default=5000)
    a.add_argument("--out", required=True)
    a = sub.add_parser("report")
    a.add_argument("--dir", required=True)
    a.add_argument("--runs", nargs="+", required=True)
    a.add_argument("--md", required=True)
    a.add_argument("--json", required=True)
    args = ap.parse_args()
    if args.cmd == "flatten":
        flatten_cmd(args)
    elif args.cmd == "sta":
        sta(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
