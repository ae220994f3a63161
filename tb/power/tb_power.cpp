// SPDX-License-Identifier: Apache-2.0
//
// Switching activity of the mapped netlists (`make power`; docs/architecture.md, "Power from
// simulated activity"): the version 3 encoder and decoder netlists that synth/synth.py maps to
// the Liberty library (<set>/<top>.mapped.v, memories as sfp_ram), as the flat models of
// synth/power.py flatten, run at full rate under the RTL benches (tb/enc3, tb/dec3), which
// compare every output with the golden model (a mismatch fails the case and writes nothing), on
// the tensors of a training snapshot (SFP_TB_TRACES). Each counted net's toggles and cycles at 1
// go to $SFP_POWER_OUT/<set>/<top>.activity.tsv, the run's counts to <top>.activity.json.
// Hidden test cases ([.power]), run by name:
//   SFP_TB_TRACES=<snapshot> SFP_POWER_OUT=<dir> [SFP_POWER_VALUES=<n>] tb_power "power: *"
// SFP_POWER_VALUES (default 262144) caps the values taken from the snapshot (the FP32 master
// weights left out): every tensor cut to the same length, the largest that fits.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "activity.hpp"
#include "dec3_bench.hpp"
#include "enc3_bench.hpp"
#include "power_duts.hpp"
#include "seed.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

size_t value_budget() {
  const char* v = std::getenv("SFP_POWER_VALUES");
  if (!v || !*v) return size_t{1} << 18;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end || n == 0) FAIL("SFP_POWER_VALUES must be a positive integer, not '" << v << "'");
  return static_cast<size_t>(n);
}

// The snapshot's tensors but the master weights, within the value budget: each tensor cut to
// the same length, the largest that keeps the total within the budget (small tensors whole).
std::vector<TraceTensor> power_tensors() {
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const size_t budget = value_budget();
  std::vector<TraceTensor> out;
  for (TraceTensor& t : read_safetensors(path, budget)) {
    if (!t.values.empty() && t.kind != "master") out.push_back(std::move(t));
  }
  REQUIRE(!out.empty());
  const auto total = [&](size_t cap) {
    size_t n = 0;
    for (const TraceTensor& t : out) n += std::min(cap, t.values.size());
    return n;
  };
  size_t lo = 1, hi = budget;  // the largest cap with total(cap) <= budget
  while (lo < hi) {
    const size_t mid = lo + (hi - lo + 1) / 2;
    if (total(mid) <= budget) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  for (TraceTensor& t : out) t.values.resize(std::min(lo, t.values.size()));
  return out;
}

std::filesystem::path out_base(const char* set, const char* top) {
  const char* d = std::getenv("SFP_POWER_OUT");
  if (!d || !*d) FAIL("SFP_POWER_OUT must name the output directory");
  const std::filesystem::path dir = std::filesystem::path(d) / set;
  std::filesystem::create_directories(dir);
  return dir / top;
}

void write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  std::ofstream f(path);
  f << j.dump(1) << "\n";
  if (!f) FAIL(path.string() << ": cannot write");
}

}  // namespace

#ifdef SFP_POWER_ENC3
TEMPLATE_TEST_CASE("power: v3 encoder netlist activity on a training snapshot", "[.power]",
                   SFP_POWER_ENC3) {
  using Dut = TestType;
  using Info = Enc3Info<Dut>;
  const std::vector<TraceTensor> tensors = power_tensors();
  const uint64_t seed = test_seed();
  INFO("dut " << Info::kName << ", traces " << traces_path() << ", seed " << seed);
  // Input every cycle, outputs always ready: the encoder at its own rate.
  Enc3Bench<Dut> bench(seed, std::string(Info::kName) + "_power", 1.0, ReadyPattern::always(),
                       ReadyPattern::always());
  ActivityCounter act(*bench.sim().dut().contextp(), std::string("dut.") + Info::kTop);
  bench.sim().add(&act);
  for (const TraceTensor& t : tensors) {
    // At the bits it was stored with (lossless without the metadata).
    bench.add_tensor(snapshot_config(t, bench.params(), true), t.values, t.name);
  }
  bench.run();
  const auto base = out_base(Info::kSet, Info::kTop);
  act.write(base.string() + ".activity.tsv");
  write_json(base.string() + ".activity.json", {{"top", Info::kTop},
                                                {"set", Info::kSet},
                                                {"lanes", bench.params().group},
                                                {"snapshot", traces_path()},
                                                {"tensors", tensors.size()},
                                                {"values", bench.values()},
                                                {"steps", bench.steps()},
                                                {"cycles", act.cycles()},
                                                {"first_in_cycle", bench.first_in_cycle()},
                                                {"last_in_cycle", bench.last_in_cycle()},
                                                {"words_compared", bench.words_checked()},
                                                {"chunks_compared", bench.chunks_checked()},
                                                {"mismatches", 0},
                                                {"net_bits", act.bits()},
                                                {"toggles", act.total_toggles()},
                                                {"seed", seed},
                                                {"sim_seconds", bench.seconds()}});
  WARN(Info::kName << ": " << bench.values() << " values in " << act.cycles() << " cycles, "
                   << bench.words_checked() << " words and " << bench.chunks_checked()
                   << " index entries compared, " << act.bits() << " net bits counted");
}
#endif  // SFP_POWER_ENC3

#ifdef SFP_POWER_DEC3
TEMPLATE_TEST_CASE("power: v3 decoder netlist activity on a training snapshot", "[.power]",
                   SFP_POWER_DEC3) {
  using Dut = TestType;
  using Info = Dec3Info<Dut>;
  using Bench = Dec3Bench<Dut>;
  const std::vector<TraceTensor> tensors = power_tensors();
  const uint64_t seed = test_seed();
  INFO("dut " << Info::kName << ", traces " << traces_path() << ", seed " << seed);
  // Input every cycle in whole beats, outputs always ready.
  Bench bench(seed, std::string(Info::kName) + "_power", 1.0, ReadyPattern::always(), Bench::kBW);
  ActivityCounter act(*bench.sim().dut().contextp(), std::string("dut.") + Info::kTop);
  bench.sim().add(&act);
  const auto t0 = std::chrono::steady_clock::now();
  for (const TraceTensor& t : tensors) {
    const unsigned mm = fp_format(t.fp).man_bits;
    const unsigned m = t.man_bits >= 0 ? std::min<unsigned>(t.man_bits, mm) : mm;
    // The encoder's configuration above: the bits it was stored with, truncated (the values
    // carry no more bits, so rounding does not change them).
    bench.add_tensor(Bench::config(t.fp, m, Rounding::kTruncate), t.values, t.name);
  }
  bench.run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(bench.status_seen()[0] == bench.chunks());  // every chunk decoded without error
  const auto base = out_base(Info::kSet, Info::kTop);
  act.write(base.string() + ".activity.tsv");
  write_json(base.string() + ".activity.json", {{"top", Info::kTop},
                                                {"set", Info::kSet},
                                                {"lanes", Bench::kL},
                                                {"snapshot", traces_path()},
                                                {"tensors", tensors.size()},
                                                {"values", bench.values()},
                                                {"steps", bench.steps()},
                                                {"cycles", act.cycles()},
                                                {"first_in_cycle", bench.first_in_cycle()},
                                                {"last_out_cycle", bench.last_out_cycle()},
                                                {"chunks_compared", bench.chunks()},
                                                {"mismatches", 0},
                                                {"net_bits", act.bits()},
                                                {"toggles", act.total_toggles()},
                                                {"seed", seed},
                                                {"sim_seconds", seconds}});
  WARN(Info::kName << ": " << bench.values() << " values in " << act.cycles() << " cycles, "
                   << bench.chunks() << " chunks compared, " << act.bits() << " net bits counted");
}
#endif  // SFP_POWER_DEC3
