// SPDX-License-Identifier: Apache-2.0
//
// sfp_row_pack and sfp_beat_unpack against a bit queue: random bit counts, beat sizes, flushes,
// takes and clears under random valid and ready with several probabilities; every row and every
// valid window is compared bit for bit with the queue, and the SVA checks (stability, fill
// ranges, no deadlock) run throughout.
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "Vsfp_beat_unpack_d.h"
#include "Vsfp_beat_unpack_odd.h"
#include "Vsfp_row_pack_d.h"
#include "Vsfp_row_pack_odd.h"
#include "ports.hpp"
#include "seed.hpp"
#include "sim.hpp"

using namespace sfp::tb;

namespace {

struct PackD {
  using Dut = Vsfp_row_pack_d;
  static constexpr unsigned kInW = 64, kRowW = 32;
  static constexpr const char* kName = "row_pack_d";
};
struct PackOdd {
  using Dut = Vsfp_row_pack_odd;
  static constexpr unsigned kInW = 13, kRowW = 8;
  static constexpr const char* kName = "row_pack_odd";
};
struct UnpackD {
  using Dut = Vsfp_beat_unpack_d;
  static constexpr unsigned kBW = 4, kMaxTake = 44, kWordW = 32;
  static constexpr const char* kName = "beat_unpack_d";
};
struct UnpackOdd {
  using Dut = Vsfp_beat_unpack_odd;
  static constexpr unsigned kBW = 3, kMaxTake = 20, kWordW = 8;
  static constexpr const char* kName = "beat_unpack_odd";
};

// Bits of a port (any width) as a vector, bit 0 first.
template <class P>
std::vector<bool> port_bits(const P& p, unsigned n) {
  std::vector<bool> v(n);
  for (unsigned i = 0; i < n; ++i) v[i] = (get_limb(p, i / 32) >> (i % 32)) & 1u;
  return v;
}
template <class P>
void set_port_bits(P& p, const std::vector<bool>& v) {
  if constexpr (sizeof(P) <= sizeof(uint64_t)) {
    uint64_t x = 0;
    for (size_t i = 0; i < v.size(); ++i) x |= uint64_t{v[i]} << i;
    p = static_cast<P>(x);
  } else {
    std::vector<uint32_t> limbs((v.size() + 31) / 32, 0);
    for (size_t i = 0; i < v.size(); ++i) limbs[i / 32] |= uint32_t{v[i]} << (i % 32);
    write_limbs(p, limbs);
  }
}
std::string bits_str(const std::vector<bool>& v) {
  std::string s;
  for (size_t i = v.size(); i-- > 0;) s += v[i] ? '1' : '0';
  return s;
}

// The probabilities a run draws valid and ready with.
const std::vector<std::pair<double, double>> kRates = {{1.0, 1.0}, {0.9, 0.5}, {0.5, 0.9},
                                                       {0.3, 0.3}, {1.0, 0.2}, {0.2, 1.0}};

template <class P>
class PackBench : public Agent {
 public:
  using Dut = typename P::Dut;
  PackBench(Sim<Dut>& sim, double p_in, double p_out) : sim_(sim), p_in_(p_in), p_out_(p_out) {}

  void drive() override {
    Dut& d = sim_.dut();
    std::mt19937_64& rng = sim_.rng();
    std::uniform_real_distribution<double> coin(0, 1);
    // A beat once offered holds until it is taken (the stream contract).
    if (!offering_ && beats_left_ > 0 && coin(rng) < p_in_) {
      offering_ = true;
      nbits_ = std::uniform_int_distribution<unsigned>(0, P::kInW)(rng);
      if (coin(rng) < 0.2) nbits_ = P::kInW;
      data_.assign(P::kInW, false);
      for (auto&& b : data_) b = rng() & 1u;  // bits above nbits are noise the packer ignores
      flush_ = beats_left_ == 1 || coin(rng) < 0.05;
    }
    d.in_valid_i = offering_;
    set_port_bits(d.in_data_i, data_);
    d.in_nbits_i = nbits_;
    d.in_flush_i = flush_;
    d.out_ready_i = coin(rng) < p_out_;
  }
  void sample() override {
    Dut& d = sim_.dut();
    if (d.out_valid_o && d.out_ready_i) {
      const std::vector<bool> row = port_bits(d.out_data_o, P::kRowW);
      INFO(P::kName << " row " << rows_ << "; " << sim_.where());
      REQUIRE(ref_.size() >= P::kRowW);  // no row before its bits (or the flush) arrived
      const std::vector<bool> want(ref_.begin(), ref_.begin() + P::kRowW);
      REQUIRE(bits_str(row) == bits_str(want));
      ref_.erase(ref_.begin(), ref_.begin() + P::kRowW);
      ++rows_;
    }
    if (d.in_valid_i && d.in_ready_o) {
      for (unsigned i = 0; i < nbits_; ++i) ref_.push_back(data_[i]);
      if (flush_) {
        while (ref_.size() % P::kRowW) ref_.push_back(false);
      }
      offering_ = false;
      --beats_left_;
    }
  }
  void run(unsigned beats) {
    beats_left_ = beats;
    const uint64_t limit = 40ull * beats + 1000;
    const bool done = sim_.run_until([&] { return beats_left_ == 0 && ref_.empty(); }, limit);
    INFO(P::kName << ": " << ref_.size() << " bits never left; " << sim_.where());
    REQUIRE(done);
    // Drained: nothing more is offered.
    for (int i = 0; i < 10; ++i) {
      sim_.step();
      REQUIRE(!sim_.dut().out_valid_o);
    }
  }
  uint64_t rows() const { return rows_; }

 private:
  Sim<Dut>& sim_;
  double p_in_, p_out_;
  bool offering_ = false, flush_ = false;
  unsigned nbits_ = 0, beats_left_ = 0;
  std::vector<bool> data_ = std::vector<bool>(P::kInW);
  std::deque<bool> ref_;  // the bits to come out, a flush's padding included
  uint64_t rows_ = 0;
};

template <class P>
class UnpackBench : public Agent {
 public:
  using Dut = typename P::Dut;
  UnpackBench(Sim<Dut>& sim, double p_in, double p_take)
      : sim_(sim), p_in_(p_in), p_take_(p_take) {}

  void drive() override {
    Dut& d = sim_.dut();
    std::mt19937_64& rng = sim_.rng();
    std::uniform_real_distribution<double> coin(0, 1);
    if (!offering_ && !sent_last_ && coin(rng) < p_in_) {
      offering_ = true;
      count_ = std::uniform_int_distribution<unsigned>(1, P::kBW)(rng);
      last_ = words_left_ <= count_;
      if (last_) count_ = (coin(rng) < 0.3) ? 0 : std::min(count_, words_left_);
      data_.assign(P::kBW * P::kWordW, false);
      for (auto&& b : data_) b = rng() & 1u;
    }
    d.in_valid_i = offering_;
    set_port_bits(d.in_data_i, data_);
    d.in_count_i = count_;
    d.in_last_i = last_;
    // The consumer: takes 0 .. MaxTake bits of a valid window; once the stream ended and its
    // bits are all taken, it takes a little of the zeros and clears.
    take_ = 0;
    clear_ = false;
    if (d.win_valid_o && coin(rng) < p_take_) {
      take_ = std::uniform_int_distribution<unsigned>(0, P::kMaxTake)(rng);
      if (coin(rng) < 0.3) take_ = P::kMaxTake;
    }
    if (d.end_o && ref_.empty() && coin(rng) < 0.3) {
      clear_ = true;
      take_ = 0;
    }
    d.take_i = take_;
    d.clear_i = clear_;
  }
  void sample() override {
    Dut& d = sim_.dut();
    if (d.win_valid_o) {
      std::vector<bool> want(P::kMaxTake, false);  // zeros past the end
      REQUIRE((d.end_o || ref_.size() >= P::kMaxTake));
      for (unsigned i = 0; i < P::kMaxTake && i < ref_.size(); ++i) want[i] = ref_[i];
      INFO(P::kName << " stream " << streams_ << ", bit " << taken_ << "; " << sim_.where());
      REQUIRE(bits_str(port_bits(d.win_o, P::kMaxTake)) == bits_str(want));
      REQUIRE(static_cast<size_t>(d.fill_o) == ref_.size());
      for (unsigned i = 0; i < take_ && !ref_.empty(); ++i) ref_.pop_front();
      taken_ += take_;
    }
    if (clear_) {
      ref_.clear();
      sent_last_ = false;
      words_left_ = stream_words();
      ++streams_;
    }
    if (d.in_valid_i && d.in_ready_o) {
      for (unsigned i = 0; i < count_ * P::kWordW; ++i) ref_.push_back(data_[i]);
      words_left_ -= std::min(words_left_, count_);
      if (last_) sent_last_ = true;
      offering_ = false;
    }
  }
  void run(unsigned streams) {
    words_left_ = stream_words();
    const bool done = sim_.run_until([&] { return streams_ >= streams; }, 400ull * streams + 1000);
    INFO(P::kName << ": " << streams_ << " of " << streams << " streams; " << sim_.where());
    REQUIRE(done);
  }

 private:
  unsigned stream_words() { return std::uniform_int_distribution<unsigned>(1, 40)(sim_.rng()); }
  Sim<Dut>& sim_;
  double p_in_, p_take_;
  bool offering_ = false, last_ = false, sent_last_ = false, clear_ = false;
  unsigned count_ = 0, take_ = 0, words_left_ = 0;
  std::vector<bool> data_;
  std::deque<bool> ref_;  // the bits held, the window's first
  uint64_t streams_ = 0, taken_ = 0;
};

}  // namespace

TEMPLATE_TEST_CASE("row_pack: rows equal the bit queue under random valid/ready", "[prim]", PackD,
                   PackOdd) {
  for (auto [p_in, p_out] : kRates) {
    Sim<typename TestType::Dut> sim(test_seed(), std::string(TestType::kName));
    PackBench<TestType> bench(sim, p_in, p_out);
    sim.add(&bench);
    sim.reset();
    bench.run(20000 * test_scale());
    INFO(TestType::kName << " p_in " << p_in << " p_out " << p_out);
    CHECK(bench.rows() > 0);
  }
}

TEMPLATE_TEST_CASE("beat_unpack: windows equal the bit queue under random beats and takes",
                   "[prim]", UnpackD, UnpackOdd) {
  for (auto [p_in, p_take] : kRates) {
    Sim<typename TestType::Dut> sim(test_seed(), std::string(TestType::kName));
    UnpackBench<TestType> bench(sim, p_in, p_take);
    sim.add(&bench);
    sim.reset();
    bench.run(1500 * test_scale());
  }
}
