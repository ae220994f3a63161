#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Writes a copy of a Liberty library (plain or gzipped) without the cells whose names match a
# pattern, so that Yosys 0.23 (whose abc and dfflibmap have no dont_use option) never maps to
# them. Default: the sky130 low-power isolation/level-shifter cells (sky130_fd_sc_hd__lpflow_*).
#
# Usage: filter_liberty.py <in.lib[.gz]> <out.lib> [regex]
import gzip
import re
import sys


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print("usage: filter_liberty.py <in.lib[.gz]> <out.lib> [cell-name regex]", file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    drop = re.compile(sys.argv[3] if len(sys.argv) == 4 else r"__lpflow_")
    opener = gzip.open if src.endswith(".gz") else open
    try:
        with opener(src, "rt", encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"filter_liberty.py: cannot read liberty file '{src}': {e}", file=sys.stderr)
        return 1
    cell_re = re.compile(r'^\s*cell\s*\(\s*"?([^")\s]+)"?\s*\)\s*\{')
    out, depth, skipping, kept, dropped = [], 0, False, 0, 0
    for line in lines:
        m = cell_re.match(line) if not skipping else None
        if m:
            if drop.search(m.group(1)):
                skipping, depth, dropped = True, 0, dropped + 1
            else:
                kept += 1
        if skipping:
            depth += line.count("{") - line.count("}")
            if depth <= 0:
                skipping = False
            continue
        out.append(line)
    if kept == 0 or skipping:
        print(f"filter_liberty.py: '{src}' is not a Liberty library with cells", file=sys.stderr)
        return 1
    with open(dst + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(out)
    import os

    os.replace(dst + ".tmp", dst)
    print(f"filter_liberty.py: {dst}: kept {kept} cells, dropped {dropped} matching '{drop.pattern}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
