# SPDX-License-Identifier: Apache-2.0
# The sfp module against the sfp command: identical container bytes, decoded values and
# statistics on the same arrays; errors with the spec's status codes.
import json
import os
import stat
import struct
import subprocess
import sys
import threading

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
    assert status_of(lambda: sfp.encode(x, format=4)) == sfp.Status.bad_config
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


def test_save_restores_the_signal_handlers(tmp_path):
    # sfp::io removes its temporary file on SIGINT, SIGTERM, ...: its handlers must be installed
    # for the write only. Afterwards SIGINT raises KeyboardInterrupt and the user's SIGTERM
    # handler is the one called, after the first save (which installs sfp::io's handlers) and
    # after the next (which installs them again).
    script = """
import os, signal, sys, time
import numpy as np
import sfp

def on_term(sig, frame):
    print("SIGTERM handled", flush=True)

def wait_for_signal():
    for _ in range(200):
        time.sleep(0.01)

signal.signal(signal.SIGTERM, on_term)
for i in range(2):
    sfp.save(sys.argv[1], np.ones(1000, np.float32), m=4)
    assert signal.getsignal(signal.SIGTERM) is on_term
    os.kill(os.getpid(), signal.SIGTERM)
    wait_for_signal()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        wait_for_signal()
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
print("done", flush=True)
"""
    r = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.sfp")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout.split("\n") == ["SIGTERM handled", "KeyboardInterrupt"] * 2 + ["done", ""]
    assert sfp.load(tmp_path / "x.sfp").shape == (1000,)
    assert os.listdir(tmp_path) == ["x.sfp"]  # no temporary file left


@pytest.mark.parametrize("bf16", [False, True])
def test_fortran_order_npy_reads_back_in_order(tmp_path, sfp_cli, bf16):
    x = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5) * 0.5 - 3
    if bf16:
        x = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    sfp_cli("encode", tmp_path / "f.npy", "-o", tmp_path / "f.sfp", *(["--bf16-npy"] if bf16 else []))
    blob = (tmp_path / "f.sfp").read_bytes()
    for got in (sfp.load(tmp_path / "f.sfp"), sfp.decode(blob), sfp.decode_tensors(blob)[0]["f"]):
        assert got.shape == x.shape and np.array_equal(got, x)
        assert got.flags.f_contiguous  # as np.load gives it
    t = sfp.decode(blob, torch=True)
    want = torch.from_numpy(x.astype(np.float32)) if not bf16 else \
        torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)
    assert torch.equal(t, want)
    # The CLI's round trip gives the same array.
    sfp_cli("decode", tmp_path / "f.sfp", "-o", tmp_path / "back.npy")
    assert np.array_equal(np.load(tmp_path / "back.npy"), x)


def test_out_is_written_in_place_or_refused():
    x = sample_arrays()["normal"]
    s = sfp.encode_stream(x, m=4)
    want = sfp.decode_stream(s)
    holder = np.zeros(2 * x.size, np.float32)
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        sfp.decode_stream(s, out=holder[::2])  # a strided view: not silently left as zeros
    t = torch.zeros(100, 100)
    with pytest.raises(ValueError, match="out must be a contiguous CPU tensor"):
        sfp.decode_stream(s, out=t.t())
    with pytest.raises(ValueError, match="out must be a contiguous CPU tensor"):
        sfp.quantize(x.reshape(100, 100), 4, out=t.t())
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        sfp.quantize(x, 4, out=holder[::2])
    assert not holder.any()
    out = np.empty_like(x)
    assert sfp.decode_stream(s, out=out) is out and np.array_equal(out, want)
    out = torch.empty(x.size)
    assert sfp.decode_stream(s, out=out) is out and torch.equal(out, torch.from_numpy(want))


@pytest.mark.parametrize("shift", [1000, -1000, 1, -70_001])
def test_quantize_into_an_overlapping_out(shift):
    x = np.random.default_rng(9).standard_normal(300_000).astype(np.float32)
    n = x.size - abs(shift)
    old = sfp.get_num_threads()
    try:
        sfp.set_num_threads(4)  # pieces side by side: reads and writes interleave
        for rounding in ("trunc", "rne"):
            buf = x.copy()
            src, dst = (buf[:n], buf[shift:]) if shift > 0 else (buf[-shift:], buf[:n])
            want = sfp.quantize(src.copy(), 3, round=rounding)
            assert sfp.quantize(src, 3, round=rounding, out=dst) is dst
            assert np.array_equal(bits(dst), bits(want))
            t = torch.from_numpy(x.copy())
            ts, td = (t[:n], t[shift:]) if shift > 0 else (t[-shift:], t[:n])
            want = sfp.quantize(ts.clone(), 3, round=rounding)
            sfp.quantize(ts, 3, round=rounding, out=td)
            assert torch.equal(td, want)
    finally:
        sfp.set_num_threads(old)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def claiming_container(chunks, chunk=1 << 20):
    """A version 2 container of about 11 bytes per chunk whose record (with a valid CRC) claims
    `chunks` chunks of `chunk` values, each one word long with a wrong chunk CRC."""
    x = np.zeros(chunk, np.float32)
    good = sfp.encode(x, name="x", format=2, chunk=chunk)
    s = sfp.encode_stream(x, format=2, chunk=chunk)
    length_bits = s.bits["index"] - 1  # a one-chunk index: the length and the mode bit
    entry = length_bits + 1 + 32
    header = 16 + struct.unpack_from("<I", good, 12)[0] + 4
    word_at = header + 2 + 1 + 1 + 1 + 8
    index_at = len(good) - len(s.payload) - 4 - (entry + 7) // 8
    table = good[word_at + 4 + 8 + 4:index_at]
    assert int.from_bytes(good[index_at:index_at + (entry + 7) // 8], "little") \
        & ((1 << length_bits) - 1) == s.chunk_words[0]
    index = 0
    for j in range(chunks):  # one word, mode bit 0, a CRC that does not match
        index |= (1 | (0x1234567 << (length_bits + 1))) << (j * entry)
    n = chunks * chunk
    record = (struct.pack("<H", 1) + b"x" + bytes([0, 1]) + struct.pack("<Q", n)
              + good[word_at:word_at + 4] + struct.pack("<QI", n, chunks) + table
              + index.to_bytes((chunks * entry + 7) // 8, "little"))
    return good[:header] + record + struct.pack("<I", crc32c(record)) + bytes(4 * chunks)


def test_a_small_file_claiming_gigabytes_fails_fast(tmp_path):
    # 4 KB claiming 380 chunks of 2^20 values (1.6 GB of float32): refused after the first
    # chunks, as `sfp decode` refuses it, without allocating what the header claims.
    path = tmp_path / "claim.sfp"
    path.write_bytes(claiming_container(380))
    assert path.stat().st_size < 5000
    script = """
import resource, sys
import sfp
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for read in (lambda: sfp.load(sys.argv[1]), lambda: sfp.decode(open(sys.argv[1], "rb").read())):
    try:
        read()
        print("decoded")
    except sfp.Error as e:
        print(e.status.name, e)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    r = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                       timeout=120)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 3, (r.stdout, r.stderr)
    for line in lines[:2]:
        assert line == 'crc crc (status 9): tensor 0 ("x"): chunk 0 of 380 does not decode'
    assert int(lines[2]) < 64, f"{lines[2]} MiB more resident memory"


@pytest.mark.parametrize("config", [{"format": 1}, {"format": 2}, {"format": 2, "m": 0}])
def test_tensors_claiming_more_values_than_bytes_decode(config):
    # Mostly zeros: fewer payload bytes than values, decoded by the bounded decoder.
    x = np.zeros((3, 100_000), np.float32)
    x[1, 7] = 2.5
    x[2, -1] = -1e-3
    b = torch.from_numpy(x).to(torch.bfloat16)
    blob = sfp.encode_tensors({"x": x, "b": b}, chunk=4096, **config)
    assert len(blob) < x.size
    got, _ = sfp.decode_tensors(blob)
    m = config.get("m")
    assert np.array_equal(bits(got["x"]), bits(x if m is None else sfp.quantize(x, m)))
    assert torch.equal(sfp.decode_tensors(blob, torch=True)[0]["b"],
                       b if m is None else sfp.quantize(b, m))


def test_save_refuses_names_that_do_not_read_back(tmp_path):
    x = np.ones(10, np.float32)
    with pytest.raises(sfp.Error, match="tensor name '1' is used twice"):
        sfp.save(tmp_path / "a.sfp", {1: x, "1": x})
    with pytest.raises(sfp.Error, match="tensor name '__metadata__' is reserved"):
        sfp.save(tmp_path / "a.sfp", {"w": x, "__metadata__": x})
    with pytest.raises(sfp.Error, match="used twice"):
        sfp.encode_tensors({1.0: x, "1.0": x})
    assert not (tmp_path / "a.sfp").exists()
    sfp.save(tmp_path / "a.sfp", {1: x, 2: x})  # distinct names: written and read back
    assert list(sfp.load(tmp_path / "a.sfp")) == ["1", "2"]


def test_save_writes_into_a_fifo_or_device_and_never_replaces_it(tmp_path):
    x = np.arange(1000, dtype=np.float32)
    want = sfp.encode(x, m=4)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    os.symlink("pipe", tmp_path / "link")
    for target in (fifo, tmp_path / "link"):
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
        reader.start()
        sfp.save(target, x, m=4)
        reader.join(30)
        assert got == [want]
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["link", "pipe"]
    if os.geteuid() != 0:
        pytest.skip("device nodes need root")
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
        os.close(os.open(dev, os.O_WRONLY))
    except OSError as e:
        pytest.skip(f"no usable device node here: {e}")
    sfp.save(dev, x)
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    # A block device is refused, not replaced (a major number no driver has: never opened).
    used = set()
    with open("/proc/devices") as f:
        block = False
        for line in f:
            block = block or line.startswith("Block")
            if block and line.split() and line.split()[0].isdigit():
                used.add(int(line.split()[0]))
    major = next(m for m in range(240, 255) if m not in used)
    blk = tmp_path / "blk"
    os.mknod(blk, stat.S_IFBLK | 0o600, os.makedev(major, 0))
    with pytest.raises(sfp.Error, match="not a regular file, FIFO or character device"):
        sfp.save(blk, x)
    assert stat.S_ISBLK(os.lstat(blk).st_mode)
