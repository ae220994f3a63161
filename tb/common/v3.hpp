// SPDX-License-Identifier: Apache-2.0
//
// What the format version 3 benches share (tb/enc3, tb/dec3, tb/loop3): the chunks of a tensor
// as the model codes them (encode_chunk_v3) or stores them (sfp::encode), the encoder's input
// beats, index entries and scoreboard (Enc3Expect), the window monitor, and the decoder's
// descriptor and word ports.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/gen/format.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "v2.hpp"

namespace sfp::tb {

// One version 3 chunk: its words, its values, the CRC-32C of its index entry, and (when the
// model's one-pass encoder coded it) the words it held at most and let expire.
struct Chunk3 {
  std::vector<uint32_t> words;
  uint64_t values = 0;
  uint32_t crc = 0;
  uint64_t held = 0, expired = 0;
};

inline uint32_t crc_of(const std::vector<uint32_t>& words) {
  const auto b = bytes_of(words);
  return crc32c(b.data(), b.size());
}

// The chunks of an encoded version 3 tensor.
inline std::vector<Chunk3> split_chunks3(const Encoded& e) {
  std::vector<Chunk3> out;
  size_t at = 0;
  for (size_t k = 0; k < e.chunk_words.size(); ++k) {
    Chunk3 c;
    c.values = std::min<uint64_t>(e.config.chunk, e.values - k * e.config.chunk);
    c.crc = e.chunk_crc[k];
    c.words = words_of(e.payload.data() + 4 * at, e.chunk_words[k]);
    at += e.chunk_words[k];
    out.push_back(std::move(c));
  }
  return out;
}

// The chunks of a tensor: quantized, then encode_chunk_v3 chunk by chunk with the tensor's own
// table (sfp::encode's), which must give sfp::encode's payload, lengths and CRCs as well.
inline std::vector<Chunk3> model_chunks3(const Config& c, const std::vector<uint32_t>& values,
                                         CodeTable* table) {
  Encoded e;
  REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
  REQUIRE(e.table_ref == 0);
  *table = e.table;
  std::vector<uint32_t> q(values.size());
  quantize(values.data(), q.data(), q.size(), c.fp, c.man_bits, c.rounding);
  std::vector<Chunk3> out;
  size_t at = 0;
  for (size_t first = 0, k = 0; first < q.size(); first += c.chunk, ++k) {
    const size_t n = std::min<size_t>(c.chunk, q.size() - first);
    ChunkV3 ch;
    REQUIRE(encode_chunk_v3(c, e.table, q.data() + first, n, &ch) == Status::kOk);
    Chunk3 x;
    x.words = words_of(ch.bytes.data(), ch.bytes.size() / 4);
    x.values = n;
    x.crc = ch.crc;
    x.held = ch.held_units;
    x.expired = ch.expired_units;
    // The reference chunk coder and sfp::encode (the fast coder) agree.
    REQUIRE(k < e.chunk_words.size());
    REQUIRE(e.chunk_words[k] == x.words.size());
    REQUIRE(e.chunk_crc[k] == x.crc);
    REQUIRE(std::equal(ch.bytes.begin(), ch.bytes.end(), e.payload.begin() + 4 * at));
    at += x.words.size();
    out.push_back(std::move(x));
  }
  REQUIRE(out.size() == e.chunk_words.size());
  return out;
}

// The bit width of v (the index entry's N field holds bit_width_of(2 C) bits).
constexpr unsigned bit_width_of(uint64_t v) {
  unsigned b = 0;
  while (v) {
    ++b;
    v >>= 1;
  }
  return b;
}

// One beat into the encoder: InBeat2 plus the tensor's value count (tensor_values_i).
struct InBeat3 {
  InBeat2 b;
  uint32_t values = 0;
};

// Drives a version 3 encoder's values input (nullptr: valid low, junk on the bus).
template <class Dut>
void put_values3(Dut& d, const InBeat3* b, const std::vector<uint32_t>& table, std::mt19937_64& rng,
                 size_t lanes) {
  put_values2(d, b ? &b->b : nullptr, table, rng, lanes);
  d.tensor_values_i = b ? b->values : static_cast<uint32_t>(rng());
}

// An entry of the index output.
struct IndexBeat3 {
  uint32_t words = 0, crc = 0;
  bool last = false;
};
template <class Dut>
IndexBeat3 read_index3(const Dut& d) {
  return {d.index_words_o, d.index_crc_o, d.index_last_o != 0};
}

// What the encoder must write, in order; fails at the first difference.
class Enc3Expect {
 public:
  Enc3Expect(unsigned beat_words, std::function<std::string()> where)
      : beat_words_(beat_words), where_(std::move(where)) {}

  void add(const std::string& what, const std::vector<Chunk3>& chunks) {
    const size_t tensor = names_.size();
    names_.push_back(what);
    for (size_t k = 0; k < chunks.size(); ++k) {
      const Chunk3& ch = chunks[k];
      for (size_t w = 0; w < ch.words.size(); ++w) {
        words_.push_back({ch.words[w], tensor, k, w, w + 1 == ch.words.size()});
      }
      index_.push_back({static_cast<uint32_t>(ch.words.size()), ch.crc, k + 1 == chunks.size()});
      index_where_.push_back({tensor, k});
    }
  }
  bool done() const { return words_.empty() && index_.empty(); }
  size_t words_left() const { return words_.size(); }
  size_t index_left() const { return index_.size(); }
  uint64_t words_checked() const { return words_checked_; }
  uint64_t chunks_checked() const { return index_checked_; }

  void check_words(const WordsBeat2& b) {
    const uint64_t beat = beats_++;
    if (b.count == 0 || b.count > beat_words_) {
      FAIL(fmt::format("beat {}: word count {} outside 1..{}; {}", beat, b.count, beat_words_,
                       where_()));
    }
    for (unsigned k = 0; k < b.count; ++k) {
      if (words_.empty()) {
        FAIL(fmt::format("beat {}: unexpected word {} after the end of the payload; {}", beat, k,
                         where_()));
      }
      const ExpWord& e = words_.front();
      if (b.words[k] != e.word) {
        FAIL(fmt::format(
            "word mismatch: tensor {} ({}), chunk {}, word {} (beat {}, word {} of {}): expected "
            "{:08x}, got {:08x}; {}",
            e.tensor, names_[e.tensor], e.chunk, e.at, beat, k, b.count, e.word, b.words[k],
            where_()));
      }
      if (e.chunk_end && k + 1 != b.count) {
        FAIL(
            fmt::format("beat {}: holds words of two chunks (tensor {}, chunk {} ends at word "
                        "{} of {}); {}",
                        beat, e.tensor, e.chunk, k, b.count, where_()));
      }
      words_.pop_front();
      ++words_checked_;
    }
  }

  void check_index(const IndexBeat3& b) {
    const uint64_t n = index_checked_;
    if (index_.empty()) {
      FAIL(fmt::format("index entry {}: unexpected (words {}); {}", n, b.words, where_()));
    }
    const IndexBeat3 e = index_.front();
    const auto [tensor, chunk] = index_where_.front();
    if (b.words != e.words || b.crc != e.crc || b.last != e.last) {
      FAIL(
          fmt::format("index entry {} (tensor {} ({}), chunk {}): expected words {} crc {:08x} "
                      "last {}, got words {} crc {:08x} last {}; {}",
                      n, tensor, names_[tensor], chunk, e.words, e.crc, e.last, b.words, b.crc,
                      b.last, where_()));
    }
    ++index_checked_;
    index_.pop_front();
    index_where_.pop_front();
  }

 private:
  struct ExpWord {
    uint32_t word;
    size_t tensor, chunk, at;
    bool chunk_end;
  };
  unsigned beat_words_;
  std::function<std::string()> where_;
  std::vector<std::string> names_;
  std::deque<ExpWord> words_;
  std::deque<IndexBeat3> index_;
  std::deque<std::pair<size_t, size_t>> index_where_;
  uint64_t beats_ = 0, words_checked_ = 0, index_checked_ = 0;
};

// Checks an encoder's held_o (words in the window) every cycle and keeps its largest value.
template <class Dut>
class HeldMonitor : public Agent {
 public:
  HeldMonitor(Dut& dut, std::function<std::string()> where) : dut_(dut), where_(std::move(where)) {}
  void drive() override {}
  void sample() override {
    const unsigned h = dut_.held_o;
    max_ = std::max(max_, h);
    if (h > kV3WindowWords - 1) {
      FAIL(fmt::format("the window holds {} words, above {}; {}", h, kV3WindowWords - 1, where_()));
    }
  }
  unsigned max() const { return max_; }

 private:
  Dut& dut_;
  std::function<std::string()> where_;
  unsigned max_ = 0;
};

// A version 3 decoder's chunk descriptor (its index entry N and CRC, its values, the tensor's
// last chunk) with the tensor's cfg_i and table_i (as table_limbs).
struct Desc3 {
  uint32_t words = 0, values = 0, crc = 0;
  bool last = false;
  uint8_t cfg = 0;
  std::vector<uint32_t> table;
};
template <class Dut>
void put_desc3(Dut& d, const Desc3* b) {
  d.chunk_valid_i = b != nullptr;
  if (!b) return;
  d.chunk_words_i = b->words;
  d.chunk_values_i = b->values;
  d.chunk_crc_i = b->crc;
  d.chunk_last_i = b->last;
  d.cfg_i = b->cfg;
  write_limbs(d.table_i, b->table);
}

// Drives a version 3 decoder's word stream with a beat of words [0, count) (BW limbs, junk past
// the count) or, for nullptr, valid low and junk on the bus.
template <class Dut>
void put_words3(Dut& d, const WordsBeat2* b, std::mt19937_64& rng, size_t beat_words) {
  d.words_valid_i = b != nullptr;
  for (size_t i = 0; i < beat_words; ++i) {
    set_limb(d.words_data_i, i, b ? b->words[i] : static_cast<uint32_t>(rng()));
  }
  if (b) d.words_count_i = b->count;
}

}  // namespace sfp::tb
