// SPDX-License-Identifier: Apache-2.0
//
// Version 3 encoder bench: drives tensors into a verilated sfp3_encoder and compares every word
// (in slot order) and every chunk index entry (N, CRC-32C, last) with the golden model's
// encode_chunk_v3, failing at the first mismatch; checks every cycle that the window holds at
// most V3WindowWords - 1 words. Counts the functional coverage bins of the encoder (group enc3)
// and each tensor's input cycles.
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

#include "fcov.hpp"
#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/gen/format.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stream.hpp"
#include "v2.hpp"
#include "v3.hpp"

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
              put_values3(sim_.dut(), b, b ? tables_[b->b.tensor] : no_table_, rng(),
                          params_.group);
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
            [this] { return read_index3(sim_.dut()); },
            [this](const IndexBeat3& b) { expect_.check_index(b); }),
        cover_("enc3"),
        probe_([this] { sample(); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().words_data_o)>() == beat_words_);
    REQUIRE(limbs_of<decltype(sim_.dut().tensor_data_i)>() == params_.group);
    drv_.set_clock(sim_.cycle_ptr());
    words_.set_clock(sim_.cycle_ptr());
    index_.set_clock(sim_.cycle_ptr());
    sim_.add(&drv_);
    sim_.add(&words_);
    sim_.add(&index_);
    sim_.add(&held_);
    sim_.add(&probe_);
    cover_.declare_fields();
    cover_.declare_held();
    for (const char* b : kBins) cover_.declare(b);
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
  const FunctionalCoverage& coverage() const { return cover_; }

  // The encoder takes a tensor's first kSetupBeats beats, then builds its codewords (17 + dist
  // cycles) before it takes the next: sustained rates are counted from that next beat on.
  static constexpr uint64_t kSetupBeats = 2;

  // Sustained values per lane per cycle at the input: over the tensors of kSetupBeats + 2 beats
  // or more, the values of each one's beats after beat kSetupBeats over L times the cycles from
  // that beat's transfer to the last beat's (1.0 at a full beat a cycle).
  double values_per_lane_cycle() const {
    uint64_t cycles = 0, values = 0;
    for (size_t t = 0; t < in_spans_.size(); ++t) {
      const InSpan& s = in_spans_[t];
      if (s.beats < kSetupBeats + 2) continue;
      cycles += s.last - s.after_setup;
      values += tensor_steps_[t].values - (kSetupBeats + 1) * params_.group;
    }
    return cycles ? static_cast<double>(values) / (static_cast<double>(cycles) * params_.group)
                  : 0.0;
  }
  // The same spans in steps (L_c values each; a chunk of fewer than 64 L values has L_c < L
  // lanes, Spec: "Version 3 configuration"): the steps of beats kSetupBeats to the last but one
  // over the same cycles (1.0 at a step a cycle).
  double steps_per_cycle() const {
    uint64_t cycles = 0, steps = 0;
    for (size_t t = 0; t < in_spans_.size(); ++t) {
      const InSpan& s = in_spans_[t];
      if (s.beats < kSetupBeats + 2) continue;
      const TensorSteps& ts = tensor_steps_[t];
      cycles += s.last - s.after_setup;
      steps += ts.steps - kSetupBeats * ts.first_beat_steps - ts.last_beat_steps;
    }
    return cycles ? static_cast<double>(steps) / static_cast<double>(cycles) : 0.0;
  }
  // Over the whole run: every value over L times the cycles from the first beat in to the last
  // (codeword setups and small tensors included).
  double values_per_lane_cycle_all() const {
    const uint64_t cycles = drv_.last_cycle() - drv_.first_cycle() + 1;
    return static_cast<double>(values_) / (static_cast<double>(cycles) * params_.group);
  }

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
      if (ch.expired) cover_.hit("chunk with expired words");
      const unsigned lanes = chunk_lanes(c, ch.values);
      cover_.hit(ch.values == params_.chunk ? "full chunk"
                 : lanes < params_.group    ? "short chunk, L_c < L"
                                            : "short chunk, L_c = L");
    }
    TensorSteps ts;
    for (size_t first = 0; first < values.size(); first += c.chunk) {
      const uint64_t n = std::min<uint64_t>(c.chunk, values.size() - first);
      const unsigned lanes = chunk_lanes(c, n);
      ts.steps += (n + lanes - 1) / lanes;
      // The steps of the last beat (a beat never spans two chunks: C is a multiple of L).
      const uint64_t last_beat = n - (n - 1) / params_.group * params_.group;
      ts.last_beat_steps = (last_beat + lanes - 1) / lanes;
      if (first == 0)
        ts.first_beat_steps = (std::min<uint64_t>(n, params_.group) + lanes - 1) / lanes;
    }
    steps_ += ts.steps;
    ts.values = values.size();
    cover_.hit_fields(c);
    expect_.add(to_string(c) + (what.empty() ? "" : " " + what), chunks);
    tensor_steps_.push_back(ts);
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
  static constexpr const char* kBins[] = {"chunk with expired words",
                                          "full chunk",
                                          "short chunk, L_c = L",
                                          "short chunk, L_c < L",
                                          "input waits",
                                          "words stalled",
                                          "index stalled",
                                          "beat of BW words",
                                          "beat of 1 .. BW - 1 words",
                                          "index entry and words in one cycle",
                                          "tensor starts while words of the last are held"};
  // The cycles of a tensor's first input transfer, of beat kSetupBeats and of the last, and its
  // beats.
  struct InSpan {
    uint64_t first = 0, after_setup = 0, last = 0, beats = 0;
  };
  // A tensor's values, steps, and the steps of its first and last beat.
  struct TensorSteps {
    uint64_t values = 0, steps = 0, first_beat_steps = 0, last_beat_steps = 0;
  };

  // Coverage of the ports and the input spans, at the transfers of each edge.
  void sample() {
    const Dut& d = sim_.dut();
    const unsigned held = d.held_o;
    cover_.hit_held(held);
    if (d.tensor_valid_i && !d.tensor_ready_o) cover_.hit("input waits");
    if (d.words_valid_o && !d.words_ready_i) cover_.hit("words stalled");
    if (d.index_valid_o && !d.index_ready_i) cover_.hit("index stalled");
    const bool words = d.words_valid_o && d.words_ready_i;
    if (words) {
      cover_.hit(d.words_count_o == beat_words_ ? "beat of BW words" : "beat of 1 .. BW - 1 words");
    }
    if (words && d.index_valid_o && d.index_ready_i) {
      cover_.hit("index entry and words in one cycle");
    }
    if (d.tensor_valid_i && d.tensor_ready_o) {
      if (!in_tensor_) {
        in_spans_.push_back({sim_.cycle(), 0, 0, 0});
        if (held > 0) cover_.hit("tensor starts while words of the last are held");
      }
      InSpan& s = in_spans_.back();
      if (s.beats == kSetupBeats) s.after_setup = sim_.cycle();
      s.last = sim_.cycle();
      ++s.beats;
      in_tensor_ = !d.tensor_last_i;
    }
  }

  inline static const std::vector<uint32_t> no_table_{};

  Config params_;
  unsigned beat_words_;
  Sim<Dut> sim_;
  Enc3Expect expect_;
  HeldMonitor<Dut> held_;
  StreamDriver<InBeat3> drv_;
  StreamSink<WordsBeat2> words_;
  StreamSink<IndexBeat3> index_;
  FunctionalCoverage cover_;
  Probe probe_;
  std::vector<InSpan> in_spans_;
  std::vector<TensorSteps> tensor_steps_;
  bool in_tensor_ = false;
  std::vector<std::vector<uint32_t>> tables_;
  uint64_t values_ = 0, steps_ = 0, model_held_ = 0, model_expired_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
