// SPDX-License-Identifier: Apache-2.0
//
// Version 3 encoder bench: drives tensors into a verilated sfp3_encoder and compares every word
// (in slot order) and every chunk index entry (N, CRC-32C, last) with the golden model's
// encode_chunk_v3, failing at the first mismatch; checks every cycle that the window holds at
// most V3WindowWords - 1 words.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/gen/format.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stream.hpp"
#include "v2.hpp"

namespace sfp::tb {

template <class Dut>
struct Enc3Info;  // specialised in the generated enc3_duts.hpp

// The model configuration of a v3 encoder parameter set (per-tensor fields at defaults).
template <class Dut>
Config enc3_params() {
  using Top = typename Enc3Info<Dut>::Top;
  Config c = Config::lossless(Fp::kFp32, 3);
  c.group = Top::NumLanes;
  c.chunk = Top::ChunkValues;
  return c;
}

// One chunk as the model codes it (encode_chunk_v3): its words, CRC and what the model's
// one-pass encoder held and let expire.
struct Chunk3 {
  std::vector<uint32_t> words;
  uint32_t crc = 0;
  uint64_t held = 0, expired = 0;
};

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

// One beat into the encoder: InBeat2 plus the tensor's value count (tensor_values_i).
struct InBeat3 {
  InBeat2 b;
  uint32_t values = 0;
};

// An entry of the index output.
struct IndexBeat3 {
  uint32_t words = 0, crc = 0;
  bool last = false;
};

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

// Checks held_o (words in the window) every cycle and keeps its largest value.
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

template <class Dut>
class Enc3Bench {
 public:
  Enc3Bench(uint64_t seed, const std::string& name, double in_p, ReadyPattern words_ready,
            ReadyPattern index_ready)
      : params_(enc3_params<Dut>()),
        beat_words_(Enc3Info<Dut>::Top::BeatWords),
        sim_(seed, name),
        expect_(beat_words_, [this] { return sim_.where(); }),
        held_(sim_.dut(), [this] { return sim_.where(); }),
        drv_(
            sim_.rng(), in_p,
            [this](const InBeat3* b) {
              put_values2(sim_.dut(), b ? &b->b : nullptr, b ? tables_[b->b.tensor] : no_table_,
                          rng(), params_.group);
              sim_.dut().tensor_values_i = b ? b->values : static_cast<uint32_t>(rng()());
            },
            [this] { return sim_.dut().tensor_ready_o != 0; }),
        words_(
            sim_.rng(), words_ready, [this](bool r) { sim_.dut().words_ready_i = r; },
            [this] { return sim_.dut().words_valid_o != 0; },
            [this] {
              return WordsBeat2{read_limbs(sim_.dut().words_data_o, beat_words_),
                                sim_.dut().words_count_o, false};
            },
            [this](const WordsBeat2& b) { expect_.check_words(b); }),
        index_(
            sim_.rng(), index_ready, [this](bool r) { sim_.dut().index_ready_i = r; },
            [this] { return sim_.dut().index_valid_o != 0; },
            [this] {
              return IndexBeat3{sim_.dut().index_words_o, sim_.dut().index_crc_o,
                                sim_.dut().index_last_o != 0};
            },
            [this](const IndexBeat3& b) { expect_.check_index(b); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().words_data_o)>() == beat_words_);
    REQUIRE(limbs_of<decltype(sim_.dut().tensor_data_i)>() == params_.group);
    drv_.set_clock(sim_.cycle_ptr());
    words_.set_clock(sim_.cycle_ptr());
    index_.set_clock(sim_.cycle_ptr());
    sim_.add(&drv_);
    sim_.add(&words_);
    sim_.add(&index_);
    sim_.add(&held_);
    sim_.reset();
  }

  const Config& params() const { return params_; }
  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t values() const { return values_; }
  uint64_t steps() const { return steps_; }
  uint64_t words_checked() const { return expect_.words_checked(); }
  uint64_t chunks_checked() const { return expect_.chunks_checked(); }
  uint64_t model_held() const { return model_held_; }
  uint64_t model_expired() const { return model_expired_; }
  unsigned rtl_held() const { return held_.max(); }
  uint64_t first_in_cycle() const { return drv_.first_cycle(); }
  uint64_t last_in_cycle() const { return drv_.last_cycle(); }

  // Queues a tensor coded with its own table; per-tensor fields from c.
  void add_tensor(Config c, const std::vector<uint32_t>& values, const std::string& what = "") {
    REQUIRE(!values.empty());
    c.version = 3;
    c.group = params_.group;
    c.chunk = params_.chunk;
    CodeTable t;
    const std::vector<Chunk3> chunks = model_chunks3(c, values, &t);
    const size_t tensor = tables_.size();
    tables_.push_back(table_limbs(t));
    for (const Chunk3& ch : chunks) {
      model_held_ = std::max(model_held_, ch.held);
      model_expired_ += ch.expired;
    }
    for (size_t first = 0; first < values.size(); first += c.chunk) {
      const uint64_t n = std::min<uint64_t>(c.chunk, values.size() - first);
      const unsigned lanes = chunk_lanes(c, n);
      steps_ += (n + lanes - 1) / lanes;
    }
    expect_.add(to_string(c) + (what.empty() ? "" : " " + what), chunks);
    for (InBeat2& b : tensor_beats2(rng(), c, values, tensor)) {
      drv_.push({std::move(b), static_cast<uint32_t>(values.size())});
    }
    values_ += values.size();
  }

  // Runs until every queued tensor is out and checked, then idles to catch stray beats.
  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 20000 + 40 * steps_ + 200 * tables_.size();
    const auto t0 = std::chrono::steady_clock::now();
    const bool done =
        sim_.run_until([this] { return drv_.idle() && expect_.done(); }, timeout_cycles);
    INFO(sim_.where());
    INFO(expect_.words_left() << " words and " << expect_.index_left()
                              << " index entries outstanding, "
                              << (drv_.idle() ? "all input taken" : "input pending"));
    REQUIRE(done);
    for (int i = 0; i < 40; ++i) sim_.step();  // nothing more may come out
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double seconds() const { return seconds_; }

 private:
  inline static const std::vector<uint32_t> no_table_{};

  Config params_;
  unsigned beat_words_;
  Sim<Dut> sim_;
  Enc3Expect expect_;
  HeldMonitor<Dut> held_;
  StreamDriver<InBeat3> drv_;
  StreamSink<WordsBeat2> words_;
  StreamSink<IndexBeat3> index_;
  std::vector<std::vector<uint32_t>> tables_;
  uint64_t values_ = 0, steps_ = 0, model_held_ = 0, model_expired_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
