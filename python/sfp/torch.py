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
    return x.detach().contiguous()


class _SteFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k, rounding):
        return _q(_float32_input(x), k, rounding)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None


class _QmFn(torch.autograd.Function):
    # Mirrors QmFn in train/src/quant.cpp operation for operation, so that values and gradients
    # are the same bits: Q_lo, Q_hi with the model's quantizer, the float blend g*Q_lo + f*Q_hi,
    # the saved difference Q_hi - Q_lo and the sum of grad * difference.
    @staticmethod
    def forward(ctx, x, n, max_bits, rounding, need_diff):
        nv = min(max(float(n), 0.0), float(max_bits))
        lo = math.floor(nv)
        hi = min(lo + 1, max_bits)
        f = np.float32(nv - lo)
        g = np.float32(1.0) - f
        xc = _float32_input(x)
        out = _q(xc, lo, rounding)
        ctx.need_diff = need_diff
        blend = f != 0
        if blend or need_diff:
            qhi = _q(xc, hi, rounding)
            if need_diff:
                ctx.save_for_backward(qhi - out)
            if blend:
                out = out * float(g) + qhi * float(f)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_n = None
        if ctx.need_diff:
            (d,) = ctx.saved_tensors
            grad_n = (grad * torch.nan_to_num(d, 0.0, 0.0, 0.0)).sum()
        return grad, grad_n, None, None, None


def quantize_ste(x, k, round="rne"):
    """Forward Q_k(x), backward straight through (dL/dx = dL/dQ). k >= 23 returns x."""
    if k >= MAX_BITS:
        return x
    return _SteFn.apply(x, int(k), round)


def quantize_qm(x, n, max_bits=MAX_BITS, round="rne"):
    """Quantum Mantissa (docs/training.md): n is a 0-dim float tensor, lo = floor(n),
    hi = min(lo + 1, max_bits), f = n - lo. Forward (1 - f) Q_lo(x) + f Q_hi(x); backward
    dL/dx = dL/dx^ and dL/dn = sum(dL/dx^ * (Q_hi(x) - Q_lo(x))) (non-finite differences count
    0). The same bits as the C++ trainer's quantize_qm."""
    need_diff = torch.is_grad_enabled() and n.requires_grad
    return _QmFn.apply(x, n, int(max_bits), round, need_diff)


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


class Stash:
    """Compressed stashing of the tensors autograd saves for the backward pass (use stash()).

    Each floating-point tensor saved while the context is active is encoded into an sfp stream
    with m mantissa bits and decoded when the backward pass needs it, so the backward pass sees
    Q_m of what was saved. m is fixed (bits=int) or comes from a policy: a tensor saved inside a
    layer the policy quantizes gets that layer's bits; one saved by a ReLU only feeds its
    backward mask and gets relu_bits (default 0: Q_0 keeps every value's sign and exponent);
    any other gets other_bits (default: lossless). Parameters and views of them (kept by the
    model anyway; not counted), integer tensors and tensors below min_values values are kept as
    they are. A restored tensor has the saved one's shape and strides (the memory its values
    span is encoded in storage order), so the backward pass runs the same kernels: a lossless
    stash gives the gradients of no stash bit for bit. take() returns the bytes of the step.
    """

    def __init__(self, bits, model=None, round="rne", relu_bits=0, other_bits=None,
                 min_values=1024, **config):
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
        self._seen = {}
        self.records = None  # a list to get (module type, m, raw bytes, stored bytes) per tensor
        self.reset()

    # ---- accounting
    def reset(self):
        self.raw_bytes = 0      # what autograd would have kept (each saved tensor once)
        self.stored_bytes = 0   # what the stash keeps: sfp streams, plus the tensors kept as they are
        self.tensors = 0        # tensors encoded
        self.kept = 0           # tensors kept as they are (not counting parameters)
        self._seen = {}

    def take(self):
        """The counts since the last take() (or since entering), then reset them."""
        out = {"raw_bytes": self.raw_bytes, "stored_bytes": self.stored_bytes,
               "ratio": self.raw_bytes / self.stored_bytes if self.stored_bytes else 1.0,
               "tensors": self.tensors, "kept": self.kept}
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
            if isinstance(module, nn.ReLU):
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

    def pack(self, t):
        if self._is_parameter(t):
            return t  # kept in memory anyway, not part of the stash
        if (t.dtype not in (torch.float32, torch.bfloat16) or t.numel() < max(self.min_values, 1)
                or t.device.type != "cpu"):
            size = t.numel() * t.element_size()
            self.raw_bytes += size
            self.stored_bytes += size
            self.kept += 1
            return t
        m = self._current_bits(t.dtype)
        # The same tensor saved again (a ReLU's output is also the next layer's input) is kept
        # once, as autograd would keep it once. The weak reference tells a live tensor from a
        # new one that reuses freed memory.
        key = (t.data_ptr(), t._version, tuple(t.shape), tuple(t.stride()), t.dtype, m)
        hit = self._seen.get(key)
        if hit is not None and hit[0]() is t:
            return hit[1]
        # The memory t's values span, in storage order (t's own memory when it is dense in any
        # dimension order; an expanded tensor's values once), so that unpack restores t's
        # strides.
        size, stride = tuple(t.shape), t.stride()
        span = 1 + sum((n - 1) * s for n, s in zip(size, stride))
        with torch.no_grad():
            flat = t.detach().as_strided((span,), (1,))
        stream = _sfp.encode_stream(
            sfp._buffer(flat)[0], dict(self.config, m=m, round=self.round))
        # The data's offset within a 64-byte line (PyTorch's CPU allocations are 64-byte
        # aligned): kernels that peel unaligned heads see the same alignment.
        lead = t.storage_offset() % (64 // t.element_size())
        packed = (stream, t.dtype, size, stride, lead)
        self.raw_bytes += t.numel() * t.element_size()
        self.stored_bytes += stream.nbytes
        self.tensors += 1
        if self.records is not None:
            module = self._stack[-1][1] if self._stack else None
            self.records.append((type(module).__name__ if module is not None else "",
                                 m, t.numel() * t.element_size(), stream.nbytes))
        self._seen[key] = (weakref.ref(t), packed)
        return packed

    @staticmethod
    def unpack(packed):
        if isinstance(packed, torch.Tensor):
            return packed
        stream, dtype, size, stride, lead = packed
        buf = torch.empty(lead + stream.values, dtype=dtype)
        mem = buf[lead:]
        view = mem.numpy() if dtype == torch.float32 else mem.view(torch.int16).numpy().view(np.uint16)
        stream.decode_into(view)
        return buf.as_strided(size, stride, lead)

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
        return self

    def __exit__(self, *exc):
        self._hooks.__exit__(*exc)
        for h in self._handles:
            h.remove()
        self._handles = []
        self._stack = []
        self._seen = {}
        return False

    def _enter(self, name):
        def hook(module, inputs):
            self._stack.append((name, module))
        return hook

    def _leave(self, module, inputs, output):
        if self._stack:
            self._stack.pop()


def stash(bits, model=None, round="rne", relu_bits=0, other_bits=None, min_values=1024,
          **config):
    """Context manager: keep the tensors saved for backward as sfp streams.

    bits: a fixed mantissa width m for every saved tensor, or a QuantumMantissa / BitChop policy
    (each layer's current bits; then model is required). Other configuration keywords (group,
    base, zero, chunk, word, ...) go to the encoder. Use one context per training step around
    forward and backward:

        with sfp.torch.stash(qm, model) as st:
            loss = criterion(model(x), y) + qm.regularizer()
            loss.backward()
        print(st.take())   # {'raw_bytes': ..., 'stored_bytes': ..., 'ratio': ..., ...}
    """
    return Stash(bits, model=model, round=round, relu_bits=relu_bits, other_bits=other_bits,
                 min_values=min_values, **config)
