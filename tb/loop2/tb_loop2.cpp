// SPDX-License-Identifier: Apache-2.0
//
// sfp2_encoder -> memory -> sfp2_decoder for every set of rtl/param_sets_v2.txt: the decoder
// gives back Q_m of every input value (sfp::quantize) with status 0 on every chunk, the encoder
// writes what sfp::encode writes, under random gaps and backpressure and at the streams' rate,
// where the loop sustains one step (L_c values) per cycle.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "loop2_bench.hpp"
#include "loop2_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"
#include "traces.hpp"
#include "v2.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Set>
std::string name_of(const std::string& what) {
  return std::string("loop2_") + Set::kName + "_" + what;
}

// Values per test case, so that the default set (16384-value chunks) stays within seconds.
template <class Set>
size_t budget() {
  return std::max<size_t>(20000, 4 * size_t{Set::DecTop::ChunkValues}) * test_scale();
}

// The sustained cycles per step a working loop stays under: one step a cycle, plus a few
// cycles a chunk (the decoder's chunk switch, the encoder's staging hand-over); loose, so that
// only a pipeline that loses a cycle a step or stalls a chunk at a time fails.
double step_bound(unsigned chunk_steps) {
  return std::max(1.10, 1.0 + 8.0 / static_cast<double>(chunk_steps));
}

}  // namespace

TEMPLATE_TEST_CASE("loop2 returns Q_m of random tensors of every kind", "[sim][loop2]",
                   SFP_TB_LOOP2) {
  const Loop2Timing timing =
      GENERATE(Loop2Timing::stream_rate(), Loop2Timing::random_gaps(0.6),
               Loop2Timing::long_stalls(), Loop2Timing::skewed(true), Loop2Timing::skewed(false));
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", " << timing.name() << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("random"), timing);
  for (const TensorCase& t :
       random_tensors2(bench.rng(), bench.params(), budget<TestType>(), budget<TestType>() / 3)) {
    bench.add_tensor(t.config, t.values, t.what);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("loop2 returns Q_m at every m of both formats with both roundings",
                   "[sim][loop2]", SFP_TB_LOOP2) {
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("every_m"), Loop2Timing::random_gaps(0.8));
  auto& rng = bench.rng();
  const Config& p = bench.params();
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
}

TEMPLATE_TEST_CASE("loop2 returns Q_m of tiny tensors and at chunk boundaries", "[sim][loop2]",
                   SFP_TB_LOOP2) {
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("tiny"), Loop2Timing::random_gaps(0.7));
  auto& rng = bench.rng();
  const Config& p = bench.params();
  const size_t L = p.group, C = p.chunk;
  const size_t lengths[] = {1,      2,          3,     L - 1, L,     L + 1,    32 * L - 1,
                            32 * L, 32 * L + 1, C - 1, C,     C + 1, 2 * C + 5};
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
    bench.add_tensor(c, make_values(rng, fp, C + 1, DataKind::kIncompressible), "raw chunks");
  }
  bench.run();
  CHECK(bench.raw_chunks() > 0);
}

TEMPLATE_TEST_CASE("loop2 returns Q_m of training snapshots (SFP_TB_TRACES)",
                   "[sim][loop2][traces]", SFP_TB_LOOP2) {
  const auto tensors = snapshot_tensors(size_t{1} << 16);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", traces " << traces_path() << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("traces"), Loop2Timing::random_gaps(0.8));
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values, t.name);
  }
  bench.run();
  WARN(fmt::format("{}: {} tensors, {} values, {} chunks ({} raw) back with status 0",
                   TestType::kName, tensors.size(), bench.values(), bench.chunks(),
                   bench.raw_chunks()));
}

TEMPLATE_TEST_CASE("loop2 sustains one step per cycle at the streams' rate", "[sim][loop2][perf]",
                   SFP_TB_LOOP2) {
  const DataKind kind =
      GENERATE(DataKind::kStructured, DataKind::kRandom, DataKind::kIncompressible);
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", data " << kind_name(kind) << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("perf"), Loop2Timing::stream_rate());
  const Config& p = bench.params();
  const unsigned chunk_steps = p.chunk / chunk_lanes(p.group, p.chunk);
  // Lossless FP32 (the widest chunks) in one tensor of whole chunks, at least 4096 steps.
  const size_t chunks = std::max<size_t>(4, 4096 / chunk_steps);
  const Config c = Config::lossless(Fp::kFp32, 2);
  bench.add_tensor(c, make_values(bench.rng(), c.fp, chunks * p.chunk, kind), kind_name(kind));
  bench.run();
  const double per_step = bench.cycles_per_step();
  WARN(fmt::format(
      "{} loop2, {}: {:.4f} cycles/step from the first values out to the last ({} steps in "
      "{} chunks of {} steps, {} raw; {} gap cycles, {} waiting for the encoder; latency {} "
      "cycles, {} in all); {:.0f} values/s simulated",
      TestType::kName, kind_name(kind), per_step, bench.steps(), bench.chunks(), chunk_steps,
      bench.raw_chunks(), bench.gap_cycles(), bench.starved_cycles(), bench.latency(),
      bench.cycles(), static_cast<double>(bench.values()) / bench.seconds()));
  REQUIRE(per_step >= 1.0);
  REQUIRE(per_step <= step_bound(chunk_steps));
}

TEMPLATE_TEST_CASE("loop2 sustains one step per cycle on training snapshots (SFP_TB_TRACES)",
                   "[sim][loop2][perf][traces]", SFP_TB_LOOP2) {
  const auto tensors = snapshot_tensors(size_t{1} << 18);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("set " << TestType::kName << ", traces " << traces_path() << ", seed " << seed);
  Loop2Bench<TestType> bench(seed, name_of<TestType>("traces_perf"), Loop2Timing::stream_rate());
  const Config& p = bench.params();
  for (const TraceTensor& t : tensors) {
    // At the bits it was stored with (lossless without the metadata).
    Config c = p;
    c.man_bits = kManBitsFp32;
    bench.add_tensor(snapshot_config(t, c, true), t.values, t.name);
  }
  bench.run();
  const unsigned chunk_steps = p.chunk / chunk_lanes(p.group, p.chunk);
  const double per_step = bench.cycles_per_step();
  WARN(fmt::format(
      "{} loop2, {}: {:.4f} cycles/step from each tensor's first values out to its last ({} "
      "tensors, {} steps, {} chunks, {} raw; {} gap cycles, {} waiting for the encoder)",
      TestType::kName, traces_path(), per_step, tensors.size(), bench.steps(), bench.chunks(),
      bench.raw_chunks(), bench.gap_cycles(), bench.starved_cycles()));
  REQUIRE(per_step <= step_bound(chunk_steps));
}

// For `make report` (hidden; run by name): the default set's encoder -> memory -> decoder on
// every tensor of a snapshot but the FP32 master weights, at its stored mantissa bits, at the
// streams' rate; every decoded value is compared with Q_m of its input and every chunk's status
// with 0. Cycles per step as in the perf tests (per tensor, from its first values out to its
// last). Appends a summary line to SFP_TB_REPORT. Only where the RTL models are built (the
// gate-level build of this file has no default set).
#ifdef SFP_TB_LOOP2_DEFAULT
TEST_CASE("report: v2 loopback on a training snapshot at its stored bitlengths", "[.report]") {
  using Set = SFP_TB_LOOP2_DEFAULT;
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("traces " << path << ", seed " << seed);
  Loop2Bench<Set> bench(seed, name_of<Set>("report"), Loop2Timing::stream_rate());
  size_t tensors = 0;
  for (const TraceTensor& t : read_safetensors(path, size_t{1} << 24)) {
    if (t.values.empty() || t.kind == "master") continue;
    bench.add_tensor(snapshot_config(t, Config::lossless(t.fp, 2), true), t.values, t.name);
    ++tensors;
  }
  REQUIRE(tensors > 0);
  bench.run();
  report_line({{"bench", "loopback"},
               {"dut", fmt::format("Vsfp2_encoder_{0} + Vsfp2_decoder_{0}", Set::kName)},
               {"set", Set::kName},
               {"lanes", bench.params().group},
               {"chunk_values", bench.params().chunk},
               {"version", 2},
               {"snapshot", path},
               {"tensors", tensors},
               {"values", bench.values()},
               {"steps", bench.steps()},
               {"values_compared", bench.values()},
               {"chunks", bench.chunks()},
               {"raw_chunks", bench.raw_chunks()},
               {"mismatches", 0},
               {"cycles", bench.last_out_cycle() - bench.first_in_cycle() + 1},
               {"latency", bench.latency()},
               {"cycles_per_step", bench.cycles_per_step()},
               {"sim_seconds", bench.seconds()}});
}
#endif  // SFP_TB_LOOP2_DEFAULT
