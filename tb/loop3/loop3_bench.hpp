// SPDX-License-Identifier: Apache-2.0
//
// Version 3 loopback bench: a verilated sfp3_encoder and a verilated sfp3_decoder of the same
// parameter set, stepped in lockstep, with a memory model between them. The encoder writes each
// chunk's words and its index entry (with write stalls at will); every word and entry must equal
// the model's encode_chunk_v3. Once a chunk's entry is written and its N words are in the
// memory, the memory forms the decoder's descriptor (N, CRC, the chunk's values from the
// tensor's length, the tensor's last chunk) and reads the chunk back on the word stream, a beat
// within the chunk (full beats or 1 .. BW words, with gaps at will). Every decoded value must
// equal the model's decode (decode_chunk_v3) of the model's encode, which must itself be Q_m of
// the input (sfp::quantize), and every chunk status 0.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fcov.hpp"
#include "ports.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "sim.hpp"
#include "stimulus.hpp"
#include "stream.hpp"
#include "v2.hpp"
#include "v3.hpp"

namespace sfp::tb {

// How the loopback's streams behave: values into the encoder (valid with probability in_p), the
// memory's write side (ready of the encoder's words and index), its read side (valid of the
// descriptor and word streams with probability read_p; full beats of BW words, or 1 .. BW at
// random) and the consumer of the decoder's values and statuses.
struct Loop3Timing {
  double in_p = 1.0;
  ReadyPattern write = ReadyPattern::always();
  double read_p = 1.0;
  bool full_beats = true;
  ReadyPattern out = ReadyPattern::always();

  // Every stream at its rate: a beat of values a cycle, BW words a beat whenever the memory
  // holds them, never a stall.
  static Loop3Timing stream_rate() { return {}; }
  // Random gaps on every input and random backpressure on every output.
  static Loop3Timing random_gaps(double p) {
    return {p, ReadyPattern::random(p), p, false, ReadyPattern::random(p)};
  }
  // Long stalls of the memory's writes and of the consumer.
  static Loop3Timing long_stalls() {
    return {0.9, ReadyPattern::long_stall(), 0.9, false, ReadyPattern::long_stall()};
  }
  std::string name() const {
    return fmt::format("in {} write {} read {}{} out {}", in_p, write.name(), read_p,
                       full_beats ? " full" : "", out.name());
  }
};

// Set: a generated description of one parameter set (loop3_duts.hpp): Enc, Dec (the verilated
// models), EncTop, DecTop (their parameter classes) and kName.
template <class Set>
class Loop3Bench {
 public:
  using Enc = typename Set::Enc;
  using Dec = typename Set::Dec;
  using Top = typename Set::DecTop;
  static constexpr unsigned kL = Top::NumLanes, kC = Top::ChunkValues, kBW = Top::BeatWords;
  static_assert(Set::EncTop::NumLanes == kL && Set::EncTop::ChunkValues == kC &&
                Set::EncTop::BeatWords == kBW);

  Loop3Bench(uint64_t seed, const std::string& name, const Loop3Timing& t)
      : timing_(t),
        enc_(seed, name + "_enc"),
        dec_(seed ^ 0x5EEDu, name + "_dec"),
        expect_(kBW, [this] { return enc_.where(); }),
        held_(enc_.dut(), [this] { return enc_.where(); }),
        in_(
            enc_.rng(), t.in_p,
            [this](const InBeat3* b) {
              put_values3(enc_.dut(), b, b ? tensors_[b->b.tensor].table : no_table_, enc_.rng(),
                          kL);
            },
            [this] { return enc_.dut().tensor_ready_o != 0; }),
        wr_words_(
            enc_.rng(), t.write, [this](bool r) { enc_.dut().words_ready_i = r; },
            [this] { return enc_.dut().words_valid_o != 0; },
            [this] {
              return WordsBeat2{read_limbs(enc_.dut().words_data_o, kBW), enc_.dut().words_count_o,
                                false};
            },
            [this](const WordsBeat2& b) { store_words(b); }),
        wr_index_(
            enc_.rng(), t.write, [this](bool r) { enc_.dut().index_ready_i = r; },
            [this] { return enc_.dut().index_valid_o != 0; },
            [this] { return read_index3(enc_.dut()); },
            [this](const IndexBeat3& b) { store_index(b); }),
        rd_desc_(
            dec_.rng(), t.read_p, [this](const Desc3* b) { put_desc3(dec_.dut(), b); },
            [this] { return dec_.dut().chunk_ready_o != 0; }),
        rd_words_(
            dec_.rng(), t.read_p,
            [this](const WordsBeat2* b) { put_words3(dec_.dut(), b, dec_.rng(), kBW); },
            [this] { return dec_.dut().words_ready_o != 0; }),
        values_(
            dec_.rng(), t.out, [this](bool r) { dec_.dut().values_ready_i = r; },
            [this] { return dec_.dut().values_valid_o != 0; },
            [this] { return read_values_beat(dec_.dut(), kL); },
            [this](const ValuesBeat& b) { check_values(b); }),
        status_(
            dec_.rng(), t.out, [this](bool r) { dec_.dut().status_ready_i = r; },
            [this] { return dec_.dut().status_valid_o != 0; },
            [this] { return read_status2(dec_.dut()); },
            [this](const StatusBeat2& b) { check_status(b); }),
        cover_("loop3"),
        enc_probe_([this] { sample_enc(); }),
        dec_probe_([this] { sample_dec(); }) {
    REQUIRE(limbs_of<decltype(enc_.dut().words_data_o)>() == kBW);
    REQUIRE(limbs_of<decltype(enc_.dut().tensor_data_i)>() == kL);
    REQUIRE(limbs_of<decltype(dec_.dut().words_data_i)>() == kBW);
    REQUIRE(limbs_of<decltype(dec_.dut().values_data_o)>() == kL);
    in_.set_clock(enc_.cycle_ptr());
    for (Agent* a :
         std::initializer_list<Agent*>{&in_, &wr_words_, &wr_index_, &held_, &enc_probe_}) {
      enc_.add(a);
    }
    for (Agent* a :
         std::initializer_list<Agent*>{&rd_desc_, &rd_words_, &values_, &status_, &dec_probe_}) {
      dec_.add(a);
    }
    cover_.declare_fields();
    cover_.declare_held();
    for (const char* b : kBins) cover_.declare(b);
    enc_.reset();
    dec_.reset();
  }

  // The model configuration of the set with the per-tensor fields of c.
  static Config params(Config c = Config::lossless(Fp::kFp32, 3)) {
    c.version = 3;
    c.group = kL;
    c.chunk = kC;
    return c;
  }
  std::mt19937_64& rng() { return enc_.rng(); }
  uint64_t values() const { return values_count_; }
  uint64_t steps() const { return steps_; }
  uint64_t chunks() const { return order_.size(); }
  uint64_t cycles() const { return enc_.cycle(); }
  uint64_t expired() const { return expired_; }
  unsigned held_max() const { return held_.max(); }
  uint64_t first_in_cycle() const { return in_.first_cycle(); }
  uint64_t last_out_cycle() const { return tensors_.empty() ? 0 : tensors_.back().last_out; }
  // Cycles from the first values in to the first values out: a chunk is read once it is written
  // whole, so this is about a chunk's steps plus both pipelines.
  uint64_t latency() const {
    return tensors_.empty() ? 0 : tensors_.front().first_out - in_.first_cycle();
  }
  double seconds() const { return seconds_; }
  const FunctionalCoverage& coverage() const { return cover_; }

  // Sustained values per lane per cycle at the decoder's output: over the tensors of two steps
  // or more, each one's values after its first step over L times the cycles from its first
  // values out to its last (1.0 at one full step a cycle).
  double values_per_lane_cycle() const {
    uint64_t cycles = 0, values = 0;
    for (const Tensor& t : tensors_) {
      if (t.steps < 2) continue;
      cycles += t.last_out - t.first_out;
      values += t.q.size() - t.first_step;
    }
    return cycles ? static_cast<double>(values) / (static_cast<double>(cycles) * kL) : 0.0;
  }
  // The same spans in steps (L_c values each; a chunk of fewer than 64 L values has L_c < L
  // lanes, Spec: "Version 3 configuration"): each tensor's steps but its first over the cycles
  // from its first values out to its last (1.0 at a step a cycle).
  double steps_per_cycle() const {
    uint64_t cycles = 0, steps = 0;
    for (const Tensor& t : tensors_) {
      if (t.steps < 2) continue;
      cycles += t.last_out - t.first_out;
      steps += t.steps - 1;
    }
    return cycles ? static_cast<double>(steps) / static_cast<double>(cycles) : 0.0;
  }
  // Over the whole run: every value over L times the cycles from the first values in to the last
  // values out (latency, per-tensor setups and small tensors included).
  double values_per_lane_cycle_all() const {
    const uint64_t cycles = last_out_cycle() - first_in_cycle() + 1;
    return static_cast<double>(values_count_) / (static_cast<double>(cycles) * kL);
  }

  // Queues a tensor (per-tensor fields from c) coded with its own table.
  void add_tensor(Config c, const std::vector<uint32_t>& values, const std::string& what) {
    REQUIRE(!values.empty());
    c = params(c);
    const size_t index = tensors_.size();
    Tensor t;
    t.config = c;
    t.what = fmt::format("{} ({})", what, to_string(c));
    CodeTable table;
    t.chunks = model_chunks3(c, values, &table);
    t.table = table_limbs(table);
    // The model's decode of the model's encode, chunk by chunk: status 0 and Q_m of the input.
    std::vector<uint32_t> q(values.size());
    quantize(values.data(), q.data(), q.size(), c.fp, c.man_bits, c.rounding);
    t.q.resize(values.size());
    uint64_t first = 0;
    for (size_t k = 0; k < t.chunks.size(); ++k) {
      const Chunk3& ch = t.chunks[k];
      const auto bytes = bytes_of(ch.words);
      const Status st = decode_chunk_v3(c, table, ch.values, ch.crc, bytes.data(), ch.words.size(),
                                        t.q.data() + first);
      INFO(t.what << ", chunk " << k);
      REQUIRE(st == Status::kOk);
      const unsigned lanes = chunk_lanes(c, ch.values);
      t.steps += (ch.values + lanes - 1) / lanes;
      if (k == 0) t.first_step = std::min<uint64_t>(lanes, ch.values);
      expired_ += ch.expired;
      if (ch.expired) cover_.hit("chunk with expired words");
      cover_.hit(ch.values == kC ? "full chunk"
                 : lanes < kL    ? "short chunk, L_c < L"
                                 : "short chunk, L_c = L");
      order_.push_back({index, k});
      first += ch.values;
    }
    for (size_t i = 0; i < q.size(); ++i) {
      if (t.q[i] != q[i]) {
        FAIL(fmt::format("model: decode(encode(x)) != Q_m(x) at {}, value {}: {:08x} vs {:08x}",
                         t.what, i, t.q[i], q[i]));
      }
    }
    cover_.hit_fields(c);
    cover_.hit(values.size() == 1                 ? "tensor of 1 value"
               : values.size() < kL               ? "tensor of 2 .. L - 1 values"
               : values.size() > uint64_t{2} * kC ? "tensor of 3 chunks or more"
                                                  : "tensor of L .. 2 C values");
    expect_.add(t.what, t.chunks);
    for (InBeat2& b : tensor_beats2(rng(), c, values, index)) {
      in_.push({std::move(b), static_cast<uint32_t>(values.size())});
    }
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
    REQUIRE((rd_desc_.idle() && rd_words_.idle()));
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  struct Tensor {
    Config config;
    std::string what;
    std::vector<uint32_t> q;      // the model's decode of its encode (= Q_m of the input)
    std::vector<Chunk3> chunks;   // as the model codes them
    std::vector<uint32_t> table;  // table_i of both tops
    uint64_t steps = 0, first_step = 0, first_out = 0, last_out = 0;
  };
  struct ChunkRef {
    size_t tensor, chunk;
  };
  // A chunk whose index entry is written: where its words start in the memory, and its entry.
  struct Stored {
    uint64_t start;
    IndexBeat3 entry;
  };
  static constexpr const char* kBins[] = {"chunk with expired words",
                                          "full chunk",
                                          "short chunk, L_c = L",
                                          "short chunk, L_c < L",
                                          "tensor of 1 value",
                                          "tensor of 2 .. L - 1 values",
                                          "tensor of L .. 2 C values",
                                          "tensor of 3 chunks or more",
                                          "encoder input waits",
                                          "encoder words stalled",
                                          "encoder index stalled",
                                          "encoder beat of BW words",
                                          "encoder beat of 1 .. BW - 1 words",
                                          "decoder words waited for",
                                          "decoder values stalled",
                                          "decoder status stalled",
                                          "decoder beat of L_c < L values",
                                          "decoder starved_o",
                                          "status 0 ok"};

  // One cycle of both DUTs, then the memory's read side: what has been written is readable
  // from the next cycle.
  void step() {
    step_lockstep(enc_, dec_);
    serve_reads();
  }

  void sample_enc() {
    const Enc& d = enc_.dut();
    cover_.hit_held(d.held_o);
    if (d.tensor_valid_i && !d.tensor_ready_o) cover_.hit("encoder input waits");
    if (d.words_valid_o && !d.words_ready_i) cover_.hit("encoder words stalled");
    if (d.index_valid_o && !d.index_ready_i) cover_.hit("encoder index stalled");
    if (d.words_valid_o && d.words_ready_i) {
      cover_.hit(d.words_count_o == kBW ? "encoder beat of BW words"
                                        : "encoder beat of 1 .. BW - 1 words");
    }
  }
  void sample_dec() {
    const Dec& d = dec_.dut();
    if (d.words_ready_o && !d.words_valid_i) cover_.hit("decoder words waited for");
    if (d.values_valid_o && !d.values_ready_i) cover_.hit("decoder values stalled");
    if (d.status_valid_o && !d.status_ready_i) cover_.hit("decoder status stalled");
    if (d.values_valid_o && d.values_ready_i && d.values_lanes_o < kL) {
      cover_.hit("decoder beat of L_c < L values");
    }
    if (d.starved_o) cover_.hit("decoder starved_o");
  }

  void store_words(const WordsBeat2& b) {
    expect_.check_words(b);
    mem_.insert(mem_.end(), b.words.begin(), b.words.begin() + b.count);
  }
  void store_index(const IndexBeat3& b) {
    expect_.check_index(b);
    stored_.push_back({next_start_, b});
    next_start_ += b.words;
  }

  // A chunk written whole (its entry and its N words): its descriptor and its words, a beat
  // within the chunk.
  void serve_reads() {
    while (readable_ < stored_.size() &&
           mem_.size() >= stored_[readable_].start + stored_[readable_].entry.words) {
      const Stored& s = stored_[readable_];
      const ChunkRef r = order_[readable_];
      const Tensor& t = tensors_[r.tensor];
      rd_desc_.push({s.entry.words, static_cast<uint32_t>(t.chunks[r.chunk].values), s.entry.crc,
                     s.entry.last, cfg_bits(t.config), t.table});
      for (uint64_t at = 0; at < s.entry.words;) {
        const unsigned want =
            timing_.full_beats ? kBW : 1 + static_cast<unsigned>(dec_.rng()() % kBW);
        const unsigned n = static_cast<unsigned>(std::min<uint64_t>(want, s.entry.words - at));
        rd_words_.push(words_beat2(mem_.data() + s.start + at, n, kBW, dec_.rng()));
        at += n;
      }
      ++readable_;
    }
  }

  // The decoder's values: a step of L_c values a beat, each the model's decode, unused lanes 0.
  void check_values(const ValuesBeat& b) {
    if (out_tensor_ >= tensors_.size()) {
      FAIL(fmt::format("unexpected values beat after the last tensor; {}", enc_.where()));
    }
    Tensor& t = tensors_[out_tensor_];
    const uint64_t n = t.q.size(), first = out_at_ / kC * kC;
    const uint64_t values = std::min<uint64_t>(kC, n - first), at = out_at_ - first;
    const unsigned lanes = chunk_lanes(t.config, values);
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
                         where, l, l < count ? "the model's" : "unused lane", want, b.lanes[l],
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
      FAIL(fmt::format("status of tensor {} {}, chunk {}: {} ({}) last {}, expected 0 last {}; {}",
                       r.tensor, t.what, r.chunk, b.code, status_name(static_cast<Status>(b.code)),
                       b.last, last, enc_.where()));
    }
    cover_.hit("status 0 ok");
    ++status_chunk_;
  }

  inline static const std::vector<uint32_t> no_table_{};

  Loop3Timing timing_;
  Sim<Enc> enc_;
  Sim<Dec> dec_;
  Enc3Expect expect_;
  HeldMonitor<Enc> held_;
  StreamDriver<InBeat3> in_;
  StreamSink<WordsBeat2> wr_words_;
  StreamSink<IndexBeat3> wr_index_;
  StreamDriver<Desc3> rd_desc_;
  StreamDriver<WordsBeat2> rd_words_;
  StreamSink<ValuesBeat> values_;
  StreamSink<StatusBeat2> status_;
  FunctionalCoverage cover_;
  Probe enc_probe_, dec_probe_;
  std::vector<Tensor> tensors_;
  std::vector<ChunkRef> order_;  // every chunk of every tensor, in stream order
  std::vector<uint32_t> mem_;    // the payload words as written
  std::vector<Stored> stored_;   // the chunks whose index entry is written
  uint64_t next_start_ = 0;
  size_t readable_ = 0;  // chunks written whole
  size_t out_tensor_ = 0, status_chunk_ = 0;
  uint64_t out_at_ = 0;
  uint64_t steps_ = 0, values_count_ = 0, expired_ = 0;
  double seconds_ = 0;
};

}  // namespace sfp::tb
