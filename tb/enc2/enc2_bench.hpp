// SPDX-License-Identifier: Apache-2.0
//
// Version 2 encoder bench: drives tensors into a verilated sfp2_encoder and compares every
// payload word and every chunk index entry (length, mode, CRC-32C) with the golden model,
// failing at the first mismatch.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stream.hpp"

namespace sfp::tb {

template <class Dut>
struct Enc2Info;  // specialised in the generated enc2_duts.hpp

// The model configuration of a v2 encoder parameter set (per-tensor fields at defaults).
template <class Dut>
Config enc2_params() {
  using Top = typename Enc2Info<Dut>::Top;
  Config c = Config::lossless(Fp::kFp32, 2);
  c.group = Top::NumLanes;
  c.chunk = Top::ChunkValues;
  return c;
}

// One chunk as the model writes it.
struct Chunk2 {
  std::vector<uint32_t> words;
  bool raw;
  uint32_t crc;
};

// The chunks of an encoded version 2 tensor.
inline std::vector<Chunk2> chunks_of(const Encoded& e) {
  std::vector<Chunk2> out;
  size_t at = 0;
  for (size_t k = 0; k < e.chunk_words.size(); ++k) {
    Chunk2 ch{std::vector<uint32_t>(e.chunk_words[k]), e.chunk_raw[k] != 0, e.chunk_crc[k]};
    std::memcpy(ch.words.data(), e.payload.data() + at * 4, ch.words.size() * 4);
    at += ch.words.size();
    out.push_back(std::move(ch));
  }
  return out;
}

// The chunks of a tensor coded with a given (legal) table instead of its own: the model's
// encode_chunk_v2 on the quantized values, and the CRC-32C of the mode byte and the words.
inline std::vector<Chunk2> chunks_with_table(const Config& c, const CodeTable& t,
                                             const std::vector<uint32_t>& values) {
  std::vector<uint32_t> q(values.size());
  quantize(values.data(), q.data(), q.size(), c.fp, c.man_bits, c.rounding);
  std::vector<Chunk2> out;
  for (size_t first = 0; first < q.size(); first += c.chunk) {
    const size_t n = std::min<size_t>(c.chunk, q.size() - first);
    const ChunkV2 ch = encode_chunk_v2(c, t, q.data() + first, n);
    const uint8_t mode = ch.raw ? 1 : 0;
    Chunk2 r{std::vector<uint32_t>(ch.bytes.size() / 4), ch.raw,
             crc32c(ch.bytes.data(), ch.bytes.size(), crc32c(&mode, 1))};
    std::memcpy(r.words.data(), ch.bytes.data(), ch.bytes.size());
    out.push_back(std::move(r));
  }
  return out;
}

// The packed table_i input (sfp2_pkg::table_t): base [7:0], sign [9:8], dist [15:10], two [16],
// then the length of symbol s in code k at 17 + (k * 51 + s) * 4.
template <class P>
void set_table(P& port, const CodeTable& t) {
  std::vector<uint32_t> limbs(limbs_of<P>(), 0);
  const auto put = [&](unsigned at, uint32_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) limbs[(at + i) / 32] |= ((v >> i) & 1u) << ((at + i) % 32);
  };
  put(0, t.base, 8);
  put(8, static_cast<uint32_t>(t.sign), 2);
  put(10, t.dist, 6);
  put(16, t.two ? 1 : 0, 1);
  for (unsigned k = 0; k < 2; ++k) {
    for (unsigned s = 0; s < kMaxSymbols; ++s)
      put(17 + (k * kMaxSymbols + s) * 4, t.lengths[k][s], 4);
  }
  for (size_t i = 0; i < limbs.size(); ++i) set_limb(port, i, limbs[i]);
}

template <class Dut>
class Enc2Bench {
 public:
  struct InBeat {
    std::vector<uint32_t> lanes;
    unsigned count;
    bool last;
    uint8_t cfg;
    size_t tensor;
  };
  struct WordsBeat {
    std::vector<uint32_t> words;
    unsigned count;
    bool last;
  };
  struct IndexBeat {
    uint32_t words;
    bool raw;
    uint32_t crc;
    bool last;
  };

  Enc2Bench(uint64_t seed, const std::string& name, double in_p, ReadyPattern words_ready,
            ReadyPattern index_ready)
      : params_(enc2_params<Dut>()),
        beat_words_(Enc2Info<Dut>::Top::BeatWords),
        sim_(seed, name),
        drv_(
            sim_.rng(), in_p, [this](const InBeat* b) { put(b); },
            [this] { return sim_.dut().tensor_ready_o != 0; }),
        words_(
            sim_.rng(), words_ready, [this](bool r) { sim_.dut().words_ready_i = r; },
            [this] { return sim_.dut().words_valid_o != 0; }, [this] { return read_words(); },
            [this](const WordsBeat& b) { check_words(b); }),
        index_(
            sim_.rng(), index_ready, [this](bool r) { sim_.dut().index_ready_i = r; },
            [this] { return sim_.dut().index_valid_o != 0; },
            [this] {
              const Dut& d = sim_.dut();
              return IndexBeat{d.index_words_o, d.index_raw_o != 0, d.index_crc_o,
                               d.index_last_o != 0};
            },
            [this](const IndexBeat& b) { check_index(b); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().words_data_o)>() == beat_words_);
    REQUIRE(limbs_of<decltype(sim_.dut().tensor_data_i)>() == params_.group);
    drv_.set_clock(sim_.cycle_ptr());
    words_.set_clock(sim_.cycle_ptr());
    index_.set_clock(sim_.cycle_ptr());
    sim_.add(&drv_);
    sim_.add(&words_);
    sim_.add(&index_);
    sim_.reset();
  }

  const Config& params() const { return params_; }
  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t beats() const { return beats_; }
  uint64_t values() const { return values_; }
  uint64_t words_checked() const { return words_checked_; }
  uint64_t chunks_checked() const { return index_beats_; }
  uint64_t raw_chunks() const { return raw_chunks_; }
  uint64_t first_in_cycle() const { return drv_.first_cycle(); }
  uint64_t last_in_cycle() const { return drv_.last_cycle(); }
  uint64_t last_out_cycle() const { return std::max(words_.last_cycle(), index_.last_cycle()); }
  double seconds() const { return seconds_; }

  // Queues a tensor with the model's own table (sfp::encode); per-tensor fields from c.
  void add_tensor(Config c, const std::vector<uint32_t>& values) {
    c = with_params(c);
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    queue(c, e.table, chunks_of(e), values);
  }

  // Queues a tensor coded with another legal table (a chunk may then need a symbol its lane's
  // code lacks, which makes it raw).
  void add_tensor_with_table(Config c, const CodeTable& t, const std::vector<uint32_t>& values) {
    c = with_params(c);
    queue(c, t, chunks_with_table(c, t, values), values);
  }

  Config with_params(Config c) const {
    c.version = 2;
    c.group = params_.group;
    c.chunk = params_.chunk;
    return c;
  }

  // Runs until every queued tensor is out and checked, then idles to catch stray beats.
  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 5000 + 8 * beats_ + 400 * tables_.size();
    const auto t0 = std::chrono::steady_clock::now();
    const bool done = sim_.run_until(
        [this] { return drv_.idle() && exp_words_.empty() && exp_index_.empty(); }, timeout_cycles);
    INFO("seed " << sim_.seed() << " (replay: SEED=" << sim_.seed() << "), cycle " << sim_.cycle());
    INFO(exp_words_.size() << " words and " << exp_index_.size() << " index entries outstanding, "
                           << (drv_.idle() ? "all input taken" : "input pending"));
    REQUIRE(done);
    for (int i = 0; i < 40; ++i) sim_.step();  // nothing more may come out
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  struct ExpWord {
    uint32_t word;
    size_t tensor, chunk, at;  // at: word index inside its chunk
    bool chunk_end, tensor_end;
  };

  void queue(const Config& c, const CodeTable& t, const std::vector<Chunk2>& chunks,
             const std::vector<uint32_t>& values) {
    REQUIRE(!values.empty());
    const size_t tensor = tables_.size();
    tables_.push_back(t);
    configs_.push_back(c);
    REQUIRE(chunks.size() == (values.size() + c.chunk - 1) / c.chunk);
    for (size_t k = 0; k < chunks.size(); ++k) {
      const Chunk2& ch = chunks[k];
      for (size_t w = 0; w < ch.words.size(); ++w) {
        exp_words_.push_back({ch.words[w], tensor, k, w, w + 1 == ch.words.size(),
                              w + 1 == ch.words.size() && k + 1 == chunks.size()});
      }
      exp_index_.push_back(
          {static_cast<uint32_t>(ch.words.size()), ch.raw, ch.crc, k + 1 == chunks.size()});
    }
    for (size_t i = 0; i < values.size(); i += params_.group) {
      InBeat b;
      b.count = static_cast<unsigned>(std::min<size_t>(params_.group, values.size() - i));
      b.lanes.assign(params_.group, 0);
      for (unsigned l = 0; l < b.count; ++l) b.lanes[l] = values[i + l];
      // Lanes past the count carry junk: the encoder must ignore them.
      for (unsigned l = b.count; l < params_.group; ++l)
        b.lanes[l] = static_cast<uint32_t>(rng()());
      b.last = i + params_.group >= values.size();
      b.cfg = static_cast<uint8_t>((c.fp == Fp::kBf16 ? 1u : 0u) | (c.man_bits << 1) |
                                   (c.rounding == Rounding::kNearestEven ? 1u << 6 : 0u) |
                                   ((rng()() & 1) << 7));  // gecko: ignored by version 2
      b.tensor = tensor;
      drv_.push(std::move(b));
      ++beats_;
    }
    values_ += values.size();
  }

  void put(const InBeat* b) {
    Dut& d = sim_.dut();
    d.tensor_valid_i = b != nullptr;
    if (!b) {
      // Junk on an idle bus: the DUT must not look at it.
      for (size_t l = 0; l < params_.group; ++l)
        set_limb(d.tensor_data_i, l, static_cast<uint32_t>(rng()()));
      return;
    }
    for (size_t l = 0; l < params_.group; ++l) set_limb(d.tensor_data_i, l, b->lanes[l]);
    d.tensor_lanes_i = b->count;
    d.tensor_last_i = b->last;
    d.cfg_i = b->cfg;
    set_table(d.table_i, tables_[b->tensor]);
  }

  WordsBeat read_words() {
    const Dut& d = sim_.dut();
    WordsBeat b;
    b.words.resize(beat_words_);
    for (size_t i = 0; i < b.words.size(); ++i) b.words[i] = get_limb(d.words_data_o, i);
    b.count = d.words_count_o;
    b.last = d.words_last_o != 0;
    return b;
  }

  std::string where() const {
    return fmt::format("seed {} (replay: SEED={}), cycle {}", sim_.seed(), sim_.seed(),
                       sim_.cycle());
  }

  void check_words(const WordsBeat& b) {
    const uint64_t beat = words_beats_++;
    if (b.count == 0 || b.count > beat_words_) {
      FAIL(fmt::format("beat {}: word count {} outside 1..{}; {}", beat, b.count, beat_words_,
                       where()));
    }
    for (unsigned k = 0; k < b.count; ++k) {
      if (exp_words_.empty()) {
        FAIL(fmt::format("beat {}: unexpected word {} after the end of the payload; {}", beat, k,
                         where()));
      }
      const ExpWord& e = exp_words_.front();
      if (b.words[k] != e.word) {
        FAIL(fmt::format(
            "word mismatch: tensor {} ({}), chunk {}, word {} (beat {}, word {} of {}): expected "
            "{:08x}, got {:08x}; {}",
            e.tensor, to_string(configs_[e.tensor]), e.chunk, e.at, beat, k, b.count, e.word,
            b.words[k], where()));
      }
      const bool beat_end = k + 1 == b.count;
      if (e.chunk_end && !beat_end) {
        FAIL(
            fmt::format("beat {}: holds words of two chunks (tensor {}, chunk {} ends at word "
                        "{} of {}); {}",
                        beat, e.tensor, e.chunk, k, b.count, where()));
      }
      if (beat_end && b.last != e.tensor_end) {
        FAIL(
            fmt::format("beat {}: words_last_o = {} at tensor {}, chunk {}, word {} (tensor end "
                        "{}); {}",
                        beat, b.last, e.tensor, e.chunk, e.at, e.tensor_end, where()));
      }
      exp_words_.pop_front();
      ++words_checked_;
    }
  }

  void check_index(const IndexBeat& b) {
    const uint64_t n = index_beats_++;
    if (exp_index_.empty()) {
      FAIL(fmt::format("index entry {}: unexpected (words {}); {}", n, b.words, where()));
    }
    const IndexBeat e = exp_index_.front();
    if (b.words != e.words || b.raw != e.raw || b.crc != e.crc || b.last != e.last) {
      FAIL(
          fmt::format("index entry {}: expected words {} raw {} crc {:08x} last {}, got words {} "
                      "raw {} crc {:08x} last {}; {}",
                      n, e.words, e.raw, e.crc, e.last, b.words, b.raw, b.crc, b.last, where()));
    }
    raw_chunks_ += e.raw ? 1 : 0;
    exp_index_.pop_front();
  }

  Config params_;
  unsigned beat_words_;
  Sim<Dut> sim_;
  StreamDriver<InBeat> drv_;
  StreamSink<WordsBeat> words_;
  StreamSink<IndexBeat> index_;
  std::vector<Config> configs_;
  std::vector<CodeTable> tables_;
  std::deque<ExpWord> exp_words_;
  std::deque<IndexBeat> exp_index_;
  uint64_t beats_ = 0, values_ = 0, words_beats_ = 0, index_beats_ = 0, words_checked_ = 0;
  uint64_t raw_chunks_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
