// SPDX-License-Identifier: Apache-2.0
//
// Tensor encoder and decoder. Spec: "Tensor stream", "Group record", "Decoder errors".
// Each BitWriter::put in the encoder has its BitReader::get in the decoder, in the same order.
#include "sfp/codec.hpp"

#include <algorithm>
#include <cstring>

#include "bit_io.hpp"
#include "codec_v2.hpp"
#include "sfp/quantize.hpp"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sfp's model assumes a little-endian host"
#endif

namespace sfp {
namespace {

using detail::BitReader;
using detail::BitWriter;

using detail::bit_width;

unsigned popcount(uint32_t x) {  // portable: no popcnt instruction assumed
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  return (((x + (x >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

// Group analysis with the format known at compile time, so the lane loop vectorizes.
template <Fp F>
GroupPlan analyse(bool zeros_apart, const uint32_t* q, unsigned lanes) {
  constexpr FpFormat f = fp_format(F);
  GroupPlan p;
  p.lanes = lanes;
  unsigned lo = f.exp_max(), hi = 0;
  uint32_t mask = 0;
  const uint32_t apart = zeros_apart ? 1u : 0u;
  for (unsigned i = 0; i < lanes; ++i) {  // branch-free: zero lanes leave lo and hi alone
    const uint32_t z = apart & static_cast<uint32_t>(q[i] == 0);
    const uint32_t e = (q[i] >> f.man_bits) & f.exp_max();  // 0 for a zero lane
    mask |= z << i;
    lo = std::min(lo, e | ((0u - z) & f.exp_max()));
    hi = std::max(hi, e);
  }
  p.zero_mask = mask;
  p.nonzero = lanes - popcount(mask);
  if (p.nonzero) {
    p.base = lo;
    const unsigned w = bit_width(hi - lo);
    p.width_code = w >= 7 ? 7 : w;
  }
  return p;
}

constexpr unsigned kBaseMaxBits[] = {kRawBaseBits, 3 + kRawBaseBits, 2 * kGammaMaxZeros + 1};

unsigned zero_bits(ZeroCode z, unsigned lanes, unsigned zeros) {
  switch (z) {
    case ZeroCode::kNone:
      return 0;
    case ZeroCode::kMask:
      return zeros == 0 ? 1 : 1 + lanes;
    case ZeroCode::kMode:
      return zeros == 0 ? 1 : zeros == lanes ? 2 : 2 + lanes;
  }
  return 0;
}

// Writes the base code for B given the predictor P; returns the bits written.
unsigned put_base(BitWriter& bw, BaseCode code, unsigned b, unsigned p) {
  const int d = static_cast<int>(b) - static_cast<int>(p);
  if (code == BaseCode::kRaw) {
    bw.put(b, kRawBaseBits);
    return kRawBaseBits;
  }
  if (code == BaseCode::kDelta) {
    const unsigned mag = static_cast<unsigned>(d < 0 ? -d : d), s = d < 0;
    if (d == 0) {
      bw.put(0, 1);  // "0"
      return 1;
    }
    if (mag == 1) {
      bw.put(0b01 | (s << 2), 3);  // "1 0 s"
      return 3;
    }
    if (mag <= 5) {
      bw.put(0b011 | (s << 3) | ((mag - 2) << 4), 6);  // "1 1 0 s x0 x1"
      return 6;
    }
    bw.put(0b111 | (b << 3), 3 + kRawBaseBits);  // "1 1 1" + B
    return 3 + kRawBaseBits;
  }
  // Gamma: k zeros, a one, then the low k bits of v = zigzag(D) + 1.
  const unsigned v = (d >= 0 ? 2u * d : 2u * static_cast<unsigned>(-d) - 1) + 1;
  const unsigned k = bit_width(v) - 1;
  bw.put(uint64_t{1} << k, k + 1);
  bw.put(v & ((1u << k) - 1), k);
  return 2 * k + 1;
}

// Reads a base code; returns kOk, kTruncated, kBadBaseCode or kExpRange.
Status get_base(BitReader& br, BaseCode code, unsigned p, unsigned* b) {
  int d = 0;
  if (code == BaseCode::kRaw) {
    *b = br.get(kRawBaseBits);
    return br.overrun() ? Status::kTruncated : Status::kOk;
  }
  if (code == BaseCode::kDelta) {
    if (br.get(1) == 0) {
      d = 0;
    } else if (br.get(1) == 0) {
      d = br.get(1) ? -1 : 1;
    } else if (br.get(1) == 0) {
      const unsigned s = br.get(1);
      const int mag = 2 + static_cast<int>(br.get(2));
      d = s ? -mag : mag;
    } else {
      *b = br.get(kRawBaseBits);
      return br.overrun() ? Status::kTruncated : Status::kOk;
    }
  } else {
    unsigned k = 0;
    while (br.get(1) == 0) {
      if (br.overrun()) return Status::kTruncated;
      if (++k > kGammaMaxZeros) return Status::kBadBaseCode;
    }
    const unsigned v = (1u << k) | br.get(k);
    const unsigned z = v - 1;
    d = (z & 1u) ? -static_cast<int>((z + 1) / 2) : static_cast<int>(z / 2);
  }
  if (br.overrun()) return Status::kTruncated;
  const int b_signed = static_cast<int>(p) + d;
  if (b_signed < 0 || b_signed > static_cast<int>(fp_format(Fp::kFp32).exp_max())) {
    return Status::kExpRange;
  }
  *b = static_cast<unsigned>(b_signed);
  return Status::kOk;
}

struct ChunkResult {
  Status status = Status::kOk;
  size_t bytes = 0;
};

// Encodes one chunk of quantized values q[0..n) into out; adds to *bits.
template <Fp F>
size_t encode_chunk(const Config& c, const uint32_t* q, size_t n, uint8_t* out, BitCounts* bits) {
  constexpr FpFormat f = fp_format(F);
  const unsigned m = c.man_bits, drop = f.man_bits - m;
  BitWriter bw(out);
  unsigned pred = kInitialBase;
  for (size_t g0 = 0; g0 < n; g0 += c.group) {
    const unsigned lanes = static_cast<unsigned>(std::min<size_t>(c.group, n - g0));
    const uint32_t* v = q + g0;
    const GroupPlan plan = analyse<F>(c.zero != ZeroCode::kNone, v, lanes);
    // Zero information.
    const unsigned zeros = lanes - plan.nonzero;
    const unsigned zb = zero_bits(c.zero, lanes, zeros);
    if (c.zero == ZeroCode::kMask) {
      bw.put(zeros != 0, 1);
      if (zeros) bw.put(plan.zero_mask, lanes);
    } else if (c.zero == ZeroCode::kMode) {
      if (zeros == 0) {
        bw.put(0, 1);
      } else if (zeros == lanes) {
        bw.put(0b01, 2);
      } else {
        bw.put(0b11, 2);
        bw.put(plan.zero_mask, lanes);
      }
    }
    bits->zero += zb;
    if (plan.nonzero == 0) continue;
    unsigned ew = f.exp_bits, base = 0;
    if (c.gecko) {
      bits->base += put_base(bw, c.base, plan.base, pred);
      pred = base = plan.base;
      bw.put(plan.width_code, kWidthCodeBits);
      bits->width += kWidthCodeBits;
      ew = plan.width();
    }
    // Value fields: sign, delta (or raw exponent), mantissa; lanes visited by their set bits.
    unsigned specials = 0;
    const uint32_t all = lanes == 32 ? ~0u : (1u << lanes) - 1;
    uint32_t live = ~plan.zero_mask & all;
    if (m > 0) {
      const unsigned size = 1 + ew + m;
      const auto field = [&](uint32_t lanes_left) {
        const Fields x = split(v[__builtin_ctz(lanes_left)], F);
        return x.sign | (uint64_t{x.exp - base} << 1) | (uint64_t{x.man >> drop} << (1 + ew));
      };
      if (size <= 28) {  // two fields per put: the same bits, half the dependency chain
        while (live) {
          const uint64_t f0 = field(live);
          live &= live - 1;
          if (!live) {
            bw.put(f0, size);
            break;
          }
          bw.put(f0 | field(live) << size, 2 * size);
          live &= live - 1;
        }
      }
      for (; live; live &= live - 1) bw.put(field(live), size);
    } else {  // m = 0: Inf and NaN carry one mantissa bit (Spec: "Value fields")
      for (; live; live &= live - 1) {
        const Fields x = split(v[__builtin_ctz(live)], F);
        const unsigned special = x.exp == f.exp_max();
        specials += special;
        bw.put(x.sign | (uint64_t{x.exp - base} << 1) |
                   (uint64_t{x.man >> (f.man_bits - 1)} << (1 + ew)),
               1 + ew + special);
      }
    }
    bits->sign += plan.nonzero;
    bits->delta += uint64_t{plan.nonzero} * ew;
    bits->mantissa += uint64_t{plan.nonzero} * m + specials;
  }
  const uint64_t used = bw.bits();
  const size_t bytes = bw.finish(c.word_bits / 8);
  bits->pad += bytes * 8 - used;
  return bytes;
}

}  // namespace

BitCounts& BitCounts::operator+=(const BitCounts& o) {
  for (const BitField& f : kBitFields) this->*f.member += o.*f.member;
  return *this;
}

GroupPlan plan_group(const Config& c, const uint32_t* q, unsigned lanes) {
  return c.fp == Fp::kFp32 ? analyse<Fp::kFp32>(c.zero != ZeroCode::kNone, q, lanes)
                           : analyse<Fp::kBf16>(c.zero != ZeroCode::kNone, q, lanes);
}

uint64_t chunk_count(const Config& c, uint64_t n) { return n / c.chunk + (n % c.chunk != 0); }

// The largest group record of `lanes` values, over every number of zero values.
static uint64_t max_group_bits(const Config& c, unsigned lanes) {
  const unsigned mant = std::max(c.man_bits, 1u);
  const unsigned head = c.gecko ? kBaseMaxBits[static_cast<unsigned>(c.base)] + kWidthCodeBits : 0;
  uint64_t worst = 0;
  for (unsigned z = 0; z <= lanes; ++z) {
    if (c.zero == ZeroCode::kNone && z > 0) break;
    uint64_t r = zero_bits(c.zero, lanes, z);
    if (z < lanes) r += head + uint64_t{lanes - z} * (1 + kExpBits + mant);
    worst = std::max(worst, r);
  }
  return worst;
}

uint64_t max_chunk_bits(const Config& c, uint64_t values) {
  if (c.version == 2) return detail::max_chunk_words_v2(c, values) * kV2WordBits;
  if (c.version == 3) return max_chunk_units_v3(c, values) * kV3WordBits;
  const uint64_t tail = values % c.group;
  return values / c.group * max_group_bits(c, c.group) +
         (tail ? max_group_bits(c, static_cast<unsigned>(tail)) : 0);
}

unsigned index_entry_bits(const Config& c) {
  if (c.version == 2) return detail::index_entry_bits_v2(c) + 32;
  if (c.version == 3) return detail::index_entry_bits_v3(c) + 32;
  return bit_width((max_chunk_bits(c, c.chunk) + c.word_bits - 1) / c.word_bits);
}

uint64_t max_encoded_bits(const Config& c, uint64_t n) {
  const uint64_t k = chunk_count(c, n);
  if (k == 0) return 0;
  if (c.version >= 2) {  // the chunk bound (raw chunks in version 2); the largest table
    const uint64_t table = kExpBits + 2 + kDistCountBits + 1 + 2 * kMaxSymbols * kCodeLengthBits;
    return table + (k - 1) * max_chunk_bits(c, c.chunk) + max_chunk_bits(c, n - (k - 1) * c.chunk) +
           k * index_entry_bits(c);
  }
  const auto words = [&](uint64_t values) {
    return (max_chunk_bits(c, values) + c.word_bits - 1) / c.word_bits * c.word_bits;
  };
  return (k - 1) * words(c.chunk) + words(n - (k - 1) * c.chunk) + k * index_entry_bits(c);
}

Status encode(const Config& c, const uint32_t* values, size_t n, Encoded* out, unsigned threads) {
  *out = Encoded{};
  if (validate(c) != Status::kOk) return Status::kBadConfig;
  if (c.fp == Fp::kBf16) {
    uint32_t any = 0;  // no early exit: the loop vectorizes
    for (size_t i = 0; i < n; ++i) any |= values[i];
    if (any >> 16) return Status::kBadInput;
  }
  if (c.version == 2) return detail::encode_v2(c, values, n, out, threads);
  if (c.version == 3) return detail::encode_v3(c, nullptr, values, n, out, threads);
  Encoded e;
  e.config = c;
  e.values = n;
  const uint64_t k = chunk_count(c, n);
  e.chunk_words.reserve(k);
  // Each chunk is built in a small scratch buffer that stays in cache, then appended; the
  // payload is reserved (not zero-filled) for the worst case.
  e.payload.reserve((max_encoded_bits(c, n) + 7) / 8);
  std::vector<uint8_t> scratch(
      (max_chunk_bits(c, c.chunk) + c.word_bits - 1) / c.word_bits * (c.word_bits / 8) + 8);
  std::vector<uint32_t> q(std::min<uint64_t>(n, c.chunk));
  for (uint64_t i = 0; i < k; ++i) {
    const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, n - first);
    const uint32_t* in = values + first;  // Q_M is the identity: no copy when lossless
    if (c.man_bits < fp_format(c.fp).man_bits) {
      quantize(in, q.data(), len, c.fp, c.man_bits, c.rounding);
      in = q.data();
    }
    const size_t bytes = c.fp == Fp::kFp32
                             ? encode_chunk<Fp::kFp32>(c, in, len, scratch.data(), &e.bits)
                             : encode_chunk<Fp::kBf16>(c, in, len, scratch.data(), &e.bits);
    e.chunk_words.push_back(static_cast<uint32_t>(bytes * 8 / c.word_bits));
    e.payload.insert(e.payload.end(), scratch.begin(), scratch.begin() + bytes);
  }
  e.bits.index = k * index_entry_bits(c);
  *out = std::move(e);
  return Status::kOk;
}

Status decode_chunk(const Config& c, uint64_t n, const uint8_t* data, size_t words, uint32_t* out) {
  if (validate(c) != Status::kOk || c.version != 1) return Status::kBadConfig;
  const FpFormat f = fp_format(c.fp);
  const unsigned m = c.man_bits, drop = f.man_bits - m;
  const size_t bytes = words * (c.word_bits / 8);
  BitReader br(data, bytes);
  unsigned pred = kInitialBase;
  for (uint64_t g0 = 0; g0 < n; g0 += c.group) {
    const unsigned lanes = static_cast<unsigned>(std::min<uint64_t>(c.group, n - g0));
    uint32_t* v = out + g0;
    Status st = Status::kOk;
    const uint32_t all = lanes == 32 ? ~0u : (1u << lanes) - 1;
    uint32_t zero_mask = 0;
    if (c.zero == ZeroCode::kMask) {
      if (br.get(1)) zero_mask = br.get(lanes);
    } else if (c.zero == ZeroCode::kMode) {
      if (br.get(1)) zero_mask = br.get(1) ? br.get(lanes) : all;
    }
    if (br.overrun()) st = Status::kTruncated;
    unsigned base = 0, ew = f.exp_bits;
    if (st == Status::kOk && c.gecko && zero_mask != all) {
      st = get_base(br, c.base, pred, &base);
      const unsigned wc = br.get(kWidthCodeBits);
      ew = wc == 7 ? 8 : wc;
      pred = base;
    }
    std::fill(v, v + lanes, 0u);
    for (uint32_t live = ~zero_mask & all; live && st == Status::kOk; live &= live - 1) {
      const uint32_t head = br.get(1 + ew);
      const uint32_t exp = base + (head >> 1);
      if (br.overrun()) {
        st = Status::kTruncated;
      } else if (exp > f.exp_max()) {
        st = Status::kExpRange;
      } else {
        uint32_t man = 0;
        if (m == 0 && exp == f.exp_max()) {
          man = br.get(1) << (f.man_bits - 1);
        } else if (m) {
          man = br.get(m) << drop;
        }
        v[__builtin_ctz(live)] = merge({head & 1u, exp, man}, c.fp);
      }
    }
    if (st == Status::kOk && br.overrun()) st = Status::kTruncated;
    if (st != Status::kOk) {  // the failing group and the rest of the chunk become +0
      std::fill(out + g0, out + n, 0u);
      return st;
    }
  }
  // Padding: the rest of the last used word is zero, and no whole word is unused.
  const uint64_t used = br.pos();
  const uint64_t end = (used + c.word_bits - 1) / c.word_bits * c.word_bits;
  while (br.pos() < end) {
    const unsigned take = static_cast<unsigned>(std::min<uint64_t>(32, end - br.pos()));
    if (br.get(take)) return Status::kBadPadding;
  }
  if (end < uint64_t{bytes} * 8) return Status::kLength;
  return Status::kOk;
}

Status decode(const Encoded& e, uint32_t* out, unsigned threads) {
  const Config& c = e.config;
  if (validate(c) != Status::kOk) return Status::kBadConfig;
  if (c.version == 2) return detail::decode_v2(e, out, threads);
  if (c.version == 3) return detail::decode_v3(e, out, threads);
  const uint64_t k = chunk_count(c, e.values);
  if (e.chunk_words.size() != k) return Status::kBadIndex;
  const uint64_t max_words = (max_chunk_bits(c, c.chunk) + c.word_bits - 1) / c.word_bits;
  const size_t word_bytes = c.word_bits / 8;
  uint64_t sum = 0;
  for (uint32_t w : e.chunk_words) {
    if (w > max_words) return Status::kBadIndex;
    sum += w;
  }
  if (sum * word_bytes != e.payload.size()) return Status::kBadIndex;
  size_t at = 0;
  for (uint64_t i = 0; i < k; ++i) {
    const uint64_t first = i * c.chunk, len = std::min<uint64_t>(c.chunk, e.values - first);
    const Status s = decode_chunk(c, len, e.payload.data() + at, e.chunk_words[i], out + first);
    if (s != Status::kOk) return s;
    at += e.chunk_words[i] * word_bytes;
  }
  return Status::kOk;
}

}  // namespace sfp
