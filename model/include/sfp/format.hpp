// SPDX-License-Identifier: Apache-2.0
//
// Value formats and the per-tensor configuration of the container.
// Spec: docs/format.md, "Tensor configuration word".
#pragma once

#include <cstdint>
#include <string>

#include "sfp/gen/format.hpp"

namespace sfp {

// Floating-point value formats. Values travel as bit patterns in a uint32_t; BF16 uses the low
// 16 bits and leaves the high 16 bits zero.
enum class Fp : uint8_t { kFp32 = 0, kBf16 = 1 };

struct FpFormat {
  unsigned exp_bits;
  unsigned man_bits;
  constexpr unsigned width() const { return 1 + exp_bits + man_bits; }
  constexpr uint32_t man_mask() const { return (1u << man_bits) - 1; }
  constexpr uint32_t exp_max() const { return (1u << exp_bits) - 1; }
};

constexpr FpFormat fp_format(Fp fp) {
  return fp == Fp::kFp32 ? FpFormat{kExpBits, kManBitsFp32} : FpFormat{kExpBits, kManBitsBf16};
}

enum class Rounding : uint8_t { kTruncate = 0, kNearestEven = 1 };
enum class BaseCode : uint8_t { kRaw = 0, kDelta = 1, kGamma = 2 };
enum class ZeroCode : uint8_t { kNone = 0, kMask = 1, kMode = 2 };

// Spec: "Decoder errors". The numeric values are the spec's error codes.
enum class Status : uint8_t {
  kOk = 0,
  kBadConfig = 1,    // configuration word invalid (reserved bits, ranges)
  kBadIndex = 2,     // chunk count or chunk lengths inconsistent with the payload
  kTruncated = 3,    // a chunk ends before all of its values are decoded
  kBadBaseCode = 4,  // base code longer than the longest legal code
  kExpRange = 5,     // a base or base + delta outside 0..255
  kBadPadding = 6,   // non-zero bits after the last group of a chunk
  kLength = 7,       // chunk length larger than its content needs
  kBadInput = 8,     // encoder input: a BF16 value with bits above bit 15
  kCrc = 9,          // v2: a chunk's CRC-32C does not match its words
  kBadTable = 10,    // v2: the tensor's code table is malformed
  kBadCode = 11,     // v2: lane bits that match no codeword of the table
};
const char* status_name(Status s);

// Per-tensor configuration. Defaults are the spec's version 1 defaults (format.md, "Field
// table"); Config::lossless gives the defaults of the current version.
//
// Versions 2 and 3 use fp, man_bits, rounding, group (the number of lanes L) and chunk; gecko,
// base and zero are version 1 fields that they ignore, and word_bits is fixed (32 bits in
// version 2 and 3).
struct Config {
  unsigned version = 1;  // format version of the stream: 1, 2 or 3
  Fp fp = Fp::kFp32;
  unsigned man_bits = kManBitsFp32;  // m: mantissa bits kept, 0..man_bits of the format
  Rounding rounding = Rounding::kTruncate;
  bool gecko = true;  // false: raw 8-bit exponents
  unsigned group = kDefaultGroupLanes;
  BaseCode base = static_cast<BaseCode>(kDefaultBaseCode);
  ZeroCode zero = static_cast<ZeroCode>(kDefaultZeroCode);
  unsigned chunk = kDefaultChunkValues;
  unsigned word_bits = kDefaultWordBits;

  // The lossless configuration for a format (m = all mantissa bits) with the defaults of a
  // format version (the current one by default).
  static Config lossless(Fp fp, unsigned version = kFormatVersion) {
    Config c;
    c.version = version;
    c.fp = fp;
    c.man_bits = fp_format(fp).man_bits;
    if (version == 2) {
      c.group = kV2DefaultLanes;
      c.chunk = kV2DefaultChunkValues;
      c.word_bits = kV2WordBits;
    } else if (version == 3) {
      c.group = kV3DefaultLanes;
      c.chunk = kV3DefaultChunkValues;
      c.word_bits = kV3WordBits;
    }
    return c;
  }
  bool operator==(const Config& o) const;
  bool operator!=(const Config& o) const { return !(*this == o); }
};

// kOk if every field is in its legal range; *why names the first field that is not.
Status validate(const Config& c, std::string* why = nullptr);
// Spec: "Tensor configuration word". pack_config requires validate(c) == kOk.
uint32_t pack_config(const Config& c);
Status unpack_config(uint32_t word, Config* c, std::string* why = nullptr);
// One line, e.g. "fp32 m=23 trunc gecko G=16 base=delta zero=mode C=4096 W=256" (version 1) or
// "v2 fp32 m=23 trunc L=16 C=16384".
std::string to_string(const Config& c);

}  // namespace sfp
