#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: the sfp command beside zstd and lz4, as a user compares them.

Each tool compresses and decompresses each file in the same run, one process per operation,
from and to files in a temporary folder (on the same disk). Reported per file and tool:
compression ratio, MB/s of input (the original file's bytes per wall-clock second, median of
--repeat runs) each way, and each operation's peak memory (the child's maximum resident set,
which includes the few MiB of this script that a child starts with).
Without files, three tensor files are generated: normal weights (a pretrained-style weight file),
post-ReLU activations, and normal weights as 2048 small tensors; snapshots of `make report` (build/report/runs/*/snapshots) are added
when they exist. Absolute rates on a shared machine are noisy: compare the rows of one run.

Usage: scripts/bench_cli.py BUILD [--repeat N] [--out DIR] [files...]
"""
import argparse
import filecmp
import hashlib
import json
import os
import pathlib
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def write_safetensors(path, tensors):
    """A safetensors file of F32 tensors: [(name, numpy float32 array)], in that order."""
    header, at = {}, 0
    for name, values in tensors:
        n = values.size * 4
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": [at, at + n]}
        at += n
    header = json.dumps(header).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for _, values in tensors:
            f.write(values.astype("<f4").tobytes())


def generated_files(folder):
    """2^23 FP32 values each (32 MiB): normal weights (sigma 0.02) and post-ReLU activations as
    one tensor each, and normal weights as 2048 tensors of 64 x 64 (many small tensors)."""
    import numpy as np
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, make in (
            ("weights-normal", lambda: [("weights-normal", rng.standard_normal(1 << 23) * 0.02)]),
            ("activations-relu",
             lambda: [("activations-relu", np.maximum(rng.standard_normal(1 << 23), 0))]),
            ("weights-2048x4096",
             lambda: [(f"layer{i}.weight", rng.standard_normal((64, 64)) * 0.02)
                      for i in range(2048)])):
        p = folder / f"{name}.safetensors"
        if not p.exists():
            write_safetensors(p, [(k, v.astype(np.float32)) for k, v in make()])
        out.append(p)
    return out


def tensors_of(path):
    """{name: (dtype, shape, SHA-256 of its bytes)} of a safetensors file, read in pieces (this
    process stays small: a child starts with its resident memory)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        out = {}
        for k, v in header.items():
            begin, end = v["data_offsets"]
            f.seek(8 + n + begin)
            h = hashlib.sha256()
            left = end - begin
            while left:
                piece = f.read(min(left, 1 << 20))
                h.update(piece)
                left -= len(piece)
            out[k] = (v["dtype"], tuple(v["shape"]), h.hexdigest())
    return out


def run(cmd, stdin=None, stdout=None):
    """Runs cmd; returns (seconds, peak resident MiB). Fails loudly on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench_cli: {' '.join(map(str, cmd))} failed: {err.strip()}")
    return seconds, usage.ru_maxrss / 1024


def tools(sfp):
    """(label, compress(src, dst) -> cmd, decompress(src, dst) -> cmd)."""
    return [
        ("sfp -j1", lambda s, d: [sfp, "encode", s, "-o", d, "-q", "-j", "1"],
         lambda s, d: [sfp, "decode", s, "-o", d, "-q", "-j", "1"]),
        ("sfp -j2", lambda s, d: [sfp, "encode", s, "-o", d, "-q", "-j", "2"],
         lambda s, d: [sfp, "decode", s, "-o", d, "-q", "-j", "2"]),
        ("zstd -1", lambda s, d: ["zstd", "-1", "-T1", "-q", "-f", s, "-o", d],
         lambda s, d: ["zstd", "-d", "-q", "-f", s, "-o", d]),
        ("zstd -1 -T2", lambda s, d: ["zstd", "-1", "-T2", "-q", "-f", s, "-o", d],
         lambda s, d: ["zstd", "-d", "-q", "-f", s, "-o", d]),
        ("zstd -3", lambda s, d: ["zstd", "-3", "-T1", "-q", "-f", s, "-o", d],
         lambda s, d: ["zstd", "-d", "-q", "-f", s, "-o", d]),
        ("lz4", lambda s, d: ["lz4", "-1", "-q", "-f", s, d],
         lambda s, d: ["lz4", "-d", "-q", "-f", s, d]),
    ]


def measure(files, sfp, repeat):
    rows = []
    with tempfile.TemporaryDirectory(prefix="sfp-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        for f in files:
            size = f.stat().st_size
            for label, comp, decomp in tools(sfp):
                packed, unpacked = tmp / "packed", tmp / "unpacked.safetensors"
                c_times, d_times, c_mem, d_mem = [], [], 0.0, 0.0
                for _ in range(repeat):
                    t, m = run(comp(str(f), str(packed)))
                    c_times.append(t)
                    c_mem = max(c_mem, m)
                    t, m = run(decomp(str(packed), str(unpacked)))
                    d_times.append(t)
                    d_mem = max(d_mem, m)
                if label.startswith("zstd") or label == "lz4":
                    same = filecmp.cmp(unpacked, f, shallow=False)
                else:  # sfp writes the file back in its source format: the tensors must match
                    same = tensors_of(unpacked) == tensors_of(f)
                if not same:
                    sys.exit(f"bench_cli: {label} did not give {f.name} back")
                rows.append({"file": f.name, "tool": label, "bytes": size,
                             "ratio": size / packed.stat().st_size,
                             "compress_mbs": size / statistics.median(c_times) / 1e6,
                             "decompress_mbs": size / statistics.median(d_times) / 1e6,
                             "compress_mib": c_mem, "decompress_mib": d_mem})
                print(f"bench_cli: {f.name} {label}: ratio {rows[-1]['ratio']:.3f}, "
                      f"{rows[-1]['compress_mbs']:.0f} / {rows[-1]['decompress_mbs']:.0f} MB/s",
                      file=sys.stderr)
    return rows


def markdown(rows):
    head = ["file", "tool", "ratio", "compress MB/s", "decompress MB/s",
            "peak MiB compress", "peak MiB decompress"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {r['file']} | {r['tool']} | {r['ratio']:.3f} | {r['compress_mbs']:.0f} | "
                     f"{r['decompress_mbs']:.0f} | {r['compress_mib']:.0f} | "
                     f"{r['decompress_mib']:.0f} |")
    return "\n".join(lines) + "\n"


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    files = sorted({r["file"] for r in rows})
    labels = [t for t, _, _ in tools("sfp")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(labels)
    for ax, key, title in ((axes[0], "compress_mbs", "compress"),
                           (axes[1], "decompress_mbs", "decompress")):
        for k, label in enumerate(labels):
            ys = [next((r[key] for r in rows if r["file"] == f and r["tool"] == label), 0)
                  for f in files]
            ax.bar([i + k * width for i in range(len(files))], ys, width, label=label)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(files))])
        ax.set_xticklabels(files, rotation=20, ha="right", fontsize=7)
        ax.set_ylabel("MB/s of input")
        ax.set_title(title)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.generate:  # in a process of its own, so that the tools' peak memory excludes NumPy's
        generated_files(pathlib.Path(a.build))
        return
    build = pathlib.Path(a.build)
    sfp = str(build / "sfp")
    for tool in ("zstd", "lz4"):
        if not shutil.which(tool):
            sys.exit(f"bench_cli: {tool} is not installed (scripts/deps.sh bench installs it)")
    out = pathlib.Path(a.out) if a.out else build / "bench"
    files = [pathlib.Path(f) for f in a.files]
    if not files:
        subprocess.run([sys.executable, __file__, str(out / "data"), "--generate"], check=True)
        files = sorted((out / "data").glob("*.safetensors"))
        snaps = sorted((build / "report" / "runs").glob("*-fp32/snapshots/*.safetensors"))
        files += snaps[-2:]
    rows = measure(files, sfp, a.repeat)
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(rows)
    (out / "cli.md").write_text(md)
    (out / "cli.json").write_text(json.dumps(rows, indent=1))
    png = plot(rows, out / "cli.png")
    print(md)
    print(f"bench_cli: wrote {out / 'cli.md'}" + (f" and {png}" if png else ""))


if __name__ == "__main__":
    main()
