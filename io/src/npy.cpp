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

FileLayout npy_layout(uint64_t size, const ReadAt& read, const NpyOptions& options) {
  // The magic, the version and the header length: at most 12 bytes.
  uint8_t prefix[12];
  const size_t prefix_size = static_cast<size_t>(std::min<uint64_t>(size, sizeof prefix));
  read(0, prefix, prefix_size);
  detail::ByteReader r(prefix, prefix_size);
  if (std::memcmp(r.take(kMagicBytes, "the magic"), kMagic, kMagicBytes) != 0) {
    r.fail("not a .npy file (bad magic)");
  }
  const unsigned major = static_cast<unsigned>(r.le(1, "the version"));
  const unsigned minor = static_cast<unsigned>(r.le(1, "the version"));
  if (major < 1 || major > 3 || minor != 0) {
    r.fail(fmt::format("unsupported .npy version {}.{} (1.0, 2.0 and 3.0 are)", major, minor));
  }
  const uint64_t header_len = r.le(major == 1 ? 2 : 4, "the header length");
  const uint64_t at = r.pos();
  if (header_len > size - at) {
    throw Error(
        fmt::format("file ends in the header (needs {} bytes, {} left)", header_len, size - at));
  }
  std::string text(static_cast<size_t>(header_len), '\0');
  read(at, reinterpret_cast<uint8_t*>(text.data()), text.size());
  const DictParser::Header h = DictParser(std::move(text)).parse();

  FileLayout file;
  TensorLayout t;
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
  const uint64_t data_at = at + header_len;
  if (bytes != size - data_at) {
    r.fail(fmt::format("data is {} bytes, but shape {} of {} needs {}", size - data_at,
                       shape_string(t.shape), h.descr, bytes));
  }
  t.values = n;
  t.offset = data_at;
  file.tensors.push_back(std::move(t));
  return file;
}

TensorFile parse_npy(const uint8_t* data, size_t size, const NpyOptions& options) {
  const FileLayout layout = npy_layout(
      size, [&](uint64_t at, uint8_t* out, size_t n) { std::memcpy(out, data + at, n); }, options);
  const TensorLayout& l = layout.tensors[0];
  TensorFile file;
  file.kind = layout.kind;
  file.metadata = layout.metadata;
  Tensor t;
  t.name = l.name;
  t.dtype = l.dtype;
  t.shape = l.shape;
  const unsigned w = dtype_bytes(t.dtype);
  t.values.resize(static_cast<size_t>(l.values));
  const uint8_t* p = data + l.offset;
  for (size_t i = 0; i < t.values.size(); ++i) {
    t.values[i] = static_cast<uint32_t>(load_le(p + i * w, w));
  }
  file.tensors.push_back(std::move(t));
  return file;
}

namespace {

// The bytes of write_npy before the data; with values, they must fill the shape.
std::vector<uint8_t> npy_head(const TensorFile& file, bool with_values) {
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
  if (!element_count(t.shape, &n) || (with_values && n != t.values.size())) {
    throw Error(
        fmt::format("{} values do not fill shape {}", t.values.size(), shape_string(t.shape)));
  }
  if (with_values && t.dtype == Fp::kBf16 &&
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
  out.reserve(prefix + header.size() + (with_values ? t.values.size() * w : 0));
  detail::append_bytes(out, kMagic, kMagicBytes);
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  detail::append_le(out, header.size(), major == 1 ? 2 : 4);
  detail::append_bytes(out, header.data(), header.size());
  return out;
}

}  // namespace

std::vector<uint8_t> npy_header(const TensorFile& file) { return npy_head(file, false); }

std::vector<uint8_t> write_npy(const TensorFile& file) {
  std::vector<uint8_t> out = npy_head(file, true);
  const Tensor& t = file.tensors[0];
  const unsigned w = dtype_bytes(t.dtype);
  for (uint32_t v : t.values) detail::append_le(out, v, w);
  return out;
}

}  // namespace sfp::io
