# SPDX-License-Identifier: Apache-2.0
"""Where a training step's time goes with the sfp stash: forward, backward and optimizer time
of each run (FP32, lossless stash, QM, BitChop), and inside them the time spent in the stash's
hooks, the quantizer kernels, encoding (on the worker thread), waiting for the worker, decoding
and recomputing quantized inputs. Each part is timed exclusively (a part called inside another
is subtracted from it), per thread.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/stash_profile.py \\
        [--net resnet18] [--steps 12] [--runs fp32,lossless,qm,bitchop]

The runs take their steps in turn from the same weights and batches; the first --warmup steps
are not counted.
"""

import argparse
import collections
import functools
import importlib.util
import sys
import threading
import time

from stash_fmnist import NETS, Run, load, normalized  # sets OMP_WAIT_POLICY before torch loads

import torch

import sfp
import sfp.torch as sfpt

_LOCAL = threading.local()
TOTALS = collections.defaultdict(float)  # (thread kind, part) -> seconds, exclusive
CPU = collections.defaultdict(float)  # the same in the thread's CPU time
CALLS = collections.Counter()


def timed(part, fn):
    """fn, timing its calls as `part` exclusive of the timed parts it calls."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        stack = getattr(_LOCAL, "stack", None)
        if stack is None:
            stack = _LOCAL.stack = []
        thread = "worker" if threading.current_thread().name.startswith("sfp-stash") else "main"
        stack.append([0.0, 0.0])
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            dt, dc = time.perf_counter() - t0, time.thread_time() - c0
            inner = stack.pop()
            TOTALS[(thread, part)] += dt - inner[0]
            CPU[(thread, part)] += dc - inner[1]
            CALLS[(thread, part)] += 1
            if stack:
                stack[-1][0] += dt
                stack[-1][1] += dc
    return wrapper


def load_module(path, name="sfp.torch_before"):
    """Another implementation of sfp.torch (e.g. an earlier version of python/sfp/torch.py)
    loaded beside it, over the same compiled core."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def instrument(sfpt):
    """Wraps the stash's and the quantizers' functions of module sfpt with timers."""
    for cls, name, part in [
            (sfpt._QmFn, "forward", "QM quantizer forward"),
            (sfpt._QmFn, "backward", "QM bitlength gradient (backward)"),
            (sfpt._SteFn, "forward", "BitChop quantizer forward"),
            (sfpt._Stored, "encode", "encode"),
            (sfpt._Stored, "wait", "wait for the encode worker"),
            (sfpt._Stored, "decode", "decode"),
            (sfpt._Derived, "decode", "recompute quantized input"),
            (sfpt._Narrowed, "__init__", "narrow integer tensors"),
            (sfpt.Stash, "pack", "pack hook (Python)"),
            (sfpt.Stash, "unpack", "unpack hook (Python)"),
            (sfpt.Stash, "_derive", "pack hook (Python)"),
            (sfpt.Stash, "__enter__", "stash enter/exit"),
            (sfpt.Stash, "__exit__", "stash enter/exit"),
            (sfpt.Stash, "take", "stash take (waits for the last encodes)")]:
        raw = cls.__dict__[name]
        wrapped = timed(part, raw.__func__ if isinstance(raw, staticmethod) else raw)
        setattr(cls, name, staticmethod(wrapped) if isinstance(raw, staticmethod) else wrapped)
    # The policies' forward pre-hook: the Python around the quantizer.
    orig = sfpt._Policy._hook

    def hook_factory(self, name):
        return timed("policy pre-hook (Python)", orig(self, name))
    sfpt._Policy._hook = hook_factory


def phase_step(run, step, steps, x, y, phases):
    """Run.step, its forward, backward and the rest added to phases; returns its wall time."""
    run.step(step, steps, x, y)
    for part, dt in zip(("forward", "backward", "optimizer, take"), run.phases):
        phases[part] += dt
    phases["step CPU, all threads"] += run.cpu[-1]
    return run.times[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--net", default="resnet18", choices=sorted(NETS))
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sfp-threads", type=int, default=1)
    p.add_argument("--min-values", type=int, default=1024)
    p.add_argument("--runs", default="fp32,lossless,qm,bitchop")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-overlap", dest="overlap", action="store_false",
                   help="encode in the saving thread, not on the stash's worker thread")
    p.add_argument("--before", default=None,
                   help="an earlier sfp/torch.py: its runs take their steps beside these")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    sfp.set_num_threads(args.sfp_threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    g = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(xtr), generator=g)[: args.steps * args.batch]
    batches = [(normalized(xtr[order[i:i + args.batch]]), ytr[order[i:i + args.batch]])
               for i in range(0, len(order), args.batch)]
    spec = NETS[args.net]
    init = spec["make"]()
    run_args = argparse.Namespace(lr=spec["lr"], qm_lambda=0.3, qm_lr=0.3, qm_init=4.0,
                                  bitchop_period=4, bitchop_init=4, bitchop_min=2,
                                  bitchop_threshold=0.05, min_values=args.min_values,
                                  overlap=args.overlap)
    kinds = [k for k in args.runs.split(",") if k]
    instrument(sfpt)  # before the runs: their policies' pre-hooks are made now
    runs = {k: Run(k, init, spec["layers"], run_args) for k in kinds}
    if args.before:
        before = load_module(args.before)
        instrument(before)
        for k in list(kinds):
            if k != "fp32":
                runs[k + " before"] = Run(k, init, spec["layers"], run_args, mod=before)
        kinds = list(runs)
    parts = {k: collections.defaultdict(float) for k in kinds}
    cpu = {k: collections.defaultdict(float) for k in kinds}
    phases = {k: collections.defaultdict(float) for k in kinds}
    times = {k: [] for k in kinds}
    for step, (x, y) in enumerate(batches, 1):
        for kind, r in runs.items():
            TOTALS.clear()
            CPU.clear()
            ph = collections.defaultdict(float)
            dt = phase_step(r, step, len(batches), x, y, ph)
            if step > args.warmup:
                times[kind].append(dt)
                for key, v in TOTALS.items():
                    parts[kind][key] += v
                for key, v in CPU.items():
                    cpu[kind][key] += v
                for key, v in ph.items():
                    phases[kind][key] += v
    n = max(1, len(batches) - args.warmup)
    print(f"{spec['name']}: {n} steps of {args.batch} images counted, {args.threads} torch "
          f"threads, {args.sfp_threads} sfp threads; ms per step, mean: wall (CPU of the thread)")
    print()
    cols = list(kinds)
    print("| part | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))

    def row(label, values):
        print(f"| {label} | " + " | ".join(values) + " |")
    row("step", [f"{1e3 * sum(times[k]) / n:.0f}" for k in cols])
    base = sum(times[cols[0]]) / n if cols and cols[0] == "fp32" else None
    if base:
        row("vs FP32", [f"{sum(times[k]) / n / base:.2f}x" for k in cols])
    for ph in ("step CPU, all threads", "forward", "backward", "optimizer, take"):
        row(ph, [f"{1e3 * phases[k][ph] / n:.0f}" for k in cols])
    keys = sorted({key for k in cols for key in parts[k]}, key=lambda t: (t[0] != "main", t[1]))
    for key in keys:
        row(f"{key[1]}" + (" (worker thread)" if key[0] == "worker" else ""),
            [f"{1e3 * parts[k].get(key, 0.0) / n:.0f} ({1e3 * cpu[k].get(key, 0.0) / n:.0f})"
             for k in cols])


if __name__ == "__main__":
    main()
