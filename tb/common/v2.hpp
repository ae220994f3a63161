// SPDX-License-Identifier: Apache-2.0
//
// What the format version 2 benches share: the chunks of a tensor as 32-bit words with their
// mode and CRC-32C, the packed table_i input, the model configuration of a v2 parameter set;
// the encoder's input beats, output beats and their scoreboard (Enc2Expect); the decoder's
// descriptor, word and status ports; the data kinds, lengths and tensors of the v2 stimulus.
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

// One chunk as it is stored: its words, its values, its mode and its CRC-32C.
struct Chunk2 {
  std::vector<uint32_t> words;
  uint64_t values = 0;
  bool raw = false;
  uint32_t crc = 0;
};

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

// CRC-32C of the mode byte and the chunk's words (Spec: "Chunk index and CRC").
inline uint32_t chunk_crc(const Chunk2& c) {
  const uint8_t mode = c.raw ? 1 : 0;
  const auto b = bytes_of(c.words);
  return crc32c(b.data(), b.size(), crc32c(&mode, 1));
}

// The chunks of an encoded version 2 tensor.
inline std::vector<Chunk2> split_chunks2(const Encoded& e) {
  std::vector<Chunk2> out;
  size_t at = 0;
  for (size_t k = 0; k < e.chunk_words.size(); ++k) {
    Chunk2 c;
    c.values = std::min<uint64_t>(e.config.chunk, e.values - k * e.config.chunk);
    c.raw = e.chunk_raw[k] != 0;
    c.crc = e.chunk_crc[k];
    c.words = words_of(e.payload.data() + 4 * at, e.chunk_words[k]);
    at += e.chunk_words[k];
    out.push_back(std::move(c));
  }
  return out;
}

// A chunk the model coded alone (encode_chunk_v2), with its CRC.
inline Chunk2 chunk_of(const ChunkV2& ch, uint64_t values) {
  Chunk2 c;
  c.words = words_of(ch.bytes.data(), ch.bytes.size() / 4);
  c.values = values;
  c.raw = ch.raw;
  c.crc = chunk_crc(c);
  return c;
}

// The chunks of a tensor coded with a given (legal) table instead of its own: the model's
// encode_chunk_v2 on the quantized values.
inline std::vector<Chunk2> chunks_with_table(const Config& c, const CodeTable& t,
                                             const std::vector<uint32_t>& values) {
  std::vector<uint32_t> q(values.size());
  quantize(values.data(), q.data(), q.size(), c.fp, c.man_bits, c.rounding);
  std::vector<Chunk2> out;
  for (size_t first = 0; first < q.size(); first += c.chunk) {
    const size_t n = std::min<size_t>(c.chunk, q.size() - first);
    out.push_back(chunk_of(encode_chunk_v2(c, t, q.data() + first, n), n));
  }
  return out;
}

// The packed table_i input (sfp2_pkg::table_t): base [7:0], sign [9:8], dist [15:10], two [16],
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

// The model configuration of a v2 parameter set (Top: the verilated top's parameter class),
// with the given per-tensor fields.
template <class Top>
Config v2_config(Fp fp = Fp::kFp32, unsigned m = kManBitsFp32, Rounding r = Rounding::kTruncate) {
  Config c = Config::lossless(fp, 2);
  c.man_bits = m;
  c.rounding = r;
  c.group = Top::NumLanes;
  c.chunk = Top::ChunkValues;
  return c;
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

// One beat of values into a v2 encoder (the tensor_* stream with cfg_i; table_i comes from the
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

// Drives a v2 encoder's values input with a beat (nullptr: valid low, junk on the bus) and the
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

// A beat of 32-bit words (a v2 encoder's words output, a v2 decoder's lane or plane input):
// words [0, count) of BW limbs (junk past count), last on the tensor's last beat (encoder).
struct WordsBeat2 {
  std::vector<uint32_t> words;
  unsigned count = 0;
  bool last = false;
};
// An entry of a v2 encoder's index output.
struct IndexBeat2 {
  uint32_t words = 0;
  bool raw = false;
  uint32_t crc = 0;
  bool last = false;
};
template <class Dut>
WordsBeat2 read_words2(const Dut& d, size_t beat_words) {
  return {read_limbs(d.words_data_o, beat_words), d.words_count_o, d.words_last_o != 0};
}
template <class Dut>
IndexBeat2 read_index2(const Dut& d) {
  return {d.index_words_o, d.index_raw_o != 0, d.index_crc_o, d.index_last_o != 0};
}

// A beat of a v2 decoder's lane or plane stream holding words[0 .. count): BW limbs, those past
// the count junk the decoder must ignore (part of the beat, so stable until it is taken).
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

// Drives a v2 decoder's lane or plane stream with a beat (nullptr: valid low, junk on the bus).
template <class Dut>
void put_words2(Dut& d, const WordsBeat2* b, bool lane, std::mt19937_64& rng, size_t beat_words) {
  auto& data = lane ? d.lane_data_i : d.plane_data_i;
  (lane ? d.lane_valid_i : d.plane_valid_i) = b != nullptr;
  for (size_t i = 0; i < beat_words; ++i) {
    set_limb(data, i, b ? b->words[i] : static_cast<uint32_t>(rng()));
  }
  if (b) (lane ? d.lane_count_i : d.plane_count_i) = b->count;
}

// A v2 decoder's chunk descriptor (the chunk's index entry, its values, the tensor's last
// chunk) with its tensor's cfg_i; table_i comes from the tensor.
struct Desc2 {
  uint32_t words = 0, values = 0, crc = 0;
  bool raw = false, last = false;
  uint8_t cfg = 0;
  size_t tensor = 0;
};
template <class Dut>
void put_desc2(Dut& d, const Desc2* b, const std::vector<uint32_t>& table) {
  d.chunk_valid_i = b != nullptr;
  if (!b) return;
  d.chunk_words_i = b->words;
  d.chunk_values_i = b->values;
  d.chunk_crc_i = b->crc;
  d.chunk_raw_i = b->raw;
  d.chunk_last_i = b->last;
  d.cfg_i = b->cfg;
  write_limbs(d.table_i, table);
}

// A v2 decoder's chunk status.
struct StatusBeat2 {
  unsigned code = 0;
  bool last = false;
};
template <class Dut>
StatusBeat2 read_status2(const Dut& d) {
  return {d.status_code_o, d.status_last_o != 0};
}

// What a v2 encoder must write, in order: every payload word (with its chunk and tensor, the
// beat framing and words_last_o) and every index entry (length, mode, CRC-32C, last), from the
// model's chunks. Fails the test at the first difference.
class Enc2Expect {
 public:
  Enc2Expect(unsigned beat_words, std::function<std::string()> where)
      : beat_words_(beat_words), where_(std::move(where)) {}

  // Appends a tensor's chunks; `what` names it in failure messages.
  void add(const std::string& what, const std::vector<Chunk2>& chunks) {
    const size_t tensor = names_.size();
    names_.push_back(what);
    for (size_t k = 0; k < chunks.size(); ++k) {
      const Chunk2& ch = chunks[k];
      const bool last = k + 1 == chunks.size();
      for (size_t w = 0; w < ch.words.size(); ++w) {
        const bool end = w + 1 == ch.words.size();
        words_.push_back({ch.words[w], tensor, k, w, end, end && last});
      }
      index_.push_back({static_cast<uint32_t>(ch.words.size()), ch.raw, ch.crc, last});
    }
  }
  bool done() const { return words_.empty() && index_.empty(); }
  size_t words_left() const { return words_.size(); }
  size_t index_left() const { return index_.size(); }
  uint64_t words_checked() const { return words_checked_; }
  uint64_t chunks_checked() const { return index_checked_; }
  uint64_t raw_chunks() const { return raw_chunks_; }

  // One beat of the words stream.
  void check_words(const WordsBeat2& b) {
    const std::vector<uint32_t>& words = b.words;
    const unsigned count = b.count;
    const bool last = b.last;
    const uint64_t beat = beats_++;
    if (count == 0 || count > beat_words_) {
      FAIL(fmt::format("beat {}: word count {} outside 1..{}; {}", beat, count, beat_words_,
                       where_()));
    }
    for (unsigned k = 0; k < count; ++k) {
      if (words_.empty()) {
        FAIL(fmt::format("beat {}: unexpected word {} after the end of the payload; {}", beat, k,
                         where_()));
      }
      const ExpWord& e = words_.front();
      if (words[k] != e.word) {
        FAIL(fmt::format(
            "word mismatch: tensor {} ({}), chunk {}, word {} (beat {}, word {} of {}): expected "
            "{:08x}, got {:08x}; {}",
            e.tensor, names_[e.tensor], e.chunk, e.at, beat, k, count, e.word, words[k], where_()));
      }
      const bool beat_end = k + 1 == count;
      if (e.chunk_end && !beat_end) {
        FAIL(
            fmt::format("beat {}: holds words of two chunks (tensor {}, chunk {} ends at word "
                        "{} of {}); {}",
                        beat, e.tensor, e.chunk, k, count, where_()));
      }
      if (beat_end && last != e.tensor_end) {
        FAIL(
            fmt::format("beat {}: words_last_o = {} at tensor {}, chunk {}, word {} (tensor end "
                        "{}); {}",
                        beat, last, e.tensor, e.chunk, e.at, e.tensor_end, where_()));
      }
      words_.pop_front();
      ++words_checked_;
    }
  }

  // One index entry.
  void check_index(const IndexBeat2& b) {
    const uint64_t n = index_checked_;
    if (index_.empty()) {
      FAIL(fmt::format("index entry {}: unexpected (words {}); {}", n, b.words, where_()));
    }
    const IndexBeat2 e = index_.front();
    if (b.words != e.words || b.raw != e.raw || b.crc != e.crc || b.last != e.last) {
      FAIL(
          fmt::format("index entry {}: expected words {} raw {} crc {:08x} last {}, got words {} "
                      "raw {} crc {:08x} last {}; {}",
                      n, e.words, e.raw, e.crc, e.last, b.words, b.raw, b.crc, b.last, where_()));
    }
    raw_chunks_ += e.raw ? 1 : 0;
    ++index_checked_;
    index_.pop_front();
  }

 private:
  struct ExpWord {
    uint32_t word;
    size_t tensor, chunk, at;  // at: word index inside its chunk
    bool chunk_end, tensor_end;
  };

  unsigned beat_words_;
  std::function<std::string()> where_;
  std::vector<std::string> names_;
  std::deque<ExpWord> words_;
  std::deque<IndexBeat2> index_;
  uint64_t beats_ = 0, words_checked_ = 0, index_checked_ = 0, raw_chunks_ = 0;
};

// Data kinds of the v2 benches: the mixes of stimulus.hpp, FP specials, zero runs (the second
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

// A tensor coded with a table of its own (Enc2Bench::add_tensor_with_table).
struct TableTensorCase {
  Config config;
  CodeTable table;
  std::vector<uint32_t> values;
};

// Codeword lengths of a chunk of escape_lane_tensor: of lane 0, of lane 1 and of the other lanes
// but the last.
struct LaneLengths {
  unsigned lane0, lane1, others;
};

// A tensor of whole chunks, one a LaneLengths, that fills a lane's write queue in the encoder's
// packing stage (rtl/sfp2_enc_pack.sv), which the other stimulus does not reach, with the table
// to code it with. In each chunk of L_c lanes the last lane escapes at every value and the
// others take codewords of the chunk's lengths (one code: a distance symbol per length, ESC 12
// bits; legal, incomplete). At m = 0 an escape takes 12 + 8 + 1 = 21 bits, the most a lane reads
// for a value, so the last lane completes a word in two steps of every three, often two running.
// With every other lane at 5 bits: by the refill rule every lane takes a slot at steps 0 and 1
// (lane l: slots l and L_c + l) and then the last lane alone at steps 2, 4 and 5 (slots 2 L_c to
// 2 L_c + 2). At step 6 the 5-bit lanes complete their first words (slot l) and the last lane the
// word of slot 2 L_c + 1, which is in lane 1's bank when BeatWords divides 2 L_c; lane 1 writes
// first, the last lane completes its next word at step 7 while the first still waits, and step 8
// waits a cycle. That wait is not needed (the last lane's next word comes at step 9, after both
// are written); with lane 0 at 3 bits and lane 1 at 7 (sets v4, v8) or 8 (v16, v32), lanes 0 and
// 1 complete words at other steps, and the lanes' words take the last lane's banks in enough
// cycles running that without the wait its queue would take a third word.
inline TableTensorCase escape_lane_tensor(std::mt19937_64& rng, const Config& params,
                                          const std::vector<LaneLengths>& chunks) {
  constexpr unsigned kBase = 127;
  TableTensorCase t;
  t.config = Config::lossless(Fp::kFp32, 2);
  t.config.man_bits = 0;
  // Rounding up could carry a distance symbol's exponent above the base, into an escape.
  t.config.rounding = Rounding::kTruncate;
  t.table.base = kBase;
  t.table.sign = SignMode::kPositive;
  t.table.lengths[0][kSymEsc] = 12;
  const auto dist_of = [&t](unsigned len) {
    for (unsigned d = 0; d < t.table.dist; ++d) {
      if (t.table.lengths[0][kSymDist0 + d] == len) return d;
    }
    t.table.lengths[0][kSymDist0 + t.table.dist] = static_cast<uint8_t>(len);
    return t.table.dist++;
  };
  const unsigned lanes = chunk_lanes(params.group, params.chunk);
  std::uniform_int_distribution<uint32_t> esc_exp(kBase + 1, 254);
  for (const LaneLengths& c : chunks) {
    for (size_t i = 0; i < params.chunk; ++i) {
      const size_t l = i % lanes;
      const uint32_t e = l == lanes - 1 ? esc_exp(rng)
                         : l == 0       ? kBase - dist_of(c.lane0)
                         : l == 1       ? kBase - dist_of(c.lane1)
                                        : kBase - dist_of(c.others);
      t.values.push_back(make_value(Fp::kFp32, 0, e, static_cast<uint32_t>(rng())));
    }
  }
  return t;
}

}  // namespace sfp::tb
