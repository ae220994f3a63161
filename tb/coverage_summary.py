#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarises a merged Verilator coverage file: line (with branch) and toggle coverage of rtl/,
per module and in total. Every parameter set is a variant of the same modules; a point counts
as covered when any variant covers it. Then the benches' functional bins (user points of page
v_user/<group>, written by tb/common/fcov.hpp): per group the bins hit, and every bin no run hit;
with --bins, every bin and its count.

Usage: tb/coverage_summary.py [--bins] <coverage.dat>
"""
import collections
import re
import sys


def points(path):
    """Yields (fields, count) for every coverage point of a verilator_coverage .dat file."""
    line_re = re.compile(r"^C '(.*)' (\d+)$")
    with open(path, encoding="latin-1") as f:
        for line in f:
            m = line_re.match(line.rstrip("\n"))
            if not m:
                continue
            fields = {}
            for item in m.group(1).split("\x01"):
                if "\x02" in item:
                    k, v = item.split("\x02", 1)
                    fields[k] = v
            yield fields, int(m.group(2))


def summarise(path):
    """Returns {kind: {module: (covered, total)}} with every parameter variant of a module merged:
    a point (source position and signal bit) is covered when any variant covers it."""
    seen = collections.defaultdict(dict)  # (kind, module) -> key -> covered
    for fields, count in points(path):
        page = fields.get("page", "")
        kind, _, module = page.partition("/")
        kind = {"v_line": "line", "v_branch": "line", "v_toggle": "toggle",
                "v_user": "functional"}.get(kind)
        if kind is None:
            continue
        module = module.split("__", 1)[0]  # sfp3_dec_lanes__N4_B4 -> sfp3_dec_lanes
        key = (fields.get("f"), fields.get("l"), fields.get("n"), fields.get("o"),
               fields.get("h"), page.split("/", 1)[0])
        cell = seen[(kind, module)]
        cell[key] = cell.get(key, False) or count > 0
    table = collections.defaultdict(dict)
    for (kind, module), pts in seen.items():
        table[kind][module] = (sum(pts.values()), len(pts))
    return table


def functional_bins(path):
    """Returns {group: {bin: count}} of the functional bins, counts summed over the runs."""
    bins = collections.defaultdict(lambda: collections.defaultdict(int))
    for fields, count in points(path):
        kind, _, group = fields.get("page", "").partition("/")
        if kind == "v_user":
            bins[group][fields.get("o", "")] += count
    return bins


def pct(c, t):
    return f"{(100.0 * c / t if t else 100.0):6.1f}% ({c}/{t})"


def main():
    args = sys.argv[1:]
    show_bins = "--bins" in args
    args = [a for a in args if a != "--bins"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    table = summarise(args[0])
    modules = sorted(set(m for k in ("line", "toggle") for m in table.get(k, {})))
    print(f"{'module':<16} {'line':>20} {'toggle':>22}")
    totals = {k: [0, 0] for k in ("line", "toggle")}
    for mod in modules:
        row = [f"{mod:<16}"]
        for kind, width in (("line", 20), ("toggle", 22)):
            c, t = table[kind].get(mod, (0, 0))
            totals[kind][0] += c
            totals[kind][1] += t
            row.append(pct(c, t).rjust(width))
        print(" ".join(row))
    print(" ".join([f"{'total':<16}"] + [pct(*totals[k]).rjust(w)
                                         for k, w in (("line", 20), ("toggle", 22))]))
    groups = functional_bins(args[0])
    if groups:
        print()
        print(f"{'functional':<16} {'bins hit':>20}   bins no run hit")
        for group in sorted(groups):
            bins = groups[group]
            missed = sorted(b for b, n in bins.items() if n == 0)
            hit = len(bins) - len(missed)
            print(f"{group:<16} {pct(hit, len(bins)):>20}   {', '.join(missed) or '-'}")
            if show_bins:
                for b in sorted(bins):
                    print(f"  {b:<48} {bins[b]:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
