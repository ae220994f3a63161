// SPDX-License-Identifier: Apache-2.0
//
// NumPy .npy reader and writer. The header is a Python dict literal, parsed by hand: only the
// subset NumPy writes is accepted (string keys, a string descr, True/False, a tuple of ints).
#include "sfp/io/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bytes.hpp"

namespace sfp::io {
namespace {

using detail::load_le;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kMaxDims = 64;  // NumPy's own limit

// Recursive-descent reader of the header dictionary.
class DictParser {
 public:
  explicit DictParser(std::string text) : s_(std::move(text)) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<uint64_t> shape;
  };

  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = string_literal("a key");
      skip_ws();
      expect(':');
      skip_ws();
      int which;
      if (key == "descr") {
        which = 0;
        if (peek() != '\'' && peek() != '"') {
          fail("'descr' is not a string (structured dtypes are not supported)");
        }
        h.descr = string_literal("'descr'");
      } else if (key == "fortran_order") {
        which = 1;
        h.fortran_order = boolean();
      } else if (key == "shape") {
        which = 2;
        h.shape = int_tuple();
      } else {
        fail(fmt::format("unexpected key {}", quote(key)));
      }
      if (seen[which]) fail(fmt::format("key {} appears twice", quote(key)));
      seen[which] = true;
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_ws();
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the dictionary");
    static const char* const kKeys[] = {"descr", "fortran_order", "shape"};
    for (int i = 0; i < 3; ++i) {
      if (!seen[i]) fail(fmt::format("key '{}' is missing", kKeys[i]));
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("header dictionary, byte {}: {}", pos_, what));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string string_literal(const char* what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("expected {} in quotes", what));
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = s_.substr(pos_ + 1, end - pos_ - 1);
    if (v.find('\\') != std::string::npos) fail("escapes in strings are not supported");
    pos_ = end + 1;
    return v;
  }
  bool boolean() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("'fortran_order' must be True or False");
  }
  uint64_t integer() {
    if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in 'shape'");
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const uint64_t digit = static_cast<uint64_t>(peek() - '0');
      if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, digit, &v)) {
        fail("a dimension in 'shape' does not fit in 64 bits");
      }
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 long literal
    return v;
  }
  std::vector<uint64_t> int_tuple() {
    expect('(');
    std::vector<uint64_t> dims;
    bool trailing_comma = false;
    while (true) {
      skip_ws();
      if (peek() == ')') break;
      if (dims.size() == kMaxDims) {
        fail(fmt::format("'shape' has more than {} dimensions", kMaxDims));
      }
      dims.push_back(integer());
      skip_ws();
      trailing_comma = peek() == ',';
      if (trailing_comma) {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in 'shape'");
      }
    }
    // Python writes a 1-tuple as "(n,)"; "(n)" is the number n, not a tuple.
    if (dims.size() == 1 && !trailing_comma) fail("'shape' (n) is not a tuple; write (n,)");
    ++pos_;
    return dims;
  }

  std::string s_;
  size_t pos_ = 0;
};

std::string shape_tuple(const std::vector<uint64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace

TensorFile parse_npy(const uint8_t* data, size_t size, const NpyOptions& options) {
  detail::ByteReader r(data, size);
  if (std::memcmp(r.take(kMagicBytes, "the magic"), kMagic, kMagicBytes) != 0) {
    r.fail("not a .npy file (bad magic)");
  }
  const unsigned major = static_cast<unsigned>(r.le(1, "the version"));
  const unsigned minor = static_cast<unsigned>(r.le(1, "the version"));
  if (major < 1 || major > 3 || minor != 0) {
    r.fail(fmt::format("unsupported .npy version {}.{} (1.0, 2.0 and 3.0 are)", major, minor));
  }
  const uint64_t header_len = r.le(major == 1 ? 2 : 4, "the header length");
  const auto* text = reinterpret_cast<const char*>(r.take(header_len, "the header"));
  const DictParser::Header h = DictParser(std::string(text, header_len)).parse();

  TensorFile file;
  Tensor t;
  t.name = options.name;
  if (h.descr == "<f4") {
    file.kind = SourceKind::kNpyF32;
    t.dtype = Fp::kFp32;
  } else if (h.descr == "<u2" && options.bf16) {
    file.kind = SourceKind::kNpyBf16;
    t.dtype = Fp::kBf16;
  } else if (h.descr == "<u2") {
    r.fail("descr '<u2' (uint16) is read as BF16 only when asked to (sfp --bf16-npy)");
  } else {
    r.fail(fmt::format("descr {} is not supported: only '<f4' (and '<u2' holding BF16)",
                       quote(h.descr)));
  }
  t.shape = h.shape;
  file.metadata = {{"fortran_order", h.fortran_order ? "true" : "false"}};

  const unsigned w = dtype_bytes(t.dtype);
  uint64_t n = 0, bytes = 0;
  if (!element_count(t.shape, &n) || __builtin_mul_overflow(n, uint64_t{w}, &bytes)) {
    r.fail(fmt::format("shape {} has too many values", shape_string(t.shape)));
  }
  if (bytes != r.remaining()) {
    r.fail(fmt::format("data is {} bytes, but shape {} of {} needs {}", r.remaining(),
                       shape_string(t.shape), h.descr, bytes));
  }
  const uint8_t* p = r.take(bytes, "the data");
  t.values.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < t.values.size(); ++i) {
    t.values[i] = static_cast<uint32_t>(load_le(p + i * w, w));
  }
  file.tensors.push_back(std::move(t));
  return file;
}

std::vector<uint8_t> write_npy(const TensorFile& file) {
  if (file.tensors.size() != 1) {
    throw Error(fmt::format(".npy holds one array, not {}", file.tensors.size()));
  }
  const Tensor& t = file.tensors[0];
  const char* descr;
  if (file.kind == SourceKind::kNpyF32 && t.dtype == Fp::kFp32) {
    descr = "<f4";
  } else if (file.kind == SourceKind::kNpyBf16 && t.dtype == Fp::kBf16) {
    descr = "<u2";
  } else {
    throw Error(fmt::format("cannot write a {} tensor as {}", dtype_name(t.dtype),
                            source_kind_name(file.kind)));
  }
  bool fortran = false;
  for (const auto& [key, value] : file.metadata) {
    if (key != "fortran_order" || (value != "true" && value != "false")) {
      throw Error(fmt::format(".npy metadata must be fortran_order true or false, not {}={}",
                              quote(key), quote(value)));
    }
    fortran = value == "true";
  }
  uint64_t n = 0;
  if (!element_count(t.shape, &n) || n != t.values.size()) {
    throw Error(
        fmt::format("{} values do not fill shape {}", t.values.size(), shape_string(t.shape)));
  }
  if (t.dtype == Fp::kBf16 &&
      std::any_of(t.values.begin(), t.values.end(), [](uint32_t v) { return v >> 16; })) {
    throw Error("a BF16 value has bits above bit 15");
  }

  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}", descr,
                                   fortran ? "True" : "False", shape_tuple(t.shape));
  // Pad with spaces and end with a newline so that the data starts at a multiple of 64.
  const unsigned major = header.size() + 64 <= 0xFFFF ? 1 : 2;
  const size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';

  const unsigned w = dtype_bytes(t.dtype);
  std::vector<uint8_t> out;
  out.reserve(prefix + header.size() + t.values.size() * w);
  detail::append_bytes(out, kMagic, kMagicBytes);
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  detail::append_le(out, header.size(), major == 1 ? 2 : 4);
  detail::append_bytes(out, header.data(), header.size());
  for (uint32_t v : t.values) detail::append_le(out, v, w);
  return out;
}

}  // namespace sfp::io
