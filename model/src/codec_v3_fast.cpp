// SPDX-License-Identifier: Apache-2.0
//
// Format version 3, the fast chunk coder: the same bytes, CRC, status, bit counts and working
// set as encode_chunk_v3 / decode_chunk_v3 (codec_v3.cpp, the readable mirror of the spec),
// which stay the reference. Spec: docs/format.md, "Version 3".
//
// Decoder: one lookup on a lane's next kMaxCodeBits bits gives the value's total lane bits, its
// codeword length, the exponent a distance stands for and flags, so a value decodes with one
// lookup and a few shifts; refills take 0, 1 or 2 words without a branch; every check of the
// spec's decoder errors is folded into one flag, and a chunk that raises it is decoded again by
// the reference, which names the error and clears the output. Each step records where each lane's
// words came from (DecodeState::first); expiry looks up a lane's word slots there, and is checked
// only when the step's horizon reaches a lower bound of every lane's oldest unread slot. With
// 16 lanes, m > 0 and AVX2, whole steps decode in codec_v3_fast_avx2.cpp, which also takes the
// CRC as it goes; the loop here does the rest (other lane counts, the steps near the end of the
// chunk, expiry) and is the whole decoder on other CPUs.
// Encoder: a block of 64 steps at a time, first the lane bits of its values (a value's symbol
// depends only on earlier values; eight at a time with AVX2) and the sums for the bit accounting,
// then the placement, which replays the refill rule: each lane keeps its position, the bits of
// its partial word and the slots of its open words (at most three), and each word is stored
// once, when it becomes whole, at its slot of a scratch array in slot order (16 lanes at a time
// with AVX2); then the CRC. A table that cannot code a value sends the chunk to the reference.
// set_v3_fast_simd(false) keeps every SIMD kernel off (the tests check both paths).
#include "codec_v3_fast.hpp"

#include <algorithm>
#include <atomic>
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
constexpr uint32_t kNone = ~uint32_t{0};
constexpr unsigned kLutBits = kMaxCodeBits;
// Chunks up to this many values keep every count in 32 bits; larger ones (beyond kMaxChunkLog2)
// go to the reference.
constexpr uint64_t kMaxFastValues = uint64_t{1} << 24;

static_assert(kRefill == 44 && kUnit == 32,
              "the branch-free refill takes (fill < 44) + (fill < 12)");
static_assert(kMaxChunkLog2 < 24, "kMaxFastValues");

// The tables of the last (configuration, table) a thread coded with: the chunks of a tensor
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

std::atomic<bool> g_simd{true};

thread_local uint64_t t_fallbacks = 0;

bool use_avx2() { return g_simd.load(std::memory_order_relaxed) && detail::have_avx2(); }

// ---- Decoder ---------------------------------------------------------------------------------

using detail::DecodeState;
using detail::DecodeTables;

// Slots of lane l's newest `want` (at most kPending) words taken before step r, newest first,
// from the history (st.first[r * lanes] must hold the next slot); returns how many there are.
unsigned recent_slots(const DecodeState& st, uint32_t lanes, uint32_t l, uint32_t r, unsigned want,
                      uint32_t* slots) {
  unsigned got = 0;
  for (uint32_t s = r; s-- > 0 && got < want;) {
    const size_t i = size_t{s} * lanes + l;
    const uint32_t f = st.first[i], took = st.first[i + 1] - f;
    for (uint32_t k = took; k-- > 0 && got < want;) slots[got++] = f + k;
  }
  return got;
}

// Drops t (< 64) bits of lane l.
inline void drop_bits(DecodeState& st, unsigned l, unsigned t) {
  st.lo[l] = (st.lo[l] >> t) | ((st.hi[l] << 1) << (63 - t));
  st.hi[l] >>= t;
  st.fill[l] -= t;
}

// Expiry at step r (Spec: "Version 3 refill rule"): lane l's newest word among its last kPending
// whose slot is V3WindowWords or more below the horizon is closed; its skipped bits must be zero.
void expire(DecodeState& st, uint32_t lanes, uint32_t l, uint32_t r, uint32_t horizon) {
  uint32_t slots[kPending];
  const unsigned got = recent_slots(st, lanes, l, r, kPending, slots);
  for (unsigned i = 0; i < got; ++i) {
    if (slots[i] + kWindow > horizon) continue;
    const uint32_t k = st.taken[l] - 1 - i;
    const uint32_t pos = st.taken[l] * kUnit - st.fill[l], end = (k + 1) * kUnit;
    unsigned skip = pos < end ? end - pos : 0;
    while (skip) {
      const unsigned t = std::min(skip, 32u);
      if (st.lo[l] & ((uint64_t{1} << t) - 1)) st.bad = 1;
      drop_bits(st, l, t);
      skip -= t;
    }
    return;
  }
}

}  // namespace

namespace detail {

FastShape::FastShape(const Config& c, const CodeTable& t) {
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

DecodeTables::DecodeTables(const Config& c, const CodeTable& t) : shape(c, t) {
  const FastShape& s = shape;
  for (unsigned k = 0; k < 2; ++k) {
    const Canonical canon(t, k == 1, c.man_bits);
    const uint8_t* len = t.code(k == 1);
    uint32_t* out = lut + (k << kMaxCodeBits);
    const uint32_t rep_has = len[kSymRep] ? 1u : 0u;
    for (uint32_t i = 0; i < (1u << kMaxCodeBits); ++i) {
      const uint16_t e = canon.lut[i];
      const unsigned l = e >> 8, sym = e & 0xFFu;
      // No codeword, or a distance beyond the base or to exponent exp_max (always escaped):
      // the reference's bad_code and exp_range.
      const bool far =
          sym >= kSymDist0 && (sym - kSymDist0 > t.base || t.base - (sym - kSymDist0) == s.exp_max);
      if (!l || far) {
        out[i] = 0;
        continue;
      }
      uint32_t total = l, flags = 0, exp = 0;
      if (sym == kSymZero) flags |= 1u << kLutZeroBit;
      if (sym == kSymRep) flags |= 1u << kLutRepBit;
      if (sym == kSymEsc) {
        flags |= 1u << kLutEscBit;
        total += s.esc_bits;
      }
      if (sym >= kSymDist0) exp = t.base - (sym - kSymDist0);
      if (sym >= kSymEsc) {
        flags |= (rep_has << kLutCodedRepBit) | (1u << kLutCodedBit);
        total += s.entry;
      }
      out[i] = total | (l << kLutLenShift) | (exp << kLutExpShift) | flags;
    }
    for (unsigned e = 0; e < 256; ++e) has_dist[(k << 8) + e] = s.exp_sym[k][e] != kSymEsc;
  }
}

uint32_t lowest_open_slot(const DecodeState& st, uint32_t lanes, uint32_t r) {
  uint32_t low = st.next;
  for (uint32_t l = 0; l < lanes; ++l) {
    if (!st.fill[l]) continue;
    uint32_t slots[kPending];
    const unsigned open = (st.fill[l] + kUnit - 1) / kUnit;
    if (recent_slots(st, lanes, l, r, open, slots) == open) low = std::min(low, slots[open - 1]);
  }
  return low;
}

EncodeTables::EncodeTables(const Config& c, const CodeTable& t) : shape(c, t) {
  const FastShape& s = shape;
  for (unsigned k = 0; k < 2; ++k) {
    const Canonical canon(t, k == 1, c.man_bits);
    const uint8_t* lengths = t.code(k == 1);
    uint32_t info[kMaxSymbols];
    for (unsigned sym = 0; sym < kMaxSymbols; ++sym) {
      len[k][sym] = lengths[sym];
      const uint32_t l = lengths[sym];
      uint32_t total =
          l ? l + (sym == kSymEsc ? s.esc_bits : 0) + (sym >= kSymEsc ? s.entry : 0) : 0;
      info[sym] = canon.rev[sym] | (l << kInfoLenShift) | (total << kInfoTotalShift) |
                  (sym << kInfoSymShift) | (uint32_t{sym == kSymEsc} << kInfoEscBit) |
                  (uint32_t{sym >= kSymEsc} << kInfoCodedBit) |
                  (uint32_t{sym >= kSymEsc && !s.s_bits} << kInfoSignFixedBit);
    }
    for (unsigned e = 0; e < 256; ++e) info_exp[k][e] = info[s.exp_sym[k][e]];
    info_zero[k] = info[kSymZero];
    info_rep[k] = info[kSymRep];
  }
}

bool set_v3_fast_simd(bool on) { return g_simd.exchange(on); }

bool v3_fast_simd_on() { return use_avx2(); }

uint64_t v3_fast_fallbacks() { return t_fallbacks; }

}  // namespace detail

namespace {

// Decodes chunk values into out; true if the chunk raised no error (false: some error, which
// the reference names).
template <Fp kFp, bool kMixedSign, bool kM0>
bool decode_fast(const DecodeTables& tb, uint32_t n, uint32_t lanes, bool two, const uint8_t* data,
                 uint32_t units, uint32_t* __restrict out, DecodeState& st) {
  constexpr unsigned kManBits = fp_format(kFp).man_bits, kTop = fp_format(kFp).width() - 1;
  constexpr uint32_t kExpMax = fp_format(kFp).exp_max();
  const detail::FastShape& sh = tb.shape;
  const unsigned drop = sh.drop;
  const uint32_t zero_ctx = two ? 1 : 0;
  const uint32_t fixed = sh.fixed_sign << kTop;
  const unsigned esc_bits = sh.esc_bits;
  const uint32_t emask_all = static_cast<uint32_t>((uint64_t{1} << sh.entry) - 1);
  const uint32_t xmask_all = (1u << sh.esc_bits) - 1;
  for (unsigned l = 0; l < lanes; ++l) {
    st.lo[l] = st.hi[l] = 0;
    st.fill[l] = st.taken[l] = 0;
    st.ctx[l] = zero_ctx;
  }
  st.next = st.prev = st.bad = 0;
  st.crc_state = 0xFFFFFFFF;
  st.crc_words = 0;
  st.safe_until = kWindow;
  uint32_t first_past[kMaxLanes];
  std::fill(first_past, first_past + lanes, kNone);
  uint32_t last_lane = 0, last_index = 0;
  const uint32_t* lut = tb.lut;
  const uint8_t* has_dist = tb.has_dist;
  const bool simd = lanes == 16 && !kM0 && use_avx2();

  // One value of lane l, whose buffer holds at least kRefill bits.
  const auto value = [&](unsigned l, uint32_t& pv, uint32_t& bd) -> uint32_t {
    const uint64_t bits = st.lo[l];
    const uint32_t e = lut[(st.ctx[l] << kLutBits) + (bits & ((1u << kLutBits) - 1))];
    const unsigned total = e & detail::kLutTotalMask, len = (e >> detail::kLutLenShift) & 15u;
    const uint32_t esc = (e >> detail::kLutEscBit) & 1u;
    const uint32_t coded = 0u - ((e >> detail::kLutCodedBit) & 1u);
    const uint64_t after = bits >> len;  // the escaped exponent (ESC), then the entry
    const uint32_t x = static_cast<uint32_t>(after) & (xmask_all & (0u - esc));
    const uint32_t field = static_cast<uint32_t>(after >> (esc * esc_bits)) & emask_all & coded;
    uint32_t v = (fixed & coded) | ((((e >> detail::kLutExpShift) | x) & 0xFFu) << kManBits);
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
    const uint32_t rep = 0u - ((e >> detail::kLutRepBit) & 1u);
    const uint32_t o = (pv & rep) | (v & ~rep);
    // Only the symbol the encoder gives the value is legal (Spec: "Version 3 decoder errors").
    const uint32_t zero = (e >> detail::kLutZeroBit) & 1u;
    b |= static_cast<uint32_t>(o == 0) ^ zero;
    b |= static_cast<uint32_t>(o == pv) & (e >> detail::kLutCodedRepBit);
    b |= esc & has_dist[(st.ctx[l] << 8) + ((v >> kManBits) & 0xFFu)];
    bd |= b;
    drop_bits(st, l, total);
    st.ctx[l] = zero & zero_ctx;
    pv = o;
    return o;
  };

  const uint32_t rows = (n + lanes - 1) / lanes;
  for (uint32_t r = 0; r < rows; ++r) {
    if (simd) {
      r = detail::decode_steps_avx2(tb, st, r, n / lanes, two, data, units, out);
      if (st.bad) return false;
      if (r == rows) break;
    }
    const uint32_t first = r * lanes;
    const uint32_t count = std::min(lanes, n - first);
    const uint32_t horizon = st.next + 2 * lanes;
    uint32_t* hist = st.first + size_t{r} * lanes;
    hist[0] = st.next;  // the history's end for the walks below
    if (horizon >= st.safe_until) {
      for (unsigned l = 0; l < count; ++l) expire(st, lanes, l, r, horizon);
      st.safe_until = detail::lowest_open_slot(st, lanes, r) + kWindow;
    }
    uint32_t* dst = out + first;
    if (count == lanes && st.next + 2 * lanes < units) {
      // Every word this step can take is stored and none is the last: no bounds, no end marks.
      uint32_t pv = st.prev, bd = 0, nx = st.next;
      for (unsigned l = 0; l < lanes; ++l) {
        uint64_t two_words;
        std::memcpy(&two_words, data + size_t{nx} * kUnitBytes, 8);
        const uint32_t fill = st.fill[l];
        const uint32_t nw = (fill < kRefill) + (fill < kRefill - kUnit);
        const uint64_t keep = (uint64_t{0} - (nw != 0)) >> (32 * (nw & 1u));
        const uint64_t w = two_words & keep;
        const unsigned at = fill & 63u;  // w is 0 when fill >= kRefill
        st.lo[l] |= w << at;
        st.hi[l] |= (w >> 1) >> (63 - at);
        hist[l] = nx;
        st.taken[l] += nw;
        st.fill[l] = fill + nw * kUnit;
        nx += nw;
        dst[l] = value(l, pv, bd);
      }
      st.prev = pv;
      st.bad |= bd;
      st.next = nx;
    } else {
      for (unsigned l = 0; l < lanes; ++l) {
        hist[l] = st.next;
        if (l >= count) continue;
        for (unsigned k = 0; k < kV3MaxRefillWords && st.fill[l] < kRefill; ++k) {
          uint32_t w = 0;
          if (st.next < units) {
            std::memcpy(&w, data + size_t{st.next} * kUnitBytes, kUnitBytes);
            if (st.next + 1 == units) {
              last_lane = l;
              last_index = st.taken[l];
            }
          } else if (first_past[l] == kNone) {
            first_past[l] = st.taken[l];
          }
          const unsigned at = st.fill[l];  // below kRefill
          st.lo[l] |= uint64_t{w} << at;
          st.hi[l] |= (uint64_t{w} >> 1) >> (63 - at);
          st.fill[l] += kUnit;
          ++st.taken[l];
          ++st.next;
        }
        dst[l] = value(l, st.prev, st.bad);
      }
    }
    if (st.bad) return false;
  }
  // The end: lane bits past the last value are zero, every word was taken, the last word holds
  // lane bits, and no word past the end would have held any.
  for (unsigned l = 0; l < lanes; ++l) {
    const uint32_t pos = st.taken[l] * kUnit - st.fill[l];
    if (st.lo[l] | st.hi[l]) return false;
    if (first_past[l] != kNone && first_past[l] * kUnit < pos) return false;
  }
  if (st.next < units) return false;
  if (units && last_index * kUnit >= st.taken[last_lane] * kUnit - st.fill[last_lane]) {
    return false;
  }
  return true;
}

// ---- Encoder ---------------------------------------------------------------------------------

using detail::EncodeState;
using detail::EncodeTables;

// The lane bits of values q[from..to) of a chunk (Spec: "Version 3 lane bits"): bits[i] and
// total[i] (their number), added up in *sums for the bit accounting. Returns nonzero if the
// table cannot code one of them. A value's symbol depends only on the values before it in the
// chunk (the previous one for REP, the lane's previous one for the code), so this runs ahead of
// the words' placement and on many values at once.
template <Fp kFp, bool kMixedSign, bool kM0>
uint32_t lane_bits(const EncodeTables& tb, const uint32_t* q, uint32_t lanes, uint32_t from,
                   uint32_t to, uint64_t* __restrict bits, uint8_t* __restrict total_out,
                   detail::LaneBitSums* sums) {
  constexpr unsigned kManBits = fp_format(kFp).man_bits, kTop = fp_format(kFp).width() - 1;
  const detail::FastShape& sh = tb.shape;
  const unsigned drop = sh.drop, esc_bits = sh.esc_bits, fixed_sign = sh.fixed_sign;
  const uint32_t man_mask = (1u << kManBits) - 1;
  const uint32_t xmask_all = (1u << esc_bits) - 1;
  const uint32_t emask_all = static_cast<uint32_t>((uint64_t{1} << sh.entry) - 1);
  uint32_t bad = 0;
  uint64_t zero_len = 0, rep_len = 0, coded_len = 0, coded_count = 0, esc_count = 0;
  for (uint32_t i = from; i < to; ++i) {
    const uint32_t x = q[i];
    const uint32_t ctx = i < lanes || q[i - lanes] == 0;
    const uint32_t prev = i ? q[i - 1] : 0;
    const uint32_t exp = (x >> kManBits) & 0xFFu, sign = x >> kTop;
    const uint32_t rep_info = tb.info_rep[ctx];
    const bool zero = x == 0;
    const bool rep = !zero && x == prev && ((rep_info >> detail::kInfoTotalShift) & 63u) != 0;
    const uint32_t info = zero ? tb.info_zero[ctx] : rep ? rep_info : tb.info_exp[ctx][exp];
    const uint32_t total = (info >> detail::kInfoTotalShift) & 63u;
    const uint32_t esc = (info >> detail::kInfoEscBit) & 1u;
    const uint32_t is_coded = (info >> detail::kInfoCodedBit) & 1u;
    const uint32_t coded = 0u - is_coded;
    bad |= (total == 0) | (((info >> detail::kInfoSignFixedBit) & 1u) & (sign != fixed_sign));
    uint32_t xbits = exp;
    if (kM0) xbits |= ((x >> (kManBits - 1)) & 1u) << kEscExpBits;
    uint32_t entry = (x & man_mask) >> drop;
    if (kMixedSign) entry = (entry << 1) | sign;
    const unsigned len = (info >> detail::kInfoLenShift) & 15u;
    bits[i] = (info & detail::kInfoCodeMask) | (uint64_t{xbits & xmask_all & (0u - esc)} << len) |
              (uint64_t{entry & emask_all & coded} << (len + esc * esc_bits));
    total_out[i] = static_cast<uint8_t>(total);
    zero_len += zero ? len : 0;
    rep_len += rep ? len : 0;
    coded_len += len & coded;
    coded_count += is_coded;
    esc_count += esc;
  }
  sums->zero_len += zero_len;
  sums->rep_len += rep_len;
  sums->coded_len += coded_len;
  sums->coded += coded_count;
  sums->esc += esc_count;
  return bad;
}

// Expiry of lane l at a step with this horizon (Spec: "Version 3 refill rule"): the lane's
// newest word whose slot is V3WindowWords or more below the horizon is closed if the lane has
// not filled it; the bits up to its end stay zero. Only the lane's open words (at most three,
// all among its last kPending) can be closed.
void expire_lane(EncodeState& st, unsigned l, uint32_t horizon, uint32_t* words,
                 uint64_t* expired_units, uint64_t* expired_bits) {
  const uint32_t pos = st.pos[l], k0 = pos / kUnit, open = st.taken[l] - k0;
  for (uint32_t j = open; j-- > 0;) {
    if (st.ring[j][l] + kWindow > horizon) continue;
    words[st.ring[0][l]] = st.acc[l];
    for (uint32_t i = 1; i <= j; ++i) words[st.ring[i][l]] = 0;
    ++*expired_units;
    *expired_bits += (k0 + j + 1) * kUnit - pos;
    st.pos[l] = (k0 + j + 1) * kUnit;
    st.acc[l] = 0;
    for (uint32_t i = 0; i + j + 1 < open; ++i) st.ring[i][l] = st.ring[i + j + 1][l];
    return;
  }
}

// One step of the placement (Spec: "Version 3 refill rule"), lanes 0 .. count - 1 coding the
// values whose lane bits are bits[0..count) and total[0..count): expiry, then per lane the
// refill and the value's bits at the lane's position; each word that becomes whole is stored
// once, at its slot; stores of no word go to words[dummy].
void place_step(EncodeState& __restrict st, uint32_t lanes, uint32_t count,
                const uint64_t* __restrict bits, const uint8_t* __restrict total,
                uint32_t* __restrict words, uint32_t dummy, uint64_t* expired_units,
                uint64_t* expired_bits) {
  const uint32_t horizon = st.next + 2 * lanes;
  if (st.low != kNone && st.low + kWindow <= horizon) {
    for (unsigned l = 0; l < count; ++l) {
      expire_lane(st, l, horizon, words, expired_units, expired_bits);
    }
  }
  uint32_t next = st.next, low = kNone;
  for (unsigned l = 0; l < count; ++l) {
    uint32_t pos = st.pos[l], taken = st.taken[l];
    const uint32_t fill = taken * kUnit - pos;
    const uint32_t nw = (fill < kRefill) + (fill < kRefill - kUnit);
    // The refilled words are the lane's open words `open` and `open + 1` (open is 0 only when
    // nw is 2, 1 only when nw is at least 1); entries past the lane's words may take garbage.
    const uint32_t open = taken - pos / kUnit;
    uint32_t r0 = st.ring[0][l], r1 = st.ring[1][l], r2 = st.ring[2][l];
    r0 = open == 0 ? next : r0;
    r1 = open == 1 ? next : open == 0 ? next + 1 : r1;
    r2 = open == 2 ? next : open == 1 ? next + 1 : r2;
    taken += nw;
    next += nw;
    const unsigned off = pos % kUnit, t = total[l], whole = (off + t) / kUnit;
    const u128 x = (u128{bits[l]} << off) | st.acc[l];
    // A first whole word is common and unpredictable: no branch (else the store goes to
    // words[dummy]); a second one is rare.
    words[whole ? r0 : dummy] = static_cast<uint32_t>(x);
    if (whole >= 2) words[r1] = static_cast<uint32_t>(x >> 32);
    st.acc[l] = static_cast<uint32_t>(x >> (kUnit * whole));
    r0 = whole == 0 ? r0 : whole == 1 ? r1 : r2;
    r1 = whole == 0 ? r1 : r2;
    st.ring[0][l] = r0;
    st.ring[1][l] = r1;
    st.ring[2][l] = r2;
    pos += t;
    st.pos[l] = pos;
    st.taken[l] = taken;
    low = std::min(low, pos < taken * kUnit ? r0 : kNone);
  }
  for (unsigned l = count; l < lanes; ++l) {
    low = std::min(low, st.pos[l] < st.taken[l] * kUnit ? st.ring[0][l] : kNone);
  }
  st.next = next;
  st.low = low;
  st.held = std::max<uint64_t>(st.held, next - std::min(low, next));
}

// Encodes q[0..n) into words (scratch, at least 2 n + 2 kMaxLanes + 1 entries; the last one
// takes the SIMD steps' stores of no word); false if the table cannot code a value. The lane
// bits are found a block of steps ahead of their placement, so that they are still in cache.
template <Fp kFp, bool kMixedSign, bool kM0>
bool encode_fast(const EncodeTables& tb, const uint32_t* q, uint32_t n, uint32_t lanes,
                 std::vector<uint32_t>& scratch, ChunkV3* out, std::vector<uint8_t>& dst) {
  const detail::FastShape& sh = tb.shape;
  thread_local std::vector<uint64_t> bits_buf;
  thread_local std::vector<uint8_t> total_buf;
  if (bits_buf.size() < n) {
    bits_buf.resize(n);
    total_buf.resize(n);
  }
  uint64_t* bits = bits_buf.data();
  uint8_t* total = total_buf.data();
  uint32_t* words = scratch.data();
  const uint32_t dummy = static_cast<uint32_t>(scratch.size() - 1);
  detail::LaneBitSums sums;
  EncodeState st{};
  uint64_t expired_units = 0, expired_bits = 0;
  const bool simd = use_avx2();
  const uint32_t rows = (n + lanes - 1) / lanes, block_rows = 64;
  for (uint32_t r0 = 0; r0 < rows; r0 += block_rows) {
    const uint32_t r1 = std::min(rows, r0 + block_rows);
    const uint32_t from = r0 * lanes, to = std::min(n, r1 * lanes);
    uint32_t at = from, bad = 0;
    if (!kM0 && simd && to > lanes) {
      if (at < lanes) {
        bad |= lane_bits<kFp, kMixedSign, kM0>(tb, q, lanes, at, lanes, bits, total, &sums);
        at = lanes;
      }
      at = detail::lane_bits_avx2(tb, q, lanes, at, to, bits, total, &sums, &bad);
    }
    bad |= lane_bits<kFp, kMixedSign, kM0>(tb, q, lanes, at, to, bits, total, &sums);
    if (bad) return false;
    for (uint32_t r = r0; r < r1; ++r) {
      if (simd && lanes == 16) {
        r = detail::place_steps_avx2(st, bits, total, r, std::min(r1, n / lanes), words, dummy);
        if (r == r1) break;
      }
      const uint32_t first = r * lanes;
      place_step(st, lanes, std::min(lanes, n - first), bits + first, total + first, words, dummy,
                 &expired_units, &expired_bits);
    }
  }
  // The end: the open words are stored with their unwritten bits zero; trailing words of the
  // slot order wholly beyond their lane's bits are left out.
  uint32_t beyond[kMaxLanes * kPending];
  unsigned nb = 0;
  for (unsigned l = 0; l < lanes; ++l) {
    const uint32_t pos = st.pos[l], k0 = pos / kUnit, open = st.taken[l] - k0;
    if (open) words[st.ring[0][l]] = st.acc[l];
    for (uint32_t j = 1; j < open; ++j) words[st.ring[j][l]] = 0;
    for (uint32_t j = 0; j < open; ++j) {
      if ((k0 + j) * kUnit >= pos) beyond[nb++] = st.ring[j][l];
    }
  }
  std::sort(beyond, beyond + nb);
  uint32_t keep = st.next;
  while (nb && keep && beyond[nb - 1] == keep - 1) {
    --keep;
    --nb;
  }
  const uint8_t* raw = reinterpret_cast<const uint8_t*>(words);
  const size_t size = size_t{keep} * kUnitBytes;
  dst.insert(dst.end(), raw, raw + size);
  out->crc = crc32c(raw, size, 0);
  out->held_units = st.held;
  out->expired_units = expired_units;
  out->expired_bits = expired_bits;
  BitCounts& b = out->bits;
  b.zero = sums.zero_len;
  b.repeat = sums.rep_len;
  b.delta = sums.coded_len + sums.esc * kEscExpBits;
  b.sign = sums.coded * sh.s_bits;
  b.mantissa = sums.coded * sh.m + (sh.m == 0 ? sums.esc : 0);
  b.pad = size * 8 - (b.zero + b.repeat + b.delta + b.sign + b.mantissa);
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
  const DecodeTables& tb = cached_tables<DecodeTables>(c, t);
  const uint32_t lanes = chunk_lanes(c, n), n32 = static_cast<uint32_t>(n);
  const uint32_t u32 = static_cast<uint32_t>(units);
  const bool mixed = tb.shape.s_bits != 0, m0 = tb.shape.m == 0;
  // The SIMD steps take the CRC as they go, beside the decoding; the rest is checked after.
  // A chunk whose CRC differs is decoded again by the reference, which reports kCrc first.
  const bool crc_after = lanes == 16 && !m0 && use_avx2();
  if (!crc_after && crc32c(data, units * kUnitBytes, 0) != crc) {
    std::fill(out, out + n, 0u);
    return Status::kCrc;
  }
  thread_local DecodeState st;
  thread_local std::vector<uint32_t> history;
  const size_t rows = (n + lanes - 1) / lanes;
  if (history.size() < rows * lanes + 1) history.resize(rows * lanes + 1);
  st.first = history.data();
  using Fn = bool (*)(const DecodeTables&, uint32_t, uint32_t, bool, const uint8_t*, uint32_t,
                      uint32_t*, DecodeState&);
  static constexpr Fn kFns[2][2][2] = {
      {{decode_fast<Fp::kFp32, false, false>, decode_fast<Fp::kFp32, false, true>},
       {decode_fast<Fp::kFp32, true, false>, decode_fast<Fp::kFp32, true, true>}},
      {{decode_fast<Fp::kBf16, false, false>, decode_fast<Fp::kBf16, false, true>},
       {decode_fast<Fp::kBf16, true, false>, decode_fast<Fp::kBf16, true, true>}}};
  bool ok = kFns[c.fp == Fp::kBf16][mixed][m0](tb, n32, lanes, t.two, data, u32, out, st);
  if (ok && crc_after) {
    const size_t done = size_t{st.crc_words} * kUnitBytes;
    ok =
        crc32c(data + done, units * kUnitBytes - done, ~static_cast<uint32_t>(st.crc_state)) == crc;
  }
  if (ok) return Status::kOk;
  ++t_fallbacks;
  return decode_chunk_v3(c, t, n, crc, data, units, out);  // names the error, clears out
}

namespace {

// encode_chunk_v3_fast with the chunk's bytes appended to dst.
Status encode_chunk_fast(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                         ChunkV3* out, std::vector<uint8_t>& dst) {
  if (n > kMaxFastValues) return encode_chunk_v3(c, t, q, n, out);
  const EncodeTables& tb = cached_tables<EncodeTables>(c, t);
  const uint32_t lanes = chunk_lanes(c, n), n32 = static_cast<uint32_t>(n);
  thread_local std::vector<uint32_t> scratch;
  if (scratch.size() < 2 * n + 2 * kMaxLanes + 1) scratch.resize(2 * n + 2 * kMaxLanes + 1);
  const bool mixed = tb.shape.s_bits != 0, m0 = tb.shape.m == 0;
  using Fn = bool (*)(const EncodeTables&, const uint32_t*, uint32_t, uint32_t,
                      std::vector<uint32_t>&, ChunkV3*, std::vector<uint8_t>&);
  static constexpr Fn kFns[2][2][2] = {
      {{encode_fast<Fp::kFp32, false, false>, encode_fast<Fp::kFp32, false, true>},
       {encode_fast<Fp::kFp32, true, false>, encode_fast<Fp::kFp32, true, true>}},
      {{encode_fast<Fp::kBf16, false, false>, encode_fast<Fp::kBf16, false, true>},
       {encode_fast<Fp::kBf16, true, false>, encode_fast<Fp::kBf16, true, true>}}};
  if (kFns[c.fp == Fp::kBf16][mixed][m0](tb, q, n32, lanes, scratch, out, dst)) return Status::kOk;
  ++t_fallbacks;
  return encode_chunk_v3(c, t, q, n, out);  // the table cannot code a value: kBadTable
}

}  // namespace

Status encode_chunk_v3_fast(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                            ChunkV3* out) {
  *out = ChunkV3{};
  return encode_chunk_fast(c, t, q, n, out, out->bytes);
}

namespace detail {

Status encode_chunk_v3_fast_to(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                               ChunkV3* out, std::vector<uint8_t>* bytes) {
  *out = ChunkV3{};
  const Status s = encode_chunk_fast(c, t, q, n, out, *bytes);
  if (!out->bytes.empty()) {  // the reference coded it
    bytes->insert(bytes->end(), out->bytes.begin(), out->bytes.end());
    out->bytes.clear();
  }
  return s;
}

}  // namespace detail

}  // namespace sfp
