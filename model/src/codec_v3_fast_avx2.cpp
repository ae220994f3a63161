// SPDX-License-Identifier: Apache-2.0
//
// AVX2 kernels of the fast version 3 chunk coder (codec_v3_fast.cpp), compiled for AVX2 by
// target attributes and called only when the CPU has it (have_avx2). Spec: docs/format.md,
// "Version 3 refill rule" and "Version 3 lane bits".
//
// Decoder: the 16 lanes of a step decode together. 32-bit quantities of the lanes sit in two
// registers (lanes 0-7, 8-15), 64-bit ones (the lane buffers' lo and hi halves, their fill) in
// four (lanes 0-3, 4-7, 8-11, 12-15). A step: the refill counts (fill < 44, fill < 12) and their
// prefix sum over the lanes give each lane's slot; permutes of the next 32 words give each lane
// its two candidate words; one lookup gather per lane gives its symbol's lengths, exponent and
// flags; the value is built from shifts and masks; the words taken are added to the CRC. The
// rare cases leave the vectors: REP copies the previous value in a scalar pass over the lanes
// that have it, an ESC lane checks that its exponent has no distance codeword, and a step whose
// words may expire, or that reaches the last stored word, goes back to the portable loop.
// Encoder: the symbol, lane bits and bit sums of eight values at once (lane_bits); the
// placement of a step's 16 values into their lanes' words (place_step), the lanes' positions,
// partial words and open slots in registers, each whole word stored once.
// Table counts: the count index of eight values at once (count_chunk in codec_v2.cpp).
#include "codec_v3_fast.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#define SFP_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt,sse4.2")))
#define SFP_AVX2_INLINE __attribute__((target("avx2,bmi,bmi2,popcnt,sse4.2"), always_inline)) inline

namespace sfp::detail {
namespace {

constexpr uint32_t kLanes = 16;
constexpr uint32_t kWordBits = kV3WordBits;

// The low 32 bits of a's and b's four 64-bit lanes, in lane order.
SFP_AVX2_INLINE __m256i narrow(__m256i a, __m256i b) {
  const __m256 s = _mm256_shuffle_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), 0x88);
  return _mm256_permute4x64_epi64(_mm256_castps_si256(s), 0xD8);
}

// The eight 32-bit lanes of a as two registers of four 64-bit lanes.
SFP_AVX2_INLINE void widen(__m256i a, __m256i* lo4, __m256i* hi4) {
  *lo4 = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(a));
  *hi4 = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(a, 1));
}

// Inclusive prefix sum over eight 32-bit lanes.
SFP_AVX2_INLINE __m256i prefix_sum(__m256i x) {
  x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
  x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
  const __m256i low_last = _mm256_shuffle_epi32(x, 0xFF);
  return _mm256_add_epi32(x, _mm256_permute2x128_si256(low_last, low_last, 0x08));
}

// All ones in the lanes of e whose bit kBit is set.
template <int kBit>
SFP_AVX2_INLINE __m256i flag(__m256i e) {
  return _mm256_srai_epi32(_mm256_slli_epi32(e, 31 - kBit), 31);
}

SFP_AVX2_INLINE uint32_t lane_mask(__m256i a, __m256i b) {
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(a))) |
         (static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(b))) << 8);
}

// Word idx (0..31) of the 32 words in block[0..3], for each of eight lanes.
SFP_AVX2_INLINE __m256i pick_word(const __m256i block[4], __m256i idx) {
  const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
  const __m256 bit4 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 27));
  __m256 from[4];
  for (int i = 0; i < 4; ++i) {
    from[i] = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(block[i], idx));
  }
  const __m256 low = _mm256_blendv_ps(from[0], from[1], bit3);
  const __m256 high = _mm256_blendv_ps(from[2], from[3], bit3);
  return _mm256_castps_si256(_mm256_blendv_ps(low, high, bit4));
}

// Words idx and idx + 1 of block as one 64-bit value per lane (idx first), for eight lanes:
// lanes 0-3 in *q0, 4-7 in *q1.
SFP_AVX2_INLINE void word_pairs(const __m256i block[4], __m256i idx, __m256i* q0, __m256i* q1) {
  const __m256i w0 = pick_word(block, idx);
  const __m256i w1 = pick_word(block, _mm256_add_epi32(idx, _mm256_set1_epi32(1)));
  const __m256i even = _mm256_unpacklo_epi32(w0, w1);  // lanes 0, 1 | 4, 5
  const __m256i odd = _mm256_unpackhi_epi32(w0, w1);   // lanes 2, 3 | 6, 7
  *q0 = _mm256_permute2x128_si256(even, odd, 0x20);
  *q1 = _mm256_permute2x128_si256(even, odd, 0x31);
}

SFP_AVX2_INLINE __m256i load(const uint32_t* p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}

SFP_AVX2_INLINE void store(uint32_t* p, __m256i x) {
  _mm256_store_si256(reinterpret_cast<__m256i*>(p), x);
}

}  // namespace

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
                          __builtin_cpu_supports("sse4.2");
  return yes;
}

SFP_AVX2 uint32_t decode_steps_avx2(const DecodeTables& tb, DecodeState& st, uint32_t r,
                                    uint32_t rows, bool two, const uint8_t* data, uint32_t units,
                                    uint32_t* out) {
  const FastShape& sh = tb.shape;
  // Constants.
  const __m256i c12 = _mm256_set1_epi64x(kV3LaneRefillBits - kWordBits);
  const __m256i c44 = _mm256_set1_epi64x(kV3LaneRefillBits);
  const __m256i c32q = _mm256_set1_epi64x(kWordBits);
  const __m256i c64q = _mm256_set1_epi64x(64);
  const __m256i low32q = _mm256_set1_epi64x(0xFFFFFFFF);
  const __m256i lut_mask = _mm256_set1_epi32((1 << kMaxCodeBits) - 1);
  const __m256i c15 = _mm256_set1_epi32(15), c63 = _mm256_set1_epi32(63);
  const __m256i c255 = _mm256_set1_epi32(0xFF);
  const __m256i xmask = _mm256_set1_epi32((1 << sh.esc_bits) - 1);
  const __m256i esc_shift = _mm256_set1_epi32(static_cast<int>(sh.esc_bits));
  const __m256i emask = _mm256_set1_epi32(static_cast<int>((uint64_t{1} << sh.entry) - 1));
  const __m256i fixed = _mm256_set1_epi32(static_cast<int>(sh.fixed_sign << sh.top));
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(sh.s_bits));
  const __m256i ctx_code = _mm256_set1_epi32(two ? 1 << kMaxCodeBits : 0);
  const __m128i man_shift = _mm_cvtsi32_si128(static_cast<int>(sh.man_bits));
  const __m128i drop_shift = _mm_cvtsi32_si128(static_cast<int>(sh.drop));
  const __m128i top_shift = _mm_cvtsi32_si128(static_cast<int>(sh.top));
  const __m128i sign_shift = _mm_cvtsi32_si128(static_cast<int>(sh.s_bits));
  const __m256i rotate = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
  const __m256i last = _mm256_set1_epi32(7);
  const uint32_t man_bits = sh.man_bits;
  const int* lut = reinterpret_cast<const int*>(tb.lut);

  // The state, into registers.
  __m256i lo[4], hi[4], fill[4];
  for (int i = 0; i < 4; ++i) {
    lo[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.lo + 4 * i));
    hi[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.hi + 4 * i));
    fill[i] =
        _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(st.fill + 4 * i)));
  }
  __m256i ctx_a =
      _mm256_slli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.ctx)), kMaxCodeBits);
  __m256i ctx_b = _mm256_slli_epi32(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.ctx + 8)), kMaxCodeBits);
  __m256i taken_a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.taken));
  __m256i taken_b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(st.taken + 8));
  uint32_t next = st.next, prev = st.prev, safe_until = st.safe_until;
  uint64_t crc_state = st.crc_state;
  uint32_t crc_words = st.crc_words;
  __m256i bad = _mm256_setzero_si256();

  for (; r < rows; ++r) {
    if (next + 2 * kLanes >= units) break;  // a word this step takes may be the last or missing
    uint32_t* hist = st.first + size_t{r} * kLanes;
    const uint32_t horizon = next + 2 * kLanes;
    if (horizon >= safe_until) {
      // Where the lanes' oldest unread words are now (lowest_open_slot, sixteen lanes at once):
      // walk the history back until each lane has seen as many words as it has open.
      hist[0] = next;
      const __m256i c31 = _mm256_set1_epi32(kWordBits - 1);
      __m256i need[2] = {_mm256_srli_epi32(_mm256_add_epi32(narrow(fill[0], fill[1]), c31), 5),
                         _mm256_srli_epi32(_mm256_add_epi32(narrow(fill[2], fill[3]), c31), 5)};
      __m256i oldest[2] = {_mm256_set1_epi32(static_cast<int>(next)),
                           _mm256_set1_epi32(static_cast<int>(next))};
      for (uint32_t step = r; step-- > 0;) {
        if (_mm256_testz_si256(_mm256_or_si256(need[0], need[1]),
                               _mm256_or_si256(need[0], need[1]))) {
          break;
        }
        const uint32_t* row = st.first + size_t{step} * kLanes;
        for (int h = 0; h < 2; ++h) {
          const __m256i from = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * h));
          const __m256i to = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * h + 1));
          const __m256i took = _mm256_sub_epi32(to, from);
          const __m256i hit =
              _mm256_andnot_si256(_mm256_cmpgt_epi32(need[h], took),
                                  _mm256_cmpgt_epi32(need[h], _mm256_setzero_si256()));
          oldest[h] = _mm256_blendv_epi8(
              oldest[h], _mm256_sub_epi32(_mm256_add_epi32(from, took), need[h]), hit);
          need[h] = _mm256_max_epi32(_mm256_sub_epi32(need[h], took), _mm256_setzero_si256());
        }
      }
      __m256i low = _mm256_min_epu32(oldest[0], oldest[1]);
      low = _mm256_min_epu32(low, _mm256_permute2x128_si256(low, low, 0x01));
      low = _mm256_min_epu32(low, _mm256_shuffle_epi32(low, 0x4E));
      low = _mm256_min_epu32(low, _mm256_shuffle_epi32(low, 0xB1));
      safe_until = static_cast<uint32_t>(_mm256_cvtsi256_si32(low)) + kV3WindowWords;
      if (horizon >= safe_until) break;  // a word expires at this step
    }
    // Refill: 0, 1 or 2 words per lane, at slots given by the prefix sum of the counts.
    __m256i m44[4], m12[4], nw64[4];
    for (int i = 0; i < 4; ++i) {
      m44[i] = _mm256_cmpgt_epi64(c44, fill[i]);
      m12[i] = _mm256_cmpgt_epi64(c12, fill[i]);
      nw64[i] = _mm256_sub_epi64(_mm256_setzero_si256(), _mm256_add_epi64(m44[i], m12[i]));
    }
    const __m256i nw_a = narrow(nw64[0], nw64[1]), nw_b = narrow(nw64[2], nw64[3]);
    const __m256i inc_a = prefix_sum(nw_a);
    const __m256i inc_b =
        _mm256_add_epi32(prefix_sum(nw_b), _mm256_permutevar8x32_epi32(inc_a, last));
    const __m256i exc_a = _mm256_sub_epi32(inc_a, nw_a), exc_b = _mm256_sub_epi32(inc_b, nw_b);
    const __m256i next_v = _mm256_set1_epi32(static_cast<int>(next));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(hist), _mm256_add_epi32(exc_a, next_v));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(hist + 8), _mm256_add_epi32(exc_b, next_v));
    // A step takes at most 32 words, all among the next 32: each lane's two candidate words
    // are picked from those by permutes (shorter latency than a gather).
    __m256i block[4], w[4];
    for (int i = 0; i < 4; ++i) {
      block[i] =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + (size_t{next} + 8 * i) * 4));
    }
    word_pairs(block, exc_a, &w[0], &w[1]);
    word_pairs(block, exc_b, &w[2], &w[3]);
    for (int i = 0; i < 4; ++i) {
      const __m256i keep = _mm256_and_si256(m44[i], _mm256_or_si256(m12[i], low32q));
      const __m256i wi = _mm256_and_si256(w[i], keep);
      lo[i] = _mm256_or_si256(lo[i], _mm256_sllv_epi64(wi, fill[i]));
      hi[i] = _mm256_or_si256(hi[i], _mm256_srlv_epi64(wi, _mm256_sub_epi64(c64q, fill[i])));
      fill[i] = _mm256_add_epi64(fill[i], _mm256_add_epi64(_mm256_and_si256(m44[i], c32q),
                                                           _mm256_and_si256(m12[i], c32q)));
    }
    taken_a = _mm256_add_epi32(taken_a, nw_a);
    taken_b = _mm256_add_epi32(taken_b, nw_b);
    next += static_cast<uint32_t>(_mm256_extract_epi32(inc_b, 7));
    for (; crc_words + 2 <= next; crc_words += 2) {
      uint64_t two_words;
      std::memcpy(&two_words, data + size_t{crc_words} * 4, 8);
      crc_state = _mm_crc32_u64(crc_state, two_words);
    }

    // Lookup on the next kMaxCodeBits bits of each lane, in the lane's code.
    const __m256i bits_a = narrow(lo[0], lo[1]), bits_b = narrow(lo[2], lo[3]);
    const __m256i e_a =
        _mm256_i32gather_epi32(lut, _mm256_or_si256(_mm256_and_si256(bits_a, lut_mask), ctx_a), 4);
    const __m256i e_b =
        _mm256_i32gather_epi32(lut, _mm256_or_si256(_mm256_and_si256(bits_b, lut_mask), ctx_b), 4);

    // The bits after each codeword: the escaped exponent (ESC), then the entry; at most 32.
    __m256i len[4], after[4];
    widen(_mm256_and_si256(_mm256_srli_epi32(e_a, kLutLenShift), c15), &len[0], &len[1]);
    widen(_mm256_and_si256(_mm256_srli_epi32(e_b, kLutLenShift), c15), &len[2], &len[3]);
    for (int i = 0; i < 4; ++i) after[i] = _mm256_srlv_epi64(lo[i], len[i]);
    __m256i v[2], e[2] = {e_a, e_b}, o[2];
    const __m256i aft[2] = {narrow(after[0], after[1]), narrow(after[2], after[3])};
    uint32_t rep_lanes = 0, esc_lanes;
    __m256i esc[2];
    for (int h = 0; h < 2; ++h) {
      esc[h] = flag<kLutEscBit>(e[h]);
      const __m256i coded = flag<kLutCodedBit>(e[h]);
      const __m256i x = _mm256_and_si256(aft[h], _mm256_and_si256(esc[h], xmask));
      const __m256i field =
          _mm256_and_si256(_mm256_srlv_epi32(aft[h], _mm256_and_si256(esc[h], esc_shift)),
                           _mm256_and_si256(coded, emask));
      const __m256i exp =
          _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi32(e[h], kLutExpShift), x), c255);
      __m256i val =
          _mm256_or_si256(_mm256_and_si256(coded, fixed), _mm256_sll_epi32(exp, man_shift));
      val = _mm256_or_si256(val, _mm256_sll_epi32(_mm256_srl_epi32(field, sign_shift), drop_shift));
      val = _mm256_or_si256(val, _mm256_sll_epi32(_mm256_and_si256(field, sign_bit), top_shift));
      v[h] = val;
    }
    uint32_t* dst = out + size_t{r} * kLanes;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v[0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 8), v[1]);
    rep_lanes = lane_mask(flag<kLutRepBit>(e[0]), flag<kLutRepBit>(e[1]));
    if (rep_lanes) {
      // REP copies the value before it, which may itself be a REP: in lane order.
      for (uint32_t m = rep_lanes; m; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
        dst[l] = l ? dst[l - 1] : prev;
      }
      o[0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst));
      o[1] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dst + 8));
    } else {
      o[0] = v[0];
      o[1] = v[1];
    }
    // Checks (Spec: "Version 3 decoder errors"): a lookup without a symbol; +0 exactly as ZERO;
    // no repeat coded as a distance or ESC when REP has a codeword.
    const __m256i before[2] = {_mm256_blend_epi32(_mm256_permutevar8x32_epi32(o[0], rotate),
                                                  _mm256_set1_epi32(static_cast<int>(prev)), 1),
                               _mm256_blend_epi32(_mm256_permutevar8x32_epi32(o[1], rotate),
                                                  _mm256_permutevar8x32_epi32(o[0], last), 1)};
    __m256i zero[2];
    for (int h = 0; h < 2; ++h) {
      zero[h] = flag<kLutZeroBit>(e[h]);
      const __m256i z = _mm256_cmpeq_epi32(o[h], _mm256_setzero_si256());
      bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(e[h], _mm256_setzero_si256()));
      bad = _mm256_or_si256(bad, _mm256_xor_si256(z, zero[h]));
      bad = _mm256_or_si256(
          bad, _mm256_and_si256(_mm256_cmpeq_epi32(o[h], before[h]), flag<kLutCodedRepBit>(e[h])));
    }
    esc_lanes = lane_mask(esc[0], esc[1]);
    if (esc_lanes) {
      // An escaped exponent must have no distance codeword in the lane's code.
      alignas(32) uint32_t ctx[kLanes];
      _mm256_store_si256(reinterpret_cast<__m256i*>(ctx), ctx_a);
      _mm256_store_si256(reinterpret_cast<__m256i*>(ctx + 8), ctx_b);
      for (uint32_t m = esc_lanes; m; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
        const uint32_t code = ctx[l] >> kMaxCodeBits;
        if (tb.has_dist[(code << 8) + ((dst[l] >> man_bits) & 0xFFu)]) st.bad = 1;
      }
    }
    // Drop each value's lane bits; the next code is code 1 after a ZERO (two codes only).
    __m256i total[4];
    widen(_mm256_and_si256(e_a, c63), &total[0], &total[1]);
    widen(_mm256_and_si256(e_b, c63), &total[2], &total[3]);
    for (int i = 0; i < 4; ++i) {
      lo[i] = _mm256_or_si256(_mm256_srlv_epi64(lo[i], total[i]),
                              _mm256_sllv_epi64(hi[i], _mm256_sub_epi64(c64q, total[i])));
      hi[i] = _mm256_srlv_epi64(hi[i], total[i]);
      fill[i] = _mm256_sub_epi64(fill[i], total[i]);
    }
    ctx_a = _mm256_and_si256(zero[0], ctx_code);
    ctx_b = _mm256_and_si256(zero[1], ctx_code);
    prev = dst[kLanes - 1];
    if (!_mm256_testz_si256(bad, bad) || st.bad) {
      st.bad = 1;
      break;
    }
  }

  // The state, back to memory.
  alignas(32) uint64_t f64[kLanes];
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.lo + 4 * i), lo[i]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.hi + 4 * i), hi[i]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(f64 + 4 * i), fill[i]);
  }
  for (uint32_t l = 0; l < kLanes; ++l) st.fill[l] = static_cast<uint32_t>(f64[l]);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.ctx), _mm256_srli_epi32(ctx_a, kMaxCodeBits));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.ctx + 8),
                      _mm256_srli_epi32(ctx_b, kMaxCodeBits));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.taken), taken_a);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(st.taken + 8), taken_b);
  st.next = next;
  st.prev = prev;
  st.safe_until = safe_until;
  st.crc_state = crc_state;
  st.crc_words = crc_words;
  return r;
}

SFP_AVX2 uint32_t lane_bits_avx2(const EncodeTables& tb, const uint32_t* q, uint32_t lanes,
                                 uint32_t from, uint32_t to, uint64_t* bits, uint8_t* total_out,
                                 LaneBitSums* sums, uint32_t* bad_out) {
  const FastShape& sh = tb.shape;
  const __m128i man_shift = _mm_cvtsi32_si128(static_cast<int>(sh.man_bits));
  const __m128i top_shift = _mm_cvtsi32_si128(static_cast<int>(sh.top));
  const __m128i drop_shift = _mm_cvtsi32_si128(static_cast<int>(sh.drop));
  const __m128i sign_shift = _mm_cvtsi32_si128(static_cast<int>(sh.s_bits));
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(sh.s_bits));
  const __m256i fixed = _mm256_set1_epi32(static_cast<int>(sh.fixed_sign));
  const __m256i man_mask = _mm256_set1_epi32(static_cast<int>((1u << sh.man_bits) - 1));
  const __m256i xmask = _mm256_set1_epi32((1 << sh.esc_bits) - 1);
  const __m256i esc_bits = _mm256_set1_epi32(static_cast<int>(sh.esc_bits));
  const __m256i emask = _mm256_set1_epi32(static_cast<int>((uint64_t{1} << sh.entry) - 1));
  const __m256i c255 = _mm256_set1_epi32(0xFF), c63 = _mm256_set1_epi32(63);
  const __m256i c15 = _mm256_set1_epi32(15), code_mask = _mm256_set1_epi32(kInfoCodeMask);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i zero_info0 = _mm256_set1_epi32(static_cast<int>(tb.info_zero[0]));
  const __m256i zero_info1 = _mm256_set1_epi32(static_cast<int>(tb.info_zero[1]));
  const __m256i rep_info0 = _mm256_set1_epi32(static_cast<int>(tb.info_rep[0]));
  const __m256i rep_info1 = _mm256_set1_epi32(static_cast<int>(tb.info_rep[1]));
  const int* info_exp = reinterpret_cast<const int*>(&tb.info_exp[0][0]);
  __m256i bad = zero;
  // Per lane of the registers: codeword bits of ZERO, REP and coded values; coded and escaped
  // values (each below 2^32 for a chunk of at most 2^24 values).
  __m256i zero_len = zero, rep_len = zero, coded_len = zero, coded_count = zero, esc_count = zero;
  uint32_t i = from;
  for (; i + 8 <= to; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i));
    const __m256i before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i - 1));
    const __m256i lane_before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i - lanes));
    // The lane's code: 1 after a +0 of the lane.
    const __m256i ctx = _mm256_cmpeq_epi32(lane_before, zero);
    const __m256i exp = _mm256_and_si256(_mm256_srl_epi32(x, man_shift), c255);
    const __m256i sign = _mm256_srl_epi32(x, top_shift);
    // The first symbol that applies: ZERO, REP (when it has a codeword), the coded symbol.
    const __m256i coded_info = _mm256_i32gather_epi32(
        info_exp, _mm256_add_epi32(exp, _mm256_and_si256(ctx, _mm256_set1_epi32(256))), 4);
    const __m256i rep_info = _mm256_blendv_epi8(rep_info0, rep_info1, ctx);
    const __m256i rep_has = _mm256_xor_si256(
        _mm256_cmpeq_epi32(_mm256_and_si256(rep_info, _mm256_set1_epi32(63 << kInfoTotalShift)),
                           zero),
        _mm256_set1_epi32(-1));
    const __m256i is_zero = _mm256_cmpeq_epi32(x, zero);
    const __m256i rep =
        _mm256_andnot_si256(is_zero, _mm256_and_si256(_mm256_cmpeq_epi32(x, before), rep_has));
    __m256i info = _mm256_blendv_epi8(coded_info, rep_info, rep);
    info = _mm256_blendv_epi8(info, _mm256_blendv_epi8(zero_info0, zero_info1, ctx), is_zero);
    const __m256i total = _mm256_and_si256(_mm256_srli_epi32(info, kInfoTotalShift), c63);
    bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(total, zero));
    bad = _mm256_or_si256(
        bad, _mm256_andnot_si256(_mm256_cmpeq_epi32(sign, fixed), flag<kInfoSignFixedBit>(info)));
    const __m256i esc = flag<kInfoEscBit>(info), coded = flag<kInfoCodedBit>(info);
    // Codeword, escaped exponent, then the entry (sign in its low bit when the sign is mixed).
    __m256i entry = _mm256_srl_epi32(_mm256_and_si256(x, man_mask), drop_shift);
    entry = _mm256_or_si256(_mm256_sll_epi32(entry, sign_shift), _mm256_and_si256(sign, sign_bit));
    entry = _mm256_and_si256(entry, _mm256_and_si256(coded, emask));
    const __m256i len = _mm256_and_si256(_mm256_srli_epi32(info, kInfoLenShift), c15);
    const __m256i head = _mm256_or_si256(
        _mm256_and_si256(info, code_mask),
        _mm256_sllv_epi32(_mm256_and_si256(exp, _mm256_and_si256(esc, xmask)), len));
    const __m256i at = _mm256_add_epi32(len, _mm256_and_si256(esc, esc_bits));
    __m256i head64[2], entry64[2], at64[2];
    widen(head, &head64[0], &head64[1]);
    widen(entry, &entry64[0], &entry64[1]);
    widen(at, &at64[0], &at64[1]);
    for (int h = 0; h < 2; ++h) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits + i + 4 * h),
                          _mm256_or_si256(head64[h], _mm256_sllv_epi64(entry64[h], at64[h])));
    }
    const __m128i total16 =
        _mm_packus_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(total_out + i), _mm_packus_epi16(total16, total16));
    zero_len = _mm256_add_epi32(zero_len, _mm256_and_si256(len, is_zero));
    rep_len = _mm256_add_epi32(rep_len, _mm256_and_si256(len, rep));
    coded_len = _mm256_add_epi32(coded_len, _mm256_and_si256(len, coded));
    coded_count = _mm256_sub_epi32(coded_count, coded);
    esc_count = _mm256_sub_epi32(esc_count, esc);
  }
  alignas(32) uint32_t part[5][8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(part[0]), zero_len);
  _mm256_store_si256(reinterpret_cast<__m256i*>(part[1]), rep_len);
  _mm256_store_si256(reinterpret_cast<__m256i*>(part[2]), coded_len);
  _mm256_store_si256(reinterpret_cast<__m256i*>(part[3]), coded_count);
  _mm256_store_si256(reinterpret_cast<__m256i*>(part[4]), esc_count);
  for (int k = 0; k < 8; ++k) {
    sums->zero_len += part[0][k];
    sums->rep_len += part[1][k];
    sums->coded_len += part[2][k];
    sums->coded += part[3][k];
    sums->esc += part[4][k];
  }
  if (!_mm256_testz_si256(bad, bad)) *bad_out |= 1;
  return i;
}

SFP_AVX2 uint32_t place_steps_avx2(EncodeState& st, const uint64_t* bits, const uint8_t* total,
                                   uint32_t r, uint32_t rows, uint32_t* words, uint32_t dummy) {
  const __m256i c12 = _mm256_set1_epi32(kV3LaneRefillBits - kWordBits);
  const __m256i c44 = _mm256_set1_epi32(kV3LaneRefillBits);
  const __m256i c31 = _mm256_set1_epi32(kWordBits - 1), c64q = _mm256_set1_epi64x(64);
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
  const __m256i two = _mm256_set1_epi32(2), none = _mm256_set1_epi32(-1);
  const __m256i dummy_v = _mm256_set1_epi32(static_cast<int>(dummy));
  const __m256i last = _mm256_set1_epi32(7);
  // The state, into registers: lanes 0-7 in [0], 8-15 in [1].
  __m256i pos[2], taken[2], acc[2], ring0[2], ring1[2], ring2[2];
  for (int h = 0; h < 2; ++h) {
    pos[h] = load(st.pos + 8 * h);
    taken[h] = load(st.taken + 8 * h);
    acc[h] = load(st.acc + 8 * h);
    ring0[h] = load(st.ring[0] + 8 * h);
    ring1[h] = load(st.ring[1] + 8 * h);
    ring2[h] = load(st.ring[2] + 8 * h);
  }
  uint32_t next = st.next, low = st.low;
  uint64_t held = st.held;
  alignas(32) uint32_t word0[kLanes], word1[kLanes], slot0[kLanes], slot1[kLanes];
  for (; r < rows; ++r) {
    if (low != kFastNone && low + kV3WindowWords <= next + 2 * kLanes) break;  // expiry
    // Refill: 0, 1 or 2 words per lane, at slots given by the prefix sum of the counts; they
    // become the lane's open words `open` and `open + 1`.
    __m256i fill[2], m44[2], m12[2], nw[2], open[2];
    for (int h = 0; h < 2; ++h) {
      fill[h] = _mm256_sub_epi32(_mm256_slli_epi32(taken[h], 5), pos[h]);
      m44[h] = _mm256_cmpgt_epi32(c44, fill[h]);
      m12[h] = _mm256_cmpgt_epi32(c12, fill[h]);
      nw[h] = _mm256_sub_epi32(zero, _mm256_add_epi32(m44[h], m12[h]));
      open[h] = _mm256_sub_epi32(taken[h], _mm256_srli_epi32(pos[h], 5));
    }
    const __m256i inc_a = prefix_sum(nw[0]);
    const __m256i inc_b =
        _mm256_add_epi32(prefix_sum(nw[1]), _mm256_permutevar8x32_epi32(inc_a, last));
    const __m256i next_v = _mm256_set1_epi32(static_cast<int>(next));
    const __m256i first[2] = {_mm256_add_epi32(next_v, _mm256_sub_epi32(inc_a, nw[0])),
                              _mm256_add_epi32(next_v, _mm256_sub_epi32(inc_b, nw[1]))};
    next += static_cast<uint32_t>(_mm256_extract_epi32(inc_b, 7));
    // The value's bits at the lane's position: x = acc | bits << off, 96 bits as lo and hi.
    const __m128i t16 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(total + r * kLanes));
    const __m256i t[2] = {_mm256_cvtepu8_epi32(t16), _mm256_cvtepu8_epi32(_mm_srli_si128(t16, 8))};
    __m256i lo[4], hi[4];
    for (int i = 0; i < 4; ++i) {
      const int h = i / 2;
      __m256i off4, acc4;
      const __m256i off8 = _mm256_and_si256(pos[h], c31);
      if (i % 2 == 0) {
        off4 = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(off8));
        acc4 = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(acc[h]));
      } else {
        off4 = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(off8, 1));
        acc4 = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(acc[h], 1));
      }
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + r * kLanes + 4 * i));
      lo[i] = _mm256_or_si256(acc4, _mm256_sllv_epi64(v, off4));
      hi[i] = _mm256_srlv_epi64(v, _mm256_sub_epi64(c64q, off4));  // 0 when off is 0
    }
    __m256i lows = zero, two_whole[2];
    for (int h = 0; h < 2; ++h) {
      // The refilled words in the ring.
      const __m256i at0 = _mm256_and_si256(m44[h], _mm256_cmpeq_epi32(open[h], zero));
      const __m256i at1 = _mm256_and_si256(m44[h], _mm256_cmpeq_epi32(open[h], one));
      const __m256i at2 = _mm256_and_si256(m44[h], _mm256_cmpeq_epi32(open[h], two));
      const __m256i second = _mm256_add_epi32(first[h], one);
      ring0[h] = _mm256_blendv_epi8(ring0[h], first[h], at0);
      ring1[h] = _mm256_blendv_epi8(ring1[h], first[h], at1);
      ring1[h] = _mm256_blendv_epi8(ring1[h], second, _mm256_and_si256(m12[h], at0));
      ring2[h] = _mm256_blendv_epi8(ring2[h], first[h], at2);
      ring2[h] = _mm256_blendv_epi8(ring2[h], second, _mm256_and_si256(m12[h], at1));
      taken[h] = _mm256_add_epi32(taken[h], nw[h]);
      // Words made whole: 0, 1 or 2 (off + t <= 31 + 44).
      const __m256i off = _mm256_and_si256(pos[h], c31);
      const __m256i whole = _mm256_srli_epi32(_mm256_add_epi32(off, t[h]), 5);
      const __m256i ge1 = _mm256_cmpgt_epi32(whole, zero), ge2 = _mm256_cmpgt_epi32(whole, one);
      const __m256i w0 = narrow(lo[2 * h], lo[2 * h + 1]);
      const __m256i w1 =
          narrow(_mm256_srli_epi64(lo[2 * h], 32), _mm256_srli_epi64(lo[2 * h + 1], 32));
      const __m256i w2 = narrow(hi[2 * h], hi[2 * h + 1]);
      store(word0 + 8 * h, w0);
      store(word1 + 8 * h, w1);
      store(slot0 + 8 * h, _mm256_blendv_epi8(dummy_v, ring0[h], ge1));
      store(slot1 + 8 * h, ring1[h]);
      two_whole[h] = ge2;
      acc[h] = _mm256_blendv_epi8(_mm256_blendv_epi8(w0, w1, ge1), w2, ge2);
      ring0[h] = _mm256_blendv_epi8(_mm256_blendv_epi8(ring0[h], ring1[h], ge1), ring2[h], ge2);
      ring1[h] = _mm256_blendv_epi8(ring1[h], ring2[h], ge1);
      pos[h] = _mm256_add_epi32(pos[h], t[h]);
      // The lane's oldest open word, if it has one.
      const __m256i has = _mm256_cmpgt_epi32(_mm256_slli_epi32(taken[h], 5), pos[h]);
      lows = h == 0 ? _mm256_blendv_epi8(none, ring0[h], has)
                    : _mm256_min_epu32(lows, _mm256_blendv_epi8(none, ring0[h], has));
    }
    for (unsigned l = 0; l < kLanes; ++l) words[slot0[l]] = word0[l];
    // A second whole word (off + t >= 64) is rare.
    for (uint32_t m = lane_mask(two_whole[0], two_whole[1]); m; m &= m - 1) {
      const unsigned l = static_cast<unsigned>(__builtin_ctz(m));
      words[slot1[l]] = word1[l];
    }
    lows = _mm256_min_epu32(lows, _mm256_permute2x128_si256(lows, lows, 0x01));
    lows = _mm256_min_epu32(lows, _mm256_shuffle_epi32(lows, 0x4E));
    lows = _mm256_min_epu32(lows, _mm256_shuffle_epi32(lows, 0xB1));
    low = static_cast<uint32_t>(_mm256_cvtsi256_si32(lows));
    held = std::max<uint64_t>(held, next - std::min(low, next));
  }
  for (int h = 0; h < 2; ++h) {
    store(st.pos + 8 * h, pos[h]);
    store(st.taken + 8 * h, taken[h]);
    store(st.acc + 8 * h, acc[h]);
    store(st.ring[0] + 8 * h, ring0[h]);
    store(st.ring[1] + 8 * h, ring1[h]);
    store(st.ring[2] + 8 * h, ring2[h]);
  }
  st.next = next;
  st.low = low;
  st.held = held;
  return r;
}

SFP_AVX2 size_t count_index_avx2(const FpFormat& f, const uint32_t* v, unsigned lanes, size_t from,
                                 size_t to, uint32_t* index, uint32_t* sign_or,
                                 uint32_t* sign_and) {
  const __m128i man_shift = _mm_cvtsi32_si128(static_cast<int>(f.man_bits));
  const __m128i top_shift = _mm_cvtsi32_si128(static_cast<int>(f.width() - 1));
  const __m256i exp_max = _mm256_set1_epi32(static_cast<int>(f.exp_max()));
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
  const __m256i c256 = _mm256_set1_epi32(256);
  const __m256i ctx_step = _mm256_set1_epi32(2 * 257), rep_step = _mm256_set1_epi32(257);
  // The copy of value i is i & 3; blocks of 8 keep the pattern.
  const __m256i copy_at = _mm256_mullo_epi32(
      _mm256_and_si256(_mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                        _mm256_set1_epi32(static_cast<int>(from & 3))),
                       _mm256_set1_epi32(3)),
      _mm256_set1_epi32(static_cast<int>(kCountIndex)));
  __m256i s_or = zero, s_and = _mm256_set1_epi32(1);
  size_t i = from;
  for (; i + 8 <= to; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i));
    const __m256i before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i - 1));
    const __m256i lane_before = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i - lanes));
    const __m256i is_zero = _mm256_cmpeq_epi32(x, zero);
    const __m256i ctx = _mm256_cmpeq_epi32(lane_before, zero);
    const __m256i rep = _mm256_andnot_si256(is_zero, _mm256_cmpeq_epi32(x, before));
    const __m256i exp = _mm256_and_si256(_mm256_srl_epi32(x, man_shift), exp_max);
    const __m256i coded = _mm256_add_epi32(exp, _mm256_and_si256(is_zero, c256));
    __m256i idx = _mm256_add_epi32(copy_at, coded);
    idx = _mm256_add_epi32(idx, _mm256_and_si256(ctx, ctx_step));
    idx = _mm256_add_epi32(idx, _mm256_and_si256(rep, rep_step));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(index + (i - from)), idx);
    const __m256i sign = _mm256_srl_epi32(x, top_shift);
    s_or = _mm256_or_si256(s_or, _mm256_andnot_si256(is_zero, sign));
    s_and = _mm256_and_si256(s_and, _mm256_or_si256(sign, _mm256_and_si256(is_zero, one)));
  }
  alignas(32) uint32_t o[8], a[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(o), s_or);
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), s_and);
  for (int k = 0; k < 8; ++k) {
    *sign_or |= o[k];
    *sign_and &= a[k];
  }
  return i;
}

}  // namespace sfp::detail

#else

namespace sfp::detail {

bool have_avx2() { return false; }

uint32_t decode_steps_avx2(const DecodeTables&, DecodeState&, uint32_t r, uint32_t, bool,
                           const uint8_t*, uint32_t, uint32_t*) {
  return r;
}

uint32_t lane_bits_avx2(const EncodeTables&, const uint32_t*, uint32_t, uint32_t from, uint32_t,
                        uint64_t*, uint8_t*, LaneBitSums*, uint32_t*) {
  return from;
}

uint32_t place_steps_avx2(EncodeState&, const uint64_t*, const uint8_t*, uint32_t r, uint32_t,
                          uint32_t*, uint32_t) {
  return r;
}

size_t count_index_avx2(const FpFormat&, const uint32_t*, unsigned, size_t from, size_t, uint32_t*,
                        uint32_t*, uint32_t*) {
  return from;
}

}  // namespace sfp::detail

#endif
