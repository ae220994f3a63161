# SPDX-License-Identifier: Apache-2.0
# sfp.torch beside PyTorch's own memory tools: torch.utils.checkpoint (non-reentrant),
# torch.autograd.graph.save_on_cpu, no_grad / inference_mode, and modules whose parameters are
# views of one flat parameter.
import pytest
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

import sfp.torch as st


def as_bits(t):
    return t.detach().contiguous().view(-1).view(torch.int32)


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def loss_of(net, x, y, ckpt):
    h = net[0](x)
    middle = lambda t: net[2](net[1](t))
    h = checkpoint(middle, h, use_reentrant=False) if ckpt else middle(h)
    return nn.functional.cross_entropy(net[4](net[3](h)), y)


def grads(net):
    out = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    return out


def same(a, b):
    return len(a) == len(b) and all(torch.equal(as_bits(u), as_bits(v)) for u, v in zip(a, b))


DATA = (torch.randn(64, 64), torch.randint(0, 10, (64,)))


def stashed_shapes(fn):
    """Runs fn(); returns the shapes of the tensors the stash encoded."""
    shapes = []
    orig = st._Stored.encode

    def spy(self, config, rounding):
        shapes.append(tuple(self.t.shape))
        return orig(self, config, rounding)
    st._Stored.encode = spy
    try:
        fn()
    finally:
        st._Stored.encode = orig
    return shapes


def test_checkpoint_region_is_recomputed_not_stashed():
    net = mlp()
    loss_of(net, *DATA, ckpt=False).backward()
    plain = grads(net)
    with st.stash(23, net) as s:
        shapes = stashed_shapes(lambda: loss_of(net, *DATA, ckpt=True).backward())
    # checkpoint's own saved_tensors_hooks are innermost inside the region: the tensors saved
    # there (the middle ReLU's output) never reach the stash and are recomputed in backward.
    assert same(plain, grads(net))
    assert shapes == [(64, 64), (64, 128)]  # the first Linear's input, the last ReLU's output
    with st.stash(23, net):
        shapes = stashed_shapes(lambda: loss_of(net, *DATA, ckpt=False).backward())
    assert shapes == [(64, 64), (64, 128), (64, 128)]


def test_checkpoint_with_quantum_mantissa_gives_the_gradients_of_neither():
    net = mlp()
    qm = st.QuantumMantissa(net, round="trunc", init=5.5)
    loss_of(net, *DATA, ckpt=False).backward()
    plain = grads(net) + [n.grad.clone() for n in qm.n.values()]
    for n in qm.n.values():
        n.grad = None
    with st.stash(qm, net):
        (loss_of(net, *DATA, ckpt=True) + qm.regularizer() * 0).backward()
    got = grads(net) + [n.grad.clone() for n in qm.n.values()]
    # Recomputation quantizes again with the same bitlengths; truncation makes the stash exact.
    assert same(plain, got)
    assert any(float(g) != 0.0 for g in got[-len(qm.n):])


@pytest.mark.parametrize("order", ["stash outside", "stash inside"])
def test_save_on_cpu_takes_over_when_innermost(order):
    net = mlp()
    loss_of(net, *DATA, ckpt=False).backward()
    plain = grads(net)
    if order == "stash outside":
        with st.stash(0, net) as s, torch.autograd.graph.save_on_cpu():
            loss_of(net, *DATA, ckpt=False).backward()
        assert same(plain, grads(net))  # save_on_cpu keeps every saved tensor as it is
        assert s.take()["raw_bytes"] == 0
    else:
        with torch.autograd.graph.save_on_cpu(), st.stash(23, net) as s:
            loss_of(net, *DATA, ckpt=False).backward()
        assert same(plain, grads(net))
        assert s.take()["tensors"] == 3


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_no_grad_and_inference_mode_save_nothing(mode):
    net = mlp()
    x = DATA[0]
    want = net(x).detach()
    qm = st.QuantumMantissa(net, init=23.0)  # n = 23: the quantizer is the identity
    with st.stash(qm, net) as s:
        with mode():
            out = net(x)
    assert torch.equal(out, want)
    assert s.take() == {"raw_bytes": 0, "stored_bytes": 0, "ratio": 1.0, "tensors": 0, "kept": 0}
    with mode():
        q = st.quantize_qm(x, torch.tensor(3.5, requires_grad=True))
        assert not q.requires_grad
        assert torch.equal(st.quantize_qm(x, torch.tensor(3.0)), st.quantize_ste(x, 3))


class FlatLinear(nn.Module):
    """A Linear layer whose weight and bias are views of one flat parameter."""

    def __init__(self, i, o):
        super().__init__()
        self.i, self.o = i, o
        self.flat = nn.Parameter(torch.randn(o * i + o) * 0.1)

    def forward(self, x):
        w = self.flat[: self.o * self.i].view(self.o, self.i)
        return nn.functional.linear(x, w, self.flat[self.o * self.i:])


@pytest.mark.parametrize("with_model", [False, True])
def test_parameters_that_are_views_are_kept_not_stashed(with_model):
    torch.manual_seed(1)
    net = nn.Sequential(FlatLinear(64, 128), nn.ReLU(), FlatLinear(128, 10))
    x = DATA[0].clone().requires_grad_(True)
    nn.functional.cross_entropy(net(x), DATA[1]).backward()
    plain = grads(net) + [x.grad.clone()]
    x.grad = None
    with st.stash(0, net if with_model else None) as s:
        shapes = stashed_shapes(lambda: nn.functional.cross_entropy(net(x), DATA[1]).backward())
    # dL/dx reads the weights: bit for bit as without the stash, so they were not quantized.
    assert torch.equal(as_bits(x.grad), as_bits(plain[-1]))
    assert (128, 64) not in shapes and (10, 128) not in shapes and (64, 128) in shapes
    assert s.take()["tensors"] == len(shapes)


def test_computed_weights_are_stashed_like_activations():
    # A weight computed in the forward pass (weight normalization) is an activation: stashed,
    # and restored bit for bit by a lossless stash.
    torch.manual_seed(2)
    net = nn.Sequential(nn.utils.weight_norm(nn.Linear(64, 128)), nn.ReLU(), nn.Linear(128, 10))
    x = DATA[0].clone().requires_grad_(True)  # dL/dx reads the computed weight
    nn.functional.cross_entropy(net(x), DATA[1]).backward()
    plain = grads(net) + [x.grad.clone()]
    x.grad = None
    with st.stash(23, net):
        shapes = stashed_shapes(lambda: nn.functional.cross_entropy(net(x), DATA[1]).backward())
    assert same(plain, grads(net) + [x.grad])
    assert shapes.count((64, 128)) == 2  # the computed weight (transposed), the ReLU output
