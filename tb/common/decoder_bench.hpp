// SPDX-License-Identifier: Apache-2.0
//
// Decoder bench: drives chunk descriptors and payload words into a verilated sfp_decoder and
// compares every decoded value, every chunk's status and the group framing with
// sfp::decode_chunk, failing at the first mismatch. Chunks may be corrupted at will: the model
// defines the expected values and status of any chunk.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "dut.hpp"
#include "encoder_bench.hpp"
#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sim.hpp"
#include "stimulus.hpp"
#include "stream.hpp"

namespace sfp::tb {

// One chunk as the decoder sees it: its words (32-bit limbs each) and its number of values.
struct ChunkData {
  std::vector<std::vector<uint32_t>> words;
  uint64_t values = 0;
};

// The chunks of an encoded tensor.
inline std::vector<ChunkData> split_chunks(const Encoded& e) {
  const auto words = payload_words(e);
  std::vector<ChunkData> out;
  size_t at = 0;
  for (size_t k = 0; k < e.chunk_words.size(); ++k) {
    ChunkData c;
    c.values = std::min<uint64_t>(e.config.chunk, e.values - k * e.config.chunk);
    c.words.assign(words.begin() + at, words.begin() + at + e.chunk_words[k]);
    at += e.chunk_words[k];
    out.push_back(std::move(c));
  }
  return out;
}

// Little-endian bytes of a chunk's words (the model's view).
inline std::vector<uint8_t> chunk_bytes(const ChunkData& c) {
  std::vector<uint8_t> b;
  for (const auto& w : c.words) {
    for (uint32_t limb : w) {
      for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(limb >> (8 * i)));
    }
  }
  return b;
}

template <class Dut>
class DecoderBench {
 public:
  struct ChunkBeat {
    uint32_t words;
    uint32_t values;
    bool last;
    uint8_t cfg;
  };
  struct WordsBeat {
    std::vector<uint32_t> limbs;
    unsigned count;
  };
  struct Expected {
    ValuesBeat beat;
    size_t tensor, chunk, group;
  };

  // words_per_beat 0: random 1..BeatWords per beat; otherwise exactly that many.
  DecoderBench(uint64_t seed, const std::string& name, double in_p, ReadyPattern out_ready,
               unsigned words_per_beat = 0)
      : params_(params_config<Dut>()),
        beat_words_(beat_words(params_)),
        words_per_beat_(words_per_beat),
        sim_(seed, name),
        chunks_(
            sim_.rng(), in_p, [this](const ChunkBeat* b) { put_chunk(b); },
            [this] { return sim_.dut().chunk_ready_o != 0; }),
        words_(
            sim_.rng(), in_p, [this](const WordsBeat* b) { put_words(b); },
            [this] { return sim_.dut().words_ready_o != 0; }),
        values_(
            sim_.rng(), out_ready, [this](bool r) { sim_.dut().values_ready_i = r; },
            [this] { return sim_.dut().values_valid_o != 0; },
            [this] { return read_values_beat(sim_.dut(), params_.group); },
            [this](const ValuesBeat& b) { check(b); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().words_data_i)>() * 32 == beat_words_ * params_.word_bits);
    REQUIRE(limbs_of<decltype(sim_.dut().values_data_o)>() == params_.group);
    chunks_.set_clock(sim_.cycle_ptr());
    words_.set_clock(sim_.cycle_ptr());
    values_.set_clock(sim_.cycle_ptr());
    sim_.add(&chunks_);
    sim_.add(&words_);
    sim_.add(&values_);
    sim_.reset();
  }

  const Config& params() const { return params_; }
  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t groups() const { return groups_; }
  uint64_t values() const { return values_count_; }
  uint64_t first_in_cycle() const { return std::min(chunks_.first_cycle(), words_.first_cycle()); }
  uint64_t last_out_cycle() const { return values_.last_cycle(); }
  // Status counts seen so far, by code.
  const uint64_t* status_seen() const { return status_seen_; }

  // Queues a tensor: config fields other than the per-tensor ones come from the parameters.
  void add_tensor(Config c, const std::vector<uint32_t>& values) {
    c = with_params(c);
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    add_chunks(c, split_chunks(e));
  }

  Config with_params(Config c) const {
    c.group = params_.group;
    c.chunk = params_.chunk;
    c.word_bits = params_.word_bits;
    c.base = params_.base;
    c.zero = params_.zero;
    return c;
  }

  // Queues the chunks of one tensor (possibly corrupted) and their expected outputs.
  void add_chunks(const Config& c, const std::vector<ChunkData>& chunks) {
    const size_t t = configs_.size();
    configs_.push_back(c);
    for (size_t k = 0; k < chunks.size(); ++k) {
      const ChunkData& ch = chunks[k];
      const bool last = k + 1 == chunks.size();
      chunks_.push({static_cast<uint32_t>(ch.words.size()), static_cast<uint32_t>(ch.values), last,
                    cfg_bits(c)});
      for (const auto& w : ch.words) pending_words_.push_back(w);
      // The model's view of this chunk.
      std::vector<uint32_t> out(ch.values, 0xDEADBEEFu);
      const std::vector<uint8_t> bytes = chunk_bytes(ch);
      const Status st = decode_chunk(c, ch.values, bytes.data(), ch.words.size(), out.data());
      ++expected_status_[static_cast<unsigned>(st)];
      for (uint64_t g0 = 0, g = 0; g0 < ch.values; g0 += params_.group, ++g) {
        Expected e;
        e.tensor = t;
        e.chunk = k;
        e.group = g;
        e.beat.count = static_cast<unsigned>(std::min<uint64_t>(params_.group, ch.values - g0));
        e.beat.lanes.assign(params_.group, 0);
        for (unsigned l = 0; l < e.beat.count; ++l) e.beat.lanes[l] = out[g0 + l];
        e.beat.chunk_end = g0 + params_.group >= ch.values;
        e.beat.last = last && e.beat.chunk_end;
        e.beat.status = e.beat.chunk_end ? static_cast<unsigned>(st) : 0;
        expected_.push_back(std::move(e));
        ++groups_;
      }
      values_count_ += ch.values;
    }
    flush_words(false);
  }

  // Runs until every queued chunk is decoded and checked, then idles to catch stray beats.
  void run(uint64_t timeout_cycles = 0) {
    flush_words(true);
    if (timeout_cycles == 0) timeout_cycles = 4000 + 200 * groups_ + 4 * words_total_;
    const bool done = sim_.run_until(
        [this] { return chunks_.idle() && words_.idle() && expected_.empty(); }, timeout_cycles);
    INFO(sim_.where());
    INFO(expected_.size() << " groups outstanding; descriptors "
                          << (chunks_.idle() ? "all taken" : "pending") << ", words "
                          << (words_.idle() ? "all taken" : "pending"));
    REQUIRE(done);
    for (int i = 0; i < 20; ++i) sim_.step();
  }

 private:
  // Packs pending words into beats (at the end, also a final partial beat).
  void flush_words(bool all) {
    for (;;) {
      unsigned n =
          words_per_beat_ ? words_per_beat_ : static_cast<unsigned>(1 + rng()() % beat_words_);
      if (pending_words_.size() < n) {
        if (!all || pending_words_.empty()) return;
        n = static_cast<unsigned>(pending_words_.size());
      }
      WordsBeat b;
      b.count = n;
      b.limbs.assign(beat_words_ * params_.word_bits / 32, 0);
      const size_t limbs = params_.word_bits / 32;
      for (unsigned k = 0; k < beat_words_; ++k) {
        for (size_t l = 0; l < limbs; ++l) {
          // Words past the count carry junk: the decoder must ignore them.
          b.limbs[k * limbs + l] =
              k < n ? pending_words_.front()[l] : static_cast<uint32_t>(rng()());
        }
        if (k < n) pending_words_.pop_front();
      }
      words_total_ += n;
      words_.push(std::move(b));
    }
  }

  void put_chunk(const ChunkBeat* b) {
    Dut& d = sim_.dut();
    d.chunk_valid_i = b != nullptr;
    if (!b) return;
    d.chunk_words_i = b->words;
    d.chunk_values_i = b->values;
    d.chunk_last_i = b->last;
    d.cfg_i = b->cfg;
  }
  void put_words(const WordsBeat* b) {
    Dut& d = sim_.dut();
    d.words_valid_i = b != nullptr;
    if (!b) {
      for (size_t i = 0; i < beat_words_ * params_.word_bits / 32; ++i) {
        set_limb(d.words_data_i, i, static_cast<uint32_t>(rng()()));
      }
      return;
    }
    write_limbs(d.words_data_i, b->limbs);
    d.words_count_i = b->count;
  }

  std::string where() const { return sim_.where(); }

  void check(const ValuesBeat& b) {
    const uint64_t n = beats_++;
    if (expected_.empty()) {
      FAIL(fmt::format("decoder beat {}: unexpected group; {}", n, where()));
    }
    const Expected& e = expected_.front();
    const std::string at = fmt::format("tensor {} ({}), chunk {}, group {} (beat {})", e.tensor,
                                       to_string(configs_[e.tensor]), e.chunk, e.group, n);
    if (b.count != e.beat.count || b.chunk_end != e.beat.chunk_end || b.last != e.beat.last) {
      FAIL(fmt::format(
          "decoder framing mismatch at {}: lanes {} chunk_end {} last {}, expected "
          "lanes {} chunk_end {} last {}; {}",
          at, b.count, b.chunk_end, b.last, e.beat.count, e.beat.chunk_end, e.beat.last, where()));
    }
    for (unsigned l = 0; l < e.beat.count; ++l) {
      if (b.lanes[l] != e.beat.lanes[l]) {
        FAIL(
            fmt::format("decoder value mismatch at {}, lane {} (value {} of the chunk): "
                        "expected {:08x}, actual {:08x}; chunk status expected {}; {}",
                        at, l, e.group * params_.group + l, e.beat.lanes[l], b.lanes[l],
                        status_name(static_cast<Status>(chunk_status(e))), where()));
      }
    }
    if (b.status != e.beat.status) {
      FAIL(fmt::format("decoder status mismatch at {}: expected {} ({}), actual {}; {}", at,
                       e.beat.status, status_name(static_cast<Status>(e.beat.status)), b.status,
                       where()));
    }
    if (b.chunk_end) ++status_seen_[b.status & 7];
    expected_.pop_front();
  }
  unsigned chunk_status(const Expected& e) const {
    for (const Expected& x : expected_) {
      if (x.tensor == e.tensor && x.chunk == e.chunk && x.beat.chunk_end) return x.beat.status;
    }
    return 0;
  }

  Config params_;
  unsigned beat_words_, words_per_beat_;
  Sim<Dut> sim_;
  StreamDriver<ChunkBeat> chunks_;
  StreamDriver<WordsBeat> words_;
  StreamSink<ValuesBeat> values_;
  std::vector<Config> configs_;
  std::deque<std::vector<uint32_t>> pending_words_;
  std::deque<Expected> expected_;
  uint64_t groups_ = 0, values_count_ = 0, beats_ = 0, words_total_ = 0;
  uint64_t expected_status_[16] = {};
  uint64_t status_seen_[8] = {};
};

}  // namespace sfp::tb
