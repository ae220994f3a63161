// SPDX-License-Identifier: Apache-2.0
//
// Loopback bench: a verilated sfp_encoder and a verilated sfp_decoder of the same parameter set,
// stepped in lockstep, with a memory model between them: the encoder writes payload words and
// chunk index entries (with random write stalls), the decoder reads chunk descriptors and
// words back as soon as they are written. The decoder needs a chunk's index entry before its
// words, as when it reads a stored tensor, so the memory holds up to one chunk. Every decoded
// value must equal Q_m of the input (sfp::quantize) and every chunk status must be ok.
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
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stimulus.hpp"
#include "stream.hpp"

namespace sfp::tb {

template <class Enc, class Dec>
class LoopbackBench {
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
  };
  struct IndexBeat {
    uint32_t words;
    bool last;
  };
  struct ChunkBeat {
    uint32_t words, values;
    bool last;
    uint8_t cfg;
  };

  LoopbackBench(uint64_t seed, const std::string& name, double in_p, ReadyPattern out_ready,
                ReadyPattern mem_ready = ReadyPattern::random(0.9))
      : params_(params_config<Enc>()),
        beat_words_(beat_words(params_)),
        enc_(seed, name + "_enc"),
        dec_(seed ^ 0x5EEDu, name + "_dec"),
        drv_(
            enc_.rng(), in_p, [this](const InBeat* b) { put(b); },
            [this] { return enc_.dut().tensor_ready_o != 0; }),
        mem_bits_(
            enc_.rng(), mem_ready, [this](bool r) { enc_.dut().bits_ready_i = r; },
            [this] { return enc_.dut().bits_valid_o != 0; }, [this] { return read_bits(); },
            [this](const BitsBeat& b) { store_bits(b); }),
        mem_index_(
            enc_.rng(), mem_ready, [this](bool r) { enc_.dut().index_ready_i = r; },
            [this] { return enc_.dut().index_valid_o != 0; },
            [this] {
              return IndexBeat{enc_.dut().index_words_o, enc_.dut().index_last_o != 0};
            },
            [this](const IndexBeat& b) { store_index(b); }),
        rd_words_(
            dec_.rng(), 1.0, [this](const BitsBeat* b) { put_words(b); },
            [this] { return dec_.dut().words_ready_o != 0; }),
        rd_chunks_(
            dec_.rng(), 1.0, [this](const ChunkBeat* b) { put_chunk(b); },
            [this] { return dec_.dut().chunk_ready_o != 0; }),
        sink_(
            dec_.rng(), out_ready, [this](bool r) { dec_.dut().values_ready_i = r; },
            [this] { return dec_.dut().values_valid_o != 0; },
            [this] { return read_values_beat(dec_.dut(), params_.group); },
            [this](const ValuesBeat& b) { check(b); }) {
    static_assert(sizeof(enc_.dut().bits_data_o) == sizeof(dec_.dut().words_data_i));
    REQUIRE(params_config<Dec>().group == params_.group);
    drv_.set_clock(enc_.cycle_ptr());
    sink_.set_clock(dec_.cycle_ptr());
    enc_.add(&drv_);
    enc_.add(&mem_bits_);
    enc_.add(&mem_index_);
    dec_.add(&rd_words_);
    dec_.add(&rd_chunks_);
    dec_.add(&sink_);
    enc_.reset();
    dec_.reset();
  }

  const Config& params() const { return params_; }
  std::mt19937_64& rng() { return enc_.rng(); }
  uint64_t groups() const { return groups_; }
  uint64_t values() const { return values_; }
  uint64_t first_in_cycle() const { return drv_.first_cycle(); }
  uint64_t last_out_cycle() const { return sink_.last_cycle(); }

  void add_tensor(Config c, const std::vector<uint32_t>& values) {
    c.group = params_.group;
    c.chunk = params_.chunk;
    c.word_bits = params_.word_bits;
    c.base = params_.base;
    c.zero = params_.zero;
    const size_t t = configs_.size();
    configs_.push_back(c);
    for (size_t k = 0; k * c.chunk < values.size(); ++k) {
      chunks_.push_back(
          {static_cast<uint32_t>(std::min<size_t>(c.chunk, values.size() - k * c.chunk)),
           cfg_bits(c)});
    }
    for (size_t i = 0; i < values.size(); i += params_.group) {
      InBeat b;
      b.count = static_cast<unsigned>(std::min<size_t>(params_.group, values.size() - i));
      b.lanes.assign(params_.group, 0);
      for (unsigned l = 0; l < b.count; ++l) b.lanes[l] = values[i + l];
      b.last = i + params_.group >= values.size();
      b.cfg = cfg_bits(c);
      drv_.push(b);
      ValuesBeat e;
      e.count = b.count;
      e.lanes.assign(params_.group, 0);
      for (unsigned l = 0; l < b.count; ++l) {
        e.lanes[l] = quantize(values[i + l], c.fp, c.man_bits, c.rounding);
      }
      const size_t in_chunk = i % c.chunk;
      e.chunk_end = b.last || in_chunk + params_.group >= c.chunk;
      e.last = b.last;
      e.status = 0;
      expected_.push_back({e, t, i});
      ++groups_;
    }
    values_ += values.size();
  }

  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 4000 + 200 * groups_;
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t i = 0;
    for (; i < timeout_cycles && !(drv_.idle() && expected_.empty()); ++i) step();
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(enc_.where());
    INFO(expected_.size() << " groups outstanding");
    REQUIRE((drv_.idle() && expected_.empty()));
    REQUIRE(mem_words_.empty());
    for (int k = 0; k < 20; ++k) step();
  }
  double seconds() const { return seconds_; }

 private:
  struct Expected {
    ValuesBeat beat;
    size_t tensor, first_value;
  };
  struct Desc {
    uint32_t values;
    uint8_t cfg;
  };

  // One cycle of both DUTs in the Sim order: drive, settle, sample, clock.
  void step() {
    step_lockstep(enc_, dec_);
    // The memory's read side: whatever has been written is readable from the next cycle.
    if (rd_words_.idle() && !mem_words_.empty()) {
      BitsBeat b;
      b.count = static_cast<unsigned>(std::min<size_t>(beat_words_, mem_words_.size()));
      const size_t limbs = params_.word_bits / 32;
      b.limbs.assign(beat_words_ * limbs, 0);
      for (unsigned k = 0; k < b.count; ++k) {
        for (size_t l = 0; l < limbs; ++l) b.limbs[k * limbs + l] = mem_words_.front()[l];
        mem_words_.pop_front();
      }
      rd_words_.push(std::move(b));
    }
  }

  BitsBeat read_bits() {
    const Enc& e = enc_.dut();
    BitsBeat b;
    b.limbs = read_limbs(e.bits_data_o, limbs_of<decltype(e.bits_data_o)>());
    b.count = e.bits_count_o;
    return b;
  }
  void store_bits(const BitsBeat& b) {
    const size_t limbs = params_.word_bits / 32;
    for (unsigned k = 0; k < b.count; ++k) {
      mem_words_.emplace_back(b.limbs.begin() + k * limbs, b.limbs.begin() + (k + 1) * limbs);
    }
  }
  void store_index(const IndexBeat& b) {
    if (chunks_.empty()) FAIL("loopback: chunk index entry beyond the last chunk; " << where());
    const Desc d = chunks_.front();
    chunks_.pop_front();
    rd_chunks_.push({b.words, d.values, b.last, d.cfg});
  }
  void put_words(const BitsBeat* b) {
    Dec& d = dec_.dut();
    d.words_valid_i = b != nullptr;
    if (!b) return;
    write_limbs(d.words_data_i, b->limbs);
    d.words_count_i = b->count;
  }
  void put_chunk(const ChunkBeat* b) {
    Dec& d = dec_.dut();
    d.chunk_valid_i = b != nullptr;
    if (!b) return;
    d.chunk_words_i = b->words;
    d.chunk_values_i = b->values;
    d.chunk_last_i = b->last;
    d.cfg_i = b->cfg;
  }

  void put(const InBeat* b) {
    Enc& d = enc_.dut();
    d.tensor_valid_i = b != nullptr;
    if (!b) return;
    write_limbs(d.tensor_data_i, b->lanes);
    d.tensor_lanes_i = b->count;
    d.tensor_last_i = b->last;
    d.cfg_i = b->cfg;
  }
  std::string where() const { return enc_.where(); }
  void check(const ValuesBeat& b) {
    if (expected_.empty()) FAIL("loopback: unexpected output group; " << where());
    const Expected& x = expected_.front();
    const ValuesBeat& e = x.beat;
    const std::string at = fmt::format("tensor {} ({}), values {}..", x.tensor,
                                       to_string(configs_[x.tensor]), x.first_value);
    if (b.count != e.count || b.chunk_end != e.chunk_end || b.last != e.last || b.status != 0) {
      FAIL(fmt::format(
          "loopback framing mismatch at {}: lanes {} chunk_end {} last {} status {}, "
          "expected lanes {} chunk_end {} last {} status 0; {}",
          at, b.count, b.chunk_end, b.last, b.status, e.count, e.chunk_end, e.last, where()));
    }
    for (unsigned l = 0; l < e.count; ++l) {
      if (b.lanes[l] != e.lanes[l]) {
        FAIL(
            fmt::format("loopback value mismatch at {}, lane {}: expected Q_m(x) = {:08x}, "
                        "decoded {:08x}; {}",
                        at, l, e.lanes[l], b.lanes[l], where()));
      }
    }
    expected_.pop_front();
  }

  Config params_;
  unsigned beat_words_;
  Sim<Enc> enc_;
  Sim<Dec> dec_;
  StreamDriver<InBeat> drv_;
  StreamSink<BitsBeat> mem_bits_;
  StreamSink<IndexBeat> mem_index_;
  StreamDriver<BitsBeat> rd_words_;
  StreamDriver<ChunkBeat> rd_chunks_;
  StreamSink<ValuesBeat> sink_;
  std::deque<std::vector<uint32_t>> mem_words_;
  std::vector<Config> configs_;
  std::deque<Desc> chunks_;
  std::deque<Expected> expected_;
  uint64_t groups_ = 0, values_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
