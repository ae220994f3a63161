// SPDX-License-Identifier: Apache-2.0
//
// sfp._sfp: the compiled half of the Python package sfp. Every bit goes through the golden model
// (sfp::encode, sfp::decode, sfp::quantize) and the container reader and writer of sfp::io; this
// file only moves buffers in and out and turns failures into sfp.Error with the spec's status.
// The Python layer (python/sfp/__init__.py) turns NumPy arrays and torch tensors into buffers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/format.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"
#include "sfp/quantize.hpp"
#include "sfp/train/bitchop.hpp"

namespace py = pybind11;

namespace sfp::python {
namespace {

// Raised to Python as sfp.Error with .code = the spec's status (docs/format.md, "Decoder errors").
struct StatusError {
  Status status;
  std::string message;
};

[[noreturn]] void fail(Status s, std::string message) { throw StatusError{s, std::move(message)}; }

// "truncated (status 3)": how every sfp.Error message starts.
std::string status_text(Status s) {
  return std::string(status_name(s)) + " (status " + std::to_string(static_cast<unsigned>(s)) + ")";
}

// ---------------------------------------------------------------------------------------------
// Threads: large tensors are cut into chunk-aligned pieces coded side by side. Chunks are
// independent (docs/format.md, "Chunks"), so the pieces put back together are the whole-tensor
// stream bit for bit.

unsigned g_threads = std::max(1u, std::thread::hardware_concurrency());

void parallel_for(size_t tasks, const std::function<void(size_t)>& fn) {
  const size_t workers = std::min<size_t>(g_threads, tasks);
  if (workers <= 1) {
    for (size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(workers);
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      try {
        for (size_t i = w; i < tasks; i += workers) fn(i);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

constexpr uint64_t kMinPieceValues = 1u << 16;  // below this a tensor is coded in one piece

// Pieces of whole chunks: [first, last) chunk ranges, at most one per thread.
std::vector<std::pair<uint64_t, uint64_t>> chunk_pieces(const Config& c, uint64_t n) {
  const uint64_t k = chunk_count(c, n);
  uint64_t per = k;
  if (g_threads > 1 && n >= 2 * kMinPieceValues) {
    per = std::max<uint64_t>((k + g_threads - 1) / g_threads,
                             (kMinPieceValues + c.chunk - 1) / c.chunk);
  }
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t b = 0; b < k; b += per) out.emplace_back(b, std::min(k, b + per));
  if (out.empty()) out.emplace_back(0, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Buffers. FP32 values are float32 buffers (format 'f'); BF16 values are uint16 bit patterns
// (format 'H'), as NumPy has no bfloat16. Buffers must be C-contiguous: they are read in place.

struct Values {
  Fp fp = Fp::kFp32;
  const void* data = nullptr;
  void* mutable_data = nullptr;
  uint64_t n = 0;
  std::vector<uint64_t> shape;
};

Values values_of(const py::buffer& b, bool writable = false) {
  py::buffer_info info = b.request(writable);
  Values v;
  const std::string& f = info.format;
  if (info.itemsize == 4 && (f == "f" || f == "<f" || f == "=f")) {
    v.fp = Fp::kFp32;
  } else if (info.itemsize == 2 && (f == "H" || f == "<H" || f == "=H")) {
    v.fp = Fp::kBf16;
  } else {
    fail(Status::kBadInput,
         "values must be float32 (FP32) or uint16 bit patterns (BF16), not a "
         "buffer of format '" +
             f + "' with " + std::to_string(info.itemsize) + "-byte items");
  }
  int64_t expect = info.itemsize;
  for (ssize_t d = info.ndim - 1; d >= 0; --d) {
    if (info.shape[d] != 1 && info.strides[d] != expect) {
      fail(Status::kBadInput, "values must be C-contiguous");
    }
    expect *= info.shape[d];
  }
  v.data = info.ptr;
  v.mutable_data = writable ? info.ptr : nullptr;
  v.n = 1;
  for (ssize_t d = 0; d < info.ndim; ++d) {
    v.shape.push_back(static_cast<uint64_t>(info.shape[d]));
    v.n *= static_cast<uint64_t>(info.shape[d]);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Configuration from keyword arguments, named as the command line names its flags
// (docs/cli.md, "Config flags"). This table is the only place a keyword meets a Config field.

using Setter = std::function<void(Config&, py::handle, Fp)>;

unsigned to_unsigned(py::handle v, const char* key) {
  if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v)) {
    throw py::type_error(std::string(key) + "= must be an int");
  }
  const long long x = v.cast<long long>();
  if (x < 0 || x > 0xFFFFFFFFll)
    fail(Status::kBadConfig, std::string(key) + "=" + std::to_string(x) + " is out of range");
  return static_cast<unsigned>(x);
}

std::string to_name(py::handle v, const char* key) {
  if (!py::isinstance<py::str>(v)) throw py::type_error(std::string(key) + "= must be a str");
  return v.cast<std::string>();
}

template <typename E>
E pick(const std::string& s, const char* key,
       std::initializer_list<std::pair<const char*, E>> names) {
  std::string known;
  for (const auto& [name, e] : names) {
    if (s == name) return e;
    known += known.empty() ? "" : ", ";
    known += name;
  }
  fail(Status::kBadConfig, std::string(key) + "='" + s + "' is not one of " + known);
}

void set_man_bits(Config& c, py::handle v, Fp fp) {
  const unsigned m = to_unsigned(v, "m");
  const unsigned max = fp_format(fp).man_bits;
  if (m > max) {
    fail(Status::kBadConfig, std::string(fp == Fp::kFp32 ? "F32" : "BF16") + " values have " +
                                 std::to_string(max) + " mantissa bits; m=" + std::to_string(m) +
                                 " is more");
  }
  c.man_bits = m;
}

struct ConfigKey {
  std::string name;
  unsigned versions;  // bit v-1 set: the keyword applies to format version v
  Setter set;
};

constexpr unsigned kV1 = 1, kV2 = 2 | 4, kAll = kV1 | kV2;  // kV2: format versions 2 and 3

// "format" selects the version (and so the defaults) before the others apply.
const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"format", kAll, [](Config&, py::handle, Fp) {}},
      {"m", kAll, set_man_bits},
      {"format_m", kAll, set_man_bits},
      {"round", kAll,
       [](Config& c, py::handle v, Fp) {
         c.rounding =
             pick<Rounding>(to_name(v, "round"), "round",
                            {{"trunc", Rounding::kTruncate}, {"rne", Rounding::kNearestEven}});
       }},
      {"lanes", kV2, [](Config& c, py::handle v, Fp) { c.group = to_unsigned(v, "lanes"); }},
      {"no_gecko", kV1,
       [](Config& c, py::handle v, Fp) {
         if (!py::isinstance<py::bool_>(v)) throw py::type_error("no_gecko= must be a bool");
         c.gecko = !v.cast<bool>();
       }},
      {"group", kV1, [](Config& c, py::handle v, Fp) { c.group = to_unsigned(v, "group"); }},
      {"base", kV1,
       [](Config& c, py::handle v, Fp) {
         c.base = pick<BaseCode>(
             to_name(v, "base"), "base",
             {{"raw", BaseCode::kRaw}, {"delta", BaseCode::kDelta}, {"gamma", BaseCode::kGamma}});
       }},
      {"zero", kV1,
       [](Config& c, py::handle v, Fp) {
         c.zero = pick<ZeroCode>(
             to_name(v, "zero"), "zero",
             {{"none", ZeroCode::kNone}, {"mask", ZeroCode::kMask}, {"mode", ZeroCode::kMode}});
       }},
      {"chunk", kAll, [](Config& c, py::handle v, Fp) { c.chunk = to_unsigned(v, "chunk"); }},
      {"word", kV1, [](Config& c, py::handle v, Fp) { c.word_bits = to_unsigned(v, "word"); }},
  };
  return keys;
}

std::vector<std::string> config_key_names() {
  std::vector<std::string> names;
  for (const auto& k : config_keys()) names.push_back(k.name);
  return names;
}

// Config::lossless(fp, format) with the keywords applied (a None value keeps the default), then
// checked as the command line checks its flags.
Config make_config(Fp fp, const py::dict& kw) {
  unsigned version = kFormatVersion;
  if (kw.contains("format") && !kw["format"].is_none()) {
    version = to_unsigned(kw["format"], "format");
    if (version < 1 || version > 3)
      fail(Status::kBadConfig, "format=" + std::to_string(version) + " is not 1, 2 or 3");
  }
  Config c = Config::lossless(fp, version);
  const auto& keys = config_keys();
  for (const auto& item : kw) {
    const std::string key = py::str(item.first);
    const auto it =
        std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& k) { return k.name == key; });
    if (it == keys.end()) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k.name;
      throw py::type_error("unexpected keyword argument '" + key +
                           "' (configuration keywords: " + known + ")");
    }
    if (item.second.is_none()) continue;
    if (!(it->versions & (1u << (version - 1)))) {
      fail(Status::kBadConfig,
           key + "= applies to format=" + (it->versions == kV1 ? "1" : "2 and 3") + " only");
    }
    it->set(c, item.second, fp);
  }
  if (c.chunk < c.group) {
    fail(Status::kBadConfig, "chunk=" + std::to_string(c.chunk) + " is smaller than " +
                                 (version >= 2 ? "lanes=" : "group=") + std::to_string(c.group));
  }
  std::string why;
  if (validate(c, &why) != Status::kOk) fail(Status::kBadConfig, "invalid configuration: " + why);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Encoding and decoding whole tensors.

// Encodes the values in chunk-aligned pieces (threads, GIL released) and joins them: the same
// stream as sfp::encode on the whole tensor. BF16 values are widened piece by piece.
Encoded encode_values(const Config& c, const Values& v) {
  if (c.version != 1) {
    // Version 2 has one code table per tensor: the model codes the whole tensor (its chunks on
    // several threads).
    Encoded out;
    Status s = Status::kOk;
    {
      py::gil_scoped_release release;
      if (v.fp == Fp::kFp32) {
        s = encode(c, static_cast<const uint32_t*>(v.data), v.n, &out, g_threads);
      } else {
        const uint16_t* in = static_cast<const uint16_t*>(v.data);
        std::vector<uint32_t> wide(in, in + v.n);
        s = encode(c, wide.data(), v.n, &out, g_threads);
      }
    }
    if (s != Status::kOk) fail(s, "the encoder rejected the input");
    return out;
  }
  const auto pieces = chunk_pieces(c, v.n);
  std::vector<Encoded> parts(pieces.size());
  std::vector<Status> status(pieces.size(), Status::kOk);
  {
    py::gil_scoped_release release;
    parallel_for(pieces.size(), [&](size_t i) {
      const uint64_t first = pieces[i].first * c.chunk;
      const uint64_t count = std::min<uint64_t>(v.n, pieces[i].second * uint64_t{c.chunk}) - first;
      if (v.fp == Fp::kFp32) {
        status[i] = encode(c, static_cast<const uint32_t*>(v.data) + first, count, &parts[i]);
      } else {
        const uint16_t* in = static_cast<const uint16_t*>(v.data) + first;
        std::vector<uint32_t> wide(in, in + count);
        status[i] = encode(c, wide.data(), count, &parts[i]);
      }
    });
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (status[i] != Status::kOk) {
      fail(status[i], status[i] == Status::kBadInput
                          ? "encoder input: a BF16 value has bits above bit 15"
                          : "the encoder rejected the input");
    }
  }
  Encoded out = std::move(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) {
    out.values += parts[i].values;
    out.chunk_words.insert(out.chunk_words.end(), parts[i].chunk_words.begin(),
                           parts[i].chunk_words.end());
    out.payload.insert(out.payload.end(), parts[i].payload.begin(), parts[i].payload.end());
    out.bits += parts[i].bits;
  }
  return out;
}

// The first failing chunk of a stream whose configuration and index are valid, and its status
// ({chunk count, kOk} if every chunk decodes). Chunks are decoded one by one into one chunk of
// scratch: memory does not depend on the value count.
std::pair<uint64_t, Status> first_bad_chunk(const Encoded& e) {
  const Config& c = e.config;
  const uint64_t k = e.chunk_words.size();
  if ((c.version == 2 && e.chunk_raw.size() != k) || (c.version != 1 && e.chunk_crc.size() != k)) {
    return {k, Status::kOk};
  }
  std::vector<uint32_t> scratch(c.chunk);
  const uint8_t* at = e.payload.data();
  for (uint64_t j = 0; j < k; ++j) {
    const uint64_t len = std::min<uint64_t>(c.chunk, e.values - j * c.chunk);
    const Status s = c.version == 1 ? decode_chunk(c, len, at, e.chunk_words[j], scratch.data())
                     : c.version == 2
                         ? decode_chunk_v2(c, e.table, len, e.chunk_raw[j] != 0, e.chunk_crc[j], at,
                                           e.chunk_words[j], scratch.data())
                         : decode_chunk_v3(c, e.table, len, e.chunk_crc[j], at, e.chunk_words[j],
                                           scratch.data());
    if (s != Status::kOk) return {j, s};
    at += uint64_t{e.chunk_words[j]} * (c.word_bits / 8);
  }
  return {k, Status::kOk};
}

// Decodes into out (float32 for FP32, uint16 for BF16, e.values items). The configuration and
// the index are checked by sfp::decode first; chunks are then decoded in parallel pieces.
// Version 2: the model decodes the whole tensor; on an error the chunks are tried one by one to
// name the first failing one.
void decode_values_v2(const Encoded& e, void* out, const std::string& what) {
  const Config& c = e.config;
  Status s = Status::kOk;
  uint64_t bad = 0;
  {
    py::gil_scoped_release release;
    std::vector<uint32_t> wide(c.fp == Fp::kBf16 ? e.values : 0);
    uint32_t* dst = c.fp == Fp::kFp32 ? static_cast<uint32_t*>(out) : wide.data();
    s = decode(e, dst, g_threads);
    if (c.fp == Fp::kBf16) {
      uint16_t* o = static_cast<uint16_t*>(out);
      for (uint64_t j = 0; j < e.values; ++j) o[j] = static_cast<uint16_t>(wide[j]);
    }
    if (s != Status::kOk && s != Status::kBadConfig && s != Status::kBadIndex) {
      bad = first_bad_chunk(e).first;
    }
  }
  if (s == Status::kOk) return;
  if (bad < e.chunk_words.size() && s != Status::kBadConfig && s != Status::kBadIndex) {
    fail(s, what + "chunk " + std::to_string(bad) + " of " + std::to_string(e.chunk_words.size()) +
                " does not decode");
  }
  fail(s, what + "stream does not decode");
}

void decode_values(const Encoded& e, void* out, const std::string& what) {
  if (e.config.version != 1) {
    decode_values_v2(e, out, what);
    return;
  }
  const Config& c = e.config;
  Status s = Status::kOk;
  std::pair<uint64_t, Status> bad{0, Status::kOk};
  {
    py::gil_scoped_release release;
    std::string why;
    if (validate(c, &why) != Status::kOk) {
      s = Status::kBadConfig;
    } else if (chunk_count(c, e.values) != e.chunk_words.size()) {
      s = Status::kBadIndex;
    } else {
      // Chunk start offsets; an index that does not add up to the payload is the decoder's to
      // report (sfp::decode returns kBadIndex).
      std::vector<uint64_t> start(e.chunk_words.size() + 1, 0);
      for (size_t k = 0; k < e.chunk_words.size(); ++k) start[k + 1] = start[k] + e.chunk_words[k];
      const uint64_t max_words = (max_chunk_bits(c, c.chunk) + c.word_bits - 1) / c.word_bits;
      bool index_ok = start.back() * (c.word_bits / 8) == e.payload.size();
      for (uint32_t w : e.chunk_words) index_ok = index_ok && w <= max_words;
      if (!index_ok) {
        std::vector<uint32_t> tmp(e.values);
        s = decode(e, tmp.data());  // reports the index error by the spec's rules
        if (s == Status::kOk) s = Status::kBadIndex;
      } else {
        const auto pieces = chunk_pieces(c, e.values);
        std::vector<Status> status(pieces.size(), Status::kOk);
        parallel_for(pieces.size(), [&](size_t i) {
          std::vector<uint32_t> scratch(e.config.fp == Fp::kBf16 ? c.chunk : 0);
          for (uint64_t k = pieces[i].first; k < pieces[i].second; ++k) {
            const uint64_t first = k * c.chunk;
            const uint64_t len = std::min<uint64_t>(c.chunk, e.values - first);
            uint32_t* dst =
                c.fp == Fp::kFp32 ? static_cast<uint32_t*>(out) + first : scratch.data();
            const Status cs = decode_chunk(c, len, e.payload.data() + start[k] * (c.word_bits / 8),
                                           e.chunk_words[k], dst);
            if (c.fp == Fp::kBf16) {
              uint16_t* o = static_cast<uint16_t*>(out) + first;
              for (uint64_t j = 0; j < len; ++j) o[j] = static_cast<uint16_t>(scratch[j]);
            }
            if (cs != Status::kOk) {
              status[i] = cs;
              return;
            }
          }
        });
        for (Status ps : status) {
          if (ps != Status::kOk) {
            s = ps;
            break;
          }
        }
        if (s != Status::kOk) {
          bad = first_bad_chunk(e);
          s = bad.second;
        }
      }
    }
  }
  if (s == Status::kBadConfig || s == Status::kBadIndex) {
    fail(s, what + "stream does not decode");
  }
  if (s != Status::kOk) {
    fail(s, what + "chunk " + std::to_string(bad.first) + " of " +
                std::to_string(e.chunk_words.size()) + " does not decode");
  }
}

py::dict bits_dict(const BitCounts& b) {
  py::dict d;
  for (const BitField& f : kBitFields) d[f.name] = b.*f.member;
  d["exponent"] = b.exponent();
  d["overhead"] = b.overhead();
  d["total"] = b.total();
  return d;
}

// A tensor stream held in C++: what compressed stashing keeps for each saved tensor.
struct Stream {
  Encoded e;
  std::vector<uint64_t> shape;

  // Stored bytes: the configuration word and every bit the encoder counted (payload, chunk
  // index, and in version 2 the code table and the chunk CRCs).
  uint64_t nbytes() const { return 4 + (e.bits.total() + 7) / 8; }
};

py::array new_array(Fp fp, const std::vector<uint64_t>& shape) {
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  if (fp == Fp::kFp32) return py::array_t<float>(dims);
  return py::array_t<uint16_t>(dims);
}

// ---------------------------------------------------------------------------------------------
// Signals around a file write. sfp::io::OutputFile removes its temporary file on the signals that
// end a process: the first one installs handlers for them, for good, which suits the command line
// but not an interpreter with handlers of its own (SIGINT's KeyboardInterrupt, a user's SIGTERM
// handler). A SignalsAroundWrite keeps sfp::io's handlers installed for the write only: it saves
// the handlers in place, (re)installs sfp::io's, and puts the saved ones back when it ends.

// The signals sfp::io may install handlers for (a superset is harmless: only saved and restored).
constexpr int kWriteSignals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,
                                 SIGXFSZ, SIGXCPU, SIGALRM, SIGUSR1, SIGUSR2};
constexpr size_t kWriteSignalCount = sizeof kWriteSignals / sizeof kWriteSignals[0];

bool same_action(const struct sigaction& a, const struct sigaction& b) {
  return a.sa_handler == b.sa_handler && a.sa_flags == b.sa_flags;
}

class SignalsAroundWrite {
 public:
  SignalsAroundWrite() {
    for (size_t i = 0; i < kWriteSignalCount; ++i) {
      saved_ok_[i] = ::sigaction(kWriteSignals[i], nullptr, &saved_[i]) == 0;
      // sfp::io's handler, learnt from an earlier write; not over a signal ignored now.
      if (saved_ok_[i] && io_known_[i] && saved_[i].sa_handler != SIG_IGN) {
        ::sigaction(kWriteSignals[i], &io_[i], nullptr);
      }
    }
  }
  SignalsAroundWrite(const SignalsAroundWrite&) = delete;
  SignalsAroundWrite& operator=(const SignalsAroundWrite&) = delete;
  ~SignalsAroundWrite() {
    for (size_t i = 0; i < kWriteSignalCount; ++i) {
      if (!saved_ok_[i]) continue;
      struct sigaction now;
      // What sfp::io installed during this write (its first): kept for the next writes.
      if (!io_known_[i] && ::sigaction(kWriteSignals[i], nullptr, &now) == 0 &&
          !same_action(now, saved_[i])) {
        io_[i] = now;
        io_known_[i] = true;
      }
      ::sigaction(kWriteSignals[i], &saved_[i], nullptr);
    }
  }

 private:
  struct sigaction saved_[kWriteSignalCount];
  bool saved_ok_[kWriteSignalCount] = {};
  static inline struct sigaction io_[kWriteSignalCount];
  static inline bool io_known_[kWriteSignalCount] = {};
};

// ---------------------------------------------------------------------------------------------
// Container files (.sfp), through sfp::io.

io::SourceKind kind_of(int kind) {
  if (kind < 0 || kind > 2) fail(Status::kBadInput, "source kind must be 0, 1 or 2");
  return static_cast<io::SourceKind>(kind);
}

// tensors: a list of (name, buffer, shape); config: keywords for every tensor.
py::bytes encode_container(const py::list& tensors, int kind,
                           const std::vector<std::pair<std::string, std::string>>& metadata,
                           const py::dict& config) {
  io::Container c;
  c.kind = kind_of(kind);
  c.metadata = metadata;
  // Version 3 tensors are encoded together, as sfp encode does, so that they share tables
  // (Spec: "Shared tables"); BF16 values are widened for the model.
  std::vector<TensorInput> shared;
  std::vector<std::vector<uint32_t>> wide;
  std::vector<size_t> shared_at;
  for (const auto& item : tensors) {
    const auto t = item.cast<py::tuple>();
    io::EncodedTensor et;
    et.name = t[0].cast<std::string>();
    const Values v = values_of(t[1].cast<py::buffer>());
    et.shape = t[2].cast<std::vector<uint64_t>>();
    uint64_t n = 0;
    if (!io::element_count(et.shape, &n) || n != v.n) {
      fail(Status::kBadInput, "tensor " + io::quote(et.name) + ": " + std::to_string(v.n) +
                                  " values do not fill shape " + io::shape_string(et.shape));
    }
    const Config cfg = make_config(v.fp, config);
    if (cfg.version == 3) {
      const uint32_t* data = static_cast<const uint32_t*>(v.data);
      if (v.fp == Fp::kBf16) {
        const uint16_t* in = static_cast<const uint16_t*>(v.data);
        wide.emplace_back(in, in + v.n);
        data = wide.back().data();
      }
      shared.push_back({cfg, data, v.n});
      shared_at.push_back(c.tensors.size());
    } else {
      et.stream = encode_values(cfg, v);
    }
    c.tensors.push_back(std::move(et));
  }
  if (!shared.empty()) {
    std::vector<Encoded> streams;
    Status st = Status::kOk;
    {
      py::gil_scoped_release release;
      st = encode_tensors(shared, &streams, g_threads);
    }
    if (st != Status::kOk) fail(st, "the encoder rejected the input");
    for (size_t i = 0; i < streams.size(); ++i) c.tensors[shared_at[i]].stream = streams[i];
  }
  std::vector<uint8_t> bytes;
  try {
    bytes = io::write_container(c);
  } catch (const io::Error& e) {
    fail(Status::kBadInput, e.what());
  }
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// sfp::io reports container errors as text. The configuration word and the chunk index are the
// spec's bad_config and bad_index; anything else in the file structure is bad_input.
Status classify_container_error(const std::string& what) {
  if (what.find("configuration word") != std::string::npos) return Status::kBadConfig;
  if (what.find("chunk count") != std::string::npos ||
      what.find("chunk index") != std::string::npos) {
    return Status::kBadIndex;
  }
  return Status::kBadInput;
}

io::Container parse_container(const py::buffer& data) {
  py::buffer_info info = data.request();
  if (info.ndim != 1 || info.itemsize != 1) fail(Status::kBadInput, "container data must be bytes");
  try {
    return io::read_container(static_cast<const uint8_t*>(info.ptr),
                              static_cast<size_t>(info.size));
  } catch (const io::Error& e) {
    fail(classify_container_error(e.what()),
         std::string("not a valid .sfp container: ") + e.what());
  }
}

// A decoded tensor of sfp::io as an array: FP32 values without a copy (the array owns them),
// BF16 values narrowed to uint16.
py::array array_of(io::Tensor&& t) {
  std::vector<py::ssize_t> dims(t.shape.begin(), t.shape.end());
  if (t.dtype == Fp::kFp32) {
    auto values = std::make_unique<std::vector<uint32_t>>(std::move(t.values));
    float* data = reinterpret_cast<float*>(values->data());
    py::capsule owner(values.get(), [](void* p) { delete static_cast<std::vector<uint32_t>*>(p); });
    values.release();
    return py::array_t<float>(dims, data, owner);
  }
  py::array_t<uint16_t> a(dims);
  uint16_t* o = a.mutable_data();
  for (size_t j = 0; j < t.values.size(); ++j) o[j] = static_cast<uint16_t>(t.values[j]);
  return a;
}

// A tensor whose value count is above what its payload can be trusted with (one value per
// payload byte, at least one chunk: what sfp::io allocates before anything has decoded) is
// decoded by sfp::io's bounded decoder, as `sfp decode` decodes it: memory grows with what has
// decoded, so a small file claiming gigabytes of values fails before they are allocated.
bool needs_bounded_decode(const Encoded& e) {
  return e.values > std::max<uint64_t>(e.config.chunk, e.payload.size());
}

py::array decode_bounded(io::EncodedTensor&& t, const std::string& what) {
  io::Container one;
  one.tensors.push_back(std::move(t));
  io::TensorFile file;
  std::string error;
  std::pair<uint64_t, Status> bad{0, Status::kOk};
  {
    py::gil_scoped_release release;
    try {
      file = io::decode_container(one, g_threads);
    } catch (const io::Error& e) {
      error = e.what();
      bad = first_bad_chunk(one.tensors[0].stream);
    }
  }
  if (!error.empty()) {
    if (bad.second == Status::kOk) fail(Status::kBadInput, error);
    fail(bad.second, what + "chunk " + std::to_string(bad.first) + " of " +
                         std::to_string(one.tensors[0].stream.chunk_words.size()) +
                         " does not decode");
  }
  return array_of(std::move(file.tensors[0]));
}

// Returns (kind, metadata, [(name, dtype, shape, array, config string)]).
py::tuple decode_container(const py::buffer& data) {
  io::Container c = parse_container(data);
  py::list tensors;
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    io::EncodedTensor& t = c.tensors[i];
    const std::string name = t.name;
    const Config config = t.stream.config;
    const std::string what = "tensor " + std::to_string(i) + " (" + io::quote(name) + "): ";
    py::array a;
    if (needs_bounded_decode(t.stream)) {
      a = decode_bounded(std::move(t), what);
    } else {
      a = new_array(config.fp, t.shape);
      decode_values(t.stream, a.mutable_data(), what);
    }
    tensors.append(py::make_tuple(name, io::dtype_name(config.fp), a, to_string(config)));
  }
  return py::make_tuple(static_cast<int>(c.kind), c.metadata, tensors);
}

// ---------------------------------------------------------------------------------------------
// Statistics: the figures of `sfp stats --json` for one tensor.

py::dict stats(const py::buffer& b, const py::dict& config) {
  const Values v = values_of(b);
  const Config c = make_config(v.fp, config);
  const Encoded e = encode_values(c, v);
  std::vector<uint64_t> hist(256, 0);
  uint64_t zeros = 0;
  for (uint64_t i = 0; i < v.n; ++i) {
    const uint32_t x = v.fp == Fp::kFp32 ? static_cast<const uint32_t*>(v.data)[i]
                                         : static_cast<const uint16_t*>(v.data)[i];
    zeros += x == 0;
    ++hist[split(x, v.fp).exp];
  }
  double entropy = 0;
  for (uint64_t h : hist) {
    if (h == 0) continue;
    const double p = static_cast<double>(h) / static_cast<double>(v.n);
    entropy -= p * std::log2(p);
  }
  py::dict d;
  d["dtype"] = io::dtype_name(v.fp);
  d["shape"] = v.shape;
  d["values"] = v.n;
  d["zeros"] = zeros;
  d["zero_fraction"] = v.n ? static_cast<double>(zeros) / static_cast<double>(v.n) : 0.0;
  d["exponent_entropy"] = entropy;
  d["config"] = to_string(c);
  d["config_word"] = pack_config(c);
  d["bits"] = bits_dict(e.bits);
  if (v.n) {
    const double n = static_cast<double>(v.n);
    py::dict per;
    per["sign"] = static_cast<double>(e.bits.sign) / n;
    per["exponent"] = static_cast<double>(e.bits.exponent()) / n;
    per["mantissa"] = static_cast<double>(e.bits.mantissa) / n;
    per["index"] = static_cast<double>(e.bits.overhead()) / n;
    per["total"] = static_cast<double>(e.bits.total()) / n;
    d["bits_per_value"] = per;
    d["ratio_fp32"] = 32.0 / (static_cast<double>(e.bits.total()) / n);
    d["ratio_bf16"] = 16.0 / (static_cast<double>(e.bits.total()) / n);
  } else {
    d["bits_per_value"] = py::none();
    d["ratio_fp32"] = py::none();
    d["ratio_bf16"] = py::none();
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Q_m on buffers (out may be the input).

void quantize_into(const py::buffer& in, const py::buffer& out, unsigned m,
                   const std::string& round) {
  const Values a = values_of(in);
  const Values b = values_of(out, true);
  if (a.fp != b.fp || a.n != b.n)
    fail(Status::kBadInput, "quantize: input and output differ in type or size");
  const unsigned max = fp_format(a.fp).man_bits;
  if (m > max) {
    fail(Status::kBadConfig, std::string(a.fp == Fp::kFp32 ? "F32" : "BF16") + " values have " +
                                 std::to_string(max) + " mantissa bits; m=" + std::to_string(m) +
                                 " is more");
  }
  const Rounding r = pick<Rounding>(
      round, "round", {{"trunc", Rounding::kTruncate}, {"rne", Rounding::kNearestEven}});
  py::gil_scoped_release release;
  constexpr uint64_t kGrain = 1u << 16;
  const uint64_t tasks = (a.n + kGrain - 1) / kGrain;
  parallel_for(tasks, [&](size_t t) {
    const uint64_t first = t * kGrain;
    const uint64_t len = std::min<uint64_t>(kGrain, a.n - first);
    if (a.fp == Fp::kFp32) {
      quantize(static_cast<const uint32_t*>(a.data) + first,
               static_cast<uint32_t*>(b.mutable_data) + first, len, Fp::kFp32, m, r);
    } else {
      const uint16_t* i = static_cast<const uint16_t*>(a.data) + first;
      uint16_t* o = static_cast<uint16_t*>(b.mutable_data) + first;
      for (uint64_t j = 0; j < len; ++j)
        o[j] = static_cast<uint16_t>(quantize(i[j], Fp::kBf16, m, r));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Quantum Mantissa kernels (docs/training.md, "Quantizers"), operation for operation those of
// QmFn in train/src/quant.cpp, so values and gradients are the same bits: lo = floor(n),
// hi = min(lo + 1, max_bits), f = n - lo (as float), g = 1 - f.

struct QmBits {
  unsigned lo, hi;
  float f, g;
};

QmBits qm_bits(double n, unsigned max_bits) {
  const double nv = std::clamp(n, 0.0, static_cast<double>(max_bits));
  QmBits b;
  b.lo = static_cast<unsigned>(std::floor(nv));
  b.hi = std::min<unsigned>(b.lo + 1, max_bits);
  b.f = static_cast<float>(nv - b.lo);
  b.g = 1.0f - b.f;
  return b;
}

// Checks a float32 input and output of the same size; returns (in, out, count).
std::tuple<const float*, float*, uint64_t> float_pair(const py::buffer& in, const py::buffer& out,
                                                      const char* what) {
  const Values a = values_of(in);
  const Values b = values_of(out, true);
  if (a.fp != Fp::kFp32 || b.fp != Fp::kFp32 || a.n != b.n)
    fail(Status::kBadInput, std::string(what) + ": input and output must be float32 of one size");
  return {static_cast<const float*>(a.data), static_cast<float*>(b.mutable_data), a.n};
}

// Runs fn(first, len, scratch) over blocks of the values on the sfp threads, GIL released;
// scratch holds kQmBlock floats.
constexpr uint64_t kQmBlock = 4096;
void qm_blocks(uint64_t n, const std::function<void(uint64_t, uint64_t, float*)>& fn) {
  py::gil_scoped_release release;
  constexpr uint64_t kGrain = 1u << 16;
  const uint64_t tasks = (n + kGrain - 1) / kGrain;
  parallel_for(tasks, [&](size_t t) {
    float scratch[kQmBlock];
    const uint64_t end = std::min<uint64_t>(n, (t + 1) * kGrain);
    for (uint64_t at = t * kGrain; at < end; at += kQmBlock) {
      fn(at, std::min<uint64_t>(kQmBlock, end - at), scratch);
    }
  });
}

// out = g * Q_lo(x) + f * Q_hi(x) (Q_lo(x) when f = 0). Returns (lo, hi, f).
py::tuple qm_forward(const py::buffer& in, const py::buffer& out, double n, unsigned max_bits,
                     const std::string& round) {
  if (max_bits > kManBitsFp32) fail(Status::kBadConfig, "qm_forward: max_bits is above 23");
  const auto [x, o, count] = float_pair(in, out, "qm_forward");
  const Rounding r = pick<Rounding>(
      round, "round", {{"trunc", Rounding::kTruncate}, {"rne", Rounding::kNearestEven}});
  const QmBits b = qm_bits(n, max_bits);
  const bool blend = b.f != 0.0f;
  qm_blocks(count, [&, x = x, o = o](uint64_t at, uint64_t len, float* qhi) {
    quantize_f32(x + at, o + at, len, b.lo, r);
    if (!blend) return;
    quantize_f32(x + at, qhi, len, b.hi, r);
    float* d = o + at;
    for (uint64_t i = 0; i < len; ++i) d[i] = b.g * d[i] + b.f * qhi[i];
  });
  return py::make_tuple(b.lo, b.hi, b.f);
}

// out = Q_hi(x) - Q_lo(x), non-finite differences as 0 (what the bitlength gradient sums).
void qm_diff(const py::buffer& in, const py::buffer& out, double n, unsigned max_bits,
             const std::string& round) {
  if (max_bits > kManBitsFp32) fail(Status::kBadConfig, "qm_diff: max_bits is above 23");
  const auto [x, o, count] = float_pair(in, out, "qm_diff");
  const Rounding r = pick<Rounding>(
      round, "round", {{"trunc", Rounding::kTruncate}, {"rne", Rounding::kNearestEven}});
  const QmBits b = qm_bits(n, max_bits);
  qm_blocks(count, [&, x = x, o = o](uint64_t at, uint64_t len, float* qlo) {
    quantize_f32(x + at, qlo, len, b.lo, r);
    float* d = o + at;
    quantize_f32(x + at, d, len, b.hi, r);
    for (uint64_t i = 0; i < len; ++i) {
      const float v = d[i] - qlo[i];
      d[i] = std::isfinite(v) ? v : 0.0f;
    }
  });
}

}  // namespace
}  // namespace sfp::python

PYBIND11_MODULE(_sfp, mod) {
  using namespace sfp;
  using namespace sfp::python;
  mod.doc() = "Compiled core of the sfp package (use the package sfp, not this module).";

  static py::exception<StatusError> error(mod, "Error", PyExc_ValueError);
  // Sets the Python error: an instance of sfp.Error carrying .code.
  static auto raise_error = [](Status s, const std::string& message) {
    py::object exc =
        py::reinterpret_borrow<py::object>(error.ptr())(status_text(s) + ": " + message);
    exc.attr("code") = static_cast<int>(s);
    PyErr_SetObject(error.ptr(), exc.ptr());
  };
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      raise_error(e.status, e.message);
    } catch (const io::Error& e) {
      raise_error(Status::kBadInput, e.what());
    }
  });

  py::dict statuses;
  for (unsigned s = 0; s < 256 && std::string(status_name(static_cast<Status>(s))) != "unknown";
       ++s) {
    statuses[py::int_(s)] = status_name(static_cast<Status>(s));
  }
  mod.attr("STATUS_NAMES") = statuses;
  mod.attr("FORMAT_VERSION") = kFormatVersion;
  mod.attr("CONFIG_KEYWORDS") = config_key_names();

  mod.def(
      "set_num_threads", [](unsigned n) { g_threads = std::max(1u, n); }, py::arg("n"));
  mod.def("get_num_threads", [] { return g_threads; });

  mod.def(
      "config",
      [](const std::string& dtype, const py::kwargs& kw) {
        const Fp fp = dtype == "BF16" ? Fp::kBf16 : Fp::kFp32;
        if (dtype != "BF16" && dtype != "F32")
          fail(Status::kBadInput, "dtype must be 'F32' or 'BF16'");
        const Config c = make_config(fp, kw);
        return py::make_tuple(to_string(c), pack_config(c));
      },
      py::arg("dtype"));

  mod.def("encode_container", &encode_container, py::arg("tensors"), py::arg("kind"),
          py::arg("metadata"), py::arg("config"));
  mod.def("decode_container", &decode_container, py::arg("data"));
  mod.def("stats", &stats, py::arg("values"), py::arg("config"));
  mod.def("quantize", &quantize_into, py::arg("values"), py::arg("out"), py::arg("m"),
          py::arg("round"));
  mod.def("qm_forward", &qm_forward, py::arg("values"), py::arg("out"), py::arg("n"),
          py::arg("max_bits"), py::arg("round"));
  mod.def("qm_diff", &qm_diff, py::arg("values"), py::arg("out"), py::arg("n"), py::arg("max_bits"),
          py::arg("round"));

  mod.def("read_file", [](const std::string& path) {
    const std::vector<uint8_t> b = io::read_file(path);
    return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
  });
  mod.def("write_file", [](const std::string& path, const py::bytes& data) {
    const std::string s = data;
    const SignalsAroundWrite signals;
    io::write_file_atomic(path, std::vector<uint8_t>(s.begin(), s.end()));
  });

  py::class_<Stream>(mod, "Stream",
                     "One tensor stream held in memory (configuration, chunk index, payload).")
      .def_property_readonly("nbytes", &Stream::nbytes,
                             "Bytes stored: configuration word, chunk index, payload.")
      .def_property_readonly("values", [](const Stream& s) { return s.e.values; })
      .def_property_readonly("shape", [](const Stream& s) { return s.shape; })
      .def_property_readonly("dtype", [](const Stream& s) { return io::dtype_name(s.e.config.fp); })
      .def_property_readonly("config", [](const Stream& s) { return to_string(s.e.config); })
      .def_property_readonly("config_word", [](const Stream& s) { return pack_config(s.e.config); })
      .def_property_readonly("chunk_words", [](const Stream& s) { return s.e.chunk_words; })
      .def_property_readonly("payload",
                             [](const Stream& s) {
                               return py::bytes(reinterpret_cast<const char*>(s.e.payload.data()),
                                                s.e.payload.size());
                             })
      .def_property_readonly("bits", [](const Stream& s) { return bits_dict(s.e.bits); })
      .def("decode_into", [](const Stream& s, const py::buffer& out) {
        const Values o = values_of(out, true);
        if (o.fp != s.e.config.fp || o.n != s.e.values) {
          fail(Status::kBadInput, "decode_into: the output must hold " +
                                      std::to_string(s.e.values) + " " +
                                      io::dtype_name(s.e.config.fp) + " values");
        }
        decode_values(s.e, o.mutable_data, "");
      });

  mod.def(
      "encode_stream",
      [](const py::buffer& b, const py::dict& config) {
        const Values v = values_of(b);
        Stream s;
        s.shape = v.shape;
        s.e = encode_values(make_config(v.fp, config), v);
        return s;
      },
      py::arg("values"), py::arg("config"));
  mod.def(
      "stream_from_parts",
      [](uint32_t config_word, uint64_t values, const std::vector<uint32_t>& chunk_words,
         const py::bytes& payload) {
        Stream s;
        std::string why;
        if (const Status st = unpack_config(config_word, &s.e.config, &why); st != Status::kOk) {
          fail(st, "configuration word does not decode: " + why);
        }
        s.e.values = values;
        s.e.chunk_words = chunk_words;
        const std::string p = payload;
        s.e.payload.assign(p.begin(), p.end());
        s.shape = {values};
        return s;
      },
      py::arg("config_word"), py::arg("values"), py::arg("chunk_words"), py::arg("payload"));

  py::class_<train::BitChop>(mod, "BitChopController")
      .def(py::init([](unsigned period, double ema, double threshold, unsigned min_bits,
                       unsigned max_bits, unsigned init_bits) {
             train::BitChopConfig c;
             c.period = period;
             c.ema_factor = ema;
             c.threshold = threshold;
             c.min_bits = min_bits;
             c.max_bits = max_bits;
             c.init_bits = init_bits;
             try {
               return train::BitChop(c);
             } catch (const std::invalid_argument& e) {
               throw py::value_error(e.what());
             }
           }),
           py::arg("period"), py::arg("ema"), py::arg("threshold"), py::arg("min_bits"),
           py::arg("max_bits"), py::arg("init_bits"))
      .def("observe", &train::BitChop::observe, py::arg("loss"))
      .def_property_readonly("bits", &train::BitChop::bits)
      .def_property_readonly("ema",
                             [](const train::BitChop& b) -> py::object {
                               return b.has_ema() ? py::object(py::float_(b.ema()))
                                                  : py::object(py::none());
                             })
      .def_property_readonly("last_decision", [](const train::BitChop& b) {
        static const char* names[] = {"none", "hold", "fewer", "more"};
        return names[static_cast<int>(b.last_decision())];
      });
}
