#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates the spec-derived constants from the field table of docs/format.md.

The table sits between `<!-- fields:begin -->` and `<!-- fields:end -->`; each row is
`| \`Name\` | value | meaning |`. Writes model/include/sfp/gen/format.hpp and
rtl/gen/sfp_fmt_pkg.sv. With --check, writes nothing and exits 1 if either file differs.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "format.md"
HEADER = "GENERATED from docs/format.md by docs/tools/gen_format.py -- do not edit"


def read_fields(text):
    m = re.search(r"<!-- fields:begin -->(.*?)<!-- fields:end -->", text, re.S)
    if not m:
        sys.exit(f"{SPEC}: no fields:begin/fields:end block")
    fields = []
    for line in m.group(1).splitlines():
        row = re.match(r"\|\s*`(\w+)`\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$", line)
        if row:
            fields.append((row.group(1), int(row.group(2)), row.group(3)))
    if not fields:
        sys.exit(f"{SPEC}: the field table has no rows")
    return fields


def cpp(fields):
    out = [f"// {HEADER}", "#pragma once", "", "namespace sfp {", ""]
    for name, value, meaning in fields:
        out.append(f"// {meaning}")
        out.append(f"inline constexpr unsigned k{name} = {value};")
    out += ["", "}  // namespace sfp", ""]
    return "\n".join(out)


def sv(fields):
    out = [f"// {HEADER}", "package sfp_fmt_pkg;"]
    for name, value, meaning in fields:
        out.append(f"  // {meaning}")
        out.append(f"  parameter int unsigned {name} /*verilator public*/ = {value};")
    out += ["endpackage", ""]
    return "\n".join(out)


def main():
    check = "--check" in sys.argv[1:]
    fields = read_fields(SPEC.read_text(encoding="utf-8"))
    targets = {
        ROOT / "model" / "include" / "sfp" / "gen" / "format.hpp": cpp(fields),
        ROOT / "rtl" / "gen" / "sfp_fmt_pkg.sv": sv(fields),
    }
    stale = []
    for path, text in targets.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        if check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("gen-check: out of date (run `make gen`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
