# SPDX-License-Identifier: Apache-2.0
# sfp.torch: the QM and STE quantizers against the C++ trainer, compressed stashing restoring
# Q_m of what was saved, and the policies.
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

import sfp
import sfp.torch as st


def bits(t):
    return t.detach().contiguous().view(torch.int32)


def fixed_batch():
    g = torch.Generator().manual_seed(11)
    x = torch.randn(16, 40, generator=g) * torch.exp2(torch.randint(-20, 20, (16, 40), generator=g).float())
    x[0, :5] = torch.tensor([0.0, -0.0, 1e-40, -3e-39, 1.0])  # zeros and subnormals
    x[1] = torch.relu(x[1])
    w = torch.randn(12, 40, generator=g) * 0.2
    grad = torch.randn(16, 12, generator=g)
    return x, w, grad


@pytest.mark.parametrize("n", [23.0, 10.3, 3.6, 5.0, 0.5, 0.0])
@pytest.mark.parametrize("rounding", ["trunc", "rne"])
def test_qm_gradients_match_the_cpp_trainer(tmp_path, n, rounding):
    ref = os.environ.get("SFP_QM_GRAD_REF")
    if not ref:
        pytest.skip("the trainer is not built (no libtorch): no C++ reference")
    x, w, grad = fixed_batch()
    for name, t in (("x", x), ("w", w), ("g", grad)):
        np.save(tmp_path / f"{name}.npy", t.numpy())
    subprocess.run([ref, tmp_path / "x.npy", tmp_path / "w.npy", tmp_path / "g.npy", repr(n),
                    rounding, tmp_path], check=True)
    want = {k: torch.from_numpy(np.load(tmp_path / f"{k}.npy")) for k in ("xq", "dx", "dw", "dn")}

    torch.set_num_threads(1)
    xr = x.clone().requires_grad_(True)
    wr = w.clone().requires_grad_(True)
    nr = torch.tensor(n, requires_grad=True)
    xq = st.quantize_qm(xr, nr, 23, rounding)
    (nn.functional.linear(xq, wr) * grad).sum().backward()
    assert torch.equal(bits(xq), bits(want["xq"]))
    assert torch.equal(bits(xr.grad), bits(want["dx"]))
    assert torch.equal(bits(wr.grad), bits(want["dw"]))
    assert torch.equal(bits(nr.grad.reshape(1)), bits(want["dn"]))
    if n < 23:  # the bitlength gradient is not trivially zero
        assert float(nr.grad) != 0.0


def test_qm_forward_and_bitlength_gradient():
    x, _, grad = fixed_batch()
    xf = x[:, :]
    # At an integer n the forward value is Q_n (truncation: clear low mantissa bits).
    out = st.quantize_qm(xf, torch.tensor(6.0), 23, "trunc")
    assert torch.equal(bits(out), bits(xf) & ~((1 << 17) - 1))
    # dL/dn = sum(g * (Q_hi - Q_lo)), computed here from truncation masks.
    n = torch.tensor(6.4, requires_grad=True)
    (st.quantize_qm(xf, n, 23, "trunc") * grad[:, :1]).sum().backward()
    q = lambda k: (bits(xf) & ~((1 << (23 - k)) - 1)).view(torch.float32)
    want = (grad[:, :1] * (q(7) - q(6))).sum()
    assert float(n.grad) == pytest.approx(float(want), rel=1e-6)
    # Straight-through estimator.
    xr = xf.clone().requires_grad_(True)
    st.quantize_ste(xr, 3, "rne").backward(grad[:, :1].expand_as(xf))
    assert torch.equal(xr.grad, grad[:, :1].expand_as(xf))


class SaveProbe(torch.autograd.Function):
    """y = x * w, saving x; backward hands the restored x back as the gradient of w."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x)
        return x * w

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return None, x.clone()


@pytest.mark.parametrize("m,rounding", [(0, "trunc"), (3, "rne"), (7, "rne"), (12, "trunc"), (23, "rne")])
def test_stash_restores_q_m_of_what_was_saved(m, rounding):
    x = torch.randn(64, 33) * 3
    x[0, :4] = torch.tensor([0.0, -0.0, float("inf"), 1e-41])
    w = torch.ones_like(x, requires_grad=True)
    with st.stash(m, round=rounding) as s:
        SaveProbe.apply(x, w).sum().backward()
    counts = s.take()
    # What the backward pass saw is Q_m of what was saved, bit for bit.
    want = sfp.quantize(x, m, round=rounding)
    assert torch.equal(bits(w.grad), bits(want))
    if m == 7 and rounding == "rne":  # and independently: the FP32 -> BF16 conversion
        assert torch.equal(w.grad, x.to(torch.bfloat16).float())
    # x was stashed once as an sfp stream (the parameter w not at all).
    assert counts["tensors"] == 1 and counts["raw_bytes"] == x.numel() * 4
    assert counts["stored_bytes"] == sfp.encode_stream(x, m=m, round=rounding).nbytes
    if m < 23:
        assert counts["stored_bytes"] < counts["raw_bytes"]


def test_stash_bf16_and_small_tensors():
    x = torch.randn(50, 50).to(torch.bfloat16)
    w = torch.ones(50, 50, dtype=torch.bfloat16, requires_grad=True)
    with st.stash(3) as s:
        SaveProbe.apply(x, w).float().sum().backward()
    assert torch.equal(w.grad, sfp.quantize(x, 3, round="rne"))
    small = torch.randn(10)
    w2 = torch.ones(10, requires_grad=True)
    with st.stash(0) as s:
        SaveProbe.apply(small, w2).sum().backward()
    assert torch.equal(w2.grad, small)  # below min_values: kept as it is
    c = s.take()
    assert c["kept"] == 1 and c["tensors"] == 0 and c["raw_bytes"] == c["stored_bytes"] == 40


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 64, 10))


def stored_bits(fn):
    """Runs fn() and returns {shape: [m, ...]} of every tensor the stash encoded."""
    seen = {}
    orig = st._Stored.encode

    def spy(self, config, rounding):
        seen.setdefault(tuple(self.t.shape), []).append(self.m)
        return orig(self, config, rounding)
    st._Stored.encode = spy
    try:
        fn()
    finally:
        st._Stored.encode = orig
    return seen


def qm_step(net, qm, x, y, stash):
    def run():
        loss = nn.functional.cross_entropy(net(x), y) + qm.regularizer()
        loss.backward()
    if not stash:
        run()
        return None
    with st.stash(qm, net) as s:
        seen = stored_bits(run)
    return s.take(), seen


def test_stash_with_a_policy_stores_each_layer_input_once():
    net = small_net()
    qm = st.QuantumMantissa(net, lam=1.0, round="trunc")
    x = torch.randn(32, 1, 8, 8)
    y = torch.randint(0, 10, (32,))
    with torch.no_grad():
        qm.n["3"].fill_(2.5)  # second conv: charged 3 bits
        qm.n["1"].fill_(4.0)  # BatchNorm: the bitlength gradient needs Q_5
        qm.n["0"].fill_(23.0)
    qm_step(net, qm, x, y, False)
    plain = [p.grad.clone() for p in net.parameters()] + [n.grad.clone() for n in qm.n.values()]
    net.zero_grad()
    for n in qm.n.values():
        n.grad = None
    c, seen = qm_step(net, qm, x, y, True)
    # The ReLU output that conv 3 reads: one stream at ceil(2.5) = 3 bits, which also serves the
    # ReLU's mask; the quantized copy conv 3 reads is recomputed, never stored.
    assert seen[(32, 8, 8, 8)].count(3) == 1
    assert seen[(32, 8, 8, 8)].count(5) == 1   # conv 0's output, BatchNorm's input, at 4 + 1
    assert seen[(32, 1, 8, 8)] == [23]         # conv 0's input
    assert c["stored_bytes"] < c["raw_bytes"] / 2
    # With truncation the recomputed inputs are the forward pass's bits: the gradients of the
    # weights and of every bitlength are those of no stash, bit for bit.
    got = [p.grad for p in net.parameters()] + [n.grad for n in qm.n.values()]
    for i, (a, b) in enumerate(zip(plain, got)):
        assert torch.equal(a.view(-1).view(torch.int32), b.view(-1).view(torch.int32)), i
    assert float(qm.n["3"].grad) != 0.0


def test_stash_with_bitchop_restores_the_quantized_inputs():
    net = small_net()
    bc = st.BitChop(net, init_bits=4)
    x = torch.randn(32, 1, 8, 8)
    y = torch.randint(0, 10, (32,))
    nn.functional.cross_entropy(net(x), y).backward()
    plain = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    with st.stash(bc, net) as s:
        seen = stored_bits(lambda: nn.functional.cross_entropy(net(x), y).backward())
    # Q_4 of a stored Q_4 is itself: the same gradients as no stash, from one stream per input.
    for a, p in zip(plain, net.parameters()):
        assert torch.equal(a, p.grad)
    # BatchNorm's input and the ReLU output conv 3 reads at 4 bits, the last ReLU's output (its
    # mask) at 0, the network input and the Linear input at 4.
    assert seen[(32, 8, 8, 8)] == [4, 4, 0]
    assert seen[(32, 1, 8, 8)] == [4] and seen[(32, 512)] == [4]
    assert s.take()["tensors"] == len(sum(seen.values(), []))


def test_stash_lossless_gives_the_same_gradients():
    net = small_net()
    x = torch.randn(16, 1, 8, 8)
    y = torch.randint(0, 10, (16,))
    nn.functional.cross_entropy(net(x), y).backward()
    plain = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    with st.stash(23, net) as s:
        nn.functional.cross_entropy(net(x), y).backward()
    for a, p in zip(plain, net.parameters()):
        assert torch.equal(a, p.grad)
    assert s.take()["tensors"] > 0


def test_qm_policy_step_and_regularizer():
    net = small_net()
    qm = st.QuantumMantissa(net, lam=5.0, lr=0.5)
    x = torch.randn(8, 1, 8, 8)
    for _ in range(5):
        loss = net(x).square().mean() * 0 + qm.regularizer()
        loss.backward()
        qm.step()
    # The regularizer alone pulls every bitlength down by about lr per step (Adam).
    for name, n in qm.n.items():
        assert 20.0 < float(n) < 21.0, name
    assert qm.bits("0") == 21 and 20 < qm.mean_bits() <= 21
    qm.remove()
    assert all(len(m._forward_pre_hooks) == 0 for m in net)


def test_bitchop_follows_the_loss():
    net = small_net()
    bc = st.BitChop(net, period=2, min_bits=3, max_bits=23)
    assert bc.bits() == 23
    loss = 10.0
    for _ in range(60):  # steadily improving: one bit fewer per period down to the floor
        loss *= 0.8
        bc.observe(loss)
    assert bc.bits() == 3
    for _ in range(400):  # flat at the last loss: the EMA catches up, the bitlength holds
        bc.observe(loss)
    assert bc.bits() == 3 and bc.controller.last_decision == "hold"
    for _ in range(10):  # clearly worse: one bit more per period
        bc.observe(2 * loss)
    assert bc.bits() == 8
    out = net(torch.randn(2, 1, 8, 8))
    assert out.shape == (2, 10)
    with pytest.raises(ValueError):
        st.BitChop(net, min_bits=10, max_bits=5)


def storage_ptr(t):
    return (t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()).data_ptr()


def test_stash_keeps_parameters_and_their_views_without_the_model():
    # Linear saves its weight transposed (a view of the parameter): kept as it is, not counted,
    # with or without model=.
    net = small_net()
    x = torch.randn(16, 1, 8, 8)
    y = torch.randint(0, 10, (16,))
    params = {storage_ptr(p) for p in net.parameters()}
    stashed = []
    orig = st.Stash.pack

    def spy(self, t):
        out = orig(self, t)
        if isinstance(out, tuple):
            stashed.append(t)
        return out
    counts = []
    st.Stash.pack = spy
    try:
        for model in (None, net):
            with st.stash(23, model) as s:
                nn.functional.cross_entropy(net(x), y).backward()
            counts.append(s.take())
    finally:
        st.Stash.pack = orig
    assert counts[0] == counts[1] and counts[0]["tensors"] > 0
    assert not any(storage_ptr(t) in params for t in stashed)


class LayoutProbe(torch.autograd.Function):
    """Saves x; backward records the tensor autograd hands back."""
    restored = []

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x)
        return (x * w).sum()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        LayoutProbe.restored.append(x)
        return None, None


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_stash_restores_the_saved_layout(dtype):
    base = torch.randn(4, 16, 12, 40).to(dtype)
    cases = {
        "transposed": base.reshape(64, 480).t(),
        "channels_last": base.contiguous(memory_format=torch.channels_last),
        "expanded": base[:1, :1].expand(4, 16, 12, 40),
        "strided slice": base[:, 1::2, :, 3:],
        "offset": base.reshape(-1)[7:7 + 3000].reshape(60, 50),
    }
    for name, x in cases.items():
        LayoutProbe.restored.clear()
        w = torch.ones(x.shape, dtype=dtype, requires_grad=True)
        with st.stash(23, min_values=1) as s:
            LayoutProbe.apply(x, w).float().backward()
        (r,) = LayoutProbe.restored
        assert s.take()["tensors"] == 1, name
        assert r.shape == x.shape and r.stride() == x.stride(), name
        line = 64 // x.element_size()  # the same offset within a 64-byte line
        assert r.storage_offset() % line == x.storage_offset() % line, name
        assert torch.equal(r, x), name


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("with_model", [False, True])
def test_stash_lossless_gradients_are_bit_identical(dtype, channels_last, with_model):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8 * 64, 32), nn.Tanh(), nn.Linear(32, 10)).to(dtype)
    x = torch.randn(16, 3, 8, 8).to(dtype)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (16,))
    nn.functional.cross_entropy(net(x).float(), y).backward()
    plain = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    with st.stash(23, net if with_model else None) as s:
        nn.functional.cross_entropy(net(x).float(), y).backward()
    assert s.take()["tensors"] > 0
    as_int = torch.int16 if dtype == torch.bfloat16 else torch.int32
    for i, (a, p) in enumerate(zip(plain, net.parameters())):
        assert torch.equal(a.view(as_int), p.grad.view(as_int)), i
