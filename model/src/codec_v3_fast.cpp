// SPDX-License-Identifier: Apache-2.0
//
// Format version 3, the fast chunk coder: the same bytes, CRC, status, bit counts and working
// set as encode_chunk_v3 / decode_chunk_v3 (codec_v3.cpp, the readable mirror of the spec),
// which stay the reference. Spec: docs/format.md, "Version 3".
//
// Decoder: one lookup on a lane's next kMaxCodeBits bits gives the symbol, its codeword length,
// where its entry starts and its total lane bits, so a value decodes with one lookup and a few
// shifts; refills take 0, 1 or 2 words without a branch; every check of the spec's decoder
// errors is folded into one flag, and a chunk that raises it is decoded again by the reference,
// which names the error and clears the output. Expiry is checked per step against a lower bound
// of every lane's oldest unread slot, so the hot loop has no branch for it.
// Encoder: one pass that writes each value's lane bits straight into the words at their slots
// (held in a scratch array in slot order), counts symbols for the bit accounting, and takes the
// CRC once at the end; a table that cannot code a value sends the chunk to the reference.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "codec_v2.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"

namespace sfp {
namespace {

__extension__ typedef unsigned __int128 u128;

constexpr unsigned kUnit = kV3WordBits;
constexpr unsigned kUnitBytes = kV3WordBits / 8;
constexpr unsigned kWindow = kV3WindowWords;
constexpr unsigned kMaxLanes = 1u << kV2MaxLanesLog2;
constexpr unsigned kRefill = kV3LaneRefillBits;
constexpr unsigned kPending = 4;  // a lane's words not yet wholly read (codec_v3.cpp)
constexpr unsigned kRing = 8;     // slots kept per lane: the last kPending and room to write ahead
constexpr uint32_t kNone = ~uint32_t{0};
constexpr unsigned kLutBits = kMaxCodeBits;
// Chunks up to this many values keep every count in 32 bits; larger ones (beyond kMaxChunkLog2)
// go to the reference.
constexpr uint64_t kMaxFastValues = uint64_t{1} << 24;

static_assert(kRefill == 44 && kUnit == 32,
              "the branch-free refill takes (fill < 44) + (fill < 12)");
static_assert(kMaxChunkLog2 < 24, "kMaxFastValues");

// The configuration and table, as both directions use them.
struct Shape {
  Shape(const Config& c, const CodeTable& t) {
    const FpFormat f = fp_format(c.fp);
    m = c.man_bits;
    man_bits = f.man_bits;
    drop = f.man_bits - m;
    s_bits = t.sign == SignMode::kMixed ? 1 : 0;
    fixed_sign = t.sign == SignMode::kNegative ? 1 : 0;
    entry = s_bits + m;
    top = f.width() - 1;
    exp_max = f.exp_max();
    esc_bits = kEscExpBits + (m == 0 ? 1 : 0);
    for (unsigned k = 0; k < 2; ++k) {
      const uint8_t* len = t.code(k == 1);
      for (unsigned e = 0; e < 256; ++e) {
        const bool dist =
            e != exp_max && e <= t.base && t.base - e < t.dist && len[kSymDist0 + t.base - e];
        exp_sym[k][e] = static_cast<uint8_t>(dist ? kSymDist0 + t.base - e : kSymEsc);
      }
    }
  }
  unsigned m, man_bits, drop, s_bits, fixed_sign, entry, top, exp_max, esc_bits;
  uint8_t exp_sym[2][256];
};

// ---- Decoder tables --------------------------------------------------------------------------

// A lookup entry: total lane bits (0: no codeword, or a distance beyond base), where the entry
// starts, the codeword length, the symbol, and flags.
enum : uint32_t {
  kTotalMask = 63,
  kEoffShift = 6,
  kLenShift = 12,
  kSymShift = 16,
  kRepBit = 24,      // REP
  kZeroBit = 25,     // ZERO
  kEscBit = 26,      // ESC
  kCodedRepBit = 27  // a distance or ESC in a code where REP has a codeword: must not repeat
};

struct DecodeSym {
  uint32_t head = 0;   // sign and exponent of a distance (sign only for ESC)
  uint32_t emask = 0;  // the entry's bits (0 for ZERO and REP)
  uint32_t xmask = 0;  // ESC: the escaped exponent (and quiet bit)
  uint32_t pad = 0;
};

// Code k's lookup at lut[k << kLutBits], indexed by the lane's next kLutBits bits; code k's
// exponents with a distance codeword at has_dist[k << 8].
struct DecodeTables {
  DecodeTables(const Config& c, const CodeTable& t) : shape(c, t) {
    const Shape& s = shape;
    for (unsigned sym = 0; sym < kMaxSymbols; ++sym) {
      DecodeSym& d = sym_info[sym];
      if (sym >= kSymEsc) d.emask = static_cast<uint32_t>((uint64_t{1} << s.entry) - 1);
      if (sym == kSymEsc) {
        d.head = s.fixed_sign << s.top;
        d.xmask = (1u << s.esc_bits) - 1;
      } else if (sym >= kSymDist0 && sym - kSymDist0 <= t.base) {
        d.head = (s.fixed_sign << s.top) | ((t.base - (sym - kSymDist0)) << s.man_bits);
      }
    }
    for (unsigned k = 0; k < 2; ++k) {
      const detail::Canonical canon(t, k == 1, c.man_bits);
      const uint8_t* len = t.code(k == 1);
      uint32_t* out = lut + (k << kLutBits);
      const uint32_t rep_has = len[kSymRep] ? 1u : 0u;
      for (uint32_t i = 0; i < (1u << kLutBits); ++i) {
        const uint16_t e = canon.lut[i];
        const unsigned l = e >> 8, sym = e & 0xFFu;
        // No codeword, or a distance beyond the base or to exponent exp_max (always escaped):
        // the reference's bad_code and exp_range.
        const bool far = sym >= kSymDist0 &&
                         (sym - kSymDist0 > t.base || t.base - (sym - kSymDist0) == s.exp_max);
        if (!l || far) {
          out[i] = 0;
          continue;
        }
        unsigned eoff = l, total = l;
        uint32_t flags = 0;
        if (sym == kSymZero) flags |= 1u << kZeroBit;
        if (sym == kSymRep) flags |= 1u << kRepBit;
        if (sym == kSymEsc) {
          flags |= 1u << kEscBit;
          eoff += s.esc_bits;
        }
        if (sym >= kSymEsc) {
          flags |= rep_has << kCodedRepBit;
          total = eoff + s.entry;
        }
        out[i] = total | (eoff << kEoffShift) | (l << kLenShift) | (sym << kSymShift) | flags;
      }
      for (unsigned e = 0; e < 256; ++e) has_dist[(k << 8) + e] = s.exp_sym[k][e] != kSymEsc;
    }
  }
  Shape shape;
  DecodeSym sym_info[kMaxSymbols];
  uint32_t lut[2u << kLutBits];
  uint8_t has_dist[2 * 256];
};

// The tables of the last (configuration, table) a thread decoded with: the chunks of a tensor
// share them.
template <class Tables>
const Tables& cached_tables(const Config& c, const CodeTable& t) {
  struct Cache {
    Fp fp;
    unsigned m;
    CodeTable t;
    std::unique_ptr<Tables> tables;
  };
  thread_local Cache cache;
  if (!cache.tables || cache.fp != c.fp || cache.m != c.man_bits || !(cache.t == t)) {
    cache.tables = std::make_unique<Tables>(c, t);
    cache.fp = c.fp;
    cache.m = c.man_bits;
    cache.t = t;
  }
  return *cache.tables;
}

// A lane's buffer: bits lo, then hi (oldest in bit 0 of lo), fill bits in all.
struct DecodeLane {
  uint64_t lo, hi;
  uint32_t fill, taken;
  uint32_t ctx;          // 1: the lane's previous symbol was ZERO (or none) and the table has two
  uint32_t first_past;   // the lane's first word taken past the stream's end
  uint32_t slot[kRing];  // slot of word k at slot[k % kRing]
};

// The slot of the lane's oldest word not wholly read, or kNone.
inline uint32_t oldest_open(const DecodeLane& ln) {
  if (!ln.fill) return kNone;
  return ln.slot[(ln.taken - (ln.fill + kUnit - 1) / kUnit) % kRing];
}

// Drops t (< 64) bits.
inline void drop_bits(DecodeLane& ln, unsigned t) {
  ln.lo = (ln.lo >> t) | ((ln.hi << 1) << (63 - t));
  ln.hi >>= t;
  ln.fill -= t;
}

// Decodes chunk values into out; true if the chunk raised no error (false: some error, which
// the reference names).
template <Fp kFp, bool kMixedSign, bool kM0>
bool decode_fast(const DecodeTables& tb, uint32_t n, uint32_t lanes, bool two, const uint8_t* data,
                 uint32_t units, uint32_t* out) {
  constexpr unsigned kManBits = fp_format(kFp).man_bits, kTop = fp_format(kFp).width() - 1;
  constexpr uint32_t kExpMax = fp_format(kFp).exp_max();
  const Shape& sh = tb.shape;
  const unsigned drop = sh.drop;
  const uint32_t zero_ctx = two ? 1 : 0;
  DecodeLane lane[kMaxLanes];
  for (unsigned l = 0; l < lanes; ++l) {
    lane[l].lo = lane[l].hi = 0;
    lane[l].fill = 0;
    lane[l].taken = 0;
    lane[l].ctx = zero_ctx;
    std::fill(lane[l].slot, lane[l].slot + kRing, 0u);
    lane[l].first_past = kNone;
  }
  uint32_t next = 0, prev = 0, bad = 0;
  uint32_t last_lane = 0, last_index = 0;
  uint32_t safe_until = kWindow;  // no lane's oldest unread word can expire below this horizon
  const DecodeSym* sym_info = tb.sym_info;
  const uint32_t* lut = tb.lut;
  const uint8_t* has_dist = tb.has_dist;

  // One value of a lane whose buffer holds at least kRefill bits.
  const auto value = [&](DecodeLane& ln, uint32_t& pv, uint32_t& bd) -> uint32_t {
    const uint64_t bits = ln.lo;
    const uint32_t e = lut[(ln.ctx << kLutBits) + (bits & ((1u << kLutBits) - 1))];
    const unsigned total = e & kTotalMask, eoff = (e >> kEoffShift) & 63u;
    const unsigned len = (e >> kLenShift) & 15u, sym = (e >> kSymShift) & 63u;
    const DecodeSym& si = sym_info[sym];
    const uint32_t field = static_cast<uint32_t>(bits >> eoff) & si.emask;
    const uint32_t x = static_cast<uint32_t>(bits >> len) & si.xmask;
    uint32_t v = si.head | ((x & 0xFFu) << kManBits);
    if (kMixedSign) {
      v |= ((field >> 1) << drop) | ((field & 1u) << kTop);
    } else {
      v |= field << drop;
    }
    uint32_t b = e == 0;
    if (kM0) {
      const uint32_t quiet = x >> kEscExpBits;
      v |= quiet << (kManBits - 1);
      b |= quiet & ((x & 0xFFu) != kExpMax);
    }
    const uint32_t rep = 0u - ((e >> kRepBit) & 1u);
    const uint32_t o = (pv & rep) | (v & ~rep);
    // Only the symbol the encoder gives the value is legal (Spec: "Version 3 decoder errors").
    b |= static_cast<uint32_t>(o == 0) ^ ((e >> kZeroBit) & 1u);
    b |= static_cast<uint32_t>(o == pv) & (e >> kCodedRepBit);
    b |= ((e >> kEscBit) & 1u) & has_dist[(ln.ctx << 8) + ((v >> kManBits) & 0xFFu)];
    bd |= b;
    drop_bits(ln, total);
    ln.ctx = ((e >> kZeroBit) & 1u) & zero_ctx;
    pv = o;
    return o;
  };

  const uint32_t rows = (n + lanes - 1) / lanes;
  for (uint32_t r = 0; r < rows; ++r) {
    const uint32_t first = r * lanes;
    const uint32_t count = std::min(lanes, n - first);
    const uint32_t horizon = next + 2 * lanes;
    if (horizon >= safe_until) {
      // Expiry (Spec: "Version 3 refill rule"): each lane's newest expired word among its last
      // kPending; skipped bits must be zero.
      for (unsigned l = 0; l < count; ++l) {
        DecodeLane& ln = lane[l];
        const uint32_t lo = ln.taken >= kPending ? ln.taken - kPending : 0;
        for (uint32_t k = ln.taken; k-- > lo;) {
          if (ln.slot[k % kRing] + kWindow > horizon) continue;
          const uint32_t pos = ln.taken * kUnit - ln.fill, end = (k + 1) * kUnit;
          if (pos < end) {
            unsigned skip = end - pos;
            while (skip) {
              const unsigned t = std::min(skip, 32u);
              if (ln.lo & ((uint64_t{1} << t) - 1)) bad = 1;
              drop_bits(ln, t);
              skip -= t;
            }
          }
          break;
        }
      }
      uint32_t low = next;
      for (unsigned l = 0; l < lanes; ++l) low = std::min(low, oldest_open(lane[l]));
      safe_until = low + kWindow;
    }
    uint32_t* dst = out + first;
    if (count == lanes && next + 2 * lanes < units) {
      // Every word this step can take is stored and none is the last: no bounds, no end marks.
      uint32_t pv = prev, bd = 0, nx = next;
      for (unsigned l = 0; l < lanes; ++l) {
        DecodeLane& ln = lane[l];
        uint64_t two_words;
        std::memcpy(&two_words, data + size_t{nx} * kUnitBytes, 8);
        const uint32_t nw = (ln.fill < kRefill) + (ln.fill < kRefill - kUnit);
        const uint64_t keep = (uint64_t{0} - (nw != 0)) >> (32 * (nw & 1u));
        const uint64_t w = two_words & keep;
        const unsigned at = ln.fill & 63u;  // w is 0 when fill >= kRefill
        ln.lo |= w << at;
        ln.hi |= (w >> 1) >> (63 - at);
        ln.slot[ln.taken % kRing] = nx;
        ln.slot[(ln.taken + 1) % kRing] = nx + 1;
        ln.taken += nw;
        ln.fill += nw * kUnit;
        nx += nw;
        dst[l] = value(ln, pv, bd);
      }
      prev = pv;
      bad |= bd;
      next = nx;
    } else {
      for (unsigned l = 0; l < count; ++l) {
        DecodeLane& ln = lane[l];
        for (unsigned k = 0; k < kV3MaxRefillWords && ln.fill < kRefill; ++k) {
          uint32_t w = 0;
          if (next < units) {
            std::memcpy(&w, data + size_t{next} * kUnitBytes, kUnitBytes);
            if (next + 1 == units) {
              last_lane = l;
              last_index = ln.taken;
            }
          } else if (ln.first_past == kNone) {
            ln.first_past = ln.taken;
          }
          const unsigned at = ln.fill;  // below kRefill
          ln.lo |= uint64_t{w} << at;
          ln.hi |= (uint64_t{w} >> 1) >> (63 - at);
          ln.fill += kUnit;
          ln.slot[ln.taken % kRing] = next;
          ++ln.taken;
          ++next;
        }
        dst[l] = value(ln, prev, bad);
      }
    }
    if (bad) return false;
  }
  // The end: lane bits past the last value are zero, every word was taken, the last word holds
  // lane bits, and no word past the end would have held any.
  for (unsigned l = 0; l < lanes; ++l) {
    const DecodeLane& ln = lane[l];
    const uint32_t pos = ln.taken * kUnit - ln.fill;
    if (ln.lo | ln.hi) return false;
    if (ln.first_past != kNone && ln.first_past * kUnit < pos) return false;
  }
  if (next < units) return false;
  if (units && last_index * kUnit >= lane[last_lane].taken * kUnit - lane[last_lane].fill) {
    return false;
  }
  return true;
}

// ---- Encoder tables --------------------------------------------------------------------------

struct EncodeSym {
  uint32_t code = 0;   // the codeword, bit-reversed for the LSB-first lane
  uint32_t xmask = 0;  // ESC: the escaped exponent (and quiet bit)
  uint32_t emask = 0;  // the entry's bits (0 for ZERO and REP)
  uint8_t len = 0;     // codeword length
  uint8_t eoff = 0;    // where the entry starts
  uint8_t total = 0;   // lane bits; 0 when the code has no codeword for the symbol
  uint8_t sign_fixed;  // a coded symbol of a table with one sign: the value's sign must fit
};

struct EncodeCode {
  EncodeSym sym[kMaxSymbols];
  uint8_t exp_sym[256];
  uint32_t rep_has;  // ~0 when REP has a codeword, else 0
};

struct EncodeTables {
  EncodeTables(const Config& c, const CodeTable& t) : shape(c, t) {
    const Shape& s = shape;
    for (unsigned k = 0; k < 2; ++k) {
      const detail::Canonical canon(t, k == 1, c.man_bits);
      const uint8_t* len = t.code(k == 1);
      EncodeCode& ec = code[k];
      for (unsigned sym = 0; sym < kMaxSymbols; ++sym) {
        EncodeSym& es = ec.sym[sym];
        es.code = canon.rev[sym];
        es.len = len[sym];
        es.eoff = static_cast<uint8_t>(len[sym] + (sym == kSymEsc ? s.esc_bits : 0));
        es.total = static_cast<uint8_t>(len[sym] ? es.eoff + (sym >= kSymEsc ? s.entry : 0) : 0);
        es.xmask = sym == kSymEsc ? (1u << s.esc_bits) - 1 : 0;
        es.emask = sym >= kSymEsc ? static_cast<uint32_t>((uint64_t{1} << s.entry) - 1) : 0;
        es.sign_fixed = sym >= kSymEsc && !s.s_bits;
      }
      std::memcpy(ec.exp_sym, s.exp_sym[k], 256);
      ec.rep_has = len[kSymRep] ? ~0u : 0u;
    }
  }
  Shape shape;
  EncodeCode code[2];
};

struct EncodeLane {
  uint32_t pos, taken;
  uint32_t ctx;
  uint32_t open;  // slot of the lane's oldest word not wholly written, or kNone
  uint32_t slot[kRing];
};

inline uint32_t open_slot(const EncodeLane& ln) {
  return ln.pos < ln.taken * kUnit ? ln.slot[(ln.pos / kUnit) % kRing] : kNone;
}

// Encodes q[0..n) into words (scratch, at least 2 n + 4 entries); false if the table cannot
// code a value.
template <Fp kFp, bool kMixedSign, bool kM0>
bool encode_fast(const EncodeTables& tb, const uint32_t* q, uint32_t n, uint32_t lanes,
                 std::vector<uint32_t>& scratch, ChunkV3* out) {
  const Shape& sh = tb.shape;
  constexpr unsigned man_bits = fp_format(kFp).man_bits, top = fp_format(kFp).width() - 1;
  const unsigned drop = sh.drop;
  const uint32_t man_mask = (1u << man_bits) - 1;
  uint32_t* words = scratch.data();
  EncodeLane lane[kMaxLanes];
  for (unsigned l = 0; l < lanes; ++l) {
    lane[l].pos = lane[l].taken = 0;
    lane[l].ctx = 1;
    lane[l].open = kNone;
    std::fill(lane[l].slot, lane[l].slot + kRing, 0u);
  }
  // Symbol counts by lane modulo 4 (to spread dependent increments), code and symbol.
  uint32_t hist[4][2][kMaxSymbols] = {};
  uint32_t next = 0, prev = 0, bad = 0, low = kNone;
  uint64_t held = 0, expired_units = 0, expired_bits = 0;

  const uint32_t rows = (n + lanes - 1) / lanes;
  for (uint32_t r = 0; r < rows; ++r) {
    const uint32_t first = r * lanes;
    const uint32_t count = std::min(lanes, n - first);
    const uint32_t horizon = next + 2 * lanes;
    if (low != kNone && low + kWindow <= horizon) {
      // Expiry: the lane's newest word among its last kPending whose slot is V3WindowWords or
      // more below the horizon is closed; the bits up to its end stay zero.
      for (unsigned l = 0; l < count; ++l) {
        EncodeLane& ln = lane[l];
        const uint32_t lo = ln.taken >= kPending ? ln.taken - kPending : 0;
        for (uint32_t k = ln.taken; k-- > lo;) {
          if (ln.slot[k % kRing] + kWindow > horizon) continue;
          if (ln.pos < (k + 1) * kUnit) {
            ++expired_units;
            expired_bits += (k + 1) * kUnit - ln.pos;
            ln.pos = (k + 1) * kUnit;
            ln.open = open_slot(ln);
          }
          break;
        }
      }
    }
    uint32_t step_low = kNone;
    for (unsigned l = 0; l < count; ++l) {
      EncodeLane& ln = lane[l];
      const uint32_t fill = ln.taken * kUnit - ln.pos;
      const uint32_t nw = (fill < kRefill) + (fill < kRefill - kUnit);
      words[next] = 0;
      words[next + 1] = 0;
      ln.slot[ln.taken % kRing] = next;
      ln.slot[(ln.taken + 1) % kRing] = next + 1;
      ln.taken += nw;
      next += nw;

      const uint32_t x = q[first + l];
      const EncodeCode& ec = tb.code[ln.ctx];
      const uint32_t exp = (x >> man_bits) & 0xFFu, sign = x >> top;
      unsigned s = ec.exp_sym[exp];
      s = (x == prev) & (ec.rep_has != 0) ? kSymRep : s;
      s = x == 0 ? kSymZero : s;
      const EncodeSym& es = ec.sym[s];
      bad |= (es.total == 0) | (es.sign_fixed & (sign != sh.fixed_sign));
      uint32_t xbits = exp;
      if (kM0) xbits |= ((x >> (man_bits - 1)) & 1u) << kEscExpBits;
      uint32_t entry = (x & man_mask) >> drop;
      if (kMixedSign) entry = (entry << 1) | sign;
      const uint64_t bits = es.code | (uint64_t{xbits & es.xmask} << es.len) |
                            (uint64_t{entry & es.emask} << es.eoff);
      const unsigned off = ln.pos % kUnit, k = ln.pos / kUnit;
      const u128 at = u128{bits} << off;
      words[ln.slot[k % kRing]] |= static_cast<uint32_t>(at);
      words[ln.slot[(k + 1) % kRing]] |= static_cast<uint32_t>(at >> 32);
      if (__builtin_expect(static_cast<uint64_t>(at >> 64) != 0, 0)) {
        words[ln.slot[(k + 2) % kRing]] |= static_cast<uint32_t>(at >> 64);
      }
      ln.pos += es.total;
      ++hist[l % 4][ln.ctx][s];
      ln.ctx = s == kSymZero;
      prev = x;
      const uint32_t open = ln.pos < ln.taken * kUnit ? ln.slot[(ln.pos / kUnit) % kRing] : kNone;
      ln.open = open;
      step_low = std::min(step_low, open);
    }
    if (count < lanes) {
      for (unsigned l = count; l < lanes; ++l) step_low = std::min(step_low, lane[l].open);
    }
    low = step_low;
    held = std::max<uint64_t>(held, next - std::min(low, next));
    if (bad) return false;
  }
  // The end: trailing words of the slot order wholly beyond their lane's bits are left out.
  uint32_t beyond[kMaxLanes * kPending];
  unsigned nb = 0;
  for (unsigned l = 0; l < lanes; ++l) {
    const EncodeLane& ln = lane[l];
    const uint32_t lo = ln.taken >= kPending ? ln.taken - kPending : 0;
    for (uint32_t k = lo; k < ln.taken; ++k) {
      if (k * kUnit >= ln.pos) beyond[nb++] = ln.slot[k % kRing];
    }
  }
  std::sort(beyond, beyond + nb);
  uint32_t keep = next;
  while (nb && keep && beyond[nb - 1] == keep - 1) {
    --keep;
    --nb;
  }
  out->bytes.resize(size_t{keep} * kUnitBytes);
  if (keep) std::memcpy(out->bytes.data(), words, out->bytes.size());  // an empty chunk: no data
  out->crc = crc32c(out->bytes.data(), out->bytes.size(), 0);
  out->held_units = held;
  out->expired_units = expired_units;
  out->expired_bits = expired_bits;
  BitCounts& b = out->bits;
  for (unsigned k = 0; k < 2; ++k) {
    for (unsigned s = 0; s < kMaxSymbols; ++s) {
      const uint64_t cnt = uint64_t{hist[0][k][s]} + hist[1][k][s] + hist[2][k][s] + hist[3][k][s];
      if (!cnt) continue;
      const uint64_t len = tb.code[k].sym[s].len;
      if (s == kSymZero) {
        b.zero += cnt * len;
      } else if (s == kSymRep) {
        b.repeat += cnt * len;
      } else {
        b.delta += cnt * len;
        b.sign += cnt * sh.s_bits;
        b.mantissa += cnt * sh.m;
      }
      if (s == kSymEsc) {
        b.delta += cnt * kEscExpBits;
        if (sh.m == 0) b.mantissa += cnt;
      }
    }
  }
  b.pad = out->bytes.size() * 8 - (b.zero + b.repeat + b.delta + b.sign + b.mantissa);
  return true;
}

}  // namespace

Status decode_chunk_v3_fast(const Config& c, const CodeTable& t, uint64_t n, uint32_t crc,
                            const uint8_t* data, size_t units, uint32_t* out) {
  if (n > kMaxFastValues) return decode_chunk_v3(c, t, n, crc, data, units, out);
  if (units < min_chunk_units_v3(c, n) || units > max_chunk_units_v3(c, n)) {
    std::fill(out, out + n, 0u);
    return Status::kBadIndex;
  }
  if (crc32c(data, units * kUnitBytes, 0) != crc) {
    std::fill(out, out + n, 0u);
    return Status::kCrc;
  }
  const DecodeTables& tb = cached_tables<DecodeTables>(c, t);
  const uint32_t lanes = chunk_lanes(c, n), n32 = static_cast<uint32_t>(n);
  const uint32_t u32 = static_cast<uint32_t>(units);
  const bool mixed = tb.shape.s_bits != 0, m0 = tb.shape.m == 0;
  using Fn =
      bool (*)(const DecodeTables&, uint32_t, uint32_t, bool, const uint8_t*, uint32_t, uint32_t*);
  static constexpr Fn kFns[2][2][2] = {
      {{decode_fast<Fp::kFp32, false, false>, decode_fast<Fp::kFp32, false, true>},
       {decode_fast<Fp::kFp32, true, false>, decode_fast<Fp::kFp32, true, true>}},
      {{decode_fast<Fp::kBf16, false, false>, decode_fast<Fp::kBf16, false, true>},
       {decode_fast<Fp::kBf16, true, false>, decode_fast<Fp::kBf16, true, true>}}};
  const bool ok = kFns[c.fp == Fp::kBf16][mixed][m0](tb, n32, lanes, t.two, data, u32, out);
  if (ok) return Status::kOk;
  return decode_chunk_v3(c, t, n, crc, data, units, out);  // names the error, clears out
}

Status encode_chunk_v3_fast(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                            ChunkV3* out) {
  if (n > kMaxFastValues) return encode_chunk_v3(c, t, q, n, out);
  *out = ChunkV3{};
  const EncodeTables& tb = cached_tables<EncodeTables>(c, t);
  const uint32_t lanes = chunk_lanes(c, n), n32 = static_cast<uint32_t>(n);
  thread_local std::vector<uint32_t> scratch;
  if (scratch.size() < 2 * n + 4) scratch.resize(2 * n + 4);
  const bool mixed = tb.shape.s_bits != 0, m0 = tb.shape.m == 0;
  using Fn = bool (*)(const EncodeTables&, const uint32_t*, uint32_t, uint32_t,
                      std::vector<uint32_t>&, ChunkV3*);
  static constexpr Fn kFns[2][2][2] = {
      {{encode_fast<Fp::kFp32, false, false>, encode_fast<Fp::kFp32, false, true>},
       {encode_fast<Fp::kFp32, true, false>, encode_fast<Fp::kFp32, true, true>}},
      {{encode_fast<Fp::kBf16, false, false>, encode_fast<Fp::kBf16, false, true>},
       {encode_fast<Fp::kBf16, true, false>, encode_fast<Fp::kBf16, true, true>}}};
  const bool ok = kFns[c.fp == Fp::kBf16][mixed][m0](tb, q, n32, lanes, scratch, out);
  if (ok) return Status::kOk;
  return encode_chunk_v3(c, t, q, n, out);  // the table cannot code a value: kBadTable
}

}  // namespace sfp
