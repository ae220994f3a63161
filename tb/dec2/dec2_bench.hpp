// SPDX-License-Identifier: Apache-2.0
//
// Version 2 decoder bench: drives chunk descriptors, lane words and plane words into a verilated
// sfp2_decoder and compares every chunk's status and every value of each chunk whose status is
// 0 with sfp::decode_chunk_v2, and the step framing (L_c values per beat), failing at the first
// mismatch. Chunks may be corrupted at will: the model defines the expected status of any chunk.
// The values of a failing chunk are not compared (the decoder emits them before its CRC and
// end checks are known; a consumer drops them).
// Descriptors may be anything the ports hold (W and values 0 .. 2C - 1, a wrong `last`, m above
// the format's width): the bench tracks which configuration and table the decoder applies (the
// ones on cfg_i/table_i at the descriptor that starts a tensor, as the decoder sees `last`) and
// expects the descriptor checks of docs/architecture.md ("Version 2 decoder"): bad_config,
// bad_table, bad_index, then the model's decode of the chunk under the applied table. The bench
// can withhold a word stream (starved_o) and reset the decoder in the middle of a run.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sim.hpp"
#include "stream.hpp"
#include "v2.hpp"

namespace sfp::tb {

template <class Dut>
struct Dec2Info;  // specialised per verilated parameter set (dec2_duts.hpp)

// The raw form of values q[0..n) (already quantized; Spec: "Raw chunk"), whatever the encoder
// would choose: sign, exponent and the top max(m, 1) mantissa bits per value, LSB first.
inline Chunk2 raw_chunk_of(const Config& c, const uint32_t* q, size_t n) {
  const FpFormat f = fp_format(c.fp);
  const unsigned mm = std::max(c.man_bits, 1u), drop = f.man_bits - mm, vb = 9 + mm;
  Chunk2 ch;
  ch.values = n;
  ch.raw = true;
  ch.words.assign((n * vb + 31) / 32, 0u);
  uint64_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t x = q[i], sign = x >> (f.width() - 1), exp = (x >> f.man_bits) & 0xFFu;
    const uint64_t v = sign | (exp << 1) | (uint64_t{(x & f.man_mask()) >> drop} << 9);
    for (unsigned b = 0; b < vb; ++b, ++at) {
      ch.words[at / 32] |= static_cast<uint32_t>((v >> b) & 1u) << (at % 32);
    }
  }
  ch.crc = chunk_crc(ch);
  return ch;
}

template <class Dut>
class Dec2Bench {
 public:
  using Top = typename Dec2Info<Dut>::Top;
  static constexpr unsigned kL = Top::NumLanes, kC = Top::ChunkValues, kBW = Top::BeatWords;

  struct DescBeat {
    uint32_t words, values, crc;
    bool raw, last;
    uint8_t cfg;
    std::vector<uint32_t> table;
  };
  struct WordsBeat {
    std::vector<uint32_t> words;  // kBW limbs, junk past count
    unsigned count;
  };
  struct ValuesBeat {
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
  Dec2Bench(uint64_t seed, const std::string& name, double in_p, ReadyPattern out_ready,
            unsigned words_per_beat = 0)
      : words_per_beat_(words_per_beat),
        in_p_(in_p),
        out_ready_(out_ready),
        sim_(seed, name),
        desc_(
            sim_.rng(), in_p, [this](const DescBeat* b) { put_desc(b); },
            [this] { return sim_.dut().chunk_ready_o != 0; }),
        lane_(
            sim_.rng(), in_p, [this](const WordsBeat* b) { put_lane(b); },
            [this] { return sim_.dut().lane_ready_o != 0; }),
        plane_(
            sim_.rng(), in_p, [this](const WordsBeat* b) { put_plane(b); },
            [this] { return sim_.dut().plane_ready_o != 0; }),
        values_(
            sim_.rng(), out_ready, [this](bool r) { sim_.dut().values_ready_i = r; },
            [this] { return sim_.dut().values_valid_o != 0; }, [this] { return read_values(); },
            [this](const ValuesBeat& b) { check_values(b); }),
        status_(
            sim_.rng(), out_ready, [this](bool r) { sim_.dut().status_ready_i = r; },
            [this] { return sim_.dut().status_valid_o != 0; }, [this] { return read_status(); },
            [this](const StatusBeat& b) { check_status(b); }),
        monitor_([this] { watch(); }) {
    REQUIRE(limbs_of<decltype(sim_.dut().lane_data_i)>() == kBW);
    REQUIRE(limbs_of<decltype(sim_.dut().values_data_o)>() == kL);
    for (Agent* a :
         std::initializer_list<Agent*>{&desc_, &lane_, &plane_, &values_, &status_, &monitor_}) {
      sim_.add(a);
    }
    desc_.set_clock(sim_.cycle_ptr());
    values_.set_clock(sim_.cycle_ptr());
    sim_.reset();
  }

  Sim<Dut>& sim() { return sim_; }
  std::mt19937_64& rng() { return sim_.rng(); }
  uint64_t steps() const { return steps_; }
  uint64_t chunks() const { return chunks_; }
  uint64_t raw_chunks() const { return raw_chunks_; }
  uint64_t first_in_cycle() const { return desc_.first_cycle(); }
  uint64_t last_out_cycle() const { return values_.last_cycle(); }
  const uint64_t* status_seen() const { return status_seen_; }

  // The configuration of the DUT with the given per-tensor fields.
  static Config config(Fp fp, unsigned m, Rounding r) {
    Config c = Config::lossless(fp, 2);
    c.man_bits = m;
    c.rounding = r;
    c.group = kL;
    c.chunk = kC;
    return c;
  }

  // Encodes values with the model and queues the tensor.
  void add_tensor(const Config& c, const std::vector<uint32_t>& values, const std::string& what) {
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    add_chunks(c, e.table, split_chunks2(e), what);
  }

  // Queues the chunks of one tensor (possibly corrupted, with any table) and the model's
  // expectations for them.
  void add_chunks(const Config& c, const CodeTable& t, const std::vector<Chunk2>& chunks,
                  const std::string& what) {
    for (size_t k = 0; k < chunks.size(); ++k) {
      add_desc(chunks[k], k + 1 == chunks.size(), c, t,
               fmt::format("{} ({}), chunk {} of {}", what, to_string(c), k, chunks.size()));
    }
  }

  // Queues one descriptor (W = the chunk's word count, its values, mode, CRC and `last` as
  // given) with c and t on cfg_i and table_i, the chunk's words on the streams as the contract
  // splits them, and the expectation: what the decoder applies (the configuration and table of
  // the descriptor that started the tensor, as the descriptors' `last` flags say) and checks.
  void add_desc(const Chunk2& ch, bool last, const Config& c, const CodeTable& t,
                const std::string& what) {
    REQUIRE(ch.words.size() < 2 * size_t{kC});  // the port holds 0 .. 2C - 1
    REQUIRE(ch.values < 2 * uint64_t{kC});
    REQUIRE(c.man_bits < 32);
    const uint8_t cfg = static_cast<uint8_t>((c.fp == Fp::kBf16 ? 1u : 0u) | (c.man_bits << 1) |
                                             (c.rounding == Rounding::kNearestEven ? 1u << 6 : 0u));
    desc_.push({static_cast<uint32_t>(ch.words.size()), static_cast<uint32_t>(ch.values), ch.crc,
                ch.raw, last, cfg, table_limbs(t)});
    // Lane stream: words 0 .. min(N, W-1) of a coded chunk; plane: the rest (none when W = 0).
    size_t lane_words = 0;
    if (!ch.raw && !ch.words.empty())
      lane_words = 1 + std::min<uint64_t>(ch.words[0], ch.words.size() - 1);
    push_words(lane_, ch.words, 0, lane_words);
    push_words(plane_, ch.words, lane_words, ch.words.size());
    if (!in_tensor_) {
      app_cfg_ = c;
      app_table_ = t;
    }
    in_tensor_ = !last;
    const bool foreign =
        app_cfg_.fp != c.fp || app_cfg_.man_bits != c.man_bits || !(app_table_ == t);
    const Expect x = expect(ch, last);
    ExpChunk e;
    e.values = x.values;
    e.status = x.status;
    e.lanes = chunk_lanes(kL, e.values.size());
    e.last = last;
    e.what =
        fmt::format("{}{}{}", what, ch.raw ? ", raw" : "",
                    foreign ? ", under " + to_string(app_cfg_) + " and its table" : std::string());
    steps_ += (e.values.size() + e.lanes - 1) / e.lanes;
    ++chunks_;
    raw_chunks_ += ch.raw ? 1 : 0;
    exp_status_.push_back({e.status, last});
    exp_.push_back(std::move(e));
  }

  // What the decoder gives for a chunk under the applied configuration and table: status
  // (bad_config, bad_table, bad_index, then the model's decode) and its values (a descriptor
  // with 0 or more than C values gives max(1, min(values, C)) values).
  struct Expect {
    unsigned status;
    std::vector<uint32_t> values;
  };
  Expect expect(const Chunk2& ch, bool last) const {
    Expect x;
    const uint64_t n = std::clamp<uint64_t>(ch.values, 1, kC);
    x.values.assign(n, 0u);
    const uint64_t w = ch.words.size();
    Status st;
    if (validate(app_cfg_) != Status::kOk) {
      st = Status::kBadConfig;
    } else if (check_table(app_table_) != Status::kOk) {
      st = Status::kBadTable;
    } else if (w == 0 || w > max_chunk_bits(app_cfg_, kC) / kV2WordBits || ch.values == 0 ||
               ch.values > kC || (!last && ch.values != kC)) {
      st = Status::kBadIndex;
    } else {
      const auto b = bytes_of(ch.words);
      st = decode_chunk_v2(app_cfg_, app_table_, ch.values, ch.raw, ch.crc, b.data(), w,
                           x.values.data());
    }
    x.status = static_cast<unsigned>(st);
    return x;
  }

  // The tensor the decoder is in (after the descriptors queued so far).
  bool in_tensor() const { return in_tensor_; }

  // Cycles with agents (the scoreboards run).
  void step(uint64_t cycles) {
    for (uint64_t i = 0; i < cycles; ++i) sim_.step();
  }
  // Steps until done() or timeout cycles; returns done().
  bool step_until(const std::function<bool()>& done, uint64_t timeout) {
    return sim_.run_until(done, timeout);
  }
  uint64_t descs_sent() const { return desc_.sent(); }
  uint64_t values_received() const { return values_.received(); }
  uint64_t statuses_received() const { return status_.received(); }
  bool lane_pending() const { return !lane_.idle(); }
  bool plane_pending() const { return !plane_.idle(); }
  // Consecutive cycles up to now with starved_o high.
  uint64_t starved_run() const { return starved_run_; }

  // Withholds the lane and/or plane stream (no beat offered; a beat already offered is still
  // taken), or offers them again.
  void hold(bool lane, bool plane) {
    if (lane) lane_.set_probability(0.0);
    if (plane) plane_.set_probability(0.0);
  }
  void release() {
    lane_.set_probability(in_p_);
    plane_.set_probability(in_p_);
  }
  // Output backpressure: both sinks never ready (true) or back to the bench's pattern.
  void block_outputs(bool block) {
    values_.set_pattern(block ? ReadyPattern::random(0.0) : out_ready_);
    status_.set_pattern(block ? ReadyPattern::random(0.0) : out_ready_);
  }

  // Resets the decoder in the middle of whatever it does: every queued descriptor, word and
  // expectation is dropped, rst_ni is low for `cycles` cycles, and right after it the decoder
  // must offer nothing and want nothing.
  void reset_midstream(unsigned cycles) {
    desc_.clear();
    lane_.clear();
    plane_.clear();
    exp_.clear();
    exp_status_.clear();
    at_ = 0;
    in_tensor_ = false;
    starved_run_ = 0;
    Dut& d = sim_.dut();
    d.chunk_valid_i = 0;
    d.lane_valid_i = 0;
    d.plane_valid_i = 0;
    sim_.reset(cycles);
    d.eval();
    INFO(where());
    CHECK(d.values_valid_o == 0);
    CHECK(d.status_valid_o == 0);
    CHECK(d.starved_o == 0);
    CHECK(d.lane_ready_o == 0);
    CHECK(d.plane_ready_o == 0);
  }

  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) timeout_cycles = 20000 + 40 * steps_ + 300 * chunks_;
    const bool done = sim_.run_until(
        [this] {
          return desc_.idle() && lane_.idle() && plane_.idle() && exp_.empty() &&
                 exp_status_.empty();
        },
        timeout_cycles);
    INFO(where());
    INFO(exp_.size() << " chunks of values and " << exp_status_.size()
                     << " statuses outstanding; descriptors "
                     << (desc_.idle() ? "all taken" : "pending") << ", lane words "
                     << (lane_.idle() ? "all taken" : "pending") << ", plane words "
                     << (plane_.idle() ? "all taken" : "pending"));
    REQUIRE(done);
    for (int i = 0; i < 30; ++i) sim_.step();
  }

 private:
  void push_words(StreamDriver<WordsBeat>& s, const std::vector<uint32_t>& w, size_t from,
                  size_t to) {
    while (from < to) {
      unsigned n = words_per_beat_ ? words_per_beat_ : static_cast<unsigned>(1 + rng()() % kBW);
      n = static_cast<unsigned>(std::min<size_t>(n, to - from));
      WordsBeat b;
      b.count = n;
      b.words.resize(kBW);
      for (unsigned i = 0; i < kBW; ++i) {
        // Words past the count carry junk: the decoder must ignore them.
        b.words[i] = i < n ? w[from + i] : static_cast<uint32_t>(rng()());
      }
      from += n;
      s.push(std::move(b));
    }
  }

  void put_desc(const DescBeat* b) {
    Dut& d = sim_.dut();
    d.chunk_valid_i = b != nullptr;
    if (!b) return;
    d.chunk_words_i = b->words;
    d.chunk_values_i = b->values;
    d.chunk_crc_i = b->crc;
    d.chunk_raw_i = b->raw;
    d.chunk_last_i = b->last;
    d.cfg_i = b->cfg;
    for (size_t i = 0; i < b->table.size(); ++i) set_limb(d.table_i, i, b->table[i]);
  }
  void put_words_port(const WordsBeat* b, bool lane) {
    Dut& d = sim_.dut();
    auto& data = lane ? d.lane_data_i : d.plane_data_i;
    (lane ? d.lane_valid_i : d.plane_valid_i) = b != nullptr;
    for (unsigned i = 0; i < kBW; ++i) {
      set_limb(data, i, b ? b->words[i] : static_cast<uint32_t>(rng()()));
    }
    if (b) (lane ? d.lane_count_i : d.plane_count_i) = b->count;
  }
  void put_lane(const WordsBeat* b) { put_words_port(b, true); }
  void put_plane(const WordsBeat* b) { put_words_port(b, false); }

  ValuesBeat read_values() {
    const Dut& d = sim_.dut();
    ValuesBeat b;
    b.lanes.resize(kL);
    for (unsigned l = 0; l < kL; ++l) b.lanes[l] = get_limb(d.values_data_o, l);
    b.count = d.values_lanes_o;
    b.last = d.values_last_o != 0;
    b.chunk_end = d.values_chunk_end_o != 0;
    return b;
  }
  StatusBeat read_status() {
    const Dut& d = sim_.dut();
    return {d.status_code_o, d.status_last_o != 0};
  }

  // Every cycle: starved_o. With every word of the queued descriptors handed over for two
  // cycles, no accepted chunk owes a word, so starved_o must be low.
  void watch() {
    const bool starved = sim_.dut().starved_o != 0;
    starved_run_ = starved ? starved_run_ + 1 : 0;
    const bool all_sent = lane_.idle() && plane_.idle();
    if (starved && all_sent && all_sent_before_) {
      FAIL(fmt::format("starved_o with every announced word delivered; {}", where()));
    }
    all_sent_before_ = all_sent;
  }

  std::string where() const {
    return fmt::format("seed {} (replay: SEED={}), cycle {}", sim_.seed(), sim_.seed(),
                       sim_.cycle());
  }

  void check_values(const ValuesBeat& b) {
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
    if (x.status == 0) {
      for (unsigned l = 0; l < n; ++l) {
        if (b.lanes[l] != x.values[first + l]) {
          FAIL(fmt::format("value mismatch at {}, value {}: expected {:08x}, actual {:08x}; {}", at,
                           first + l, x.values[first + l], b.lanes[l], where()));
        }
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
    const StatusBeat e = exp_status_.front();
    const size_t k = status_count_++;
    if (b.code != e.code || b.last != e.last) {
      FAIL(fmt::format(
          "status mismatch at chunk {} of the run: expected {} ({}) last {}, actual "
          "{} last {}; {}",
          k, e.code, status_name(static_cast<Status>(e.code)), e.last, b.code, b.last, where()));
    }
    ++status_seen_[b.code & 15];
    exp_status_.pop_front();
  }

  // An agent that only observes.
  class Monitor : public Agent {
   public:
    explicit Monitor(std::function<void()> f) : f_(std::move(f)) {}
    void drive() override {}
    void sample() override { f_(); }

   private:
    std::function<void()> f_;
  };

  unsigned words_per_beat_;
  double in_p_;
  ReadyPattern out_ready_;
  Sim<Dut> sim_;
  StreamDriver<DescBeat> desc_;
  StreamDriver<WordsBeat> lane_, plane_;
  StreamSink<ValuesBeat> values_;
  StreamSink<StatusBeat> status_;
  Monitor monitor_;
  std::deque<ExpChunk> exp_;
  std::deque<StatusBeat> exp_status_;
  uint64_t at_ = 0, steps_ = 0, chunks_ = 0, raw_chunks_ = 0, status_count_ = 0;
  uint64_t status_seen_[16] = {};
  // What the decoder applies to the next descriptor.
  bool in_tensor_ = false;
  Config app_cfg_;
  CodeTable app_table_;
  uint64_t starved_run_ = 0;
  bool all_sent_before_ = false;
};

}  // namespace sfp::tb
