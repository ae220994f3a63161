# SPDX-License-Identifier: Apache-2.0
# The sfp module against the sfp command: identical container bytes, decoded values and
# statistics on the same arrays; errors with the spec's status codes.
import json
import struct

import numpy as np
import pytest
import torch

import sfp
from conftest import sample_arrays

CONFIGS = [
    {},
    {"m": 4, "round": "rne"},
    {"format": 1},
    {"format": 1, "m": 6, "group": 4, "base": "gamma", "zero": "mask", "chunk": 64, "word": 32},
    {"format": 1, "m": 0, "no_gecko": True, "zero": "none", "base": "raw", "group": 32, "word": 512},
    {"format": 2},
    {"format": 2, "m": 3, "round": "rne", "lanes": 8, "chunk": 256},
]


def cli_flags(config):
    flags = []
    for key, value in config.items():
        if key == "m":
            flags += ["-m", value]
        elif key == "no_gecko":
            flags += ["--no-gecko"] if value else []
        else:
            flags += [f"--{key}", value]
    return flags


def bits(a):
    return np.ascontiguousarray(a).view(np.uint32 if a.dtype == np.float32 else np.uint16)


def write_safetensors(path, tensors, metadata):
    header, offset = {"__metadata__": metadata}, 0
    for name, a in tensors.items():
        dtype = "F32" if a.dtype == np.float32 else "BF16"
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(a.tobytes() for a in tensors.values()))


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack_from("<Q", data)[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name != "__metadata__":
            b, e = h["data_offsets"]
            dtype = np.float32 if h["dtype"] == "F32" else np.uint16
            out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype).reshape(h["shape"])
    return out


def all_samples():
    tensors = dict(sample_arrays())
    tensors["bf16"] = torch.from_numpy(tensors["wide"]).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    return tensors


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: " ".join(map(str, cli_flags(c))) or "default")
def test_round_trip_matches_cli(tmp_path, sfp_cli, config):
    tensors = all_samples()
    write_safetensors(tmp_path / "m.safetensors", tensors, {"step": "5"})
    sfp_cli("encode", tmp_path / "m.safetensors", "-o", tmp_path / "cli.sfp", *cli_flags(config))
    cli_bytes = (tmp_path / "cli.sfp").read_bytes()
    assert sfp.encode_tensors(tensors, metadata={"step": "5"}, **config) == cli_bytes
    sfp.save(tmp_path / "py.sfp", tensors, metadata={"step": "5"}, **config)
    assert (tmp_path / "py.sfp").read_bytes() == cli_bytes
    got, meta = sfp.decode_tensors(cli_bytes)
    assert meta == {"step": "5"} and list(got) == list(tensors)
    if config.get("m") is None:  # lossless: every tensor back bit for bit
        for name, a in tensors.items():
            assert got[name].shape == a.shape and np.array_equal(bits(got[name]), bits(a)), name
    else:  # lossy: the same values as `sfp decode`
        sfp_cli("decode", tmp_path / "cli.sfp", "-o", tmp_path / "back.safetensors")
        want = read_safetensors(tmp_path / "back.safetensors")
        for name in tensors:
            assert np.array_equal(bits(got[name]), bits(want[name])), name
            assert np.array_equal(bits(got[name]), bits(sfp.quantize(tensors[name], config["m"],
                                                                     round=config.get("round", "trunc"))))
    loaded = sfp.load(tmp_path / "py.sfp")
    assert all(np.array_equal(bits(loaded[n]), bits(got[n])) for n in tensors)


def test_npy_matches_cli(tmp_path, sfp_cli):
    x = sample_arrays()["relu"]
    np.save(tmp_path / "act.npy", x)
    sfp_cli("encode", tmp_path / "act.npy", "-o", tmp_path / "cli.sfp", "-m", 5)
    cli_bytes = (tmp_path / "cli.sfp").read_bytes()
    assert sfp.encode(x, name="act", m=5) == cli_bytes
    assert sfp.encode(torch.from_numpy(x), name="act", m=5) == cli_bytes
    sfp.save(tmp_path / "py.sfp", x, name="act", m=5)
    assert (tmp_path / "py.sfp").read_bytes() == cli_bytes
    sfp_cli("decode", tmp_path / "cli.sfp", "-o", tmp_path / "back.npy")
    want = np.load(tmp_path / "back.npy")
    assert np.array_equal(bits(sfp.decode(cli_bytes)), bits(want))
    assert np.array_equal(bits(sfp.load(tmp_path / "py.sfp")), bits(want))
    assert sfp.decode(cli_bytes).shape == x.shape
    s = sfp.encode(np.array(2.5, np.float32))  # a 0-d array keeps its shape
    assert sfp.decode(s).shape == ()


def test_bf16_matches_cli(tmp_path, sfp_cli):
    rng = np.random.default_rng(3)
    t = torch.from_numpy(rng.standard_normal((33, 65)).astype(np.float32)).to(torch.bfloat16)
    raw = t.view(torch.int16).numpy().view(np.uint16)
    np.save(tmp_path / "b.npy", raw)
    for config in ({}, {"m": 3, "round": "rne", "chunk": 1024}):
        sfp_cli("encode", tmp_path / "b.npy", "-o", tmp_path / "b.sfp", "--bf16-npy", *cli_flags(config))
        cli_bytes = (tmp_path / "b.sfp").read_bytes()
        assert sfp.encode(t, name="b", **config) == cli_bytes
        assert sfp.encode(raw, name="b", **config) == cli_bytes
        sfp_cli("decode", tmp_path / "b.sfp", "-o", tmp_path / "back.npy")
        back = sfp.decode(cli_bytes, torch=True)
        assert back.dtype == torch.bfloat16
        assert np.array_equal(back.view(torch.int16).numpy().view(np.uint16), np.load(tmp_path / "back.npy"))
    assert torch.equal(sfp.decode(sfp.encode(t), torch=True), t)


def test_stats_match_cli(tmp_path, sfp_cli):
    x = sample_arrays()["relu"]
    np.save(tmp_path / "a.npy", x)
    for config in ({}, {"format": 1, "m": 3, "base": "gamma"}):
        doc = json.loads(sfp_cli("stats", "--json", tmp_path / "a.npy", *cli_flags(config)))
        want = doc["tensors"][0]
        got = sfp.stats(x, **config)
        for key in ("values", "config"):
            assert got[key] == want[key], key
        assert got["config_word"] == int(want["config_word"], 16)
        assert {k: got["bits"][k] for k in want["bits"]} == want["bits"]
        for key in ("zero_fraction", "exponent_entropy", "ratio_fp32"):
            assert got[key] == pytest.approx(want[key], rel=1e-12), key
        assert got["bits_per_value"] == pytest.approx(want["bits_per_value"], rel=1e-12)


def test_threads_give_the_same_stream():
    x = np.random.default_rng(5).standard_normal(700_001).astype(np.float32)
    old = sfp.get_num_threads()
    try:
        sfp.set_num_threads(1)
        one = sfp.encode(x, m=6, chunk=1024, format=1)
        s1 = sfp.encode_stream(x, m=6, chunk=1024, format=1)
        sfp.set_num_threads(4)
        assert sfp.encode(x, m=6, chunk=1024, format=1) == one
        s4 = sfp.encode_stream(x, m=6, chunk=1024, format=1)
        assert s4.payload == s1.payload and s4.chunk_words == s1.chunk_words and s4.bits == s1.bits
        assert np.array_equal(bits(sfp.decode_stream(s4)), bits(sfp.decode(one)))
    finally:
        sfp.set_num_threads(old)


def test_quantize_against_independent_references():
    x = sample_arrays()["wide"]
    # Truncation clears the low 23 - m mantissa bits of every non-NaN value.
    for m in (0, 5, 22):
        keep = np.uint32((0xFFFFFFFF << (23 - m)) & 0xFFFFFFFF)
        assert np.array_equal(bits(sfp.quantize(x, m)), bits(x) & keep)
    # Q_7 with RNE is the FP32 -> BF16 round-to-nearest-even conversion (docs/format.md).
    t = torch.from_numpy(x)
    assert torch.equal(sfp.quantize(t, 7, round="rne"), t.to(torch.bfloat16).float())
    # In place, into the caller's buffer.
    y = x.copy()
    assert sfp.quantize(y, 7, round="rne", out=y) is y
    assert np.array_equal(y, t.to(torch.bfloat16).float().numpy())


def test_torch_and_numpy_inputs_agree():
    x = sample_arrays()["normal"].reshape(100, 100)
    assert sfp.encode(torch.from_numpy(x)) == sfp.encode(x)
    assert sfp.encode(torch.from_numpy(x).t()) == sfp.encode(np.ascontiguousarray(x.T))
    back = sfp.decode(sfp.encode(torch.from_numpy(x), m=4), torch=True)
    assert isinstance(back, torch.Tensor) and back.shape == (100, 100)


def status_of(fn):
    with pytest.raises(sfp.Error) as e:
        fn()
    assert isinstance(e.value, ValueError)
    assert str(e.value).startswith(f"{e.value.status.name} (status {int(e.value.status)}): ")
    return e.value.status


def test_input_errors():
    x = np.ones(100, np.float32)
    assert status_of(lambda: sfp.encode(np.ones(4))) == sfp.Status.bad_input  # float64
    assert status_of(lambda: sfp.encode([1.0, 2.0])) == sfp.Status.bad_input
    assert status_of(lambda: sfp.encode(torch.ones(4, dtype=torch.float16))) == sfp.Status.bad_input
    assert status_of(lambda: sfp.encode(x, m=24)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(np.ones(4, np.uint16), m=8)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, chunk=8, group=16, format=1)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, chunk=100)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, word=48, format=1)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, word=64, format=2)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, lanes=8, format=1)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, format=3)) == sfp.Status.bad_config
    assert status_of(lambda: sfp.encode(x, round="up")) == sfp.Status.bad_config
    assert status_of(lambda: sfp.quantize(x, 30)) == sfp.Status.bad_config
    with pytest.raises(TypeError, match="unexpected keyword argument 'mantissa'"):
        sfp.encode(x, mantissa=3)
    with pytest.raises(TypeError):
        sfp.encode(x, m="3")


def test_container_errors_carry_the_spec_status():
    x = sample_arrays()["normal"][:1000]
    good = bytearray(sfp.encode(x, name="x", word=32, chunk=256, format=1))
    header = 16 + struct.unpack_from("<I", good, 12)[0]
    rec = header + 2 + 1 + 1 + 1 + 8  # name length, name "x", dtype, ndim, one dimension
    assert struct.unpack_from("<I", good, rec)[0] == sfp.config("F32", word=32, chunk=256, format=1)[1]

    assert status_of(lambda: sfp.decode(b"XXXX" + bytes(good[4:]))) == sfp.Status.bad_input
    assert status_of(lambda: sfp.decode(bytes(good[:-1]))) == sfp.Status.bad_input
    bad = bytearray(good)
    bad[rec + 3] |= 0x80  # a reserved bit of the configuration word
    assert status_of(lambda: sfp.decode(bytes(bad))) == sfp.Status.bad_config
    bad = bytearray(good)
    struct.pack_into("<I", bad, rec + 4 + 8, 5)  # chunk count 5 for ceil(1000 / 256) = 4 chunks
    assert status_of(lambda: sfp.decode(bytes(bad))) == sfp.Status.bad_index
    # A one bit in the padding of the last word of chunk 0.
    stream = sfp.encode_stream(x, word=32, chunk=256, format=1)
    payload = bytearray(stream.payload)
    words = stream.chunk_words
    payload[words[0] * 4 - 1] |= 0x80
    s = sfp._sfp.stream_from_parts(stream.config_word, stream.values, words, bytes(payload))
    with pytest.raises(sfp.Error) as e:
        sfp.decode_stream(s)
    assert e.value.status == sfp.Status.bad_padding and "chunk 0 of 4" in str(e.value)
    # Chunk 2 one word short: its last field runs past its end.
    short = list(words)
    short[2] -= 1
    cut = bytes(stream.payload[: sum(words[:2]) * 4 + short[2] * 4] + stream.payload[sum(words[:3]) * 4:])
    s = sfp._sfp.stream_from_parts(stream.config_word, stream.values, short, cut)
    with pytest.raises(sfp.Error) as e:
        sfp.decode_stream(s)
    assert e.value.status == sfp.Status.truncated and "chunk 2 of 4" in str(e.value)
    # An index that does not add up to the payload.
    s = sfp._sfp.stream_from_parts(stream.config_word, stream.values, words, bytes(stream.payload[:-4]))
    assert status_of(lambda: sfp.decode_stream(s)) == sfp.Status.bad_index
    assert status_of(lambda: sfp._sfp.stream_from_parts(0xFF000000, 4, [1], bytes(4))) == sfp.Status.bad_config
    # The same broken payload inside a container: the status and the tensor's name.
    blob = bytearray(good)
    data_at = len(good) - len(stream.payload)
    blob[data_at:] = payload
    with pytest.raises(sfp.Error) as e:
        sfp.decode(bytes(blob))
    assert e.value.status == sfp.Status.bad_padding and '"x"' in str(e.value)


def test_docstrings():
    assert "Configuration keywords" in sfp.__doc__
    assert "sfp encode" in sfp.encode.__doc__
    assert set(sfp.CONFIG_KEYWORDS) >= {"m", "round", "no_gecko", "group", "base", "zero", "chunk", "word"}
