# SPDX-License-Identifier: Apache-2.0
"""sfp: Schrodinger's FP containers from Python.

Encode, decode, measure and quantize NumPy arrays and torch tensors with the C++ golden model
(the same code as the ``sfp`` command; containers are byte for byte what ``sfp encode`` writes).

Values: FP32 as ``float32`` arrays or tensors; BF16 as ``torch.bfloat16`` tensors or as NumPy
``uint16`` arrays of BF16 bit patterns (NumPy has no bfloat16). C-contiguous inputs are read in
place, without a copy.

Configuration keywords (the command line's flags, docs/cli.md "Config flags"; the default is the
lossless configuration of the values' type):

    m         mantissa bits kept, 0..23 for FP32, 0..7 for BF16 (also ``format_m``)
    round     "trunc" or "rne": rounding when m drops bits
    no_gecko  True: raw 8-bit exponents instead of Gecko
    group     values per group: 4, 8, 16, 32
    base      base code: "raw", "delta", "gamma"
    zero      zero code: "none", "mask", "mode"
    chunk     values per chunk: a power of two from group to 1048576
    word      word width in bits: 32, 64, 128, 256, 512

Errors (bad input, bad configuration, a stream that does not decode) raise ``sfp.Error``, a
``ValueError`` whose ``status`` is the spec's error code (``sfp.Status``, docs/format.md
"Decoder errors").
"""

import enum
import os
import stat as _stat
import sys

import numpy as np

from . import _sfp
from ._sfp import Error, Stream

__all__ = [
    "Error", "Status", "Stream", "FORMAT_VERSION", "CONFIG_KEYWORDS", "encode", "decode",
    "encode_tensors", "decode_tensors", "save", "load", "stats", "quantize", "encode_stream",
    "decode_stream", "config", "set_num_threads", "get_num_threads",
]

FORMAT_VERSION = _sfp.FORMAT_VERSION
CONFIG_KEYWORDS = tuple(_sfp.CONFIG_KEYWORDS)

Status = enum.IntEnum("Status", {name: code for code, name in _sfp.STATUS_NAMES.items()},
                      module=__name__)
Status.__doc__ = "The spec's status codes (docs/format.md, 'Decoder errors'); 8 = bad input."

Error.__doc__ = ("An sfp failure: bad input, bad configuration, or a stream that does not decode. "
                 "status is the spec's error code (sfp.Status), code the same as an int.")
Error.status = property(lambda self: Status(getattr(self, "code", int(Status.bad_input))))

_KIND_SAFETENSORS, _KIND_NPY_F32, _KIND_NPY_BF16 = 0, 1, 2


def _error(status, message):
    e = Error(f"{Status(status).name} (status {int(status)}): {message}")
    e.code = int(status)
    return e


def _torch():
    return sys.modules.get("torch")


def _is_torch(x):
    t = _torch()
    return t is not None and isinstance(x, t.Tensor)


def _buffer(x):
    """(contiguous NumPy view of x's values, dtype name 'F32' or 'BF16'). No copy when x is a
    C-contiguous CPU array or tensor."""
    if _is_torch(x):
        torch = _torch()
        t = x.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if t.dtype == torch.float32:
            return t.contiguous().numpy(), "F32"
        if t.dtype == torch.bfloat16:
            return t.contiguous().view(torch.int16).numpy().view(np.uint16), "BF16"
        raise _error(Status.bad_input, f"torch tensors must be float32 or bfloat16, not {t.dtype}")
    if isinstance(x, np.ndarray):
        a = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        if x.dtype == np.float32 and x.dtype.byteorder in "=<|":
            return a, "F32"
        if x.dtype == np.uint16 and x.dtype.byteorder in "=<|":
            return a, "BF16"
        raise _error(Status.bad_input,
                     f"arrays must be float32, or uint16 BF16 bit patterns, not {x.dtype}")
    raise _error(Status.bad_input,
                 f"expected a NumPy array or a torch tensor, not {type(x).__name__}")


def _out_buffer(out):
    """The NumPy view of out that the module writes into: out's own memory, never a copy.
    Raises sfp.Error when out is not a C-contiguous array or a contiguous CPU tensor."""
    o, dtype = _buffer(out)
    if _is_torch(out):
        if (out.device.type != "cpu" or not out.is_contiguous()
                or (out.numel() and o.ctypes.data != out.data_ptr())):
            raise _error(Status.bad_input, "out must be a contiguous CPU tensor (results are "
                         "written into its memory)")
    elif o is not out:
        raise _error(Status.bad_input,
                     "out must be C-contiguous (results are written into its memory)")
    return o, dtype


def _file_order(a, kind, metadata):
    """The array of a .npy source in its file's order: values of a Fortran-order .npy are stored
    column-major (the first index varies fastest), as np.load reads them."""
    if kind != _KIND_SAFETENSORS and dict(metadata).get("fortran_order") == "true":
        return a.reshape(-1).reshape(a.shape, order="F")
    return a


def _output(a, dtype, as_torch):
    """A decoded NumPy array (float32, or uint16 BF16 bits) as the caller asked for it."""
    if not as_torch:
        return a
    import torch
    if dtype == "BF16":
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def encode(x, *, name="array", **config):
    """Encode one array or tensor into an .sfp container; returns its bytes.

    The bytes are those ``sfp encode NAME.npy -o OUT.sfp [flags]`` writes for the same values
    saved as NAME.npy (with --bf16-npy for BF16). Configuration keywords: see help(sfp).

    >>> blob = sfp.encode(np.ones(1000, np.float32), m=4, round="rne")
    """
    a, dtype = _buffer(x)
    kind = _KIND_NPY_F32 if dtype == "F32" else _KIND_NPY_BF16
    return _sfp.encode_container([(name, a, list(a.shape))], kind,
                                 [("fortran_order", "false")], config)


def decode(data, *, torch=False):
    """Decode an .sfp container holding one tensor (bytes, bytearray or memoryview).

    Returns a NumPy array (float32, or uint16 BF16 bit patterns), or a torch tensor (float32 or
    bfloat16) with torch=True. A lossy container gives Q_m of what was encoded; one made from a
    Fortran-order .npy gives a Fortran-order array, as np.load does. Raises sfp.Error with the
    decoder's status when the stream does not decode.
    """
    kind, metadata, tensors = _sfp.decode_container(data)
    if len(tensors) != 1:
        raise _error(Status.bad_input,
                     f"the container holds {len(tensors)} tensors; decode_tensors reads them all")
    _, dtype, a, _ = tensors[0]
    return _output(_file_order(a, kind, metadata), dtype, torch)


def encode_tensors(tensors, *, metadata=None, **config):
    """Encode a mapping name -> array or tensor into an .sfp container (source kind safetensors).

    The bytes are those ``sfp encode FILE.safetensors`` writes for a safetensors file holding
    the same tensors in the same order with the same ``__metadata__`` (a dict of str -> str).
    Names are the keys as str(): two keys with the same str() (1 and "1"), or the name
    ``__metadata__`` (the safetensors metadata's), raise sfp.Error.
    """
    names = set()
    for name in tensors:
        name = str(name)
        if name == "__metadata__":
            raise _error(Status.bad_input,
                         "tensor name '__metadata__' is reserved for the safetensors metadata")
        if name in names:
            raise _error(Status.bad_input, f"tensor name {name!r} is used twice (names are the "
                         "keys as str(): 1 and '1' are the same name)")
        names.add(name)
    items = []
    for name, x in tensors.items():
        a, _ = _buffer(x)
        items.append((str(name), a, list(a.shape)))
    meta = [(str(k), str(v)) for k, v in (metadata or {}).items()]
    return _sfp.encode_container(items, _KIND_SAFETENSORS, meta, config)


def decode_tensors(data, *, torch=False):
    """Decode every tensor of an .sfp container: returns (dict name -> array, metadata dict)."""
    kind, metadata, tensors = _sfp.decode_container(data)
    return ({name: _output(_file_order(a, kind, metadata), dtype, torch)
             for name, dtype, a, _ in tensors}, dict(metadata))


def _write_stream(path, data):
    """Writes data into the FIFO or character device at path (symbolic links followed). Returns
    False, having written nothing, when path is not one (a regular file, a new name); another
    kind of special file raises sfp.Error."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if _stat.S_ISREG(st.st_mode) or _stat.S_ISDIR(st.st_mode):
        return False
    if not (_stat.S_ISFIFO(st.st_mode) or _stat.S_ISCHR(st.st_mode)):
        raise _error(Status.bad_input, f"{path}: not a regular file, FIFO or character device; "
                     "sfp.save does not write to it")
    # Neither O_CREAT nor O_TRUNC: what is opened is the node itself, never a new file.
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not (_stat.S_ISFIFO(st.st_mode) or _stat.S_ISCHR(st.st_mode)):
            return False  # replaced since the stat: written atomically instead
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return True


def save(path, x, **config):
    """Write an .sfp file: one array/tensor as encode() does, or a mapping of them as
    encode_tensors() does. Configuration keywords: see help(sfp).

    A file is written atomically: to a temporary file renamed into place. SIGINT, SIGTERM and
    SIGHUP during the write remove the temporary file and are then passed on to the handlers
    installed before, which are back in place when save returns. A FIFO or a character device at
    path (such as /dev/null) is written into, not replaced; other special files are refused."""
    data = encode_tensors(x, **config) if isinstance(x, dict) else encode(x, **config)
    path = os.fspath(path)
    if not _write_stream(path, data):
        _sfp.write_file(str(path), data)


def load(path, *, torch=False):
    """Read an .sfp file: the array for a one-tensor container written from an array or .npy,
    else a dict name -> array (the safetensors kind)."""
    data = _sfp.read_file(str(path))
    kind, metadata, tensors = _sfp.decode_container(data)
    if kind != _KIND_SAFETENSORS:
        _, dtype, a, _ = tensors[0]
        return _output(_file_order(a, kind, metadata), dtype, torch)
    return {name: _output(a, dtype, torch) for name, dtype, a, _ in tensors}


def stats(x, **config):
    """Where the bits of x go when encoded with the configuration: the per-tensor figures of
    ``sfp stats --json`` (values, zero_fraction, exponent_entropy, config, config_word, bits,
    bits_per_value, ratio_fp32, ratio_bf16)."""
    a, _ = _buffer(x)
    return _sfp.stats(a, config)


def quantize(x, m, *, round="trunc", out=None):
    """Q_m(x): keep m mantissa bits of every value (docs/format.md, "Mantissa quantizer").

    Returns a new array or tensor of x's kind, or writes into out (C-contiguous; it may be x
    itself or overlap x).
    """
    a, dtype = _buffer(x)
    if out is None:
        res = np.empty_like(a)
        _sfp.quantize(a, res, int(m), round)
        return _output(res.reshape(a.shape), dtype, _is_torch(x))
    o, _ = _out_buffer(out)
    if o.ctypes.data != a.ctypes.data and np.may_share_memory(a, o):
        a = a.copy()  # partly overlapping: every value is read before any is written
    _sfp.quantize(a, o, int(m), round)
    return out


def encode_stream(x, **config):
    """Encode x into a tensor stream held in memory (sfp.Stream: nbytes, bits, config,
    payload, chunk_words); the stream of the same container encode() writes. Large tensors are
    coded on several threads (set_num_threads), with the same bytes."""
    a, _ = _buffer(x)
    return _sfp.encode_stream(a, config)


def decode_stream(stream, *, out=None, torch=False):
    """Decode an sfp.Stream into a new array or tensor, or into out (C-contiguous, right type and
    size; else sfp.Error). Raises sfp.Error with the decoder's status when the stream does not
    decode."""
    if out is not None:
        o, _ = _out_buffer(out)
        stream.decode_into(o)
        return out
    a = np.empty(stream.values, np.float32 if stream.dtype == "F32" else np.uint16)
    stream.decode_into(a)
    return _output(a.reshape(stream.shape), stream.dtype, torch)


def config(dtype="F32", **config):
    """The configuration the keywords select for dtype ('F32' or 'BF16'): (description,
    configuration word), e.g. ('fp32 m=4 rne gecko G=16 base=delta zero=mode C=4096 W=256',
    0x864c89)."""
    return _sfp.config(dtype, **config)


def set_num_threads(n):
    """Threads for encoding, decoding and quantizing large tensors (default: all cores)."""
    _sfp.set_num_threads(int(n))


def get_num_threads():
    return _sfp.get_num_threads()
