# SPDX-License-Identifier: Apache-2.0
"""sfp.torch: Quantum Mantissa, BitChop and compressed activation stashing for PyTorch.

- quantize_ste, quantize_qm: the C++ trainer's quantizers (train/src/quant.cpp, docs/training.md
  "Quantizers") as autograd functions, computing Q_k with the golden model.
- QuantumMantissa, BitChop: policies that quantize what chosen layers read (their input, which
  autograd saves for the backward pass) with a learned bitlength per layer, or one network-wide
  bitlength moved by the trainer's own BitChop controller.
- stash: a context manager on torch.autograd.graph.saved_tensors_hooks that keeps the tensors
  saved for the backward pass as sfp streams at each layer's mantissa bits and restores them
  (Q_m of what was saved) for the backward pass, counting the bytes with and without sfp.
"""

import concurrent.futures
import math
import weakref

import numpy as np
import torch
from torch import nn

import sfp
from . import _sfp

__all__ = ["quantize_ste", "quantize_qm", "QuantumMantissa", "BitChop", "stash", "Stash"]

MAX_BITS = 23


def _q(x, k, rounding):
    """Q_k of a contiguous float32 tensor into a new tensor (the golden model's quantizer)."""
    out = torch.empty_like(x, memory_format=torch.contiguous_format)
    _sfp.quantize(x.numpy(), out.numpy(), int(k), rounding)
    return out


def _float32_input(x):
    if x.dtype != torch.float32:
        raise TypeError(f"quantize: tensor must be float32, not {x.dtype}")
    if x.device.type != "cpu":
        raise TypeError(f"quantize: tensor must be on the CPU, not {x.device}")
    return x.detach().contiguous()


def _qm(x, n, max_bits, rounding):
    """(1 - f) Q_lo(x) + f Q_hi(x) of a contiguous float32 tensor (one pass in C++); returns the
    result and (lo, hi, f)."""
    out = torch.empty_like(x, memory_format=torch.contiguous_format)
    lo, hi, f = _sfp.qm_forward(x.numpy(), out.numpy(), float(n), int(max_bits), rounding)
    return out, lo, hi, f


_WORKER = []


def _worker():
    """The thread that encodes stashed tensors while the forward pass goes on."""
    if not _WORKER:
        _WORKER.append(concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sfp-stash"))
    return _WORKER[0]


# The stashes entered and not yet left, innermost last: a quantizer tells the innermost one how
# its output derives from its input, so that only the input is stored.
_ACTIVE = []


class _SteFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k, rounding, track):
        xc = _float32_input(x)
        out = _q(xc, k, rounding)
        if track:
            _ACTIVE[-1]._derive(out, x, k, MAX_BITS, rounding, k)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, None


class _QmFn(torch.autograd.Function):
    # The same values and gradients, bit for bit, as QmFn in train/src/quant.cpp: Q_lo, Q_hi with
    # the model's quantizer and the float blend g*Q_lo + f*Q_hi in one C++ pass; backward sums
    # grad * (Q_hi - Q_lo), the difference recomputed in C++ from the saved input (only the
    # input is kept, never the difference).
    @staticmethod
    def forward(ctx, x, n, max_bits, rounding, need_diff, track):
        nv = float(n)
        out, lo, hi, f = _qm(_float32_input(x), nv, max_bits, rounding)
        ctx.need_diff = need_diff
        ctx.qm = (nv, max_bits, rounding)
        if need_diff:
            ctx.save_for_backward(x)
        if track:
            # Stored at hi bits when the bitlength gradient needs Q_hi, else at ceil(n).
            _ACTIVE[-1]._derive(out, x, nv, max_bits, rounding, hi if need_diff or f != 0 else lo)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_n = None
        if ctx.need_diff:
            (x,) = ctx.saved_tensors
            nv, max_bits, rounding = ctx.qm
            xc = x.detach().contiguous()
            d = torch.empty_like(xc)
            _sfp.qm_diff(xc.numpy(), d.numpy(), nv, max_bits, rounding)
            # grad * d in d's memory when both are dense in the same order (the same products,
            # summed in the same order, as a new tensor would hold).
            grad_n = (d.mul_(grad) if grad.is_contiguous() else grad * d).sum()
        return grad, grad_n, None, None, None, None


def quantize_ste(x, k, round="rne"):
    """Forward Q_k(x), backward straight through (dL/dx = dL/dQ). k >= 23 returns x."""
    if k >= MAX_BITS:
        return x
    return _SteFn.apply(x, int(k), round, bool(_ACTIVE) and torch.is_grad_enabled())


def quantize_qm(x, n, max_bits=MAX_BITS, round="rne"):
    """Quantum Mantissa (docs/training.md): n is a 0-dim float tensor, lo = floor(n),
    hi = min(lo + 1, max_bits), f = n - lo. Forward (1 - f) Q_lo(x) + f Q_hi(x); backward
    dL/dx = dL/dx^ and dL/dn = sum(dL/dx^ * (Q_hi(x) - Q_lo(x))) (non-finite differences count
    0). The same bits as the C++ trainer's quantize_qm."""
    need_diff = torch.is_grad_enabled() and n.requires_grad
    return _QmFn.apply(x, n, int(max_bits), round, need_diff,
                       bool(_ACTIVE) and torch.is_grad_enabled())


class _Policy:
    """Quantizes the input of every chosen layer through a forward pre-hook; the tensor a layer
    reads is then the one autograd saves for it."""

    def __init__(self, model, layers, rounding):
        self.round = rounding
        self.enabled = True
        self.active = None  # the layer whose input is being quantized
        self.layers = [(name, m) for name, m in model.named_modules()
                       if isinstance(m, layers) and name]
        if not self.layers:
            raise ValueError("the model has no layer of the chosen types")
        self.values = {name: 0 for name, _ in self.layers}  # input values of the last forward
        self._handles = [m.register_forward_pre_hook(self._hook(name)) for name, m in self.layers]

    def _hook(self, name):
        def hook(module, inputs):
            x = inputs[0]
            self.values[name] = x.numel()
            if not self.enabled or x.dtype != torch.float32:
                return None
            self.active = name  # what the quantizer saves belongs to this layer
            try:
                return (self._quantize(name, x),) + tuple(inputs[1:])
            finally:
                self.active = None
        return hook

    def remove(self):
        """Removes the hooks: the model runs in FP32 again."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def bits(self, name):
        """Mantissa bits layer `name` is charged (and stashed with)."""
        raise NotImplementedError

    def mean_bits(self):
        """Footprint-weighted mean of the charged bits over the layers' inputs."""
        total = sum(self.values.values())
        if total == 0:
            return float(MAX_BITS)
        return sum(self.values[n] * self.bits(n) for n, _ in self.layers) / total


class QuantumMantissa(_Policy):
    """Quantum Mantissa: a learned bitlength n per layer in [0, 23] (docs/training.md).

    The input of each layer of the given types is quantized by quantize_qm with the layer's n.
    Add regularizer() to the loss, call step() after loss.backward() (Adam with the trainer's
    constants, or SGD), and bits(name) = ceil(n) is what the layer is charged and stashed with.
    """

    def __init__(self, model, layers=(nn.Conv2d, nn.Linear, nn.BatchNorm2d), lam=0.3, lr=0.2,
                 init=23.0, round="rne", optim="adam"):
        if optim not in ("adam", "sgd"):
            raise ValueError("optim must be 'adam' or 'sgd'")
        self.n = {}
        super().__init__(model, layers, round)
        self.lam, self.lr, self.optim = float(lam), float(lr), optim
        self.n = {name: torch.tensor(float(init), requires_grad=True) for name, _ in self.layers}
        self._m = {name: 0.0 for name in self.n}
        self._v = {name: 0.0 for name in self.n}
        self._t = 0

    def _quantize(self, name, x):
        return quantize_qm(x, self.n[name], MAX_BITS, self.round)

    def regularizer(self):
        """lam * sum_t |t| n_t / (23 * sum_t |t|), |t| = the layer's input values per step."""
        total = sum(self.values.values())
        if total == 0:
            return torch.zeros(())
        reg = sum(self.n[name] * self.values[name] for name, _ in self.layers)
        return reg * (self.lam / (MAX_BITS * total))

    def step(self):
        """One optimizer step on every n from its gradient, then clamp to [0, 23]."""
        b1, b2, eps = 0.9, 0.999, 1e-12
        self._t += 1
        with torch.no_grad():
            for name, n in self.n.items():
                g = float(n.grad) if n.grad is not None else 0.0
                if self.optim == "adam":
                    self._m[name] = b1 * self._m[name] + (1 - b1) * g
                    self._v[name] = b2 * self._v[name] + (1 - b2) * g * g
                    mh = self._m[name] / (1 - b1 ** self._t)
                    vh = self._v[name] / (1 - b2 ** self._t)
                    n -= self.lr * mh / (math.sqrt(vh) + eps)
                else:
                    n -= self.lr * g
                if n.grad is not None:
                    n.grad.zero_()
                n.clamp_(0.0, float(MAX_BITS))

    def bits(self, name):
        return int(math.ceil(min(max(float(self.n[name]), 0.0), MAX_BITS)))


class BitChop(_Policy):
    """BitChop: one bitlength for every chosen layer, moved by the trainer's controller
    (train/src/bitchop.cpp, compiled into sfp) from the loss of each step: call observe(loss)
    after every step. The inputs are quantized with quantize_ste at the current bitlength."""

    def __init__(self, model, layers=(nn.Conv2d, nn.Linear, nn.BatchNorm2d), period=16, ema=0.9,
                 threshold=0.05, min_bits=2, max_bits=23, init_bits=None, round="rne"):
        self.controller = _sfp.BitChopController(
            period, ema, threshold, min_bits, max_bits, max_bits if init_bits is None else init_bits)
        super().__init__(model, layers, round)

    def _quantize(self, name, x):
        return quantize_ste(x, self.controller.bits, self.round)

    def observe(self, loss):
        """Records the task loss of a step; returns the bitlength for the next step."""
        return self.controller.observe(float(loss))

    def bits(self, name=None):
        return self.controller.bits


def _storage_ptr(t):
    """The address of the storage t is a view of (the same for every view of it)."""
    if hasattr(t, "untyped_storage"):
        return t.untyped_storage().data_ptr()
    return t.storage().data_ptr()


def _key(t):
    """What tells one tensor's values from another's while both are alive."""
    return (t.data_ptr(), t._version, tuple(t.shape), tuple(t.stride()), t.dtype)


class _Stored:
    """One tensor kept as an sfp stream at m mantissa bits (encoded when the stash flushes it:
    until then it holds the tensor, so that a second save at more bits costs no second encode).
    Every save of the same tensor shares it; the decoded tensor is kept while unpacks of it are
    still expected, so that a layer input and the quantizer reading it decode once."""

    __slots__ = ("t", "m", "stream", "dtype", "size", "stride", "lead", "raw", "users",
                 "pending", "cache", "kind", "job")

    def __init__(self, t, m, kind):
        self.t, self.m, self.stream, self.kind, self.job = t, m, None, kind, None
        self.dtype, self.size, self.stride = t.dtype, tuple(t.shape), t.stride()
        # The data's offset within a 64-byte line (PyTorch's CPU allocations are 64-byte
        # aligned): kernels that peel unaligned heads see the same alignment.
        self.lead = t.storage_offset() % (64 // t.element_size())
        self.raw = t.numel() * t.element_size()
        self.users = self.pending = 0
        self.cache = None

    def encode(self, config, rounding):
        # The memory t's values span, in storage order (t's own memory when it is dense in any
        # dimension order; an expanded tensor's values once), so that unpack restores t's
        # strides.
        t = self.t
        span = 1 + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        with torch.no_grad():
            flat = t.detach().as_strided((span,), (1,))
        self.stream = _sfp.encode_stream(
            sfp._buffer(flat)[0], dict(config, m=self.m, round=rounding))
        self.t = None

    def wait(self):
        """Waits for an encode running on the worker thread."""
        if self.job is not None:
            job, self.job = self.job, None
            job.result()

    @property
    def stored(self):
        return self.stream.nbytes if self.stream is not None else self.raw

    def decode(self):
        self.wait()
        if self.t is not None:  # not flushed yet (a backward pass inside the forward pass)
            return self.t
        if self.cache is not None:
            out = self.cache
        else:
            stream = self.stream
            buf = torch.empty(self.lead + stream.values, dtype=self.dtype)
            mem = buf[self.lead:]
            view = (mem.numpy() if self.dtype == torch.float32
                    else mem.view(torch.int16).numpy().view(np.uint16))
            stream.decode_into(view)
            out = buf.as_strided(self.size, self.stride, self.lead)
        self.pending -= 1
        self.cache = out if self.pending > 0 else None
        return out


class _Derived:
    """A quantizer's output restored from its stored input: Q_k(x) (BitChop) or the QM blend
    (1 - f) Q_lo(x) + f Q_hi(x), recomputed from the stream of x."""

    __slots__ = ("src", "n", "max_bits", "round")

    def __init__(self, src, n, max_bits, rounding):
        self.src, self.n, self.max_bits, self.round = src, n, max_bits, rounding

    def decode(self):
        x = self.src.decode()
        if self.n == self.src.m and self.src.m <= self.max_bits:
            # Stored at the quantizer's own integer bitlength k: the stream holds Q_k(x), and
            # Q_k of it is itself (BitChop, and QM at an integer n without its gradient), laid
            # out as the quantizer's output was.
            return x.contiguous()
        return _qm(x.contiguous(), self.n, self.max_bits, self.round)[0]


class _Narrowed:
    """An integer tensor (max-pool indices) kept losslessly in the narrowest integer type that
    holds its values."""

    __slots__ = ("data", "dtype", "size", "stride")

    def __init__(self, t):
        self.dtype, self.size, self.stride = t.dtype, tuple(t.shape), t.stride()
        span = 1 + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        flat = t.detach().as_strided((span,), (1,))
        lo, hi = int(flat.min()), int(flat.max())
        for small in (torch.int8, torch.int16, torch.int32):
            info = torch.iinfo(small)
            if info.min <= lo and hi <= info.max:
                break
        narrow = torch.empty((), dtype=small).element_size() < t.element_size()
        self.data = flat.to(small) if narrow else flat.clone()

    def decode(self):
        return self.data.to(self.dtype).as_strided(self.size, self.stride)


class Stash:
    """Compressed stashing of the tensors autograd saves for the backward pass (use stash()).

    Each floating-point tensor saved while the context is active is encoded into an sfp stream
    with m mantissa bits and decoded when the backward pass needs it, so the backward pass sees
    Q_m of what was saved. m is fixed (bits=int) or comes from a policy: a tensor saved inside a
    layer the policy quantizes gets that layer's bits; one saved by a ReLU or a max-pool only
    feeds its backward mask and gets relu_bits (default 0: Q_0 keeps every value's sign and
    exponent); any other gets other_bits (default: lossless).

    A tensor saved twice (a ReLU's output is also the next layer's input) is stored once, at the
    larger m. A policy's quantized layer input is not stored at all: its input x is stored (at
    ceil(n) bits, or floor(n) + 1 when the bitlength gradient needs Q_hi) and the layer's input
    is recomputed from it in the backward pass; QM's bitlength gradient recomputes
    Q_hi(x) - Q_lo(x) from the same stream. With round="trunc" this is exact (the backward pass
    sees the forward pass's values); with "rne", Q_lo of the stored Q_hi(x) can differ from
    Q_lo(x) where rounding twice differs from rounding once.

    Parameters and views of them (kept by the model anyway; not counted) and tensors below
    min_values values are kept as they are; integer tensors (max-pool indices) are kept in the
    narrowest integer type that holds them. A restored tensor has the saved one's shape and
    strides (the memory its values span is encoded in storage order), so the backward pass runs
    the same kernels: a lossless stash gives the gradients of no stash bit for bit. take()
    returns the bytes of the step.

    The stash sees the tensors saved while it is the innermost torch.autograd.graph
    saved_tensors_hooks: inside a torch.utils.checkpoint region or a save_on_cpu context
    entered after it, those tools' own hooks take the saved tensors instead.
    """

    def __init__(self, bits, model=None, round="rne", relu_bits=0, other_bits=None,
                 min_values=1024, overlap=True, **config):
        self.overlap = overlap
        self.fixed = bits if isinstance(bits, int) else None
        self.policy = None if self.fixed is not None else bits
        if self.policy is not None and model is None:
            raise ValueError("stash with a policy needs the model (to know which layer runs)")
        self.model = model
        self.round = self.policy.round if self.policy is not None else round
        self.relu_bits = relu_bits
        self.other_bits = other_bits
        self.min_values = min_values
        self.config = config
        self._params = set()
        self._stack = []
        self._handles = []
        self._hooks = None
        self.records = None  # a list to get (module type, m, raw bytes, stored bytes) per tensor
        self.reset()

    # ---- accounting
    def reset(self):
        self._seen = {}      # _key -> (weakref to the tensor, _Stored)
        self._derived = {}   # _key of a quantizer's output -> (weakrefs out, x; n, max, round)
        self._src_bits = {}  # _key of a quantizer's input -> bits it is stored with
        self._pending = []   # _Stored not yet encoded
        self._jobs = []      # _Stored being encoded on the worker thread
        self._stored = []    # every _Stored of the step
        self._other = 0      # raw bytes of tensors not stored as streams
        self._derived_raw = 0
        self.tensors_kept = 0

    def _flush(self):
        """Encodes the held tensors: on the worker thread (the GIL is released while the C++
        encoder runs, so the forward pass goes on beside it) or here."""
        for s in self._pending:
            if self.overlap:
                while len(self._jobs) >= 4:  # at most 4 tensors held for the worker
                    self._jobs.pop(0).wait()
                s.job = _worker().submit(s.encode, self.config, self.round)
                self._jobs.append(s)
            else:
                s.encode(self.config, self.round)
        self._pending = []

    def counts(self):
        self._flush()
        for s in self._stored:
            s.wait()
        self._jobs = []
        stored = sum(s.stored for s in self._stored)
        raw = sum(s.raw for s in self._stored) + self._derived_raw
        return {"raw_bytes": raw + self._other, "stored_bytes": stored + self._other,
                "ratio": (raw + self._other) / (stored + self._other) if stored + self._other
                else 1.0,
                "tensors": len(self._stored), "kept": self.tensors_kept}

    def take(self):
        """The counts since the last take() (or since entering), then reset them:
        raw_bytes (each tensor autograd saved, once), stored_bytes (what the stash keeps),
        ratio, tensors (sfp streams), kept (tensors kept as they are)."""
        out = self.counts()
        if self.records is not None:
            self.records.extend((s.kind, s.m, s.raw, s.stored) for s in self._stored)
        self.reset()
        return out

    # ---- which bits
    def _current_bits(self, dtype):
        width = 23 if dtype == torch.float32 else 7
        if self.fixed is not None:
            return min(self.fixed, width)
        if self.policy.active is not None:
            return min(self.policy.bits(self.policy.active), width)
        for name, module in reversed(self._stack):
            if name in self.policy.values:
                return min(self.policy.bits(name), width)
            if isinstance(module, (nn.ReLU, nn.MaxPool2d)):
                return min(self.relu_bits, width)
        return width if self.other_bits is None else min(self.other_bits, width)

    # ---- hooks
    def _is_parameter(self, t):
        """t is a parameter or a view of one (Linear saves its weight transposed): a leaf that
        requires grad, a view of such a leaf, or (with model=) in a parameter's storage."""
        if t.is_leaf and t.requires_grad:
            return True
        base = t._base
        if base is not None and base.is_leaf and base.requires_grad:
            return True
        return bool(self._params) and _storage_ptr(t) in self._params

    def _streamable(self, t):
        return (t.dtype in (torch.float32, torch.bfloat16) and t.device.type == "cpu"
                and t.numel() >= max(self.min_values, 1))

    def _derive(self, out, x, n, max_bits, rounding, src_bits):
        """A quantizer made out from x: store x at src_bits and recompute out from it."""
        if self.fixed is not None or self.policy is None or not self._streamable(x):
            return
        if len(self._derived) > 512:  # drop entries of tensors no longer alive
            self._derived = {k: v for k, v in self._derived.items() if v[0]() is not None}
        self._derived[_key(out)] = (weakref.ref(out), weakref.ref(x), n, max_bits, rounding)
        kx = _key(x)
        self._src_bits[kx] = (weakref.ref(x), max(self._src_bits_of(x, kx), src_bits))
        hit = self._seen.get(kx)  # already stored (a ReLU output): at enough bits?
        if hit is not None and hit[0]() is x:
            self._store(x, src_bits)

    def _src_bits_of(self, t, key):
        """Bits t is stored with as a quantizer's input (0 if it is not one). The weak reference
        tells a live tensor from a new one that reuses freed memory."""
        hit = self._src_bits.get(key)
        return hit[1] if hit is not None and hit[0]() is t else 0

    def _store(self, t, m):
        """The _Stored of t at at least m bits (an earlier one of the same tensor raised to m)."""
        key = _key(t)
        m = max(m, self._src_bits_of(t, key))
        hit = self._seen.get(key)
        if hit is not None and hit[0]() is t:
            s = hit[1]
            if s.m < m:
                if s not in self._pending:  # encoded or being encoded: again at the larger m
                    s.wait()
                    s.t = t
                    self._pending.append(s)
                s.m = m
            return s
        self._flush()
        kind = type(self._stack[-1][1]).__name__ if self._stack else ""
        s = _Stored(t, m, kind)
        self._pending.append(s)
        self._stored.append(s)
        self._seen[key] = (weakref.ref(t), s)
        return s

    def pack(self, t):
        if self._is_parameter(t):
            return t  # kept in memory anyway, not part of the stash
        if not self._streamable(t):
            size = t.numel() * t.element_size()
            if (t.dtype in (torch.int64, torch.int32) and t.device.type == "cpu"
                    and t.numel() >= max(self.min_values, 1)):
                packed = _Narrowed(t)
                self._other += packed.data.numel() * packed.data.element_size()
                self._derived_raw += size - packed.data.numel() * packed.data.element_size()
                self.tensors_kept += 1
                return packed
            self._other += size
            self.tensors_kept += 1
            return t
        d = self._derived.get(_key(t))
        if d is not None and d[0]() is t:
            x = d[1]()
            if x is not None:
                src = self._store(x, 0)
                src.users += 1
                src.pending += 1
                self._derived_raw += t.numel() * t.element_size()
                return _Derived(src, d[2], d[3], d[4])
        s = self._store(t, self._current_bits(t.dtype))
        s.users += 1
        s.pending += 1
        return s

    def unpack(self, packed):
        if isinstance(packed, torch.Tensor):
            return packed
        self._flush()
        return packed.decode()

    def __enter__(self):
        self.reset()
        if self.model is not None:
            self._params = {_storage_ptr(p) for p in self.model.parameters()}
        if self.policy is not None:
            for name, module in self.model.named_modules():
                if next(module.children(), None) is None:  # leaf modules
                    self._handles.append(module.register_forward_pre_hook(self._enter(name)))
                    self._handles.append(module.register_forward_hook(self._leave))
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self.pack, self.unpack)
        self._hooks.__enter__()
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        self._flush()
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        self._hooks.__exit__(*exc)
        for h in self._handles:
            h.remove()
        self._handles = []
        self._stack = []
        self._seen = {}
        self._derived = {}
        self._src_bits = {}
        return False

    def _enter(self, name):
        def hook(module, inputs):
            self._stack.append((name, module))
        return hook

    def _leave(self, module, inputs, output):
        if self._stack:
            self._stack.pop()


def stash(bits, model=None, round="rne", relu_bits=0, other_bits=None, min_values=1024,
          overlap=True, **config):
    """Context manager: keep the tensors saved for backward as sfp streams.

    bits: a fixed mantissa width m for every saved tensor, or a QuantumMantissa / BitChop policy
    (each layer's current bits; then model is required). overlap=True encodes on a worker
    thread while the forward pass goes on (at most 4 tensors wait for it); False encodes in
    the saving thread. Other configuration keywords (group,
    base, zero, chunk, word, ...) go to the encoder. Use one context per training step around
    forward and backward:

        with sfp.torch.stash(qm, model) as st:
            loss = criterion(model(x), y) + qm.regularizer()
            loss.backward()
        print(st.take())   # {'raw_bytes': ..., 'stored_bytes': ..., 'ratio': ..., ...}
    """
    return Stash(bits, model=model, round=round, relu_bits=relu_bits, other_bits=other_bits,
                 min_values=min_values, overlap=overlap, **config)
