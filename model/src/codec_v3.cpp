// SPDX-License-Identifier: Apache-2.0
//
// Format version 3: the version 2 code with sign and mantissa inline in the lanes, 32-bit lane
// words handed out by the refill rule (up to two before a value) with expiry, and no header,
// plane or raw mode, so that an encoder emits every word once, in order, holding at most
// V3WindowWords - 1 words.
// Spec: docs/format.md, "Version 3".
// The encoder below is that one-pass encoder: it takes the chunk a step at a time, emits each
// word as soon as it and every word before it are complete, and records how many it held.
// ("Unit" in the code is a lane word of V3WordBits.)
#include <algorithm>
#include <cstring>

#include "bit_io.hpp"
#include "codec_v2.hpp"
#include "codec_v3_fast.hpp"
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
constexpr unsigned kMaxRefills = kV3MaxRefillWords;
// A lane's words not yet wholly read: at most ceil((kRefill - 1 + 2 words) / word).
constexpr unsigned kPending = 4;

static_assert(kV3MaxValueBits == kMaxCodeBits + kEscExpBits + 1 + kManBitsFp32,
              "codeword, escaped exponent, sign and mantissa");
static_assert(kV3MaxValueBits <= kRefill, "a refilled lane holds a whole value");
static_assert(kRefill <= kMaxRefills * kUnit, "two words refill an empty lane");
static_assert(kRefill - 1 + kMaxRefills * kUnit <= kV3LaneBufferBits, "the lane buffer");
static_assert((kRefill - 1 + kMaxRefills * kUnit + kUnit - 1) / kUnit <= kPending, "pending");

// What the lane bits of one value are, per symbol, for both codes (Spec: "Version 3 lane
// bits"): the codeword, then for ESC the exponent (and at m = 0 the quiet bit), then for a
// distance or ESC the sign (when the table's sign is mixed) and m mantissa bits.
struct ValueCode {
  ValueCode(const Config& c, const CodeTable& t)
      : codes{{t, false, c.man_bits}, {t, true, c.man_bits}} {
    const FpFormat f = fp_format(c.fp);
    m = c.man_bits;
    drop = f.man_bits - m;
    s_bits = t.sign == SignMode::kMixed ? 1 : 0;
    fixed_sign = t.sign == SignMode::kNegative ? 1 : 0;
    entry = s_bits + m;
    top = f.width() - 1;
    man_bits = f.man_bits;
    exp_max = f.exp_max();
    for (unsigned k = 0; k < 2; ++k) {
      const uint8_t* len = t.code(k == 1);
      for (unsigned e = 0; e < 256; ++e) {
        const bool dist =
            e != exp_max && e <= t.base && t.base - e < t.dist && len[kSymDist0 + t.base - e];
        exp_sym[k][e] = static_cast<uint8_t>(dist ? kSymDist0 + t.base - e : kSymEsc);
      }
    }
  }
  detail::Canonical codes[2];
  uint8_t exp_sym[2][256];
  unsigned m, drop, s_bits, fixed_sign, entry, top, man_bits, exp_max;
};

uint32_t unit_crc(const uint8_t* data, size_t size, uint32_t crc) {
  return crc32c(data, size, crc);
}

}  // namespace

uint64_t min_chunk_units_v3(const Config& c, uint64_t values) {
  const unsigned lanes = chunk_lanes(c, values);
  uint64_t units = 0;
  for (unsigned l = 0; l < lanes && l < values; ++l) {
    const uint64_t lane_values = (values - l + lanes - 1) / lanes;
    units += (lane_values + kUnit - 1) / kUnit;
  }
  return units;
}

uint64_t max_chunk_units_v3(const Config& c, uint64_t values) {
  (void)c;
  return kMaxRefills * values;
}

// ---- Encoder -----------------------------------------------------------------------------

Status encode_chunk_v3(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                       ChunkV3* out) {
  *out = ChunkV3{};
  const ValueCode vc(c, t);
  const unsigned lanes = chunk_lanes(c, n);
  const uint8_t* lengths[2] = {t.code(false), t.code(true)};

  // Lane state, as the decoder keeps it: bits written (the decoder's bits consumed), words
  // taken, the slots of the last kPending words taken, the code context.
  struct Lane {
    uint64_t pos = 0, taken = 0;
    uint64_t slot[kPending] = {};  // slot of word k at slot[k % kPending], k >= taken - kPending
    unsigned ctx = 1;
  } lane[kMaxLanes];
  // The reserved units not yet emitted, by slot modulo the window: content, lane, number
  // within the lane, complete.
  uint64_t unit[kWindow] = {};
  uint8_t owner[kWindow] = {};
  uint64_t index[kWindow] = {};
  bool done[kWindow] = {};
  uint64_t next = 0, emitted = 0;
  std::vector<uint8_t>& bytes = out->bytes;
  bytes.reserve(n);
  uint32_t crc = 0;
  BitCounts& b = out->bits;

  const auto slot_of = [&](const Lane& ln, uint64_t k) { return ln.slot[k % kPending]; };
  // Marks lane l's units that end at or before its position complete.
  const auto complete_upto = [&](unsigned l) {
    Lane& ln = lane[l];
    const uint64_t first = ln.taken >= kPending ? ln.taken - kPending : 0;
    for (uint64_t k = first; k < ln.taken; ++k) {
      if ((k + 1) * kUnit <= ln.pos) done[slot_of(ln, k) % kWindow] = true;
    }
  };
  const auto emit_ready = [&] {
    while (emitted < next && done[emitted % kWindow]) {
      const unsigned at = emitted % kWindow;
      uint8_t raw[kUnitBytes];
      const uint32_t word = static_cast<uint32_t>(unit[at]);
      std::memcpy(raw, &word, kUnitBytes);
      bytes.insert(bytes.end(), raw, raw + kUnitBytes);
      crc = unit_crc(raw, kUnitBytes, crc);
      unit[at] = 0;
      done[at] = false;
      ++emitted;
    }
  };
  // Writes the low n bits of v at lane l's position, into its reserved units.
  const auto write = [&](unsigned l, uint64_t v, unsigned nbits) {
    Lane& ln = lane[l];
    while (nbits) {
      const uint64_t k = ln.pos / kUnit;
      const unsigned off = static_cast<unsigned>(ln.pos % kUnit);
      const unsigned take = std::min(nbits, kUnit - off);
      const uint64_t part = v & ((uint64_t{1} << take) - 1);
      unit[slot_of(ln, k) % kWindow] |= part << off;
      v >>= take;
      nbits -= take;
      ln.pos += take;
    }
  };

  uint32_t prev = 0;
  const size_t rows = (n + lanes - 1) / lanes;
  for (size_t r = 0; r < rows; ++r) {
    const size_t first = r * lanes;
    const unsigned count = static_cast<unsigned>(std::min<size_t>(lanes, n - first));
    // Expiry (Spec: "Version 3 refill rule"): a word whose slot is V3WindowWords or more below
    // next + 2 L_c at the start of the step is closed; the lane's bits up to its end are zero.
    const uint64_t horizon = next + kMaxRefills * lanes;
    for (unsigned l = 0; l < count; ++l) {
      Lane& ln = lane[l];
      for (uint64_t k = ln.taken; k-- > (ln.taken >= kPending ? ln.taken - kPending : 0);) {
        if (slot_of(ln, k) + kWindow > horizon) continue;
        if (ln.pos < (k + 1) * kUnit) {
          ++out->expired_units;
          out->expired_bits += (k + 1) * kUnit - ln.pos;
          ln.pos = (k + 1) * kUnit;
          complete_upto(l);
        }
        break;
      }
    }
    emit_ready();
    for (unsigned l = 0; l < count; ++l) {
      Lane& ln = lane[l];
      // Refill: while the lane holds fewer than V3LaneRefillBits, it takes the next slot.
      for (unsigned r = 0; r < kMaxRefills && ln.taken * kUnit - ln.pos < kRefill; ++r) {
        const unsigned at = next % kWindow;
        unit[at] = 0;
        owner[at] = static_cast<uint8_t>(l);
        index[at] = ln.taken;
        done[at] = false;
        ln.slot[ln.taken % kPending] = next;
        ++ln.taken;
        ++next;
      }
      const uint32_t x = q[first + l];
      const Fields fx = split(x, c.fp);
      const uint8_t* len_of = lengths[ln.ctx];
      unsigned s = vc.exp_sym[ln.ctx][fx.exp];
      s = first + l >= 1 && prev == x && len_of[kSymRep] ? kSymRep : s;
      s = x == 0 ? kSymZero : s;
      if (!len_of[s]) {
        *out = ChunkV3{};
        return Status::kBadTable;
      }
      if (s >= kSymEsc && fx.sign != vc.fixed_sign && !vc.s_bits) {
        *out = ChunkV3{};
        return Status::kBadTable;  // the table's sign does not fit the value
      }
      const detail::Canonical& code = vc.codes[ln.ctx];
      write(l, code.rev[s], len_of[s]);
      switch (s) {
        case kSymZero:
          b.zero += len_of[s];
          break;
        case kSymRep:
          b.repeat += len_of[s];
          break;
        default:
          b.delta += len_of[s];
      }
      if (s == kSymEsc) {
        write(l, fx.exp, kEscExpBits);
        b.delta += kEscExpBits;
        if (vc.m == 0) {
          write(l, fx.man >> (vc.man_bits - 1), 1);
          b.mantissa += 1;
        }
      }
      if (s >= kSymEsc && vc.entry) {
        write(l, (fx.sign & vc.s_bits) | (uint64_t{fx.man >> vc.drop} << vc.s_bits), vc.entry);
        b.sign += vc.s_bits;
        b.mantissa += vc.m;
      }
      ln.ctx = s == kSymZero ? 1 : 0;
      prev = x;
      complete_upto(l);
    }
    emit_ready();
    out->held_units = std::max(out->held_units, next - emitted);
  }
  // The chunk's end: trailing units of the order that lie wholly beyond their lane's bits are
  // left out; every other unit is emitted, its unwritten bits zero.
  uint64_t keep = next;
  while (keep > emitted) {
    const unsigned at = (keep - 1) % kWindow;
    if (index[at] * kUnit < lane[owner[at]].pos) break;
    --keep;
  }
  for (uint64_t s = emitted; s < keep; ++s) done[s % kWindow] = true;
  next = keep;
  emit_ready();
  b.pad = bytes.size() * 8 - (b.zero + b.repeat + b.delta + b.sign + b.mantissa);
  out->crc = crc;
  return Status::kOk;
}

// ---- Decoder -----------------------------------------------------------------------------

Status decode_chunk_v3(const Config& c, const CodeTable& t, uint64_t n, uint32_t crc,
                       const uint8_t* data, size_t units, uint32_t* out) {
  std::fill(out, out + n, 0u);
  if (units < min_chunk_units_v3(c, n) || units > max_chunk_units_v3(c, n)) {
    return Status::kBadIndex;
  }
  if (crc32c(data, units * kUnitBytes, 0) != crc) return Status::kCrc;
  const ValueCode vc(c, t);
  const unsigned lanes = chunk_lanes(c, n);
  // Per symbol: sign and exponent before the lane's entry, and its kind (rare kinds last).
  enum : uint8_t { kZero, kRep, kDist, kEsc, kBad };
  uint8_t kind[kMaxSymbols];
  uint32_t head[kMaxSymbols] = {};
  for (unsigned s = 0; s < kMaxSymbols; ++s) {
    kind[s] = s == kSymZero ? kZero : s == kSymRep ? kRep : s == kSymEsc ? kEsc : kDist;
    if (kind[s] == kDist) {
      const unsigned d = s - kSymDist0;
      // A distance beyond the base, or to exponent 255 (which is always escaped), is exp_range.
      if (d > t.base || t.base - d == vc.exp_max) {
        kind[s] = kBad;
      } else {
        head[s] = (vc.fixed_sign << vc.top) | ((t.base - d) << vc.man_bits);
      }
    }
  }
  struct Lane {
    u128 buf = 0;
    unsigned fill = 0;
    uint64_t pos = 0, taken = 0;
    uint64_t slot[kPending] = {};
    unsigned ctx = 1;
    uint64_t first_past = ~uint64_t{0};  // the lane's first unit taken past the stream's end
  } lane[kMaxLanes];
  uint64_t next = 0;
  unsigned last_lane = 0;  // the lane and number of the unit at slot units - 1
  uint64_t last_index = 0;
  const uint64_t entry_mask = (uint64_t{1} << vc.entry) - 1;
  const uint8_t* codes_len[2] = {t.code(false), t.code(true)};
  uint32_t prev = 0;
  Status st = Status::kOk;
  const size_t rows = (n + lanes - 1) / lanes;
  for (size_t r = 0; r < rows && st == Status::kOk; ++r) {
    const size_t first = r * lanes;
    const unsigned count = static_cast<unsigned>(std::min<size_t>(lanes, n - first));
    const uint64_t horizon = next + kMaxRefills * lanes;
    for (unsigned l = 0; l < count; ++l) {
      Lane& ln = lane[l];
      // Expiry: skip to the end of the newest expired word; the skipped bits must be zero.
      for (uint64_t k = ln.taken; k-- > (ln.taken >= kPending ? ln.taken - kPending : 0);) {
        if (ln.slot[k % kPending] + kWindow > horizon) continue;
        const uint64_t end = (k + 1) * kUnit;
        if (ln.pos < end) {
          const unsigned skip = static_cast<unsigned>(end - ln.pos);
          const u128 mask = (u128{1} << skip) - 1;
          if (ln.buf & mask) st = Status::kBadPadding;
          ln.buf >>= skip;
          ln.fill -= skip;
          ln.pos = end;
        }
        break;
      }
      for (unsigned r = 0; r < kMaxRefills && ln.fill < kRefill; ++r) {
        uint32_t w = 0;
        if (next < units) {
          std::memcpy(&w, data + next * kUnitBytes, kUnitBytes);
          if (next + 1 == units) {
            last_lane = l;
            last_index = ln.taken;
          }
        } else if (ln.first_past == ~uint64_t{0}) {
          ln.first_past = ln.taken;
        }
        ln.buf |= u128{w} << ln.fill;
        ln.fill += kUnit;
        ln.slot[ln.taken % kPending] = next;
        ++ln.taken;
        ++next;
      }
      const uint64_t bits = static_cast<uint64_t>(ln.buf);
      const uint16_t e = vc.codes[ln.ctx].lut[bits & ((1u << kMaxCodeBits) - 1)];
      const unsigned len = e >> 8, sym = e & 0xFFu;
      if (!len) {
        st = Status::kBadCode;
        break;
      }
      unsigned used = len;
      uint32_t v = head[sym];
      const uint8_t k = kind[sym];
      if (k >= kEsc) {
        if (k == kBad) {
          st = Status::kExpRange;
          break;
        }
        const uint32_t exp = static_cast<uint32_t>(bits >> used) & 0xFFu;
        used += kEscExpBits;
        v = (vc.fixed_sign << vc.top) | (exp << vc.man_bits);
        if (vc.m == 0) {
          const uint32_t quiet = static_cast<uint32_t>(bits >> used) & 1u;
          used += 1;
          if (quiet && exp != vc.exp_max) {  // only a NaN keeps a mantissa bit at m = 0
            st = Status::kBadCode;
            break;
          }
          v |= quiet << (vc.man_bits - 1);
        }
      }
      if (k >= kDist && vc.entry) {
        const uint64_t p = (bits >> used) & entry_mask;
        used += vc.entry;
        v |= (static_cast<uint32_t>(p >> vc.s_bits) << vc.drop) |
             (static_cast<uint32_t>(p & vc.s_bits) << vc.top);
      }
      // Only the symbol the encoder rule gives the value is legal (Spec: "Version 3 decoder
      // errors"): +0 is ZERO, a repeat is REP when REP has a codeword, an exponent with a
      // distance codeword is that distance, and REP never repeats +0.
      if (k != kZero) {
        const uint8_t* len_of = codes_len[ln.ctx];
        const bool zero = k == kRep ? prev == 0 : v == 0;
        const bool repeat = k != kRep && v == prev && len_of[kSymRep];
        const bool dist =
            k == kEsc && vc.exp_sym[ln.ctx][(v >> vc.man_bits) & vc.exp_max] != kSymEsc;
        if (zero || repeat || dist) {
          st = Status::kBadCode;
          break;
        }
      }
      ln.buf >>= used;
      ln.fill -= used;
      ln.pos += used;
      ln.ctx = sym == kSymZero ? 1u : 0u;
      prev = k == kRep ? prev : k == kZero ? 0u : v;
      out[first + l] = prev;
    }
  }
  // The end: lane bits past the last value are zero, every unit was taken, the last unit holds
  // lane bits, and no unit past the end would have held any.
  if (st == Status::kOk) {
    for (unsigned l = 0; l < lanes; ++l) {
      if (lane[l].buf) st = Status::kBadPadding;
    }
  }
  if (st == Status::kOk && next < units) st = Status::kLength;
  if (st == Status::kOk && units && last_index * kUnit >= lane[last_lane].pos) st = Status::kLength;
  if (st == Status::kOk) {
    for (unsigned l = 0; l < lanes; ++l) {
      if (lane[l].first_past != ~uint64_t{0} && lane[l].first_past * kUnit < lane[l].pos) {
        st = Status::kTruncated;
      }
    }
  }
  if (st != Status::kOk) std::fill(out, out + n, 0u);
  return st;
}

// ---- Tensors -----------------------------------------------------------------------------

namespace detail {

unsigned index_entry_bits_v3(const Config& c) { return bit_width(max_chunk_units_v3(c, c.chunk)); }

Status encode_v3(const Config& c, const CodeTable* shared, const uint32_t* values, size_t n,
                 Encoded* out, unsigned threads, const TableOptions& options) {
  // Q_m is applied chunk by chunk, once as the table counts them and again as they are coded:
  // no copy of the tensor.
  Encoded e;
  e.config = c;
  e.values = n;
  e.table =
      shared ? *shared : table_from_counts(c, count_tensor(c, values, n, threads, true), options);
  const uint64_t k = chunk_count(c, n);
  e.chunk_words.reserve(k);
  e.chunk_crc.reserve(k);
  const auto add = [&e](const ChunkV3& ch, size_t bytes) {
    e.chunk_words.push_back(static_cast<uint32_t>(bytes / kUnitBytes));
    e.chunk_crc.push_back(ch.crc);
    e.bits += ch.bits;
    e.held_units = std::max(e.held_units, ch.held_units);
    e.expired_units += ch.expired_units;
  };
  if (threads <= 1 || k <= 1) {
    // One thread: each chunk's bytes go straight to the payload, room for the raw size reserved.
    e.payload.reserve(n * (fp_format(c.fp).width() / 8) + k * 16);
    ChunkV3 ch;
    for (uint64_t i = 0; i < k; ++i) {
      const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, n - first);
      const size_t at = e.payload.size();
      const Status s = encode_chunk_v3_fast_to(c, e.table, quantized_chunk(c, values + first, len),
                                               len, &ch, &e.payload);
      if (s != Status::kOk) return s;
      add(ch, e.payload.size() - at);
    }
  } else {
    std::vector<ChunkV3> chunks(k);
    std::vector<Status> status(k, Status::kOk);
    parallel_for(k, threads, [&](uint64_t i) {
      const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, n - first);
      status[i] = encode_chunk_v3_fast(c, e.table, quantized_chunk(c, values + first, len), len,
                                       &chunks[i]);
    });
    for (Status s : status) {
      if (s != Status::kOk) return s;
    }
    size_t total = 0;
    for (const ChunkV3& ch : chunks) total += ch.bytes.size();
    e.payload.reserve(total);
    for (const ChunkV3& ch : chunks) {
      e.payload.insert(e.payload.end(), ch.bytes.begin(), ch.bytes.end());
      add(ch, ch.bytes.size());
    }
  }
  e.bits.table = table_section_bits(e.table, 0);
  e.bits.index = k * index_entry_bits_v3(c);
  e.bits.crc = k * 32;
  *out = std::move(e);
  return Status::kOk;
}

Status decode_v3(const Encoded& e, uint32_t* out, unsigned threads) {
  const Config& c = e.config;
  const uint64_t k = chunk_count(c, e.values);
  if (e.chunk_words.size() != k || e.chunk_crc.size() != k) return Status::kBadIndex;
  if (check_table(e.table) != Status::kOk) return Status::kBadTable;
  std::vector<uint64_t> at(k + 1, 0);
  for (uint64_t i = 0; i < k; ++i) {
    const uint64_t first = i * c.chunk, len = std::min<uint64_t>(c.chunk, e.values - first);
    const uint32_t w = e.chunk_words[i];
    if (w < min_chunk_units_v3(c, len) || w > max_chunk_units_v3(c, len)) return Status::kBadIndex;
    at[i + 1] = at[i] + w;
  }
  if (at[k] * kUnitBytes != e.payload.size()) return Status::kBadIndex;
  std::vector<Status> status(k, Status::kOk);
  parallel_for(k, threads, [&](uint64_t i) {
    const uint64_t first = i * c.chunk, len = std::min<uint64_t>(c.chunk, e.values - first);
    status[i] =
        decode_chunk_v3_fast(c, e.table, len, e.chunk_crc[i], e.payload.data() + at[i] * kUnitBytes,
                             e.chunk_words[i], out + first);
  });
  for (Status s : status) {
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

}  // namespace detail

Status encode_with_table(const Config& c, const CodeTable& t, const uint32_t* values, size_t n,
                         Encoded* out, unsigned threads) {
  *out = Encoded{};
  if (validate(c) != Status::kOk || c.version != 3) return Status::kBadConfig;
  if (check_table(t) != Status::kOk) return Status::kBadTable;
  if (c.fp == Fp::kBf16) {
    uint32_t any = 0;  // no early exit: the loop vectorizes
    for (size_t i = 0; i < n; ++i) any |= values[i];
    if (any >> 16) return Status::kBadInput;
  }
  return detail::encode_v3(c, &t, values, n, out, threads, {});
}

}  // namespace sfp

// ---- Table sections and shared tables ------------------------------------------------------

namespace sfp {

unsigned table_section_bits(const CodeTable& t, uint32_t ref) {
  return ref ? 1 + kV3TableRefBits : 1 + table_bits(t);
}

std::vector<uint8_t> pack_table_section(const CodeTable& t, uint32_t ref) {
  if (ref) {
    const uint32_t v = 1u | (ref << 1);
    return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  }
  // The flag bit (0), then the table's fields as pack_table writes them.
  const std::vector<uint8_t> table = pack_table(t);
  std::vector<uint8_t> out((1 + table_bits(t) + 7) / 8 + 8, 0);
  detail::BitWriter bw(out.data());
  bw.put(0, 1);
  for (unsigned i = 0; i < table_bits(t); ++i) bw.put((table[i / 8] >> (i % 8)) & 1u, 1);
  out.resize(bw.finish(1));
  return out;
}

Status unpack_table_section(const uint8_t* data, size_t size, CodeTable* t, uint32_t* ref,
                            size_t* used) {
  if (size < 1) return Status::kTruncated;
  if (data[0] & 1u) {
    if (size < 2) return Status::kTruncated;
    const uint32_t v = data[0] | (uint32_t{data[1]} << 8);
    if ((v >> 1) == 0) return Status::kBadTable;  // a reference counts from 1
    *ref = v >> 1;
    *used = 2;
    return Status::kOk;
  }
  detail::BitReader br(data, size);
  br.get(1);
  CodeTable r;
  if (const Status s = detail::read_table(br, &r); s != Status::kOk) return s;
  const uint64_t bits = table_section_bits(r, 0), end = (bits + 7) / 8 * 8;
  if (end > bits && br.get(static_cast<unsigned>(end - bits)) != 0) return Status::kBadTable;
  if (br.overrun()) return Status::kTruncated;
  *t = r;
  *ref = 0;
  *used = static_cast<size_t>(end / 8);
  return Status::kOk;
}

Status encode_tensors(const std::vector<TensorInput>& in, std::vector<Encoded>* out,
                      unsigned threads) {
  out->assign(in.size(), Encoded{});
  for (const TensorInput& t : in) {
    if (validate(t.config) != Status::kOk) return Status::kBadConfig;
    if (t.config.fp == Fp::kBf16) {
      for (size_t j = 0; j < t.n; ++j) {
        if (t.values[j] >> 16) return Status::kBadInput;
      }
    }
  }
  // Other versions: each tensor alone, in order.
  std::vector<size_t> v3;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].config.version == 3) {
      v3.push_back(i);
    } else if (const Status s = encode(in[i].config, in[i].values, in[i].n, &(*out)[i], threads);
               s != Status::kOk) {
      return s;
    }
  }
  // 1. Counts and own tables, the tensors side by side.
  std::vector<detail::TensorCounts> counts(v3.size());
  std::vector<CodeTable> own(v3.size());
  detail::parallel_jobs(v3.size(), threads, [&](uint64_t j) {
    const TensorInput& t = in[v3[j]];
    std::vector<uint32_t> qbuf;
    const uint32_t* q = detail::quantized_values(t.config, t.values, t.n, &qbuf);
    counts[j] = detail::count_tensor(t.config, q, t.n, 1);
    own[j] = detail::table_from_counts(t.config, counts[j], {});
  });
  // 2. Spec: "Shared tables": the tensor's own table, then the last V3TableCandidates tables of
  // the file, oldest first; the first of the fewest bits wins. In file order.
  std::vector<CodeTable> tables;  // the file's own tables so far, numbered from 1
  std::vector<uint32_t> refs(v3.size(), 0);
  for (size_t j = 0; j < v3.size(); ++j) {
    const Config& c = in[v3[j]].config;
    uint64_t best = table_section_bits(own[j], 0) + detail::coded_cost(c, own[j], counts[j]);
    const size_t first =
        tables.size() > kV3TableCandidates ? tables.size() - kV3TableCandidates : 0;
    for (size_t k = first; k < tables.size() && k + 1 < (size_t{1} << kV3TableRefBits); ++k) {
      const uint64_t cost = detail::coded_cost(c, tables[k], counts[j]);
      if (cost == detail::kCannotCode) continue;
      if (1 + kV3TableRefBits + cost < best) {
        best = 1 + kV3TableRefBits + cost;
        refs[j] = static_cast<uint32_t>(k + 1);
      }
    }
    if (!refs[j]) tables.push_back(own[j]);
    Encoded& e = (*out)[v3[j]];
    e.config = c;
    e.values = in[v3[j]].n;
    e.table = refs[j] ? tables[refs[j] - 1] : own[j];
    e.table_ref = refs[j];
  }
  // 3. Every chunk of every tensor is a job: many small tensors use the threads as well as one
  // large tensor does. Each job quantizes its own chunk.
  std::vector<std::pair<size_t, uint64_t>> jobs;  // (index into v3, chunk)
  for (size_t j = 0; j < v3.size(); ++j) {
    const uint64_t k = chunk_count(in[v3[j]].config, in[v3[j]].n);
    for (uint64_t i = 0; i < k; ++i) jobs.push_back({j, i});
  }
  std::vector<ChunkV3> chunks(jobs.size());
  std::vector<Status> status(jobs.size(), Status::kOk);
  detail::parallel_jobs(jobs.size(), threads, [&](uint64_t job) {
    const auto [j, i] = jobs[job];
    const TensorInput& t = in[v3[j]];
    const size_t first = i * t.config.chunk, len = std::min<size_t>(t.config.chunk, t.n - first);
    std::vector<uint32_t> qbuf;
    const uint32_t* q = detail::quantized_values(t.config, t.values + first, len, &qbuf);
    status[job] = encode_chunk_v3_fast(t.config, (*out)[v3[j]].table, q, len, &chunks[job]);
  });
  for (Status s : status) {
    if (s != Status::kOk) return s;
  }
  // 4. The streams, chunks in order.
  for (size_t job = 0; job < jobs.size(); ++job) {
    Encoded& e = (*out)[v3[jobs[job].first]];
    const ChunkV3& ch = chunks[job];
    e.payload.insert(e.payload.end(), ch.bytes.begin(), ch.bytes.end());
    e.chunk_words.push_back(static_cast<uint32_t>(ch.bytes.size() / kUnitBytes));
    e.chunk_crc.push_back(ch.crc);
    e.bits += ch.bits;
    e.held_units = std::max(e.held_units, ch.held_units);
    e.expired_units += ch.expired_units;
  }
  for (size_t j = 0; j < v3.size(); ++j) {
    Encoded& e = (*out)[v3[j]];
    e.bits.table = table_section_bits(e.table, e.table_ref);
    e.bits.index = e.chunk_words.size() * detail::index_entry_bits_v3(e.config);
    e.bits.crc = e.chunk_words.size() * 32;
  }
  return Status::kOk;
}

}  // namespace sfp

// ---- A tensor stream chunk by chunk --------------------------------------------------------

namespace sfp {

ValueCounts& ValueCounts::operator+=(const ValueCounts& o) {
  for (unsigned ctx = 0; ctx < 2; ++ctx) {
    for (unsigned e = 0; e < 258; ++e) {
      with[ctx][e] += o.with[ctx][e];
      without[ctx][e] += o.without[ctx][e];
    }
  }
  sign_or |= o.sign_or;
  sign_and &= o.sign_and;
  return *this;
}

namespace {

detail::TensorCounts to_detail(const ValueCounts& v) {
  detail::TensorCounts t;
  std::memcpy(t.with, v.with, sizeof t.with);
  std::memcpy(t.without, v.without, sizeof t.without);
  t.sign_or = v.sign_or;
  t.sign_and = v.sign_and;
  return t;
}

}  // namespace

ValueCounts count_chunk_values(const Config& c, const uint32_t* values, size_t n,
                               std::vector<uint32_t>* scratch) {
  const uint32_t* q = detail::quantized_values(c, values, n, scratch);
  const detail::TensorCounts t = detail::count_tensor(c, q, n, 1);
  ValueCounts v;
  std::memcpy(v.with, t.with, sizeof v.with);
  std::memcpy(v.without, t.without, sizeof v.without);
  v.sign_or = t.sign_or;
  v.sign_and = t.sign_and;
  return v;
}

CodeTable table_for_counts(const Config& c, const ValueCounts& counts) {
  return detail::table_from_counts(c, to_detail(counts), {});
}

uint32_t shared_table_ref(const Config& c, const CodeTable& own, const ValueCounts& counts,
                          const std::vector<CodeTable>& tables) {
  // The rule of encode_tensors: own table first, then the last candidates, oldest first.
  const detail::TensorCounts t = to_detail(counts);
  uint64_t best = table_section_bits(own, 0) + detail::coded_cost(c, own, t);
  uint32_t ref = 0;
  const size_t first = tables.size() > kV3TableCandidates ? tables.size() - kV3TableCandidates : 0;
  for (size_t k = first; k < tables.size() && k + 1 < (size_t{1} << kV3TableRefBits); ++k) {
    const uint64_t cost = detail::coded_cost(c, tables[k], t);
    if (cost == detail::kCannotCode) continue;
    if (1 + kV3TableRefBits + cost < best) {
      best = 1 + kV3TableRefBits + cost;
      ref = static_cast<uint32_t>(k + 1);
    }
  }
  return ref;
}

Status encode_stream_chunk(const Config& c, const CodeTable& t, const uint32_t* values, size_t n,
                           StreamChunk* out, std::vector<uint32_t>* scratch) {
  *out = StreamChunk{};
  if (validate(c) != Status::kOk || n == 0 || n > c.chunk) return Status::kBadConfig;
  if (c.fp == Fp::kBf16) {
    for (size_t i = 0; i < n; ++i) {
      if (values[i] >> 16) return Status::kBadInput;
    }
  }
  if (c.version == 1) {
    // A one-chunk tensor is coded exactly as that chunk of a longer one.
    Encoded e;
    if (const Status s = encode(c, values, n, &e, 1); s != Status::kOk) return s;
    out->bytes = std::move(e.payload);
    out->words = e.chunk_words[0];
    out->bits = e.bits;
    out->bits.index = 0;
    return Status::kOk;
  }
  const uint32_t* q = detail::quantized_values(c, values, n, scratch);
  if (c.version == 2) {
    if (check_table(t) != Status::kOk) return Status::kBadTable;
    ChunkV2 ch = encode_chunk_v2(c, t, q, n);
    const uint8_t mode = ch.raw ? 1 : 0;
    out->crc = crc32c(ch.bytes.data(), ch.bytes.size(), crc32c(&mode, 1));
    out->raw = ch.raw;
    out->words = static_cast<uint32_t>(ch.bytes.size() / (kV2WordBits / 8));
    out->bytes = std::move(ch.bytes);
    out->bits = ch.bits;
    return Status::kOk;
  }
  ChunkV3 ch;
  if (const Status s = encode_chunk_v3_fast(c, t, q, n, &ch); s != Status::kOk) return s;
  out->crc = ch.crc;
  out->words = static_cast<uint32_t>(ch.bytes.size() / kUnitBytes);
  out->bytes = std::move(ch.bytes);
  out->bits = ch.bits;
  return Status::kOk;
}

Status decode_stream_chunk(const Config& c, const CodeTable& t, uint64_t n, bool raw, uint32_t crc,
                           const uint8_t* data, size_t words, uint32_t* out) {
  if (c.version == 3) return decode_chunk_v3_fast(c, t, n, crc, data, words, out);
  if (c.version == 2) return decode_chunk_v2(c, t, n, raw, crc, data, words, out);
  return decode_chunk(c, n, data, words, out);
}

BitCounts stream_overhead_bits(const Config& c, uint64_t chunks, const CodeTable& t, uint32_t ref) {
  BitCounts b;
  if (c.version == 1) {
    b.index = chunks * index_entry_bits(c);
    return b;
  }
  b.table = c.version == 3 ? table_section_bits(t, ref) : table_bits(t);
  b.index = chunks * (index_entry_bits(c) - 32);
  b.crc = chunks * 32;
  return b;
}

}  // namespace sfp
