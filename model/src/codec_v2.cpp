// SPDX-License-Identifier: Apache-2.0
//
// Format version 2: lanes, the per-tensor exponent code, the refill rule, the mantissa plane,
// raw chunks and CRC-32C. Spec: docs/format.md, "Version 2".
// Each BitWriter::put in the encoder has its get in the decoder, in the same order.
#include "codec_v2.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "bit_io.hpp"
#include "codec_v3_fast.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"

namespace sfp {
namespace {

using detail::BitReader;
using detail::BitWriter;
using detail::count_index;
using detail::count_index_avx2;
using detail::kCountIndex;
using detail::quantized_chunk;
using detail::v3_fast_simd_on;

constexpr unsigned kRefill = kV2LaneRefillBits;
constexpr unsigned kWordBytes = kV2WordBits / 8;

using detail::bit_width;

uint32_t reverse_bits(uint32_t v, unsigned n) {
  uint32_t r = 0;
  for (unsigned i = 0; i < n; ++i) r |= ((v >> i) & 1u) << (n - 1 - i);
  return r;
}

// Bits per value of a raw chunk: sign, exponent and max(m, 1) mantissa bits.
unsigned raw_value_bits(const Config& c) { return 1 + kExpBits + std::max(c.man_bits, 1u); }

}  // namespace

unsigned chunk_lanes(unsigned lanes, uint64_t values) {
  unsigned l = lanes;
  while (l > 1 && values < uint64_t{kV2MinLaneValues} * l) l /= 2;
  return l;
}

unsigned chunk_lanes(const Config& c, uint64_t values) {
  unsigned l = c.group;
  const unsigned min_values = c.version == 3 ? kV3MinLaneValues : kV2MinLaneValues;
  while (l > 1 && values < uint64_t{min_values} * l) l /= 2;
  return l;
}

// ---- Code table --------------------------------------------------------------------------

bool CodeTable::operator==(const CodeTable& o) const {
  return base == o.base && sign == o.sign && dist == o.dist && two == o.two &&
         std::equal(lengths[0], lengths[0] + kMaxSymbols, o.lengths[0]) &&
         std::equal(lengths[1], lengths[1] + kMaxSymbols, o.lengths[1]);
}

unsigned table_bits(const CodeTable& t) {
  return kExpBits + 2 + kDistCountBits + 1 + t.codes() * t.symbols() * kCodeLengthBits;
}

std::vector<uint8_t> pack_table(const CodeTable& t) {
  std::vector<uint8_t> out((table_bits(t) + 7) / 8 + 8, 0);
  BitWriter bw(out.data());
  bw.put(t.base, kExpBits);
  bw.put(static_cast<unsigned>(t.sign), 2);
  bw.put(t.dist, kDistCountBits);
  bw.put(t.two ? 1 : 0, 1);
  for (unsigned k = 0; k < t.codes(); ++k) {
    for (unsigned s = 0; s < t.symbols(); ++s) bw.put(t.lengths[k][s], kCodeLengthBits);
  }
  out.resize(bw.finish(1));
  return out;
}

Status check_table(const CodeTable& t) {
  if (t.base > 255 || static_cast<unsigned>(t.sign) > 2 || t.dist > kMaxDistSymbols) {
    return Status::kBadTable;
  }
  for (unsigned k = 0; k < 2; ++k) {
    uint64_t kraft = 0;
    for (unsigned s = 0; s < kMaxSymbols; ++s) {
      const unsigned len = t.lengths[k][s];
      if (len > kMaxCodeBits || ((s >= t.symbols() || k >= t.codes()) && len)) {
        return Status::kBadTable;
      }
      if (len) kraft += uint64_t{1} << (kMaxCodeBits - len);
    }
    if (kraft > (uint64_t{1} << kMaxCodeBits)) return Status::kBadTable;
  }
  return Status::kOk;
}

namespace detail {

Status read_table(BitReader& br, CodeTable* t) {
  CodeTable r;
  r.base = br.get(kExpBits);
  const unsigned sign = br.get(2);
  r.dist = br.get(kDistCountBits);
  r.two = br.get(1) != 0;
  if (br.overrun()) return Status::kTruncated;
  if (sign > 2 || r.dist > kMaxDistSymbols) return Status::kBadTable;
  r.sign = static_cast<SignMode>(sign);
  for (unsigned k = 0; k < r.codes(); ++k) {
    for (unsigned s = 0; s < r.symbols(); ++s) {
      r.lengths[k][s] = static_cast<uint8_t>(br.get(kCodeLengthBits));
    }
  }
  if (br.overrun()) return Status::kTruncated;
  if (const Status s = check_table(r); s != Status::kOk) return s;
  *t = r;
  return Status::kOk;
}

}  // namespace detail

Status unpack_table(const uint8_t* data, size_t size, CodeTable* t, size_t* used) {
  BitReader br(data, size);
  CodeTable r;
  if (const Status s = detail::read_table(br, &r); s != Status::kOk) return s;
  const uint64_t bits = table_bits(r);
  const uint64_t end = (bits + 7) / 8 * 8;
  if (bits < end && br.get(static_cast<unsigned>(end - bits)) != 0) return Status::kBadTable;
  if (br.overrun()) return Status::kTruncated;
  *t = r;
  *used = static_cast<size_t>(end / 8);
  return Status::kOk;
}

// Package-merge (Spec: "Code lengths"): leaves sorted by (count, symbol); at each of the
// max_bits - 1 levels the list is paired into packages in order and merged with the leaves,
// a leaf before a package of the same weight; the first 2n - 2 items give the lengths.
//
// A package of a level holds two consecutive items of the level below, in order, and the
// merges keep leaves and packages each in order; so the first m items of a level hold its
// first q leaves and first m - q packages, and those packages hold the first 2 (m - q) items of
// the level below. A leaf's length is the number of levels whose chosen prefix holds it. Only
// each level's order of leaves and packages (is_leaf) is kept, for that walk back down.
namespace detail {

void limited_code_lengths(const uint64_t* hist, unsigned size, unsigned max_bits, unsigned* len,
                          const CodeLengthWork& w) {
  std::fill(len, len + size, 0u);
  unsigned n = 0;
  for (unsigned s = 0; s < size; ++s) {
    if (!hist[s]) continue;
    // Insertion sort by count; equal counts keep symbol order.
    unsigned at = n++;
    while (at && hist[w.order[at - 1]] > hist[s]) {
      w.order[at] = w.order[at - 1];
      --at;
    }
    w.order[at] = s;
  }
  if (n == 0) return;
  if (n == 1) {
    len[w.order[0]] = 1;
    return;
  }
  const unsigned list = 2 * n;  // room per level: a level has fewer than 2 n items
  uint64_t* prev = w.weight;
  uint64_t* cur = w.weight + list;
  for (unsigned i = 0; i < n; ++i) prev[i] = hist[w.order[i]];
  unsigned prev_size = n;
  for (unsigned level = 1; level < max_bits; ++level) {
    uint8_t* is_leaf = w.is_leaf + size_t{level} * list;
    const unsigned packages = prev_size / 2;
    unsigned a = 0, b = 0, k = 0;
    while (a < n || b < packages) {
      const uint64_t leaf = a < n ? hist[w.order[a]] : 0;
      const uint64_t pack = b < packages ? prev[2 * b] + prev[2 * b + 1] : 0;
      const bool take_leaf = b == packages || (a < n && leaf <= pack);
      cur[k] = take_leaf ? leaf : pack;
      is_leaf[k++] = take_leaf ? 1 : 0;
      a += take_leaf ? 1 : 0;
      b += take_leaf ? 0 : 1;
    }
    std::swap(prev, cur);
    prev_size = k;
  }
  unsigned m = std::min(2 * n - 2, prev_size);
  for (unsigned level = max_bits; level-- > 1;) {
    const uint8_t* is_leaf = w.is_leaf + size_t{level} * list;
    unsigned leaves = 0;
    for (unsigned i = 0; i < m; ++i) leaves += is_leaf[i];
    for (unsigned i = 0; i < leaves; ++i) ++len[w.order[i]];
    m = 2 * (m - leaves);
  }
  for (unsigned i = 0; i < std::min(m, n); ++i) ++len[w.order[i]];
}

}  // namespace detail

std::vector<unsigned> limited_code_lengths(const std::vector<uint64_t>& hist, unsigned max_bits) {
  const unsigned size = static_cast<unsigned>(hist.size());
  std::vector<unsigned> len(size), order(size);
  std::vector<uint64_t> weight(4 * size_t{size});
  std::vector<uint8_t> is_leaf(2 * size_t{size} * std::max(max_bits, 1u));
  detail::limited_code_lengths(hist.data(), size, max_bits, len.data(),
                               {order.data(), weight.data(), is_leaf.data()});
  return len;
}

namespace detail {

Canonical::Canonical(const CodeTable& t, bool prev_zero, unsigned man_bits) {
  const uint8_t* lengths = t.code(prev_zero);
  std::fill(std::begin(lut), std::end(lut), uint16_t{0});
  unsigned order[kMaxSymbols], k = 0;
  for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
    for (unsigned s = 0; s < t.symbols(); ++s) {
      if (lengths[s] == len) order[k++] = s;
    }
  }
  uint32_t code = 0;
  unsigned last = 0;
  for (unsigned i = 0; i < k; ++i) {
    const unsigned s = order[i], len = lengths[s];
    code <<= len - last;
    last = len;
    rev[s] = reverse_bits(code, len);
    ++code;
    for (uint32_t hi = 0; hi < (1u << (kMaxCodeBits - len)); ++hi) {
      lut[rev[s] | (hi << len)] = static_cast<uint16_t>(s | (len << 8));
    }
  }
  for (unsigned s = 0; s < kMaxSymbols; ++s) {
    lane_bits[s] = lengths[s];
    if (s == kSymEsc && lengths[s]) lane_bits[s] += kEscExpBits + (man_bits == 0);
  }
}

}  // namespace detail

// ---- Table building ----------------------------------------------------------------------

namespace {

// Counts of a run of chunks for the table (Spec: "Code lengths"), by context and exponent:
// index 256 is +0, 257 a repeat (in `with` only). Values that are neither count under their
// exponent.
struct ChunkCounts {
  uint64_t with[2][258] = {}, without[2][258] = {};
  uint32_t sign_or = 0, sign_and = 1;  // over the non-zero values
};

// Counts chunks [first, end) of the n values v (fewer than 2^32 values in those chunks), of Q_m
// of them with `quantize`.
void count_chunks(const Config& c, const uint32_t* v, size_t n, uint64_t first, uint64_t end,
                  bool quantize, ChunkCounts* out) {
  const FpFormat f = fp_format(c.fp);
  // One count per value, by context, repeat or not, and exponent (256: +0), from which both
  // tallies follow (detail::kCountIndex). Four copies, by value mod 4, so that consecutive
  // increments of one count do not wait for each other (zeros and non-zeros alternate at random
  // in activations). The counts' indices are found a block at a time (eight values at once with
  // AVX2), then counted; the counts of all the chunks add up in one array.
  uint32_t joint[4 * kCountIndex] = {};
  uint32_t sign_or = 0, sign_and = 1;
  constexpr size_t kBlock = 1024;
  uint32_t index[kBlock];
  const bool simd = v3_fast_simd_on();
  for (uint64_t chunk = first; chunk < end; ++chunk) {
    const size_t len = std::min<size_t>(c.chunk, n - chunk * c.chunk);
    const uint32_t* cv = v + chunk * c.chunk;
    if (quantize) cv = quantized_chunk(c, cv, len);
    const unsigned lanes = chunk_lanes(c, len);
    for (size_t at = 0; at < len; at += kBlock) {
      const size_t stop = std::min(len, at + kBlock);
      size_t i = at;
      if (simd && i >= lanes) {
        i = count_index_avx2(f, cv, lanes, i, stop, index, &sign_or, &sign_and);
      }
      for (; i < stop; ++i) {
        const uint32_t x = cv[i];
        const uint32_t nz = x != 0 ? 1u : 0u;
        const uint32_t ctx = i < lanes || cv[i - lanes] == 0 ? 1u : 0u;
        const uint32_t exp = (x >> f.man_bits) & f.exp_max(), sign = x >> (f.width() - 1);
        const uint32_t coded = exp + ((nz ^ 1u) << 8);  // +0 has exponent 0: index 256
        const uint32_t rep = nz & (i && x == cv[i - 1] ? 1u : 0u);
        index[i - at] = (i & 3) * kCountIndex + count_index(ctx, rep, coded);
        sign_or |= sign & nz;
        sign_and &= sign | (1u - nz);
      }
      for (size_t k = 0; k < stop - at; ++k) ++joint[index[k]];
    }
  }
  for (unsigned w = 0; w < 4; ++w) {
    for (unsigned ctx = 0; ctx < 2; ++ctx) {
      for (unsigned e = 0; e < 257; ++e) {
        const uint32_t plain = joint[w * kCountIndex + count_index(ctx, 0, e)];
        const uint32_t repeat = joint[w * kCountIndex + count_index(ctx, 1, e)];
        out->without[ctx][e] += plain + repeat;
        out->with[ctx][e] += plain;
        out->with[ctx][257] += repeat;
      }
    }
  }
  out->sign_or = sign_or;
  out->sign_and = sign_and;
}

// The symbol a coded value of exponent e gets in a code with lengths `len` (Spec: "Lane
// symbols"): a distance with a codeword, else ESC.
unsigned coded_symbol(const CodeTable& t, const uint8_t* len, unsigned e, unsigned exp_max) {
  const bool dist =
      e != exp_max && e <= t.base && t.base - e < t.dist && len[kSymDist0 + t.base - e];
  return dist ? kSymDist0 + t.base - e : kSymEsc;
}

}  // namespace

CodeTable build_table(const Config& c, const uint32_t* q, size_t n, const TableOptions& o) {
  return detail::build_table_threads(c, q, n, o, 1);
}

namespace detail {

TensorCounts count_tensor(const Config& c, const uint32_t* q, size_t n, unsigned threads,
                          bool quantize) {
  // One pass: runs of chunks counted in parallel (a few per thread), then summed. A run holds
  // fewer than 2^31 values, so its counts fit the 32-bit counters.
  const uint64_t k = chunk_count(c, n);
  const uint64_t spread = threads > 1 ? (k + 4 * threads - 1) / (4 * threads) : k;
  const uint64_t per_run = std::max<uint64_t>(
      1, std::min<uint64_t>(spread, (uint64_t{1} << 31) / std::max(c.chunk, 1u)));
  const uint64_t runs = (k + per_run - 1) / per_run;
  ChunkCounts one;
  std::vector<ChunkCounts> many(runs > 1 ? runs : 0);
  ChunkCounts* counts = runs > 1 ? many.data() : &one;
  parallel_for(runs, threads, [&](uint64_t i) {
    count_chunks(c, q, n, i * per_run, std::min(k, (i + 1) * per_run), quantize, &counts[i]);
  });
  TensorCounts t;
  for (uint64_t i = 0; i < runs; ++i) {
    const ChunkCounts& cc = counts[i];
    for (unsigned ctx = 0; ctx < 2; ++ctx) {
      for (unsigned e = 0; e < 258; ++e) {
        t.with[ctx][e] += cc.with[ctx][e];
        t.without[ctx][e] += cc.without[ctx][e];
      }
    }
    t.sign_or |= cc.sign_or;
    t.sign_and &= cc.sign_and;
  }
  return t;
}

CodeTable build_table_threads(const Config& c, const uint32_t* q, size_t n, const TableOptions& o,
                              unsigned threads) {
  return table_from_counts(c, count_tensor(c, q, n, threads), o);
}

CodeTable table_from_counts(const Config& c, const TensorCounts& counts, const TableOptions& o) {
  const FpFormat f = fp_format(c.fp);
  const auto& with = counts.with;
  const auto& without = counts.without;
  bool seen[256] = {}, any = false;
  for (unsigned e = 0; e < 256; ++e) {
    seen[e] = without[0][e] + without[1][e] != 0;
    any = any || seen[e];
  }
  const bool neg = any && counts.sign_or, pos = any && !counts.sign_and;
  CodeTable t;
  t.sign = pos && neg ? SignMode::kMixed : neg ? SignMode::kNegative : SignMode::kPositive;
  for (int e = static_cast<int>(f.exp_max()) - 1; e >= 0; --e) {
    if (seen[e]) {
      t.base = static_cast<unsigned>(e);
      break;
    }
  }
  for (unsigned d = 0; d < kMaxDistSymbols && d <= t.base; ++d) {
    if (seen[t.base - d]) t.dist = d + 1;
  }
  // Symbol counts per context, with REP and with REP values counted as their coded symbols.
  uint64_t with_rep[2][kMaxSymbols] = {}, without_rep[2][kMaxSymbols] = {};
  for (unsigned ctx = 0; ctx < 2; ++ctx) {
    for (unsigned e = 0; e < 256; ++e) {
      const unsigned sym =
          e != f.exp_max() && e <= t.base && t.base - e < t.dist ? kSymDist0 + t.base - e : kSymEsc;
      with_rep[ctx][sym] += with[ctx][e];
      without_rep[ctx][sym] += without[ctx][e];
    }
    with_rep[ctx][kSymZero] = with[ctx][256];
    with_rep[ctx][kSymRep] = with[ctx][257];
    without_rep[ctx][kSymZero] = without[ctx][256];
  }
  // The four ways to code the tensor, in this order; the first of the smallest wins.
  const unsigned plane = (t.sign == SignMode::kMixed ? 1 : 0) + c.man_bits;
  const unsigned esc_bits = kEscExpBits + (c.man_bits == 0 ? 1 : 0);
  uint64_t best = ~uint64_t{0};
  unsigned order[kMaxSymbols];
  uint64_t weight[4 * kMaxSymbols];
  // Limits above kMaxCodeBits (not a legal table) take the allocating version.
  const unsigned max_bits = o.max_code_bits;
  uint8_t is_leaf[2 * kMaxSymbols * kMaxCodeBits];
  const CodeLengthWork work{order, weight, is_leaf};
  for (unsigned option = 0; option < 4; ++option) {
    const bool two = option >= 2, rep = option % 2 == 1;
    if ((two && !o.contexts) || (rep && !o.rep)) continue;
    CodeTable cand = t;
    cand.two = two;
    uint64_t bits = table_bits(cand);
    for (unsigned k = 0; k < cand.codes(); ++k) {
      uint64_t hist[kMaxSymbols] = {};
      for (unsigned ctx = 0; ctx < 2; ++ctx) {
        if (two && ctx != k) continue;
        const uint64_t* h = rep ? with_rep[ctx] : without_rep[ctx];
        for (unsigned s = 0; s < t.symbols(); ++s) hist[s] += h[s];
      }
      // Version 3: one more ESC in every code, so that every table can code any exponent
      // (a tensor may use the table of another, Spec: "Shared tables").
      if (c.version == 3) ++hist[kSymEsc];
      unsigned len[kMaxSymbols];
      if (max_bits <= kMaxCodeBits) {
        detail::limited_code_lengths(hist, t.symbols(), max_bits, len, work);
      } else {
        const std::vector<unsigned> l =
            sfp::limited_code_lengths(std::vector<uint64_t>(hist, hist + t.symbols()), max_bits);
        std::copy(l.begin(), l.end(), len);
      }
      for (unsigned s = 0; s < t.symbols(); ++s) {
        cand.lengths[k][s] = static_cast<uint8_t>(len[s]);
        bits += hist[s] * len[s];
        if (s == kSymEsc) bits += hist[s] * (esc_bits + plane);
        if (s >= kSymDist0) bits += hist[s] * plane;
      }
    }
    if (bits < best) {
      best = bits;
      t = cand;
    }
  }
  return t;
}

uint64_t coded_cost(const Config& c, const CodeTable& t, const TensorCounts& counts) {
  const FpFormat f = fp_format(c.fp);
  bool any = false;
  for (unsigned ctx = 0; ctx < 2; ++ctx) {
    for (unsigned e = 0; e < 256; ++e) any = any || counts.without[ctx][e] != 0;
  }
  if (any && t.sign == SignMode::kPositive && counts.sign_or) return kCannotCode;
  if (any && t.sign == SignMode::kNegative && !counts.sign_and) return kCannotCode;
  const uint64_t plane = (t.sign == SignMode::kMixed ? 1 : 0) + c.man_bits;
  const uint64_t esc_bits = kEscExpBits + (c.man_bits == 0 ? 1 : 0);
  uint64_t bits = 0;
  for (unsigned ctx = 0; ctx < 2; ++ctx) {
    const uint8_t* len = t.code(ctx == 1);
    const bool rep = len[kSymRep] != 0;
    const uint64_t* h = rep ? counts.with[ctx] : counts.without[ctx];
    for (unsigned e = 0; e < 256; ++e) {
      if (!h[e]) continue;
      const unsigned s = coded_symbol(t, len, e, f.exp_max());
      if (!len[s]) return kCannotCode;
      bits += h[e] * (len[s] + plane + (s == kSymEsc ? esc_bits : 0));
    }
    if (h[256]) {
      if (!len[kSymZero]) return kCannotCode;
      bits += h[256] * len[kSymZero];
    }
    if (rep) bits += h[257] * len[kSymRep];
  }
  return bits;
}

}  // namespace detail

// ---- Chunks ------------------------------------------------------------------------------

namespace {

// Raw chunk: every value as sign, exponent, top max(m, 1) mantissa bits.
ChunkV2 encode_raw(const Config& c, const uint32_t* q, size_t n) {
  const FpFormat f = fp_format(c.fp);
  const unsigned mm = std::max(c.man_bits, 1u), drop = f.man_bits - mm;
  const uint64_t bits = uint64_t{n} * raw_value_bits(c);
  ChunkV2 out;
  out.raw = true;
  out.bytes.assign((bits + kV2WordBits - 1) / kV2WordBits * kWordBytes + 8, 0);
  BitWriter bw(out.bytes.data());
  for (size_t i = 0; i < n; ++i) {
    const Fields x = split(q[i], c.fp);
    bw.put(x.sign | (x.exp << 1) | (uint64_t{x.man >> drop} << (1 + kExpBits)), 9 + mm);
  }
  out.bytes.resize(bw.finish(kWordBytes));
  out.bits.sign = n;
  out.bits.delta = uint64_t{n} * kExpBits;
  out.bits.mantissa = uint64_t{n} * mm;
  out.bits.pad = out.bytes.size() * 8 - bits;
  return out;
}

uint32_t chunk_crc(bool raw, const uint8_t* data, size_t size) {
  const uint8_t mode = raw ? 1 : 0;
  return crc32c(data, size, crc32c(&mode, 1));
}

}  // namespace

ChunkV2 encode_chunk_v2(const Config& c, const CodeTable& t, const uint32_t* q, size_t n) {
  const FpFormat f = fp_format(c.fp);
  const detail::Canonical codes[2] = {{t, false, c.man_bits}, {t, true, c.man_bits}};
  const unsigned lanes = chunk_lanes(c.group, n), m = c.man_bits, drop = f.man_bits - m;
  const unsigned s_bits = t.sign == SignMode::kMixed ? 1 : 0;
  const size_t rows = (n + lanes - 1) / lanes;
  // Symbol of each exponent when the value is coded (a distance or ESC), per code.
  uint8_t exp_sym[2][256];
  for (unsigned k = 0; k < 2; ++k) {
    const uint8_t* len = t.code(k == 1);
    for (unsigned e = 0; e < 256; ++e) {
      const bool dist =
          e != f.exp_max() && e <= t.base && t.base - e < t.dist && len[kSymDist0 + t.base - e];
      exp_sym[k][e] = static_cast<uint8_t>(dist ? kSymDist0 + t.base - e : kSymEsc);
    }
  }
  const uint8_t* lengths[2] = {t.code(false), t.code(true)};
  uint32_t plane_mask[kMaxSymbols];
  for (unsigned s = 0; s < kMaxSymbols; ++s) plane_mask[s] = s >= kSymEsc ? ~0u : 0u;
  const unsigned pwidth = s_bits + m;

  // Pass 1, value order: each value's symbol (its lane's code follows the symbol L values
  // earlier), the plane entries, and the bit accounting in registers.
  std::vector<uint8_t> sym(n);
  std::vector<uint8_t> plane(((uint64_t{n} * pwidth + 7) / 8) + 16);
  BitWriter pw(plane.data());
  uint64_t zero_bits = 0, rep_bits = 0, code_bits = 0, coded = 0, escapes = 0;
  bool encodable = true;  // false if a value needs a symbol its lane's code lacks
  for (size_t i = 0; i < n; ++i) {
    const uint32_t v = q[i];
    const Fields x = split(v, c.fp);
    const unsigned ctx = i < lanes || sym[i - lanes] == kSymZero ? 1 : 0;
    const uint8_t* len_of = lengths[ctx];
    unsigned s = exp_sym[ctx][x.exp];
    s = i >= 1 && q[i - 1] == v && len_of[kSymRep] ? kSymRep : s;
    s = v == 0 ? kSymZero : s;
    sym[i] = static_cast<uint8_t>(s);
    const unsigned len = len_of[s];
    const uint32_t take = plane_mask[s];
    encodable &= len != 0;
    zero_bits += s == kSymZero ? len : 0;
    rep_bits += s == kSymRep ? len : 0;
    code_bits += len & take;
    coded += take & 1u;
    escapes += s == kSymEsc ? 1 : 0;
    pw.put(((x.sign & s_bits) | (uint64_t{x.man >> drop} << s_bits)) & take, pwidth & take);
  }
  if (!encodable) return encode_raw(c, q, n);
  ChunkV2 out;
  BitCounts& b = out.bits;
  b.zero = zero_bits;
  b.repeat = rep_bits;
  b.delta = code_bits + escapes * kEscExpBits;
  b.sign = coded * s_bits;
  b.mantissa = coded * m + (m == 0 ? escapes : 0);

  // Pass 2, lane by lane: the lane's bits, and the steps at which the refill rule gives it a
  // word (Spec: "Refill rule"): bit l of refills[r] is set when lane l takes a word in step r.
  const size_t lane_cap = (rows * (kMaxCodeBits + kEscExpBits + 1) + 7) / 8 + 16;
  std::vector<uint8_t> lane_buf(lane_cap * lanes, 0);
  std::vector<uint64_t> lane_bits(lanes);
  std::vector<uint32_t> refills(rows, 0);
  for (unsigned l = 0; l < lanes; ++l) {
    BitWriter lw(lane_buf.data() + l * lane_cap);
    unsigned fill = 0, ctx = 1;
    for (size_t r = 0, i = l; i < n; ++r, i += lanes) {
      if (fill < kRefill) {
        refills[r] |= 1u << l;
        fill += kV2WordBits;
      }
      const unsigned s = sym[i];
      const detail::Canonical& code = codes[ctx];
      lw.put(code.rev[s], lengths[ctx][s]);
      fill -= code.lane_bits[s];
      if (s == kSymEsc) {  // rare
        const Fields x = split(q[i], c.fp);
        lw.put(x.exp | (m == 0 ? uint64_t{x.man >> (f.man_bits - 1)} << kEscExpBits : 0),
               kEscExpBits + (m == 0 ? 1 : 0));
      }
      ctx = s == kSymZero ? 1 : 0;
    }
    lane_bits[l] = lw.bits();
  }

  // Pass 3: words in the order the decoder takes them; trailing words that hold no lane bit are
  // left out (the decoder reads zeros past the last lane word).
  std::vector<uint32_t> words;
  words.reserve(n / 4 + lanes);
  std::vector<uint32_t> taken(lanes, 0);
  size_t keep = 0;
  for (size_t r = 0; r < rows; ++r) {
    for (uint32_t mask = refills[r]; mask; mask &= mask - 1) {
      const unsigned l = static_cast<unsigned>(__builtin_ctz(mask));
      const uint32_t k = taken[l]++;
      uint32_t w = 0;
      if (uint64_t{k} * kV2WordBits < lane_bits[l]) {
        std::memcpy(&w, lane_buf.data() + l * lane_cap + k * kWordBytes, kWordBytes);
        keep = words.size() + 1;
      }
      words.push_back(w);
    }
  }
  words.resize(keep);
  const size_t plane_bytes = pw.finish(kWordBytes);
  const size_t coded_bytes = kWordBytes * (1 + words.size()) + plane_bytes;
  const uint64_t raw_bits = uint64_t{n} * raw_value_bits(c);
  const size_t raw_bytes = (raw_bits + kV2WordBits - 1) / kV2WordBits * kWordBytes;
  if (raw_bytes < coded_bytes) return encode_raw(c, q, n);
  out.bytes.resize(coded_bytes);
  const uint32_t lane_words = static_cast<uint32_t>(words.size());
  std::memcpy(out.bytes.data(), &lane_words, kWordBytes);
  if (!words.empty()) std::memcpy(out.bytes.data() + kWordBytes, words.data(), words.size() * 4);
  std::memcpy(out.bytes.data() + kWordBytes * (1 + words.size()), plane.data(), plane_bytes);
  b.header = kV2WordBits;
  b.pad = coded_bytes * 8 - (b.header + b.zero + b.repeat + b.delta + b.sign + b.mantissa);
  return out;
}

Status decode_chunk_v2(const Config& c, const CodeTable& t, uint64_t n, bool raw, uint32_t crc,
                       const uint8_t* data, size_t words, uint32_t* out) {
  std::fill(out, out + n, 0u);
  const size_t bytes = words * kWordBytes;
  if (chunk_crc(raw, data, bytes) != crc) return Status::kCrc;
  const FpFormat f = fp_format(c.fp);
  const unsigned m = c.man_bits;
  Status st = Status::kOk;
  if (raw) {
    const unsigned mm = std::max(m, 1u), drop = f.man_bits - mm;
    const uint64_t bits = n * raw_value_bits(c);
    if (bits > uint64_t{bytes} * 8) return Status::kTruncated;
    if ((bits + kV2WordBits - 1) / kV2WordBits < words) return Status::kLength;
    BitReader br(data, bytes);
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t v = br.get(9 + mm);
      const uint32_t exp = (v >> 1) & 0xFFu;
      if (m == 0 && exp != f.exp_max() && (v >> 9)) {  // only a NaN keeps a mantissa bit
        std::fill(out, out + n, 0u);
        return Status::kBadCode;
      }
      out[i] = merge({v & 1u, exp, (v >> 9) << drop}, c.fp);
    }
    const uint64_t end = (bits + kV2WordBits - 1) / kV2WordBits * kV2WordBits;
    while (br.pos() < end) {
      const unsigned take = static_cast<unsigned>(std::min<uint64_t>(32, end - br.pos()));
      if (br.get(take)) st = Status::kBadPadding;
    }
    if (st != Status::kOk) std::fill(out, out + n, 0u);
    return st;
  }
  if (words < 1) return Status::kTruncated;
  uint32_t lane_words;
  std::memcpy(&lane_words, data, kWordBytes);
  if (uint64_t{lane_words} + 1 > words) return Status::kTruncated;
  const uint8_t* lane_data = data + kWordBytes;
  const uint8_t* plane = lane_data + uint64_t{lane_words} * kWordBytes;
  const size_t plane_bytes = (words - 1 - lane_words) * kWordBytes;
  const detail::Canonical codes[2] = {{t, false, m}, {t, true, m}};
  const unsigned lanes = chunk_lanes(c.group, n), drop = f.man_bits - m;
  const unsigned s_bits = t.sign == SignMode::kMixed ? 1 : 0;
  const uint32_t fixed_sign = t.sign == SignMode::kNegative ? 1 : 0;
  // Per symbol: what it decodes to before the plane entry (sign and exponent fields), and its
  // kind. Distances beyond the base are errors.
  enum : uint8_t { kZero, kRep, kDist, kEsc, kBad };  // rare kinds last: one branch
  uint8_t kind[kMaxSymbols];
  uint32_t head[kMaxSymbols] = {};
  const unsigned top = f.width() - 1;
  for (unsigned s = 0; s < kMaxSymbols; ++s) {
    kind[s] = s == kSymZero ? kZero : s == kSymRep ? kRep : s == kSymEsc ? kEsc : kDist;
    if (kind[s] == kDist) {
      const unsigned d = s - kSymDist0;
      if (d > t.base) {
        kind[s] = kBad;
      } else {
        head[s] = (fixed_sign << top) | ((t.base - d) << f.man_bits);
      }
    }
  }
  const unsigned pw = s_bits + m;
  const uint32_t pmask = (1u << pw) - 1;
  const uint64_t pbits = uint64_t{plane_bytes} * 8;
  // Padded copies, so the loop reads whole words without bounds checks: lane words past N read
  // as zero (the refill rule), and a lane reads at most 21 bits per value, so the lanes take at
  // most (21 n + 63 L) / 32 + 1 words however hostile the chunk.
  const uint64_t max_taken = n * (kMaxCodeBits + kEscExpBits + 1) / kV2WordBits + 2 * lanes + 2;
  std::vector<uint32_t> lane_copy(std::max<uint64_t>(lane_words, max_taken) + 1, 0u);
  if (lane_words) std::memcpy(lane_copy.data(), lane_data, uint64_t{lane_words} * kWordBytes);
  // A step reads at most L entries of at most 24 bits past the end before the check after it.
  std::vector<uint8_t> plane_copy(plane_bytes + 3 * lanes + 16, 0);
  if (plane_bytes) std::memcpy(plane_copy.data(), plane, plane_bytes);
  uint32_t has_plane[kMaxSymbols];
  for (unsigned s = 0; s < kMaxSymbols; ++s) has_plane[s] = (kind[s] >= kDist && pw) ? ~0u : 0u;
  uint64_t ppos = 0;
  uint64_t buf[32] = {};
  unsigned fill[32] = {};
  unsigned ctx[32];  // the lane's previous value is +0
  std::fill(ctx, ctx + 32, 1u);
  uint64_t next = 0;  // lane words taken
  uint32_t last = 0;  // the chunk's previous value, which REP repeats
  for (uint64_t row = 0; row * lanes < n && st == Status::kOk; ++row) {
    const uint64_t first = row * lanes;
    const unsigned count = static_cast<unsigned>(std::min<uint64_t>(lanes, n - first));
    uint32_t* o = out + first;
    // Pass 1: the lanes' codewords (independent of each other, as in hardware).
    uint8_t syms[32];
    uint32_t vals[32];
    for (unsigned l = 0; l < count; ++l) {
      // Refill without a branch: the word is added only when fill < 32.
      const uint32_t need = fill[l] < kRefill ? 1u : 0u;
      const uint64_t w = lane_copy[next] & (0u - need);
      next += need;
      uint64_t b = buf[l] | (w << fill[l]);
      unsigned f_l = fill[l] + (kV2WordBits & (0u - need));
      const uint16_t e = codes[ctx[l]].lut[b & ((1u << kMaxCodeBits) - 1)];
      const unsigned len = e >> 8, sym = e & 0xFFu;
      if (!len) {
        st = Status::kBadCode;
        break;
      }
      b >>= len;
      f_l -= len;
      ctx[l] = sym == kSymZero ? 1u : 0u;
      uint32_t v = head[sym];
      const uint8_t k = kind[sym];
      if (k >= kEsc) {  // rare: escapes and distances beyond the base
        if (k == kBad) {
          st = Status::kExpRange;
          break;
        }
        const uint32_t exp = static_cast<uint32_t>(b & 0xFFu);
        v = (fixed_sign << top) | (exp << f.man_bits);
        b >>= kEscExpBits;
        f_l -= kEscExpBits;
        if (m == 0) {
          const uint32_t quiet = static_cast<uint32_t>(b & 1u);
          if (quiet && exp != f.exp_max()) {  // only a NaN keeps a mantissa bit at m = 0
            st = Status::kBadCode;
            break;
          }
          v |= quiet << (f.man_bits - 1);
          b >>= 1;
          f_l -= 1;
        }
      }
      buf[l] = b;
      fill[l] = f_l;
      syms[l] = static_cast<uint8_t>(sym);
      vals[l] = v;
    }
    if (st != Status::kOk) break;
    // Pass 2: plane entries at a running position (an add per value), REP copies.
    for (unsigned l = 0; l < count; ++l) {
      const unsigned sym = syms[l];
      uint64_t pword;
      std::memcpy(&pword, plane_copy.data() + (ppos >> 3), 8);
      const uint32_t p = static_cast<uint32_t>(pword >> (ppos & 7)) & pmask;
      const uint32_t take = has_plane[sym];
      ppos += pw & take;
      const uint32_t v = vals[l] | ((((p >> s_bits) << drop) | ((p & s_bits) << top)) & take);
      last = kind[sym] == kRep ? last : v;
      o[l] = last;
    }
    if (ppos > pbits) st = Status::kTruncated;
  }
  if (st == Status::kOk) {
    for (unsigned l = 0; l < lanes; ++l) {
      if (buf[l]) st = Status::kBadPadding;
    }
  }
  if (st == Status::kOk && next < lane_words) st = Status::kLength;
  if (st == Status::kOk) {
    BitReader pr(plane, plane_bytes);
    while (pr.pos() < ppos) pr.get(static_cast<unsigned>(std::min<uint64_t>(32, ppos - pr.pos())));
    const uint64_t end = (ppos + kV2WordBits - 1) / kV2WordBits * kV2WordBits;
    while (pr.pos() < end) {
      const unsigned take = static_cast<unsigned>(std::min<uint64_t>(32, end - pr.pos()));
      if (pr.get(take)) st = Status::kBadPadding;
    }
    if (st == Status::kOk && end < uint64_t{plane_bytes} * 8) st = Status::kLength;
  }
  if (st != Status::kOk) std::fill(out, out + n, 0u);
  return st;
}

// ---- Tensors -----------------------------------------------------------------------------

namespace detail {

const uint32_t* quantized_values(const Config& c, const uint32_t* values, size_t n,
                                 std::vector<uint32_t>* buf) {
  if (c.man_bits == fp_format(c.fp).man_bits) return values;
  buf->resize(n);
  quantize(values, buf->data(), n, c.fp, c.man_bits, c.rounding);
  return buf->data();
}

const uint32_t* quantized_chunk(const Config& c, const uint32_t* values, size_t n) {
  if (c.man_bits == fp_format(c.fp).man_bits) return values;
  thread_local std::vector<uint32_t> buf;
  if (buf.size() < n) buf.resize(n);
  quantize(values, buf.data(), n, c.fp, c.man_bits, c.rounding);
  return buf.data();
}

uint64_t max_chunk_words_v2(const Config& c, uint64_t values) {
  return (values * raw_value_bits(c) + kV2WordBits - 1) / kV2WordBits;
}

unsigned index_entry_bits_v2(const Config& c) {
  return bit_width(max_chunk_words_v2(c, c.chunk)) + 1;
}

Status encode_v2(const Config& c, const uint32_t* values, size_t n, Encoded* out, unsigned threads,
                 const TableOptions& options) {
  Encoded e;
  e.config = c;
  e.values = n;
  std::vector<uint32_t> qbuf;
  const uint32_t* q = quantized_values(c, values, n, &qbuf);
  e.table = build_table_threads(c, q, n, options, threads);
  const uint64_t k = chunk_count(c, n);
  std::vector<ChunkV2> chunks(k);
  parallel_for(k, threads, [&](uint64_t i) {
    const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, n - first);
    chunks[i] = encode_chunk_v2(c, e.table, q + first, len);
    chunks[i].crc = chunk_crc(chunks[i].raw, chunks[i].bytes.data(), chunks[i].bytes.size());
  });
  size_t total = 0;
  for (const ChunkV2& ch : chunks) total += ch.bytes.size();
  e.payload.reserve(total);
  e.chunk_words.reserve(k);
  e.chunk_raw.reserve(k);
  e.chunk_crc.reserve(k);
  for (const ChunkV2& ch : chunks) {
    e.payload.insert(e.payload.end(), ch.bytes.begin(), ch.bytes.end());
    e.chunk_words.push_back(static_cast<uint32_t>(ch.bytes.size() / kWordBytes));
    e.chunk_raw.push_back(ch.raw ? 1 : 0);
    e.chunk_crc.push_back(ch.crc);
    e.bits += ch.bits;
  }
  e.bits.table = table_bits(e.table);
  e.bits.index = k * index_entry_bits_v2(c);
  e.bits.crc = k * 32;
  *out = std::move(e);
  return Status::kOk;
}

Status decode_v2(const Encoded& e, uint32_t* out, unsigned threads) {
  const Config& c = e.config;
  const uint64_t k = chunk_count(c, e.values);
  if (e.chunk_words.size() != k || e.chunk_raw.size() != k || e.chunk_crc.size() != k) {
    return Status::kBadIndex;
  }
  if (check_table(e.table) != Status::kOk) return Status::kBadTable;
  const uint64_t max_words = max_chunk_words_v2(c, c.chunk);
  std::vector<uint64_t> at(k + 1, 0);
  for (uint64_t i = 0; i < k; ++i) {
    const uint32_t w = e.chunk_words[i];
    if (w == 0 || w > max_words || e.chunk_raw[i] > 1) return Status::kBadIndex;
    at[i + 1] = at[i] + w;
  }
  if (at[k] * kWordBytes != e.payload.size()) return Status::kBadIndex;
  std::vector<Status> status(k, Status::kOk);
  parallel_for(k, threads, [&](uint64_t i) {
    const uint64_t first = i * c.chunk, len = std::min<uint64_t>(c.chunk, e.values - first);
    status[i] =
        decode_chunk_v2(c, e.table, len, e.chunk_raw[i] != 0, e.chunk_crc[i],
                        e.payload.data() + at[i] * kWordBytes, e.chunk_words[i], out + first);
  });
  for (Status s : status) {
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

}  // namespace detail

Status encode_candidate(const Config& c, const TableOptions& o, const uint32_t* values, size_t n,
                        Encoded* out) {
  *out = Encoded{};
  if (validate(c) != Status::kOk || c.version != 2 || o.max_code_bits < 1 ||
      o.max_code_bits > kMaxCodeBits) {
    return Status::kBadConfig;
  }
  return detail::encode_v2(c, values, n, out, 1, o);
}

}  // namespace sfp
