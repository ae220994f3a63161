// SPDX-License-Identifier: Apache-2.0
//
// Configuration word and validation. Spec: "Tensor configuration word".
#include "sfp/format.hpp"

#include <fmt/format.h>

namespace sfp {
namespace {

unsigned log2_exact(unsigned v) {
  unsigned l = 0;
  while ((1u << l) < v) ++l;
  return (1u << l) == v ? l : ~0u;
}

Status fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return Status::kBadConfig;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kBadConfig:
      return "bad_config";
    case Status::kBadIndex:
      return "bad_index";
    case Status::kTruncated:
      return "truncated";
    case Status::kBadBaseCode:
      return "bad_base_code";
    case Status::kExpRange:
      return "exp_range";
    case Status::kBadPadding:
      return "bad_padding";
    case Status::kLength:
      return "length";
    case Status::kBadInput:
      return "bad_input";
    case Status::kCrc:
      return "crc";
    case Status::kBadTable:
      return "bad_table";
    case Status::kBadCode:
      return "bad_code";
  }
  return "unknown";
}

bool Config::operator==(const Config& o) const {
  if (version != o.version) return false;
  if (version >= 2) {
    return fp == o.fp && man_bits == o.man_bits && rounding == o.rounding && group == o.group &&
           chunk == o.chunk;
  }
  return fp == o.fp && man_bits == o.man_bits && rounding == o.rounding && gecko == o.gecko &&
         group == o.group && base == o.base && zero == o.zero && chunk == o.chunk &&
         word_bits == o.word_bits;
}

Status validate(const Config& c, std::string* why) {
  if (c.version < 1 || c.version > 3) {
    return fail(why, fmt::format("format version {} is not 1, 2 or 3", c.version));
  }
  if (c.fp != Fp::kFp32 && c.fp != Fp::kBf16) return fail(why, "format must be fp32 or bf16");
  const unsigned man = fp_format(c.fp).man_bits;
  if (c.man_bits > man) {
    return fail(why, fmt::format("mantissa bits m={} above {} for this format", c.man_bits, man));
  }
  if (c.rounding != Rounding::kTruncate && c.rounding != Rounding::kNearestEven) {
    return fail(why, "rounding must be trunc or rne");
  }
  const unsigned lg = log2_exact(c.group);
  if (c.version >= 2) {
    const unsigned word = c.version == 2 ? kV2WordBits : kV3WordBits;
    if (c.word_bits != word) {
      return fail(
          why, fmt::format("version {} words are {} bits, not W={}", c.version, word, c.word_bits));
    }
    if (lg < kV2MinLanesLog2 || lg > kV2MaxLanesLog2) {
      return fail(why, fmt::format("lane count L={} is not one of 4, 8, 16, 32", c.group));
    }
    const unsigned lc = log2_exact(c.chunk);
    if (lc < lg || lc > kMaxChunkLog2) {
      return fail(why, fmt::format("chunk size C={} must be a power of two from L={} to 2^{}",
                                   c.chunk, c.group, kMaxChunkLog2));
    }
    return Status::kOk;
  }
  if (lg < kMinGroupLog2 || lg > kMaxGroupLog2) {
    return fail(why, fmt::format("group size G={} is not one of 4, 8, 16, 32", c.group));
  }
  if (static_cast<unsigned>(c.base) > 2) return fail(why, "base code must be raw, delta or gamma");
  if (static_cast<unsigned>(c.zero) > 2) return fail(why, "zero code must be none, mask or mode");
  const unsigned lc = log2_exact(c.chunk);
  if (lc < lg || lc > kMaxChunkLog2) {
    return fail(why, fmt::format("chunk size C={} must be a power of two from G={} to 2^{}",
                                 c.chunk, c.group, kMaxChunkLog2));
  }
  const unsigned lw = log2_exact(c.word_bits);
  if (lw < kMinWordLog2 || lw > kMaxWordLog2) {
    return fail(why,
                fmt::format("word width W={} is not one of 32, 64, 128, 256, 512", c.word_bits));
  }
  return Status::kOk;
}

uint32_t pack_config(const Config& c) {
  if (c.version >= 2) {
    return static_cast<uint32_t>(c.fp) | (c.man_bits << 1) |
           (static_cast<uint32_t>(c.rounding) << 6) | (log2_exact(c.group) << 8) |
           (log2_exact(c.chunk) << 15) | ((c.version - 1) << 24);
  }
  return static_cast<uint32_t>(c.fp) | (c.man_bits << 1) |
         (static_cast<uint32_t>(c.rounding) << 6) | (uint32_t{c.gecko} << 7) |
         (log2_exact(c.group) << 8) | (static_cast<uint32_t>(c.base) << 11) |
         (static_cast<uint32_t>(c.zero) << 13) | (log2_exact(c.chunk) << 15) |
         (log2_exact(c.word_bits) << 20);
}

Status unpack_config(uint32_t w, Config* c, std::string* why) {
  if (w >> 26) return fail(why, fmt::format("reserved bits 31:26 set in config word {:#010x}", w));
  const unsigned v = (w >> 24) & 3u;
  if (v > 2) return fail(why, fmt::format("version field {} in config word {:#010x}", v, w));
  if (v >= 1) {
    // Versions 2 and 3: bits 7, 14:11 and 23:20 are reserved.
    if (w & ((1u << 7) | (0xFu << 11) | (0xFu << 20))) {
      return fail(why,
                  fmt::format("reserved bits of version {} set in config word {:#010x}", v + 1, w));
    }
    Config r = Config::lossless(static_cast<Fp>(w & 1u), v + 1);
    r.man_bits = (w >> 1) & 31u;
    r.rounding = static_cast<Rounding>((w >> 6) & 1u);
    const unsigned lg = (w >> 8) & 7u, lc = (w >> 15) & 31u;
    if (lg < kV2MinLanesLog2 || lg > kV2MaxLanesLog2) {
      return fail(why, fmt::format("logL={} outside 2..5 in config word {:#010x}", lg, w));
    }
    r.group = 1u << lg;
    r.chunk = lc <= kMaxChunkLog2 ? 1u << lc : 0u;
    const Status s = validate(r, why);
    if (s == Status::kOk) *c = r;
    return s;
  }
  Config r;
  r.version = 1;
  r.fp = static_cast<Fp>(w & 1u);
  r.man_bits = (w >> 1) & 31u;
  r.rounding = static_cast<Rounding>((w >> 6) & 1u);
  r.gecko = (w >> 7) & 1u;
  const unsigned lg = (w >> 8) & 7u, lc = (w >> 15) & 31u, lw = (w >> 20) & 15u;
  if (lg < kMinGroupLog2 || lg > kMaxGroupLog2) {
    return fail(why, fmt::format("logG={} outside 2..5 in config word {:#010x}", lg, w));
  }
  if (lw < kMinWordLog2 || lw > kMaxWordLog2) {
    return fail(why, fmt::format("logW={} outside 5..9 in config word {:#010x}", lw, w));
  }
  r.group = 1u << lg;
  r.base = static_cast<BaseCode>((w >> 11) & 3u);
  r.zero = static_cast<ZeroCode>((w >> 13) & 3u);
  r.chunk = lc <= kMaxChunkLog2 ? 1u << lc : 0u;
  r.word_bits = 1u << lw;
  const Status s = validate(r, why);
  if (s == Status::kOk) *c = r;
  return s;
}

std::string to_string(const Config& c) {
  if (c.version >= 2) {
    return fmt::format("v{} {} m={} {} L={} C={}", c.version, c.fp == Fp::kFp32 ? "fp32" : "bf16",
                       c.man_bits, c.rounding == Rounding::kTruncate ? "trunc" : "rne", c.group,
                       c.chunk);
  }
  static const char* const kBase[] = {"raw", "delta", "gamma", "?"};
  static const char* const kZero[] = {"none", "mask", "mode", "?"};
  return fmt::format(
      "{} m={} {} {} G={} base={} zero={} C={} W={}", c.fp == Fp::kFp32 ? "fp32" : "bf16",
      c.man_bits, c.rounding == Rounding::kTruncate ? "trunc" : "rne",
      c.gecko ? "gecko" : "raw-exp", c.group, kBase[static_cast<unsigned>(c.base) & 3u],
      kZero[static_cast<unsigned>(c.zero) & 3u], c.chunk, c.word_bits);
}

}  // namespace sfp
