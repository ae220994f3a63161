// SPDX-License-Identifier: Apache-2.0
//
// Encoder bench: drives tensors into a verilated sfp_encoder and compares every payload word and
// every chunk index entry with sfp::encode, failing at the first mismatch.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "dut.hpp"
#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sim.hpp"
#include "stimulus.hpp"
#include "stream.hpp"

namespace sfp::tb {

// One expected payload word, with where it sits.
struct ExpWord {
  std::vector<uint32_t> limbs;
  size_t tensor, chunk, word;  // word index inside its chunk
  bool tensor_end;             // the tensor's last word
};

// Payload bytes of an encoded tensor as W-bit words of 32-bit limbs.
inline std::vector<std::vector<uint32_t>> payload_words(const Encoded& e) {
  const size_t limbs = e.config.word_bits / 32, bytes = e.config.word_bits / 8;
  std::vector<std::vector<uint32_t>> words(e.payload.size() / bytes, std::vector<uint32_t>(limbs));
  for (size_t w = 0; w < words.size(); ++w) {
    for (size_t l = 0; l < limbs; ++l) {
      const uint8_t* p = e.payload.data() + w * bytes + l * 4;
      words[w][l] =
          uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
    }
  }
  return words;
}

template <class Dut>
class EncoderBench {
 public:
  struct InBeat {
    std::vector<uint32_t> lanes;
    unsigned count;
    bool last;
    uint8_t cfg;
  };
  struct BitsBeat {
    std::vector<uint32_t> limbs;
    unsigned count;
    bool last;
  };
  struct IndexBeat {
    uint32_t words;
    bool last;
  };

  EncoderBench(uint64_t seed, const std::string& name, double in_p, ReadyPattern bits_ready,
               ReadyPattern index_ready)
      : params_(params_config<Dut>()),
        beat_words_(beat_words(params_)),
        sim_(seed, name),
        drv_(
            sim_.rng(), in_p, [this](const InBeat* b) { put(b); },
            [this] { return sim_.dut().tensor_ready_o != 0; }),
        bits_(
            sim_.rng(), bits_ready, [this](bool r) { sim_.dut().bits_ready_i = r; },
            [this] { return sim_.dut().bits_valid_o != 0; }, [this] { return read_bits(); },
            [this](const BitsBeat& b) { check_bits(b); }),
        index_(
            sim_.rng(), index_ready, [this](bool r) { sim_.dut().index_ready_i = r; },
            [this] { return sim_.dut().index_valid_o != 0; },
            [this] {
              return IndexBeat{sim_.dut().index_words_o, sim_.dut().index_last_o != 0};
            },
            [this](const IndexBeat& b) { check_index(b); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().bits_data_o)>() * 32 == beat_words_ * params_.word_bits);
    REQUIRE(limbs_of<decltype(sim_.dut().tensor_data_i)>() == params_.group);
    drv_.set_clock(sim_.cycle_ptr());
    bits_.set_clock(sim_.cycle_ptr());
    index_.set_clock(sim_.cycle_ptr());
    sim_.add(&drv_);
    sim_.add(&bits_);
    sim_.add(&index_);
    sim_.reset();
  }

  const Config& params() const { return params_; }
  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t groups() const { return groups_; }
  uint64_t values() const { return values_; }
  uint64_t words_checked() const { return words_checked_; }
  StreamDriver<InBeat>& driver() { return drv_; }
  uint64_t first_in_cycle() const { return drv_.first_cycle(); }
  uint64_t last_out_cycle() const { return std::max(bits_.last_cycle(), index_.last_cycle()); }

  // Queues a tensor (config fields other than the per-tensor ones come from the parameters).
  void add_tensor(Config c, const std::vector<uint32_t>& values) {
    c.group = params_.group;
    c.chunk = params_.chunk;
    c.word_bits = params_.word_bits;
    c.base = params_.base;
    c.zero = params_.zero;
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    const size_t t = configs_.size();
    configs_.push_back(c);
    const auto words = payload_words(e);
    size_t at = 0;
    for (size_t k = 0; k < e.chunk_words.size(); ++k) {
      for (size_t w = 0; w < e.chunk_words[k]; ++w, ++at) {
        exp_words_.push_back({words[at], t, k, w, at + 1 == words.size()});
      }
      exp_index_.push_back({e.chunk_words[k], k + 1 == e.chunk_words.size()});
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
      b.cfg = cfg_bits(c);
      drv_.push(std::move(b));
      ++groups_;
    }
    values_ += values.size();
  }

  // Runs until every queued tensor is out and checked, then idles to catch stray beats.
  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 2000 + 200 * groups_;
    const auto t0 = std::chrono::steady_clock::now();
    const bool done = sim_.run_until(
        [this] { return drv_.idle() && exp_words_.empty() && exp_index_.empty(); }, timeout_cycles);
    INFO(sim_.where());
    INFO(exp_words_.size() << " words and " << exp_index_.size() << " index entries outstanding, "
                           << (drv_.idle() ? "all input taken" : "input pending"));
    REQUIRE(done);
    for (int i = 0; i < 20; ++i) sim_.step();  // nothing more may come out
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double seconds() const { return seconds_; }

 private:
  void put(const InBeat* b) {
    Dut& d = sim_.dut();
    d.tensor_valid_i = b != nullptr;
    if (!b) {
      // Junk on an idle bus: the DUT must not look at it.
      for (size_t l = 0; l < params_.group; ++l)
        set_limb(d.tensor_data_i, l, static_cast<uint32_t>(rng()()));
      return;
    }
    write_limbs(d.tensor_data_i, b->lanes);
    d.tensor_lanes_i = b->count;
    d.tensor_last_i = b->last;
    d.cfg_i = b->cfg;
  }

  BitsBeat read_bits() {
    const Dut& d = sim_.dut();
    BitsBeat b;
    b.limbs = read_limbs(d.bits_data_o, beat_words_ * params_.word_bits / 32);
    b.count = d.bits_count_o;
    b.last = d.bits_last_o != 0;
    return b;
  }

  std::string where() const { return sim_.where(); }

  void check_bits(const BitsBeat& b) {
    const size_t limbs = params_.word_bits / 32;
    const uint64_t beat = bits_beats_++;
    if (b.count == 0 || b.count > beat_words_) {
      FAIL(fmt::format("encoder beat {}: word count {} outside 1..{}; {}", beat, b.count,
                       beat_words_, where()));
    }
    for (unsigned k = 0; k < b.count; ++k) {
      if (exp_words_.empty()) {
        FAIL(fmt::format("encoder beat {}: unexpected word {} after the end of the payload; {}",
                         beat, k, where()));
      }
      const ExpWord& e = exp_words_.front();
      const uint32_t* got = b.limbs.data() + k * limbs;
      for (size_t l = 0; l < limbs; ++l) {
        if (got[l] != e.limbs[l]) {
          const unsigned bit = static_cast<unsigned>(__builtin_ctz(got[l] ^ e.limbs[l]));
          FAIL(fmt::format(
              "encoder word mismatch: tensor {} ({}), chunk {}, word {} (beat {}, word {} of "
              "{}), first differing bit at chunk bit offset {}\n  expected {}\n  actual   {}\n{}",
              e.tensor, to_string(configs_[e.tensor]), e.chunk, e.word, beat, k, b.count,
              e.word * params_.word_bits + l * 32 + bit, hex_limbs(e.limbs), hex_limbs(got, limbs),
              where()));
        }
      }
      const bool beat_end = k + 1 == b.count;
      if (e.tensor_end && !(beat_end && b.last)) {
        FAIL(
            fmt::format("encoder beat {}: the tensor's last word (tensor {}) is word {} of {} "
                        "and bits_last_o = {}; {}",
                        beat, e.tensor, k, b.count, b.last, where()));
      }
      if (!e.tensor_end && beat_end && b.last) {
        FAIL(
            fmt::format("encoder beat {}: bits_last_o set before the tensor's end (tensor {}, "
                        "chunk {}, word {}); {}",
                        beat, e.tensor, e.chunk, e.word, where()));
      }
      exp_words_.pop_front();
      ++words_checked_;
    }
  }

  void check_index(const IndexBeat& b) {
    const uint64_t n = index_beats_++;
    if (exp_index_.empty()) {
      FAIL(fmt::format("encoder index entry {}: unexpected (words {}); {}", n, b.words, where()));
    }
    const IndexBeat e = exp_index_.front();
    if (b.words != e.words || b.last != e.last) {
      FAIL(fmt::format("encoder index entry {}: expected {} words (last {}), got {} (last {}); {}",
                       n, e.words, e.last, b.words, b.last, where()));
    }
    exp_index_.pop_front();
  }

  Config params_;
  unsigned beat_words_;
  Sim<Dut> sim_;
  StreamDriver<InBeat> drv_;
  StreamSink<BitsBeat> bits_;
  StreamSink<IndexBeat> index_;
  std::vector<Config> configs_;
  std::deque<ExpWord> exp_words_;
  std::deque<IndexBeat> exp_index_;
  uint64_t groups_ = 0, values_ = 0, bits_beats_ = 0, index_beats_ = 0, words_checked_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
