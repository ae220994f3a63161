// SPDX-License-Identifier: Apache-2.0
//
// sfp3_encoder -> memory -> sfp3_decoder for every set both blocks ship: the decoder gives back
// the model's decode of the model's encode (Q_m of every input value) with status 0 on every
// chunk, the encoder writes every word and index entry of encode_chunk_v3, under random gaps and
// backpressure on both sides and at the streams' rate, where the values per lane per cycle of
// the loop are measured.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <tuple>

#include "loop3_bench.hpp"
#include "loop3_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"
#include "traces.hpp"
#include "v2.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Set>
std::string name_of(const std::string& what) {
  return std::string("loop3_") + Set::kName + "_" + what;
}

// Values per test case, so that the default set (16384-value chunks) stays within seconds.
template <class Set>
size_t budget() {
  return std::max<size_t>(20000, 4 * size_t{Set::DecTop::ChunkValues}) * test_scale();
}

// The sustained values per lane per cycle a working loop stays above: one step a cycle but for
// a few cycles a chunk (the encoder's chunk close, the decoder's chunk switch); loose, so that
// only a pipeline that loses a cycle a step or stalls a chunk at a time fails.
double rate_bound(unsigned chunk_steps) {
  return 1.0 / std::max(1.10, 1.0 + 8.0 / static_cast<double>(chunk_steps));
}

}  // namespace

TEMPLATE_TEST_CASE("loop3 returns the model's decode of random tensors of every kind",
                   "[sim][loop3]", SFP_TB_LOOP3) {
  const Loop3Timing timing = GENERATE(Loop3Timing::stream_rate(), Loop3Timing::random_gaps(0.6),
                                      Loop3Timing::long_stalls());
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", " << timing.name() << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("random"), timing);
  for (const TensorCase& t :
       random_tensors2(bench.rng(), Bench::params(), budget<TestType>(), budget<TestType>() / 3)) {
    bench.add_tensor(t.config, t.values, t.what);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("loop3 returns the model's decode at every m of both formats and roundings",
                   "[sim][loop3]", SFP_TB_LOOP3) {
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("every_m"), Loop3Timing::random_gaps(0.8));
  auto& rng = bench.rng();
  const Config p = Bench::params();
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        Config c = p;
        c.fp = fp;
        c.man_bits = m;
        c.rounding = r;
        const DataKind k = kDataKinds[(2 * m + (r == Rounding::kNearestEven)) % kNumDataKinds];
        // A chunk and a short one on the small sets; a part of a chunk on the large ones (the
        // sweep is over m: chunk boundaries are covered by the other tests).
        const size_t n = p.chunk <= 1024 ? p.chunk + 1 + rng() % (4 * p.group) : 200 + rng() % 800;
        bench.add_tensor(c, make_values(rng, fp, n, k), kind_name(k));
      }
    }
  }
  bench.run();
  for (const auto& [bin, n] : bench.coverage().bins()) {
    if (bin.rfind("fp32 m=", 0) == 0 || bin.rfind("bf16 m=", 0) == 0) {
      INFO("coverage bin " << bin);
      CHECK(n > 0);
    }
  }
}

TEMPLATE_TEST_CASE("loop3 returns the model's decode of tiny tensors and at chunk boundaries",
                   "[sim][loop3]", SFP_TB_LOOP3) {
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("tiny"), Loop3Timing::random_gaps(0.7));
  auto& rng = bench.rng();
  const Config p = Bench::params();
  const size_t L = p.group, C = p.chunk;
  const size_t lengths[] = {1,      2,          3,     L - 1, L,     L + 1,    64 * L - 1,
                            64 * L, 64 * L + 1, C - 1, C,     C + 1, 2 * C + 5};
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const unsigned mm = fp_format(fp).man_bits;
    for (size_t n : lengths) {
      Config c = p;
      c.fp = fp;
      c.man_bits = mm - static_cast<unsigned>(rng() % 3);
      const DataKind k = kDataKinds[rng() % kNumDataKinds];
      bench.add_tensor(c, make_values(rng, fp, n, k), kind_name(k));
      c.man_bits = 0;
      c.rounding = Rounding::kTruncate;
      bench.add_tensor(c, make_values(rng, fp, n, DataKind::kSpecials), "specials at m = 0");
    }
    Config c = p;
    c.fp = fp;
    c.man_bits = mm;
    bench.add_tensor(c, std::vector<uint32_t>(C + L + 1, 0u), "all zeros");
    bench.add_tensor(c, make_values(rng, fp, C + 1, DataKind::kIncompressible), "incompressible");
  }
  bench.run();
}

TEMPLATE_TEST_CASE("loop3 returns the model's decode with words expiring and the window near full",
                   "[sim][loop3]", SFP_TB_LOOP3) {
  const Loop3Timing timing = GENERATE(Loop3Timing::stream_rate(), Loop3Timing::random_gaps(0.5));
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", " << timing.name() << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("expiry"), timing);
  const Config p = Bench::params();
  // Lane 0 all +0 beside lanes of lossless uniform bits: lane 0 takes a word every 32 or more
  // values while the others take about one a value, so its open words expire.
  const size_t n = std::max<size_t>(1, 8192 / p.chunk) * p.chunk;
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t x = i % p.group == 0 ? 0u : static_cast<uint32_t>(bench.rng()());
      v[i] = fp == Fp::kBf16 ? x & 0xFFFFu : x;
    }
    bench.add_tensor(Config::lossless(fp, 3), v, "lane 0 zero");
  }
  bench.run();
  std::printf("loop3 %s expiry (%s): %llu words expired, the window held at most %u\n",
              TestType::kName, timing.name().c_str(),
              static_cast<unsigned long long>(bench.expired()), bench.held_max());
  // Expiry needs the other lanes to take 512 words while the slow lane reads one: 16 lanes and
  // chunks of thousands of values (v4's 256-value chunks cannot reach it).
  if (p.group >= 16 && p.chunk >= 4096) {
    CHECK(bench.expired() > 0);
    CHECK(bench.held_max() >= 480);
  }
}

TEMPLATE_TEST_CASE("loop3 sustains one value per lane per cycle at the streams' rate",
                   "[sim][loop3][perf]", SFP_TB_LOOP3) {
  const DataKind kind = GENERATE(DataKind::kStructured, DataKind::kIncompressible);
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", data " << kind_name(kind) << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("perf"), Loop3Timing::stream_rate());
  const Config p = Bench::params();
  const unsigned chunk_steps = p.chunk / chunk_lanes(p, p.chunk);
  // Lossless FP32 (the widest chunks) in one tensor of whole chunks, at least 4096 steps.
  const size_t chunks = std::max<size_t>(4, 4096 / chunk_steps);
  const Config c = Bench::params(Config::lossless(Fp::kFp32, 3));
  bench.add_tensor(c, make_values(bench.rng(), c.fp, chunks * p.chunk, kind), kind_name(kind));
  bench.run();
  const double rate = bench.values_per_lane_cycle();
  std::printf(
      "loop3 rate %s %s: %.4f values per lane per cycle from the first values out to the last "
      "(%.4f from the first values in; %llu steps in %llu chunks of %u steps, latency %llu "
      "cycles); %.0f values/s simulated\n",
      TestType::kName, kind_name(kind), rate, bench.values_per_lane_cycle_all(),
      static_cast<unsigned long long>(bench.steps()),
      static_cast<unsigned long long>(bench.chunks()), chunk_steps,
      static_cast<unsigned long long>(bench.latency()),
      static_cast<double>(bench.values()) / bench.seconds());
  REQUIRE(rate <= 1.0);
  REQUIRE(rate >= rate_bound(chunk_steps));
}

TEMPLATE_TEST_CASE("loop3 returns the model's decode of training snapshots (SFP_TB_TRACES)",
                   "[sim][loop3][traces]", SFP_TB_LOOP3) {
  const auto tensors = snapshot_tensors(size_t{1} << 16 << (test_scale() - 1));
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", traces " << traces_path() << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("traces"), Loop3Timing::random_gaps(0.8));
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, Bench::params())), t.values, t.name);
  }
  bench.run();
  std::printf("loop3 snapshot %s, %s: %zu tensors, %llu values, %llu chunks back with status 0\n",
              TestType::kName, traces_path().c_str(), tensors.size(),
              static_cast<unsigned long long>(bench.values()),
              static_cast<unsigned long long>(bench.chunks()));
}

TEMPLATE_TEST_CASE("loop3 rate on training snapshots at their stored bits (SFP_TB_TRACES)",
                   "[sim][loop3][perf][traces]", SFP_TB_LOOP3) {
  const auto tensors = snapshot_tensors(size_t{1} << 18 << (test_scale() - 1));
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", traces " << traces_path() << ", seed " << seed);
  using Bench = Loop3Bench<TestType>;
  Bench bench(seed, name_of<TestType>("traces_perf"), Loop3Timing::stream_rate());
  for (const TraceTensor& t : tensors) {
    // At the bits it was stored with (lossless without the metadata).
    bench.add_tensor(snapshot_config(t, Bench::params(), true), t.values, t.name);
  }
  bench.run();
  const Config p = Bench::params();
  const unsigned chunk_steps = p.chunk / chunk_lanes(p, p.chunk);
  const double rate = bench.values_per_lane_cycle();
  std::printf(
      "loop3 snapshot rate %s: %.4f values per lane per cycle sustained (each tensor from its "
      "first values out to its last; %.4f steps per cycle), %.4f over the whole run (%s: %zu "
      "tensors, %llu values, %llu steps, %llu chunks)\n",
      TestType::kName, rate, bench.steps_per_cycle(), bench.values_per_lane_cycle_all(),
      traces_path().c_str(), tensors.size(), static_cast<unsigned long long>(bench.values()),
      static_cast<unsigned long long>(bench.steps()),
      static_cast<unsigned long long>(bench.chunks()));
  REQUIRE(rate >= rate_bound(chunk_steps));
}

// For `make report` (hidden; run by name): the first set of the build (the default set v16 when
// all are built; `make report` builds only it), encoder -> memory -> decoder on every tensor of
// a snapshot but the FP32 master weights, at its stored mantissa bits, at the streams' rate;
// every decoded value against Q_m of its input, every chunk's status against 0, the encoder's
// words and index entries against the model. Cycles per step are the sustained rate's
// (Loop3Bench::steps_per_cycle: each tensor from its first values out to its last). Appends a
// summary line to SFP_TB_REPORT.
TEST_CASE("report: v3 loopback on a training snapshot at its stored bitlengths", "[.report]") {
  using Set = std::tuple_element_t<0, std::tuple<SFP_TB_LOOP3>>;
  using Bench = Loop3Bench<Set>;
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("set " << Set::kName << ", traces " << path << ", seed " << seed);
  Bench bench(seed, name_of<Set>("report"), Loop3Timing::stream_rate());
  size_t tensors = 0;
  for (const TraceTensor& t : read_safetensors(path, size_t{1} << 24)) {
    if (t.values.empty() || t.kind == "master") continue;
    bench.add_tensor(snapshot_config(t, Bench::params(), true), t.values, t.name);
    ++tensors;
  }
  REQUIRE(tensors > 0);
  bench.run();
  const Config p = Bench::params();
  const double steps_per_cycle = bench.steps_per_cycle();
  REQUIRE(steps_per_cycle > 0.0);
  report_line({{"bench", "loopback"},
               {"dut", fmt::format("Vsfp3_encoder_{0} + Vsfp3_decoder_{0}", Set::kName)},
               {"set", std::string("v3-") + Set::kName},
               {"lanes", p.group},
               {"chunk_values", p.chunk},
               {"version", 3},
               {"snapshot", path},
               {"tensors", tensors},
               {"values", bench.values()},
               {"steps", bench.steps()},
               {"values_compared", bench.values()},
               {"chunks", bench.chunks()},
               {"expired_words", bench.expired()},
               {"mismatches", 0},
               {"cycles", bench.last_out_cycle() - bench.first_in_cycle() + 1},
               {"latency", bench.latency()},
               {"cycles_per_step", 1.0 / steps_per_cycle},
               {"sim_seconds", bench.seconds()}});
}
