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
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sim.hpp"
#include "stream.hpp"
#include "v2.hpp"

namespace sfp::tb {

template <class Dut>
struct Enc2Info;  // specialised in the generated enc2_duts.hpp

// The model configuration of a v2 encoder parameter set (per-tensor fields at defaults).
template <class Dut>
Config enc2_params() {
  return v2_config<typename Enc2Info<Dut>::Top>();
}

template <class Dut>
class Enc2Bench {
 public:
  Enc2Bench(uint64_t seed, const std::string& name, double in_p, ReadyPattern words_ready,
            ReadyPattern index_ready)
      : params_(enc2_params<Dut>()),
        beat_words_(Enc2Info<Dut>::Top::BeatWords),
        sim_(seed, name),
        expect_(beat_words_, [this] { return sim_.where(); }),
        drv_(
            sim_.rng(), in_p,
            [this](const InBeat2* b) {
              put_values2(sim_.dut(), b, b ? tables_[b->tensor] : no_table_, rng(), params_.group);
            },
            [this] { return sim_.dut().tensor_ready_o != 0; }),
        words_(
            sim_.rng(), words_ready, [this](bool r) { sim_.dut().words_ready_i = r; },
            [this] { return sim_.dut().words_valid_o != 0; },
            [this] { return read_words2(sim_.dut(), beat_words_); },
            [this](const WordsBeat2& b) { expect_.check_words(b); }),
        index_(
            sim_.rng(), index_ready, [this](bool r) { sim_.dut().index_ready_i = r; },
            [this] { return sim_.dut().index_valid_o != 0; },
            [this] { return read_index2(sim_.dut()); },
            [this](const IndexBeat2& b) { expect_.check_index(b); }) {
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
  // Steps of L_c values (a chunk of fewer than 32 L values is coded with fewer lanes).
  uint64_t steps() const { return steps_; }
  uint64_t words_checked() const { return expect_.words_checked(); }
  uint64_t chunks_checked() const { return expect_.chunks_checked(); }
  uint64_t raw_chunks() const { return expect_.raw_chunks(); }
  uint64_t first_in_cycle() const { return drv_.first_cycle(); }
  uint64_t last_in_cycle() const { return drv_.last_cycle(); }
  uint64_t last_out_cycle() const { return std::max(words_.last_cycle(), index_.last_cycle()); }
  double seconds() const { return seconds_; }

  // Queues a tensor with the model's own table (sfp::encode); per-tensor fields from c.
  void add_tensor(Config c, const std::vector<uint32_t>& values) {
    c = with_params(c);
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    queue(c, e.table, split_chunks2(e), values);
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

 private:
  void queue(const Config& c, const CodeTable& t, const std::vector<Chunk2>& chunks,
             const std::vector<uint32_t>& values) {
    REQUIRE(!values.empty());
    const size_t tensor = tables_.size();
    tables_.push_back(table_limbs(t));
    REQUIRE(chunks.size() == (values.size() + c.chunk - 1) / c.chunk);
    for (const Chunk2& ch : chunks) {
      const unsigned lanes = chunk_lanes(c.group, ch.values);
      steps_ += (ch.values + lanes - 1) / lanes;
    }
    expect_.add(to_string(c), chunks);
    for (InBeat2& b : tensor_beats2(rng(), c, values, tensor)) {
      drv_.push(std::move(b));
      ++beats_;
    }
    values_ += values.size();
  }

  inline static const std::vector<uint32_t> no_table_{};

  Config params_;
  unsigned beat_words_;
  Sim<Dut> sim_;
  Enc2Expect expect_;
  StreamDriver<InBeat2> drv_;
  StreamSink<WordsBeat2> words_;
  StreamSink<IndexBeat2> index_;
  std::vector<std::vector<uint32_t>> tables_;  // table_i of each tensor
  uint64_t beats_ = 0, values_ = 0, steps_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
