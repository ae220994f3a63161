// SPDX-License-Identifier: Apache-2.0
//
// sfp3_encoder against the golden model (encode_chunk_v3, format version 3): every word in slot
// order and every chunk index entry (N, CRC-32C), for every set of rtl/param_sets_v3.txt, under
// random input gaps and output backpressure, with the window's held count checked every cycle;
// on training snapshots (SFP_TB_TRACES), where the values per lane per cycle are measured, and
// for `make report`.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <tuple>

#include "enc3_bench.hpp"
#include "enc3_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"
#include "traces.hpp"
#include "v2.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(Enc3Info<Dut>::kName) + "_" + what;
}

// Values per test case: a few chunks, at most ~64k values (the v16 model is the slowest).
template <class Dut>
size_t budget() {
  return std::min<size_t>(65536, std::max<size_t>(12000, 4 * enc3_params<Dut>().chunk)) *
         test_scale();
}

// A tensor whose lane 0 is all +0 beside lanes of lossless uniform bits: lane 0 takes a word
// every 32 or more values while the others take about one a value, so with eight lanes or more
// its open words expire and the window holds nearly V3WindowWords - 1 words.
std::vector<uint32_t> expiry_tensor(std::mt19937_64& rng, const Config& p, size_t chunks) {
  std::vector<uint32_t> v(chunks * p.chunk);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = i % p.group == 0 ? 0u : static_cast<uint32_t>(rng());
  }
  return v;
}

// Counts the input transfers and notes the cycle of the mark-th one and of the last.
template <class Dut>
class InputClock : public Agent {
 public:
  InputClock(Dut& dut, const uint64_t* cycle, uint64_t mark)
      : dut_(dut), cycle_(cycle), mark_(mark) {}
  void drive() override {}
  void sample() override {
    if (dut_.tensor_valid_i && dut_.tensor_ready_o) {
      if (++n_ == mark_) mark_cycle_ = *cycle_;
      last_cycle_ = *cycle_;
    }
  }
  uint64_t count() const { return n_; }
  uint64_t mark_cycle() const { return mark_cycle_; }
  uint64_t last_cycle() const { return last_cycle_; }

 private:
  Dut& dut_;
  const uint64_t* cycle_;
  uint64_t mark_, n_ = 0, mark_cycle_ = 0, last_cycle_ = 0;
};

}  // namespace

TEMPLATE_TEST_CASE("v3 encoder matches the model on random tensors under backpressure",
                   "[sim][enc3]", SFP_TB_ENC3) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out =
      GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  Enc3Bench<TestType> bench(seed, name_of<TestType>("random"), in_p, out,
                            ReadyPattern::random(0.7));
  for (const TensorCase& t :
       random_tensors2(bench.rng(), bench.params(), budget<TestType>(), budget<TestType>() / 3)) {
    bench.add_tensor(t.config, t.values, t.what);
  }
  bench.run();
  CHECK(bench.words_checked() > 0);
}

TEMPLATE_TEST_CASE("v3 encoder matches the model on every kind and every m and rounding",
                   "[sim][enc3]", SFP_TB_ENC3) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<TestType>::kName << ", seed " << seed);
  Enc3Bench<TestType> bench(seed, name_of<TestType>("corners"), 0.9, ReadyPattern::random(0.8),
                            ReadyPattern::always());
  auto& rng = bench.rng();
  const Config& p = bench.params();
  const size_t cap = std::min<size_t>(p.chunk, 4096);
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const unsigned man = fp_format(fp).man_bits;
    for (unsigned m = 0; m <= man; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        Config c = Config::lossless(fp, 3);
        c.man_bits = m;
        c.rounding = r;
        const DataKind k = kDataKinds[(m * 2 + (r == Rounding::kNearestEven)) % kNumDataKinds];
        bench.add_tensor(c, make_values(rng, fp, 1 + rng() % (80 * p.group), k), kind_name(k));
      }
    }
    Config c = Config::lossless(fp, 3);
    // Every kind at m = 0 and m = M: a short tensor (L_c < L) and, for the small sets, a chunk
    // and a short last chunk.
    for (DataKind k : kDataKinds) {
      for (unsigned m : {0u, man}) {
        c.man_bits = m;
        const size_t n = p.chunk <= 1024 ? p.chunk + 1 + rng() % (64 * p.group) : 1 + rng() % cap;
        bench.add_tensor(c, make_values(rng, fp, n, k), kind_name(k));
      }
    }
    // All zeros, one value, lengths around the lane-count thresholds (64 values a lane).
    c.man_bits = man;
    bench.add_tensor(c, std::vector<uint32_t>(std::min<size_t>(p.chunk + p.group + 1, 3 * cap), 0u),
                     "zeros");
    bench.add_tensor(c, std::vector<uint32_t>(1, 0u), "one zero");
    bench.add_tensor(c, make_values(rng, fp, 1, DataKind::kRandom), "one value");
    for (size_t n : {p.group - 1, p.group, p.group + 1, 64 * p.group - 1, 64 * p.group,
                     64 * p.group + 1, 128 * p.group + 3}) {
      bench.add_tensor(c, make_values(rng, fp, std::min<size_t>(n, 2 * p.chunk), DataKind::kRandom),
                       "length " + std::to_string(n));
    }
  }
  bench.run();
}

TEMPLATE_TEST_CASE("v3 encoder lets words expire with the window near full", "[sim][enc3]",
                   SFP_TB_ENC3) {
  const ReadyPattern out = GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5));
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<TestType>::kName << ", ready " << out.name() << ", seed " << seed);
  Enc3Bench<TestType> bench(seed, name_of<TestType>("expiry"), 1.0, out, ReadyPattern::random(0.7));
  const Config& p = bench.params();
  const size_t chunks = std::max<size_t>(1, 8192 / p.chunk);
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    Config c = Config::lossless(fp, 3);
    std::vector<uint32_t> v = expiry_tensor(bench.rng(), p, chunks);
    if (fp == Fp::kBf16) {
      for (auto& x : v) x &= 0xFFFFu;
    }
    bench.add_tensor(c, v, "lane 0 zero");
  }
  bench.run();
  INFO("model: held " << bench.model_held() << ", expired " << bench.model_expired()
                      << "; RTL held " << bench.rtl_held());
  if (p.group >= 8) {
    // The case does what it is for: words expire and the window comes near its bound.
    CHECK(bench.model_expired() > 0);
    CHECK(bench.model_held() >= 400);
    CHECK(bench.rtl_held() >= bench.model_held());
  }
  std::printf("%s expiry (%s): model held %llu, expired %llu; RTL held at most %u\n",
              Enc3Info<TestType>::kName, out.name().c_str(),
              static_cast<unsigned long long>(bench.model_held()),
              static_cast<unsigned long long>(bench.model_expired()), bench.rtl_held());
}

TEMPLATE_TEST_CASE("v3 encoder takes one value per lane per cycle on realistic data", "[sim][enc3]",
                   SFP_TB_ENC3) {
  const uint64_t seed = test_seed();
  const Config& p0 = enc3_params<TestType>();
  struct Case {
    Fp fp;
    unsigned m;
    Mix mix;
    const char* what;
  };
  const Case cases[] = {{Fp::kFp32, 23, Mix::kStructured, "FP32 lossless, structured"},
                        {Fp::kFp32, 23, Mix::kEveryClass, "FP32 lossless, every class"},
                        {Fp::kFp32, 7, Mix::kStructured, "FP32 m=7, structured"},
                        {Fp::kBf16, 7, Mix::kStructured, "BF16 lossless, structured"},
                        {Fp::kBf16, 3, Mix::kEveryClass, "BF16 m=3, every class"}};
  for (const Case& k : cases) {
    INFO("dut " << Enc3Info<TestType>::kName << ", " << k.what << ", seed " << seed);
    Enc3Bench<TestType> bench(seed, name_of<TestType>("rate"), 1.0, ReadyPattern::always(),
                              ReadyPattern::always());
    Config c = Config::lossless(k.fp, 3);
    c.man_bits = k.m;
    const size_t n = std::min<size_t>(std::max<size_t>(4 * p0.chunk, 16384), 65536);
    const uint64_t beats = (n + p0.group - 1) / p0.group;
    // Steady state: from the transfer of beat 64 (after the tensor's codeword setup) on.
    const uint64_t mark = 64;
    InputClock<TestType> clock(bench.sim().dut(), bench.sim().cycle_ptr(), mark);
    bench.sim().add(&clock);
    bench.add_tensor(c, random_values(bench.rng(), k.fp, n, k.mix), k.what);
    bench.run();
    REQUIRE(clock.count() == beats);
    // Values per lane per cycle: beats (L values each) per cycle of the input.
    const double all = static_cast<double>(beats) /
                       static_cast<double>(bench.last_in_cycle() - bench.first_in_cycle() + 1);
    const double steady = static_cast<double>(beats - mark) /
                          static_cast<double>(clock.last_cycle() - clock.mark_cycle());
    std::printf(
        "%s rate, %s: %.4f values per lane per cycle after the codeword setup, %.4f "
        "with it (%zu values, %zu-value chunks)\n",
        Enc3Info<TestType>::kName, k.what, steady, all, n, size_t{p0.chunk});
    CHECK(steady >= 0.95);
  }
}

TEMPLATE_TEST_CASE("v3 encoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[sim][enc3][traces]", SFP_TB_ENC3) {
  const auto tensors = snapshot_tensors(size_t{1} << 16 << (test_scale() - 1));
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<TestType>::kName << ", traces " << traces_path() << ", seed " << seed);
  Enc3Bench<TestType> bench(seed, name_of<TestType>("traces"), 0.9, ReadyPattern::random(0.8),
                            ReadyPattern::random(0.8));
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values, t.name);
  }
  bench.run();
  std::printf(
      "%s snapshot %s: %zu tensors, %llu values, %llu words and %llu index entries "
      "compared\n",
      Enc3Info<TestType>::kName, traces_path().c_str(), tensors.size(),
      static_cast<unsigned long long>(bench.values()),
      static_cast<unsigned long long>(bench.words_checked()),
      static_cast<unsigned long long>(bench.chunks_checked()));
}

TEMPLATE_TEST_CASE("v3 encoder rate on training snapshots at their stored bits (SFP_TB_TRACES)",
                   "[sim][enc3][traces]", SFP_TB_ENC3) {
  const auto tensors = snapshot_tensors(size_t{1} << 18 << (test_scale() - 1));
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<TestType>::kName << ", traces " << traces_path() << ", seed " << seed);
  // Input every cycle, outputs always ready: the cycles are the encoder's own.
  Enc3Bench<TestType> bench(seed, name_of<TestType>("traces_rate"), 1.0, ReadyPattern::always(),
                            ReadyPattern::always());
  for (const TraceTensor& t : tensors) {
    // At the bits it was stored with (lossless without the metadata).
    bench.add_tensor(snapshot_config(t, bench.params(), true), t.values, t.name);
  }
  bench.run();
  const double rate = bench.values_per_lane_cycle();
  std::printf(
      "%s snapshot rate: %.4f values per lane per cycle sustained (each tensor from its first "
      "beat after the codeword setup to its last; %.4f steps per cycle), %.4f over the whole run "
      "(%s: %zu tensors, "
      "%llu values, %llu steps)\n",
      Enc3Info<TestType>::kName, rate, bench.steps_per_cycle(), bench.values_per_lane_cycle_all(),
      traces_path().c_str(), tensors.size(), static_cast<unsigned long long>(bench.values()),
      static_cast<unsigned long long>(bench.steps()));
  CHECK(rate >= 0.95);
}

// For `make report` (hidden; run by name): the first encoder of the build (the default set v16
// when all are built; `make report` builds only it) on every tensor of a snapshot but the FP32
// master weights, at the mantissa bits the trainer stored it with, input every cycle and outputs
// always ready, so the cycles are the encoder's own; every word and index entry against the
// model. Cycles per step are the sustained rate's (Enc3Bench::steps_per_cycle: each tensor
// after its codeword setup). Appends a summary line to SFP_TB_REPORT.
TEST_CASE("report: v3 encoder on a training snapshot at its stored bitlengths", "[.report]") {
  using Dut = std::tuple_element_t<0, std::tuple<SFP_TB_ENC3>>;
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("dut " << Enc3Info<Dut>::kName << ", traces " << path << ", seed " << seed);
  std::vector<TraceTensor> tensors;
  for (TraceTensor& t : read_safetensors(path, size_t{1} << 24)) {
    if (!t.values.empty() && t.kind != "master") tensors.push_back(std::move(t));
  }
  REQUIRE(tensors.size() > 0);
  Enc3Bench<Dut> bench(seed, name_of<Dut>("report"), 1.0, ReadyPattern::always(),
                       ReadyPattern::always());
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, bench.params(), true), t.values, t.name);
  }
  bench.run();
  const Config& p = bench.params();
  const std::string dut = Enc3Info<Dut>::kName;
  const std::string set = dut.substr(dut.rfind('_') + 1);
  const double steps_per_cycle = bench.steps_per_cycle();
  REQUIRE(steps_per_cycle > 0.0);
  report_line({{"bench", "encoder"},
               {"dut", dut},
               {"set", "v3-" + set},
               {"lanes", p.group},
               {"chunk_values", p.chunk},
               {"version", 3},
               {"snapshot", path},
               {"tensors", tensors.size()},
               {"values", bench.values()},
               {"steps", bench.steps()},
               {"words_compared", bench.words_checked()},
               {"chunks", bench.chunks_checked()},
               {"expired_words", bench.model_expired()},
               {"mismatches", 0},
               {"cycles", bench.last_in_cycle() - bench.first_in_cycle() + 1},
               {"cycles_per_step", 1.0 / steps_per_cycle},
               {"sim_seconds", bench.seconds()}});
}
