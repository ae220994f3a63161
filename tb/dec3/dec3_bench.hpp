// SPDX-License-Identifier: Apache-2.0
//
// Version 3 decoder bench: drives chunk descriptors (index entry N and CRC, values, last) and the
// chunks' words into a verilated sfp3_decoder and compares every chunk's status and every value
// of each chunk whose status is 0 with sfp::decode_chunk_v3, and the step framing (L_c values
// per beat), failing at the first mismatch. Chunks may be corrupted at will: the model defines
// the expected status of any chunk. The values of a failing chunk are not compared (the decoder
// emits them before its CRC and end checks are known; a consumer drops them).
// The bench tracks which configuration and table the decoder applies (those on cfg_i/table_i at
// the descriptor that starts a tensor) and expects the descriptor checks of docs/architecture.md
// ("Version 3 decoder"): bad_config, bad_table, bad_index, then the model's decode of the chunk.
// It counts the decoder's functional coverage bins (group dec3, tb/common/fcov.hpp).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "fcov.hpp"
#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sim.hpp"
#include "stimulus.hpp"
#include "stream.hpp"
#include "v2.hpp"
#include "v3.hpp"

namespace sfp::tb {

template <class Dut>
struct Dec3Info;  // specialised per verilated parameter set (dec3_duts.hpp)

template <class Dut>
class Dec3Bench {
 public:
  using Top = typename Dec3Info<Dut>::Top;
  static constexpr unsigned kL = Top::NumLanes, kC = Top::ChunkValues, kBW = Top::BeatWords;

  struct OutBeat {
    std::vector<uint32_t> lanes;
    unsigned count;
    bool last, chunk_end;
  };
  struct StatusBeat {
    unsigned code;
    bool last;
  };
  struct ExpChunk {
    std::vector<uint32_t> values;
    unsigned status, lanes;
    bool last;
    std::string what;
  };

  // words_per_beat 0: random 1..BeatWords per beat; otherwise exactly that many.
  Dec3Bench(uint64_t seed, const std::string& name, double in_p, ReadyPattern out_ready,
            unsigned words_per_beat = 0)
      : words_per_beat_(words_per_beat),
        in_p_(in_p),
        sim_(seed, name),
        desc_(
            sim_.rng(), in_p, [this](const Desc3* b) { put_desc3(sim_.dut(), b); },
            [this] { return sim_.dut().chunk_ready_o != 0; }),
        words_(
            sim_.rng(), in_p,
            [this](const WordsBeat2* b) { put_words3(sim_.dut(), b, rng(), kBW); },
            [this] { return sim_.dut().words_ready_o != 0; }),
        values_(
            sim_.rng(), out_ready, [this](bool r) { sim_.dut().values_ready_i = r; },
            [this] { return sim_.dut().values_valid_o != 0; }, [this] { return read_values(); },
            [this](const OutBeat& b) { check_values(b); }),
        status_(
            sim_.rng(), out_ready, [this](bool r) { sim_.dut().status_ready_i = r; },
            [this] { return sim_.dut().status_valid_o != 0; }, [this] { return read_status(); },
            [this](const StatusBeat& b) { check_status(b); }),
        cover_("dec3"),
        probe_([this] { sample(); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().words_data_i)>() == kBW);
    REQUIRE(limbs_of<decltype(sim_.dut().values_data_o)>() == kL);
    for (Agent* a : std::initializer_list<Agent*>{&desc_, &words_, &values_, &status_}) {
      sim_.add(a);
    }
    sim_.add(&probe_);
    cover_.declare_fields();
    cover_.declare_statuses();
    for (const char* b : kBins) cover_.declare(b);
    desc_.set_clock(sim_.cycle_ptr());
    values_.set_clock(sim_.cycle_ptr());
    sim_.reset();
  }

  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t steps() const { return steps_; }
  uint64_t values() const { return values_count_; }
  uint64_t chunks() const { return chunks_; }
  uint64_t first_in_cycle() const { return desc_.first_cycle(); }
  uint64_t last_out_cycle() const { return values_.last_cycle(); }
  const uint64_t* status_seen() const { return status_seen_; }

  // The version 3 configuration of the DUT with the given per-tensor fields.
  static Config config(Fp fp, unsigned m, Rounding r) {
    Config c = Config::lossless(fp, 3);
    c.man_bits = m;
    c.rounding = r;
    c.group = kL;
    c.chunk = kC;
    return c;
  }

  // Encodes values with the model and queues the tensor; returns the encoding.
  Encoded add_tensor(const Config& c, const std::vector<uint32_t>& values,
                     const std::string& what) {
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    REQUIRE(e.table_ref == 0);
    add_chunks(c, e.table, split_chunks3(e), what);
    return e;
  }

  // Queues the chunks of one tensor (possibly corrupted, with any table).
  void add_chunks(const Config& c, const CodeTable& t, const std::vector<Chunk3>& chunks,
                  const std::string& what) {
    for (size_t k = 0; k < chunks.size(); ++k) {
      add_desc(chunks[k], k + 1 == chunks.size(), c, t,
               fmt::format("{} ({}), chunk {} of {}", what, to_string(c), k, chunks.size()));
    }
  }

  // Queues one descriptor (N = the chunk's word count) with c and t on cfg_i and table_i, the
  // chunk's words on the word stream, and the expectation.
  void add_desc(const Chunk3& ch, bool last, const Config& c, const CodeTable& t,
                const std::string& what) {
    REQUIRE(ch.words.size() <= kMaxWords);
    REQUIRE(ch.values < 2 * uint64_t{kC});
    REQUIRE(c.man_bits < 32);
    desc_.push({static_cast<uint32_t>(ch.words.size()), static_cast<uint32_t>(ch.values), ch.crc,
                last, cfg_bits(c), table_limbs(t)});
    push_words(ch.words);
    if (!in_tensor_) {
      app_cfg_ = c;
      app_table_ = t;
      if (c.man_bits <= fp_format(c.fp).man_bits) cover_.hit_fields(c);
    }
    cover_.hit(last ? (in_tensor_ ? "last chunk of several" : "tensor of one chunk")
                    : "chunk before the last");
    in_tensor_ = !last;
    ExpChunk e;
    e.status = expect(ch, last, &e.values);
    e.lanes = chunk_lanes(app_cfg_, e.values.size());
    e.last = last;
    e.what = what;
    steps_ += (e.values.size() + e.lanes - 1) / e.lanes;
    values_count_ += e.values.size();
    ++chunks_;
    exp_status_.push_back({e.status, last});
    exp_.push_back(std::move(e));
  }

  // The largest N the descriptor port holds: 2^(bit width of 2 C) - 1.
  static constexpr uint64_t kMaxWords = (uint64_t{1} << bit_width_of(2 * uint64_t{kC})) - 1;

  // What the decoder gives for a chunk under the applied configuration and table: its status
  // (bad_config, bad_table, bad_index of the descriptor, then the model's decode, which checks N
  // against N_min .. N_max itself) and its values (max(1, min(values, C)) of them).
  unsigned expect(const Chunk3& ch, bool last, std::vector<uint32_t>* values) const {
    const uint64_t n = std::clamp<uint64_t>(ch.values, 1, kC);
    values->assign(n, 0u);
    Status st;
    if (validate(app_cfg_) != Status::kOk) {
      st = Status::kBadConfig;
    } else if (check_table(app_table_) != Status::kOk) {
      st = Status::kBadTable;
    } else if (ch.values == 0 || ch.values > kC || (!last && ch.values != kC)) {
      st = Status::kBadIndex;
    } else {
      const auto b = bytes_of(ch.words);
      st = decode_chunk_v3(app_cfg_, app_table_, ch.values, ch.crc, b.data(), ch.words.size(),
                           values->data());
    }
    return static_cast<unsigned>(st);
  }

  // Cycles with agents (the scoreboards run).
  void step(uint64_t cycles) {
    for (uint64_t i = 0; i < cycles; ++i) sim_.step();
  }
  // Withholds the word stream (a beat already offered is still taken), or offers it again.
  void hold_words(bool hold) { words_.set_probability(hold ? 0.0 : in_p_); }
  bool starved() { return sim_.dut().starved_o != 0; }
  uint64_t values_received() const { return values_.received(); }

  // Resets the decoder in the middle of whatever it does: every queued descriptor, word and
  // expectation is dropped, rst_ni is low for `cycles` cycles, and right after it the decoder
  // must offer nothing and want no words.
  void reset_midstream(unsigned cycles) {
    cover_.hit("reset in mid-stream");
    desc_.clear();
    words_.clear();
    exp_.clear();
    exp_status_.clear();
    at_ = 0;
    in_tensor_ = false;
    Dut& d = sim_.dut();
    d.chunk_valid_i = 0;
    d.words_valid_i = 0;
    sim_.reset(cycles);
    d.eval();
    INFO(where());
    CHECK(d.values_valid_o == 0);
    CHECK(d.status_valid_o == 0);
    CHECK(d.starved_o == 0);
    CHECK(d.words_ready_o == 0);
  }

  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 20000 + 40 * steps_ + 300 * chunks_;
    const bool done = sim_.run_until(
        [this] { return desc_.idle() && words_.idle() && exp_.empty() && exp_status_.empty(); },
        timeout_cycles);
    INFO(where());
    INFO(exp_.size() << " chunks of values and " << exp_status_.size()
                     << " statuses outstanding; descriptors "
                     << (desc_.idle() ? "all taken" : "pending") << ", words "
                     << (words_.idle() ? "all taken" : "pending"));
    REQUIRE(done);
    for (int i = 0; i < 30; ++i) sim_.step();
    CHECK(sim_.dut().values_valid_o == 0);
    CHECK(sim_.dut().status_valid_o == 0);
  }

 private:
  void push_words(const std::vector<uint32_t>& w) {
    size_t from = 0;
    while (from < w.size()) {
      unsigned n = words_per_beat_ ? words_per_beat_ : static_cast<unsigned>(1 + rng()() % kBW);
      n = static_cast<unsigned>(std::min<size_t>(n, w.size() - from));
      WordsBeat2 b;
      b.count = n;
      b.words.resize(kBW);
      for (unsigned i = 0; i < kBW; ++i) {
        // Words past the count carry junk: the decoder must ignore them.
        b.words[i] = i < n ? w[from + i] : static_cast<uint32_t>(rng()());
      }
      from += n;
      words_.push(std::move(b));
    }
  }

  OutBeat read_values() {
    const Dut& d = sim_.dut();
    OutBeat b;
    b.lanes = read_limbs(d.values_data_o, kL);
    b.count = d.values_lanes_o;
    b.last = d.values_last_o != 0;
    b.chunk_end = d.values_chunk_end_o != 0;
    return b;
  }
  StatusBeat read_status() {
    const Dut& d = sim_.dut();
    return {d.status_code_o, d.status_last_o != 0};
  }

  std::string where() const { return replay_note(sim_.seed(), sim_.cycle()); }

  static constexpr const char* kBins[] = {"tensor of one chunk",
                                          "chunk before the last",
                                          "last chunk of several",
                                          "descriptor waits",
                                          "words wait",
                                          "word beat of BW words",
                                          "word beat of 1 .. BW - 1 words",
                                          "values stalled",
                                          "status stalled",
                                          "beat of L_c < L values",
                                          "starved_o",
                                          "reset in mid-stream"};

  // Coverage of the ports, at the transfers of each edge.
  void sample() {
    const Dut& d = sim_.dut();
    if (d.chunk_valid_i && !d.chunk_ready_o) cover_.hit("descriptor waits");
    if (d.words_valid_i && !d.words_ready_o) cover_.hit("words wait");
    if (d.words_valid_i && d.words_ready_o) {
      cover_.hit(d.words_count_i == kBW ? "word beat of BW words"
                                        : "word beat of 1 .. BW - 1 words");
    }
    if (d.values_valid_o && !d.values_ready_i) cover_.hit("values stalled");
    if (d.status_valid_o && !d.status_ready_i) cover_.hit("status stalled");
    if (d.values_valid_o && d.values_ready_i && d.values_lanes_o < kL) {
      cover_.hit("beat of L_c < L values");
    }
    if (d.starved_o) cover_.hit("starved_o");
  }

  void check_values(const OutBeat& b) {
    if (exp_.empty()) FAIL(fmt::format("unexpected values beat; {}", where()));
    ExpChunk& x = exp_.front();
    const uint64_t first = at_;
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(x.lanes, x.values.size() - first));
    const bool end = first + n == x.values.size();
    const std::string at = fmt::format("{}, values {}..", x.what, first);
    if (b.count != n || b.chunk_end != end || b.last != (end && x.last)) {
      FAIL(
          fmt::format("framing mismatch at {}: lanes {} chunk_end {} last {}, expected lanes {} "
                      "chunk_end {} last {}; {}",
                      at, b.count, b.chunk_end, b.last, n, end, end && x.last, where()));
    }
    for (unsigned l = 0; l < kL; ++l) {
      if (x.status == 0 && l < n && b.lanes[l] != x.values[first + l]) {
        FAIL(fmt::format("value mismatch at {}, value {}: expected {:08x}, actual {:08x}; {}", at,
                         first + l, x.values[first + l], b.lanes[l], where()));
      }
      if (l >= n && b.lanes[l] != 0) {
        FAIL(fmt::format("unused lane {} not 0 at {}: {:08x}; {}", l, at, b.lanes[l], where()));
      }
    }
    at_ += n;
    if (end) {
      at_ = 0;
      exp_.pop_front();
    }
  }
  void check_status(const StatusBeat& b) {
    if (exp_status_.empty()) FAIL(fmt::format("unexpected status beat; {}", where()));
    if (!exp_.empty() && exp_.size() >= exp_status_.size()) {
      FAIL(fmt::format("status before the chunk's last values; {}", where()));
    }
    const StatusBeat e = exp_status_.front();
    const size_t k = status_count_++;
    if (b.code != e.code || b.last != e.last) {
      FAIL(fmt::format(
          "status mismatch at chunk {} of the run: expected {} ({}) last {}, actual "
          "{} last {}; {}",
          k, e.code, status_name(static_cast<Status>(e.code)), e.last, b.code, b.last, where()));
    }
    ++status_seen_[b.code & 15];
    cover_.hit_status(b.code);
    exp_status_.pop_front();
  }

  unsigned words_per_beat_;
  double in_p_;
  Sim<Dut> sim_;
  StreamDriver<Desc3> desc_;
  StreamDriver<WordsBeat2> words_;
  StreamSink<OutBeat> values_;
  StreamSink<StatusBeat> status_;
  std::deque<ExpChunk> exp_;
  std::deque<StatusBeat> exp_status_;
  uint64_t at_ = 0, steps_ = 0, values_count_ = 0, chunks_ = 0, status_count_ = 0;
  uint64_t status_seen_[16] = {};
  FunctionalCoverage cover_;
  Probe probe_;
  bool in_tensor_ = false;
  Config app_cfg_;
  CodeTable app_table_;
};

}  // namespace sfp::tb
