// SPDX-License-Identifier: Apache-2.0
//
// sfp_encoder against the golden model (sfp::encode): every payload word and every chunk index
// entry, for every shipped parameter set, under random input gaps and output backpressure.
#include <catch2/catch.hpp>

#include "encoder_bench.hpp"
#include "encoder_duts.hpp"
#include "stimulus.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

// Transfer-to-transfer latency of sfp_encoder: quantize (3), analyse (2), code, merge (3) and pack
// registers.
constexpr uint64_t kEncoderLatency = 10;

size_t random_length(std::mt19937_64& rng, const Config& p) {
  switch (rng() % 4) {
    case 0:
      return 1 + rng() % (2 * p.group);
    case 1:
      return p.chunk + rng() % 3 - 1;  // around one chunk
    default:
      return 1 + rng() % std::min<size_t>(3 * p.chunk, 3000);
  }
}

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(DutInfo<Dut>::kName) + "_" + what;
}

}  // namespace

TEMPLATE_TEST_CASE("encoder matches the model on random tensors under backpressure",
                   "[sim][encoder]", SFP_TB_ENCODERS) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out = GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5),
                                    ReadyPattern::alternate(), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("random"), in_p, out,
                               ReadyPattern::random(0.7));
  auto& rng = bench.rng();
  const Mix mixes[] = {Mix::kEveryClass, Mix::kIncompressible, Mix::kStructured, Mix::kSparse};
  for (int t = 0; t < 40 * test_scale(); ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(c, random_values(rng, c.fp, random_length(rng, bench.params()), mixes[t % 4]));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("encoder matches the model on directed corners, back to back", "[sim][encoder]",
                   SFP_TB_ENCODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("corners"), 0.8, ReadyPattern::random(0.6),
                               ReadyPattern::always());
  for (const TensorCase& t : directed_tensors(bench.rng(), bench.params())) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("encoder index stream may stall on its own", "[sim][encoder]", SFP_TB_ENCODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("index_stall"), 1.0, ReadyPattern::always(),
                               ReadyPattern::long_stall());
  auto& rng = bench.rng();
  for (int t = 0; t < 4; ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(c, random_values(rng, c.fp, 3 * bench.params().chunk + 5, Mix::kSparse));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("encoder sustains one group per cycle on any data", "[sim][encoder][perf]",
                   SFP_TB_ENCODERS) {
  const Mix mix = GENERATE(Mix::kEveryClass, Mix::kStructured, Mix::kIncompressible);
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", data " << mix_name(mix) << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("throughput"), 1.0, ReadyPattern::always(),
                               ReadyPattern::always());
  auto& rng = bench.rng();
  // Lossless FP32 is the widest record; back-to-back tensors of both formats.
  Config c = Config::lossless(Fp::kFp32, 1);
  const size_t n = std::max<size_t>(4 * bench.params().chunk + 7, 20000);
  bench.add_tensor(c, random_values(rng, c.fp, n, mix));
  c = random_config(rng, bench.params());
  bench.add_tensor(c, random_values(rng, c.fp, n / 2, mix));
  bench.run();
  const uint64_t cycles = bench.last_out_cycle() - bench.first_in_cycle() + 1;
  WARN(DutInfo<TestType>::kName << " encoder, " << mix_name(mix) << ": " << bench.groups()
                                << " groups in " << cycles << " cycles ("
                                << static_cast<double>(cycles - kEncoderLatency) / bench.groups()
                                << " cycles/group after a latency of " << kEncoderLatency << "); "
                                << static_cast<uint64_t>(bench.values() / bench.seconds())
                                << " values/s simulated");
  REQUIRE(cycles <= bench.groups() + kEncoderLatency);
}

TEMPLATE_TEST_CASE("encoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[sim][encoder][traces]", SFP_TB_ENCODERS) {
  const auto tensors = snapshot_tensors(1u << 16);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", traces " << traces_path() << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("traces"), 0.9, ReadyPattern::random(0.8),
                               ReadyPattern::always());
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values);
  }
  bench.run();
}

// For `make report` (hidden; run by name): the default-configuration encoder on every stashed
// tensor of a snapshot at the mantissa bits the trainer stored it with, input every cycle and
// output always ready, so the cycle count is the encoder's own. Appends a summary line to
// SFP_TB_REPORT.
TEST_CASE("report: encoder on a training snapshot at its stored bitlengths", "[.report]") {
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("traces " << path << ", seed " << seed);
  EncoderBench<Vsfp_encoder_g16> bench(seed, "report_encoder", 1.0, ReadyPattern::always(),
                                       ReadyPattern::always());
  size_t tensors = 0;
  for (const TraceTensor& t : read_safetensors(path, size_t{1} << 24)) {
    if (t.values.empty() || t.kind == "master") continue;
    Config c = Config::lossless(t.fp, 1);
    if (t.man_bits >= 0) c.man_bits = static_cast<unsigned>(t.man_bits);
    bench.add_tensor(c, t.values);
    ++tensors;
  }
  REQUIRE(tensors > 0);
  bench.run();
  const uint64_t cycles = bench.last_out_cycle() - bench.first_in_cycle() + 1;
  report_line({{"bench", "encoder"},
               {"dut", DutInfo<Vsfp_encoder_g16>::kName},
               {"snapshot", path},
               {"tensors", tensors},
               {"values", bench.values()},
               {"groups", bench.groups()},
               {"words_compared", bench.words_checked()},
               {"mismatches", 0},
               {"cycles", cycles},
               {"latency", kEncoderLatency},
               {"sim_seconds", bench.seconds()}});
}
