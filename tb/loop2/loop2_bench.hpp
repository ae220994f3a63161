// SPDX-License-Identifier: Apache-2.0
//
// Version 2 loopback bench: a verilated sfp2_encoder and a verilated sfp2_decoder of the same
// parameter set, stepped in lockstep, with a memory model between them. The encoder writes each
// chunk's payload words and its index entry (with write stalls at will); once a chunk is
// written whole, the memory interface forms the decoder's descriptor (the index entry, the
// chunk's values from the tensor's length, the tensor's last chunk) and reads the chunk back on
// the decoder's two word streams from two positions: the lane stream words 0 .. min(N, W - 1)
// (N is word 0), the plane stream the rest (all the words of a raw chunk). Every decoded value
// must equal Q_m of its input (sfp::quantize), every chunk status must be 0, and the encoder's
// words and index entries must equal sfp::encode.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stream.hpp"
#include "v2.hpp"

namespace sfp::tb {

// How the loopback's streams behave: values into the encoder (valid with probability in_p), the
// memory's write side (ready of the encoder's outputs), its read side (valid of the descriptor,
// lane and plane streams with probability read_p, lane_p and plane_p; full beats of BW words,
// or 1 .. BW at random) and the consumer of the decoder's outputs.
struct Loop2Timing {
  double in_p = 1.0;
  ReadyPattern write = ReadyPattern::always();
  double read_p = 1.0, lane_p = 1.0, plane_p = 1.0;
  bool full_beats = true;
  ReadyPattern out = ReadyPattern::always();

  // Every stream at its rate: a beat of values a cycle, BW words a beat whenever the memory
  // holds them, never a stall.
  static Loop2Timing stream_rate() { return {}; }
  // Random gaps on every input and random backpressure on every output.
  static Loop2Timing random_gaps(double p) {
    return {p, ReadyPattern::random(p), p, p, p, false, ReadyPattern::random(p)};
  }
  // Long stalls of the memory's writes and of the consumer.
  static Loop2Timing long_stalls() {
    return {0.9, ReadyPattern::long_stall(), 0.9, 0.9, 0.9, false, ReadyPattern::long_stall()};
  }
  // One read position far behind the other: the lane stream (lane) or the plane stream at a
  // fifth of its rate in partial beats, the other at full rate.
  static Loop2Timing skewed(bool lane) {
    return {1.0,   ReadyPattern::always(), 1.0, lane ? 0.2 : 1.0, lane ? 1.0 : 0.2,
            false, ReadyPattern::always()};
  }
  std::string name() const {
    return fmt::format("in {} write {} read {} lane {} plane {}{} out {}", in_p, write.name(),
                       read_p, lane_p, plane_p, full_beats ? " full" : "", out.name());
  }
};

// Set: a generated description of one parameter set (loop2_duts.hpp): Enc, Dec (the verilated
// models), EncTop, DecTop (their parameter classes) and kName.
template <class Set>
class Loop2Bench {
 public:
  using Enc = typename Set::Enc;
  using Dec = typename Set::Dec;
  using Top = typename Set::DecTop;
  static constexpr unsigned kL = Top::NumLanes, kC = Top::ChunkValues, kBW = Top::BeatWords;
  static_assert(Set::EncTop::NumLanes == kL && Set::EncTop::ChunkValues == kC &&
                Set::EncTop::BeatWords == kBW);

  Loop2Bench(uint64_t seed, const std::string& name, const Loop2Timing& t)
      : params_(v2_config<Top>()),
        timing_(t),
        enc_(seed, name + "_enc"),
        dec_(seed ^ 0x5EEDu, name + "_dec"),
        expect_(kBW, [this] { return enc_.where(); }),
        in_(
            enc_.rng(), t.in_p,
            [this](const InBeat2* b) {
              put_values2(enc_.dut(), b, b ? tensors_[b->tensor].table : no_table_, enc_.rng(), kL);
            },
            [this] { return enc_.dut().tensor_ready_o != 0; }),
        wr_words_(
            enc_.rng(), t.write, [this](bool r) { enc_.dut().words_ready_i = r; },
            [this] { return enc_.dut().words_valid_o != 0; },
            [this] { return read_words2(enc_.dut(), kBW); },
            [this](const WordsBeat2& b) { store_words(b); }),
        wr_index_(
            enc_.rng(), t.write, [this](bool r) { enc_.dut().index_ready_i = r; },
            [this] { return enc_.dut().index_valid_o != 0; },
            [this] { return read_index2(enc_.dut()); },
            [this](const IndexBeat2& b) { store_index(b); }),
        rd_desc_(
            dec_.rng(), t.read_p,
            [this](const Desc2* b) {
              put_desc2(dec_.dut(), b, b ? tensors_[b->tensor].table : no_table_);
            },
            [this] { return dec_.dut().chunk_ready_o != 0; }),
        rd_lane_(
            dec_.rng(), t.lane_p,
            [this](const WordsBeat2* b) { put_words2(dec_.dut(), b, true, dec_.rng(), kBW); },
            [this] { return dec_.dut().lane_ready_o != 0; }),
        rd_plane_(
            dec_.rng(), t.plane_p,
            [this](const WordsBeat2* b) { put_words2(dec_.dut(), b, false, dec_.rng(), kBW); },
            [this] { return dec_.dut().plane_ready_o != 0; }),
        values_(
            dec_.rng(), t.out, [this](bool r) { dec_.dut().values_ready_i = r; },
            [this] { return dec_.dut().values_valid_o != 0; },
            [this] { return read_values_beat(dec_.dut(), kL); },
            [this](const ValuesBeat& b) { check_values(b); }),
        status_(
            dec_.rng(), t.out, [this](bool r) { dec_.dut().status_ready_i = r; },
            [this] { return dec_.dut().status_valid_o != 0; },
            [this] { return read_status2(dec_.dut()); },
            [this](const StatusBeat2& b) { check_status(b); }) {
    REQUIRE(limbs_of<decltype(enc_.dut().words_data_o)>() == kBW);
    REQUIRE(limbs_of<decltype(dec_.dut().lane_data_i)>() == kBW);
    REQUIRE(limbs_of<decltype(dec_.dut().values_data_o)>() == kL);
    in_.set_clock(enc_.cycle_ptr());
    for (Agent* a : std::initializer_list<Agent*>{&in_, &wr_words_, &wr_index_}) enc_.add(a);
    for (Agent* a :
         std::initializer_list<Agent*>{&rd_desc_, &rd_lane_, &rd_plane_, &values_, &status_}) {
      dec_.add(a);
    }
    enc_.reset();
    dec_.reset();
  }

  const Config& params() const { return params_; }
  std::mt19937_64& rng() { return enc_.rng(); }
  uint64_t values() const { return values_count_; }
  uint64_t steps() const { return steps_; }
  uint64_t chunks() const { return order_.size(); }
  uint64_t raw_chunks() const { return expect_.raw_chunks(); }
  uint64_t cycles() const { return enc_.cycle(); }
  // Cycle of the first values into the encoder and of the last values out of the decoder.
  uint64_t first_in_cycle() const { return in_.first_cycle(); }
  uint64_t last_out_cycle() const { return tensors_.empty() ? 0 : tensors_.back().last_out; }
  // Cycles from the first values in to the first values out: the decoder starts a chunk once
  // it is written whole, so this is about a chunk's steps plus both pipelines.
  uint64_t latency() const {
    return tensors_.empty() ? 0 : tensors_.front().first_out - in_.first_cycle();
  }
  double seconds() const { return seconds_; }
  // Cycles without values inside a tensor's output, and those of them in which the decoder had
  // every word written so far (it waited for the encoder).
  uint64_t gap_cycles() const { return gap_cycles_; }
  uint64_t starved_cycles() const { return starved_cycles_; }

  // Cycles per step after the latency: over the tensors of two steps or more, the cycles from
  // each one's first values out to its last, over its steps but one (1.0 at one step a cycle).
  double cycles_per_step() const {
    uint64_t cycles = 0, steps = 0;
    for (const Tensor& t : tensors_) {
      if (t.steps < 2) continue;
      cycles += t.last_out - t.first_out;
      steps += t.steps - 1;
    }
    return steps ? static_cast<double>(cycles) / static_cast<double>(steps) : 0.0;
  }

  // Queues a tensor (per-tensor fields from c) with the table the model builds for it.
  void add_tensor(Config c, const std::vector<uint32_t>& values, const std::string& what) {
    REQUIRE(!values.empty());
    c.version = 2;
    c.group = kL;
    c.chunk = kC;
    Encoded e;
    REQUIRE(encode(c, values.data(), values.size(), &e) == Status::kOk);
    const size_t index = tensors_.size();
    Tensor t;
    t.config = c;
    t.what = fmt::format("{} ({})", what, to_string(c));
    t.q.resize(values.size());
    quantize(values.data(), t.q.data(), values.size(), c.fp, c.man_bits, c.rounding);
    t.chunks = split_chunks2(e);
    t.table = table_limbs(e.table);
    for (size_t k = 0; k < t.chunks.size(); ++k) {
      const unsigned lanes = chunk_lanes(kL, t.chunks[k].values);
      t.steps += (t.chunks[k].values + lanes - 1) / lanes;
      order_.push_back({index, k});
    }
    expect_.add(t.what, t.chunks);
    for (InBeat2& b : tensor_beats2(rng(), c, values, index)) in_.push(std::move(b));
    steps_ += t.steps;
    values_count_ += values.size();
    tensors_.push_back(std::move(t));
  }

  // Runs until every queued tensor came back, with every status, then idles to catch stray
  // beats.
  void run(uint64_t timeout_cycles = 0) {
    if (timeout_cycles == 0) {
      timeout_cycles = 20000 + 40 * steps_ + 300 * order_.size() + 300 * tensors_.size();
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto done = [this] {
      return in_.idle() && expect_.done() && out_tensor_ == tensors_.size() &&
             status_chunk_ == order_.size();
    };
    for (uint64_t i = 0; i < timeout_cycles && !done(); ++i) step();
    INFO(enc_.where());
    INFO(fmt::format(
        "outstanding: {} words and {} index entries from the encoder, {} of {} tensors' values "
        "(at value {} of the next), {} of {} statuses; {} chunks readable, {} written",
        expect_.words_left(), expect_.index_left(), tensors_.size() - out_tensor_, tensors_.size(),
        out_at_, order_.size() - status_chunk_, order_.size(), readable_, stored_.size()));
    REQUIRE(done());
    for (int i = 0; i < 40; ++i) step();  // nothing more may come out
    REQUIRE((rd_desc_.idle() && rd_lane_.idle() && rd_plane_.idle()));
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  struct Tensor {
    Config config;
    std::string what;
    std::vector<uint32_t> q;      // Q_m of every input value
    std::vector<Chunk2> chunks;   // as the model stores them
    std::vector<uint32_t> table;  // table_i of both tops
    uint64_t steps = 0, first_out = 0, last_out = 0;
  };
  struct ChunkRef {
    size_t tensor, chunk;
  };
  // A chunk whose index entry is written: where its words start in the memory, its entry, and
  // (once it is readable) where its plane starts.
  struct Stored {
    uint64_t start;
    IndexBeat2 entry;
    uint64_t lane_end = 0;
  };
  // A read position: a chunk and a word inside it.
  struct ReadPos {
    size_t chunk = 0;
    uint64_t at = 0;
  };

  // One cycle of both DUTs, then the memory's read side: what has been written is readable
  // from the next cycle.
  void step() {
    // A cycle without values inside a tensor's output: starved when the memory has handed
    // every written word to the decoder (it waits for the encoder), else the decoder's own.
    if (out_at_ > 0 && !dec_.dut().values_valid_o) {
      ++gap_cycles_;
      if (rd_lane_.idle() && rd_plane_.idle() && delivered_words_ == readable_words_) {
        ++starved_cycles_;
      }
    }
    step_lockstep(enc_, dec_);
    serve_reads();
  }

  void store_words(const WordsBeat2& b) {
    expect_.check_words(b);
    mem_.insert(mem_.end(), b.words.begin(), b.words.begin() + b.count);
  }
  void store_index(const IndexBeat2& b) {
    expect_.check_index(b);
    stored_.push_back({next_start_, b});
    next_start_ += b.words;
  }

  void serve_reads() {
    // A chunk written whole: its descriptor, and where its plane starts (after word N).
    while (readable_ < stored_.size() &&
           mem_.size() >= stored_[readable_].start + stored_[readable_].entry.words) {
      Stored& s = stored_[readable_];
      const ChunkRef r = order_[readable_];
      const Chunk2& ch = tensors_[r.tensor].chunks[r.chunk];
      s.lane_end = s.entry.raw ? 0 : 1 + std::min<uint64_t>(mem_[s.start], s.entry.words - 1);
      rd_desc_.push({s.entry.words, static_cast<uint32_t>(ch.values), s.entry.crc, s.entry.raw,
                     s.entry.last, cfg_bits(tensors_[r.tensor].config), r.tensor});
      readable_words_ += s.entry.words;
      ++readable_;
    }
    feed(rd_lane_, lane_pos_, true);
    feed(rd_plane_, plane_pos_, false);
  }

  // The next beat of one read position, when its stream has none waiting (a beat a cycle).
  void feed(StreamDriver<WordsBeat2>& s, ReadPos& p, bool lane) {
    if (!s.idle()) return;
    while (p.chunk < readable_) {
      const Stored& c = stored_[p.chunk];
      const uint64_t from = lane ? 0 : c.lane_end, to = lane ? c.lane_end : c.entry.words;
      p.at = std::max(p.at, from);
      if (p.at >= to) {
        ++p.chunk;
        p.at = 0;
        continue;
      }
      const unsigned want =
          timing_.full_beats ? kBW : 1 + static_cast<unsigned>(dec_.rng()() % kBW);
      const unsigned n = static_cast<unsigned>(std::min<uint64_t>(want, to - p.at));
      s.push(words_beat2(mem_.data() + c.start + p.at, n, kBW, dec_.rng()));
      p.at += n;
      delivered_words_ += n;
      return;
    }
  }

  // The decoder's values: a step of L_c values a beat, each Q_m of its input, unused lanes 0.
  void check_values(const ValuesBeat& b) {
    if (out_tensor_ >= tensors_.size()) {
      FAIL(fmt::format("unexpected values beat after the last tensor; {}", enc_.where()));
    }
    Tensor& t = tensors_[out_tensor_];
    const uint64_t n = t.q.size(), first = out_at_ / kC * kC;
    const uint64_t values = std::min<uint64_t>(kC, n - first), at = out_at_ - first;
    const unsigned lanes = chunk_lanes(kL, values);
    const unsigned count = static_cast<unsigned>(std::min<uint64_t>(lanes, values - at));
    const bool end = at + count == values, last = end && first + values == n;
    const std::string where = fmt::format("tensor {} {}, chunk {}, values {}..", out_tensor_,
                                          t.what, first / kC, out_at_);
    if (b.count != count || b.chunk_end != end || b.last != last) {
      FAIL(fmt::format(
          "framing mismatch at {}: lanes {} chunk_end {} last {}, expected lanes {} chunk_end "
          "{} last {}; {}",
          where, b.count, b.chunk_end, b.last, count, end, last, enc_.where()));
    }
    for (unsigned l = 0; l < kL; ++l) {
      const uint32_t want = l < count ? t.q[out_at_ + l] : 0u;
      if (b.lanes[l] != want) {
        FAIL(fmt::format("value mismatch at {}, lane {}: expected {} {:08x}, decoded {:08x}; {}",
                         where, l, l < count ? "Q_m(x) =" : "unused lane", want, b.lanes[l],
                         enc_.where()));
      }
    }
    if (out_at_ == 0) t.first_out = enc_.cycle();
    t.last_out = enc_.cycle();
    out_at_ += count;
    if (out_at_ == n) {
      ++out_tensor_;
      out_at_ = 0;
    }
  }

  void check_status(const StatusBeat2& b) {
    if (status_chunk_ >= order_.size()) {
      FAIL(fmt::format("unexpected status {} after the last chunk; {}", b.code, enc_.where()));
    }
    const ChunkRef r = order_[status_chunk_];
    const Tensor& t = tensors_[r.tensor];
    const bool last = r.chunk + 1 == t.chunks.size();
    if (b.code != 0 || b.last != last) {
      FAIL(
          fmt::format("status of tensor {} {}, chunk {}{}: {} ({}) last {}, expected 0 last {}; {}",
                      r.tensor, t.what, r.chunk, t.chunks[r.chunk].raw ? " (raw)" : "", b.code,
                      status_name(static_cast<Status>(b.code)), b.last, last, enc_.where()));
    }
    ++status_chunk_;
  }

  inline static const std::vector<uint32_t> no_table_{};

  Config params_;
  Loop2Timing timing_;
  Sim<Enc> enc_;
  Sim<Dec> dec_;
  Enc2Expect expect_;
  StreamDriver<InBeat2> in_;
  StreamSink<WordsBeat2> wr_words_;
  StreamSink<IndexBeat2> wr_index_;
  StreamDriver<Desc2> rd_desc_;
  StreamDriver<WordsBeat2> rd_lane_, rd_plane_;
  StreamSink<ValuesBeat> values_;
  StreamSink<StatusBeat2> status_;
  std::vector<Tensor> tensors_;
  std::vector<ChunkRef> order_;  // every chunk of every tensor, in stream order
  std::vector<uint32_t> mem_;    // the payload words as written
  std::vector<Stored> stored_;   // the chunks whose index entry is written
  uint64_t next_start_ = 0;
  size_t readable_ = 0;  // chunks written whole
  uint64_t readable_words_ = 0, delivered_words_ = 0;
  uint64_t gap_cycles_ = 0, starved_cycles_ = 0;
  ReadPos lane_pos_, plane_pos_;
  size_t out_tensor_ = 0, status_chunk_ = 0;
  uint64_t out_at_ = 0;
  uint64_t steps_ = 0, values_count_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
