// SPDX-License-Identifier: Apache-2.0
//
// Tensor helpers shared by the file formats.
#include "sfp/io/tensor.hpp"

#include <fmt/format.h>

namespace sfp::io {

bool element_count(const std::vector<uint64_t>& shape, uint64_t* n) {
  uint64_t p = 1;
  bool overflow = false;
  for (uint64_t d : shape) {
    if (d == 0) {  // the product is 0 whatever the other dimensions are
      *n = 0;
      return true;
    }
    overflow = overflow || __builtin_mul_overflow(p, d, &p);
  }
  *n = p;
  return !overflow;
}

const char* dtype_name(Fp dtype) { return dtype == Fp::kFp32 ? "F32" : "BF16"; }

unsigned dtype_bytes(Fp dtype) { return dtype == Fp::kFp32 ? 4 : 2; }

const char* source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::kSafetensors:
      return "safetensors";
    case SourceKind::kNpyF32:
      return "npy <f4";
    case SourceKind::kNpyBf16:
      return "npy <u2 (BF16)";
  }
  return "unknown";
}

std::string shape_string(const std::vector<uint64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not well-formed.
size_t utf8_length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string quote(const std::string& s) {
  constexpr size_t kMaxBytes = 200;
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    if (i >= kMaxBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = utf8_length(s, i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (len == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.append(s, i, len);
      i += len;
      continue;
    }
    ++i;
  }
  return out + '"';
}

}  // namespace sfp::io
