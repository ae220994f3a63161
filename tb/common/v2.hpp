// SPDX-License-Identifier: Apache-2.0
//
// What the version 3 benches (tb/enc3, tb/dec3, tb/loop3) keep from format version 2: words and
// their little-endian bytes, the packed table_i input (the code table is version 2's), the
// encoder's input beats (the tensor_* stream is version 2's), word beats, the decoder's chunk
// status, and the data kinds, lengths and tensors of the stimulus.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "stimulus.hpp"

namespace sfp::tb {

// Little-endian bytes of words (the model's view of a chunk), and back.
inline std::vector<uint8_t> bytes_of(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> b;
  b.reserve(4 * words.size());
  for (uint32_t w : words) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  return b;
}
inline std::vector<uint32_t> words_of(const uint8_t* bytes, size_t words) {
  std::vector<uint32_t> w(words);
  for (size_t i = 0; i < words; ++i) {
    const uint8_t* p = bytes + 4 * i;
    w[i] = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  }
  return w;
}

// The packed table_i input (sfp_code_pkg::table_t): base [7:0], sign [9:8], dist [15:10], two [16],
// then the length of symbol s in code k at 17 + (k * 51 + s) * 4; as 32-bit limbs.
inline std::vector<uint32_t> table_limbs(const CodeTable& t) {
  std::vector<uint32_t> l((17 + 2 * kMaxSymbols * 4 + 31) / 32, 0);
  const auto put = [&](unsigned at, uint32_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i, ++at) l[at / 32] |= ((v >> i) & 1u) << (at % 32);
  };
  put(0, t.base, 8);
  put(8, static_cast<uint32_t>(t.sign), 2);
  put(10, t.dist, 6);
  put(16, t.two ? 1 : 0, 1);
  for (unsigned k = 0; k < 2; ++k) {
    for (unsigned s = 0; s < kMaxSymbols; ++s)
      put(17 + (k * kMaxSymbols + s) * 4, t.lengths[k][s], 4);
  }
  return l;
}

// Tensor lengths: tiny, around a chunk, a short last chunk (fewer lanes), several chunks.
inline size_t random_length2(std::mt19937_64& rng, const Config& params, size_t cap) {
  const size_t l = params.group, c = params.chunk;
  size_t n = 1;
  switch (rng() % 5) {
    case 0:
      n = 1 + rng() % (2 * l);
      break;
    case 1:
      n = c + rng() % 3 - 1;
      break;
    case 2:
      n = c * (1 + rng() % 2) + 1 + rng() % (32 * l);  // a short last chunk
      break;
    default:
      n = 1 + rng() % (3 * c);
  }
  return std::max<size_t>(1, std::min(n, cap));
}

// One beat of values into an encoder (the tensor_* stream with cfg_i; table_i comes from the
// tensor).
struct InBeat2 {
  std::vector<uint32_t> lanes;
  unsigned count = 0;
  bool last = false;
  uint8_t cfg = 0;
  size_t tensor = 0;
};

// The beats of a tensor of values: L lanes a beat, fewer on the last. Lanes past the count
// carry junk and cfg_i's gecko bit is random: the encoder must ignore both.
inline std::vector<InBeat2> tensor_beats2(std::mt19937_64& rng, const Config& c,
                                          const std::vector<uint32_t>& values, size_t tensor) {
  std::vector<InBeat2> out;
  for (size_t i = 0; i < values.size(); i += c.group) {
    InBeat2 b;
    b.count = static_cast<unsigned>(std::min<size_t>(c.group, values.size() - i));
    b.lanes.assign(c.group, 0);
    for (unsigned l = 0; l < b.count; ++l) b.lanes[l] = values[i + l];
    for (unsigned l = b.count; l < c.group; ++l) b.lanes[l] = static_cast<uint32_t>(rng());
    b.last = i + c.group >= values.size();
    b.cfg = static_cast<uint8_t>((cfg_bits(c) & 0x7Fu) | ((rng() & 1) << 7));
    b.tensor = tensor;
    out.push_back(std::move(b));
  }
  return out;
}

// Drives an encoder's values input with a beat (nullptr: valid low, junk on the bus) and the
// beat's tensor table (table_i, as table_limbs).
template <class Dut>
void put_values2(Dut& d, const InBeat2* b, const std::vector<uint32_t>& table, std::mt19937_64& rng,
                 size_t lanes) {
  d.tensor_valid_i = b != nullptr;
  if (!b) {
    for (size_t l = 0; l < lanes; ++l) set_limb(d.tensor_data_i, l, static_cast<uint32_t>(rng()));
    return;
  }
  write_limbs(d.tensor_data_i, b->lanes);
  d.tensor_lanes_i = b->count;
  d.tensor_last_i = b->last;
  d.cfg_i = b->cfg;
  write_limbs(d.table_i, table);
}

// A beat of 32-bit words: words [0, count) of BW limbs (junk past count), last on the tensor's
// last beat.
struct WordsBeat2 {
  std::vector<uint32_t> words;
  unsigned count = 0;
  bool last = false;
};
// A beat of a decoder's word stream holding words[0 .. count): BW limbs, those past the count
// junk the decoder must ignore (part of the beat, so stable until it is taken).
inline WordsBeat2 words_beat2(const uint32_t* words, unsigned count, size_t beat_words,
                              std::mt19937_64& rng) {
  WordsBeat2 b;
  b.count = count;
  b.words.resize(beat_words);
  for (size_t i = 0; i < beat_words; ++i) {
    b.words[i] = i < count ? words[i] : static_cast<uint32_t>(rng());
  }
  return b;
}

// A decoder's chunk status.
struct StatusBeat2 {
  unsigned code = 0;
  bool last = false;
};
template <class Dut>
StatusBeat2 read_status2(const Dut& d) {
  return {d.status_code_o, d.status_last_o != 0};
}

// Data kinds of the benches: the mixes of stimulus.hpp, FP specials, zero runs (the second
// code) and repeats (REP).
enum class DataKind {
  kRandom,
  kStructured,
  kIncompressible,
  kSparse,
  kSpecials,
  kZeroRuns,
  kRepeats
};
constexpr DataKind kDataKinds[] = {
    DataKind::kRandom,   DataKind::kStructured, DataKind::kIncompressible, DataKind::kSparse,
    DataKind::kSpecials, DataKind::kZeroRuns,   DataKind::kRepeats};
constexpr size_t kNumDataKinds = std::size(kDataKinds);

inline const char* kind_name(DataKind k) {
  switch (k) {
    case DataKind::kRandom:
      return "random";
    case DataKind::kStructured:
      return "structured";
    case DataKind::kIncompressible:
      return "incompressible";
    case DataKind::kSparse:
      return "sparse";
    case DataKind::kSpecials:
      return "specials";
    case DataKind::kZeroRuns:
      return "zero runs";
    case DataKind::kRepeats:
      return "repeats";
  }
  return "?";
}

inline std::vector<uint32_t> make_values(std::mt19937_64& rng, Fp fp, size_t n, DataKind k) {
  switch (k) {
    case DataKind::kRandom:
      return random_values(rng, fp, n, Mix::kEveryClass);
    case DataKind::kStructured:
      return random_values(rng, fp, n, Mix::kStructured);
    case DataKind::kIncompressible:
      return random_values(rng, fp, n, Mix::kIncompressible);
    case DataKind::kSparse:
      return random_values(rng, fp, n, Mix::kSparse);
    case DataKind::kSpecials: {
      // NaN (quiet, signalling, payloads), +-Inf, +-0, subnormals, the FP corners.
      const std::vector<uint32_t> corners = corner_values(fp);
      std::vector<uint32_t> v(n);
      for (auto& x : v) {
        const uint32_t r = static_cast<uint32_t>(rng());
        switch (r % 5) {
          case 0:
            x = corners[(r >> 8) % corners.size()];
            break;
          case 1:
            x = make_value(fp, r >> 31, 255, (r >> 3) & 1 ? (r >> 7) | 1 : 0);
            break;
          case 2:
            x = make_value(fp, (r >> 30) & 1, 0, (r >> 4) & 1 ? 0 : r >> 9);
            break;
          case 3:
            x = 0;
            break;
          default:
            x = make_value(fp, r >> 31, 1 + (r >> 11) % 254, r >> 5);
        }
        x &= fp == Fp::kFp32 ? 0xFFFFFFFFu : 0xFFFFu;
      }
      return v;
    }
    case DataKind::kZeroRuns: {
      std::vector<uint32_t> v = random_values(rng, fp, n, Mix::kEveryClass);
      for (size_t i = 0; i < n;) {
        const size_t run = 1 + rng() % 300;
        if (rng() % 2) std::fill(v.begin() + i, v.begin() + std::min(n, i + run), 0u);
        i += run;
      }
      return v;
    }
    case DataKind::kRepeats: {
      std::vector<uint32_t> v = random_values(rng, fp, n, Mix::kStructured);
      for (size_t i = 0; i < n;) {
        const size_t run = 1 + rng() % 40;
        for (size_t j = i + 1; j < std::min(n, i + run); ++j) v[j] = v[i];
        i += run;
      }
      return v;
    }
  }
  return {};
}

// Random tensors of every kind back to back, about `values` values in all, each with random
// per-tensor fields (stimulus.hpp's random_config) and a length of random_length2 up to cap.
inline std::vector<TensorCase> random_tensors2(std::mt19937_64& rng, const Config& params,
                                               size_t values, size_t cap) {
  std::vector<TensorCase> out;
  for (size_t t = 0, total = 0; total < values; ++t) {
    const Config c = random_config(rng, params);
    const DataKind k = kDataKinds[t % kNumDataKinds];
    const size_t n = random_length2(rng, params, cap);
    out.push_back({c, make_values(rng, c.fp, n, k), kind_name(k)});
    total += n;
  }
  return out;
}

}  // namespace sfp::tb
