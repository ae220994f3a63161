// SPDX-License-Identifier: Apache-2.0
//
// sfp_encoder -> sfp_decoder loopback for every shipped parameter set: the decoder gives back
// Q_m of every input value (sfp::quantize), at one group per cycle end to end.
#include <catch2/catch.hpp>

#include "decoder_duts.hpp"
#include "encoder_duts.hpp"
#include "loopback_bench.hpp"
#include "stimulus.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class E, class D>
struct Pair {
  using Enc = E;
  using Dec = D;
};
using PairG16 = Pair<Vsfp_encoder_g16, Vsfp_decoder_g16>;
using PairG8 = Pair<Vsfp_encoder_g8, Vsfp_decoder_g8>;
using PairG4 = Pair<Vsfp_encoder_g4, Vsfp_decoder_g4>;
using PairG32 = Pair<Vsfp_encoder_g32, Vsfp_decoder_g32>;

// Encoder latency, decoder latency from a descriptor, and a cycle through the memory model.
// On top of it, the decoder starts a chunk only when its index entry is written, after the
// chunk's last group, so end to end it runs one chunk behind the encoder.
constexpr uint64_t kLoopLatency = 10 + 5 + 1;

}  // namespace

TEMPLATE_TEST_CASE("loopback returns Q_m of every value under backpressure", "[sim][loopback]",
                   PairG16, PairG8, PairG4, PairG32) {
  using Enc = typename TestType::Enc;
  using Dec = typename TestType::Dec;
  const double in_p = GENERATE(1.0, 0.6);
  const ReadyPattern out =
      GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("pair " << DutInfo<Enc>::kName << ", input valid p " << in_p << ", ready " << out.name()
               << ", seed " << seed);
  LoopbackBench<Enc, Dec> bench(seed, std::string(DutInfo<Enc>::kName) + "_loop", in_p, out);
  auto& rng = bench.rng();
  const Mix mixes[] = {Mix::kEveryClass, Mix::kIncompressible, Mix::kStructured, Mix::kSparse};
  for (int t = 0; t < 40 * test_scale(); ++t) {
    const Config c = random_config(rng, bench.params());
    const size_t n = 1 + rng() % std::min<size_t>(3 * bench.params().chunk, 3000);
    bench.add_tensor(c, random_values(rng, c.fp, n, mixes[t % 4]));
  }
  for (const TensorCase& t : directed_tensors(rng, bench.params())) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("loopback sustains one group per cycle end to end", "[sim][loopback][perf]",
                   PairG16, PairG8, PairG4, PairG32) {
  using Enc = typename TestType::Enc;
  using Dec = typename TestType::Dec;
  const uint64_t seed = test_seed();
  INFO("pair " << DutInfo<Enc>::kName << ", seed " << seed);
  LoopbackBench<Enc, Dec> bench(seed, std::string(DutInfo<Enc>::kName) + "_loop_perf", 1.0,
                                ReadyPattern::always(), ReadyPattern::always());
  auto& rng = bench.rng();
  const Config c = Config::lossless(Fp::kFp32, 1);
  bench.add_tensor(c, random_values(rng, c.fp, std::max<size_t>(4 * bench.params().chunk, 20000),
                                    Mix::kIncompressible));
  bench.run();
  const uint64_t cycles = bench.last_out_cycle() - bench.first_in_cycle() + 1;
  WARN(DutInfo<Enc>::kName << " loopback, incompressible: " << bench.groups() << " groups in "
                           << cycles << " cycles; "
                           << static_cast<uint64_t>(bench.values() / bench.seconds())
                           << " values/s simulated");
  const uint64_t first_chunk_groups =
      std::min<uint64_t>(bench.values(), bench.params().chunk) / bench.params().group;
  REQUIRE(cycles <= bench.groups() + first_chunk_groups + kLoopLatency);
}

TEMPLATE_TEST_CASE("loopback returns Q_m of training snapshots (SFP_TB_TRACES)",
                   "[sim][loopback][traces]", PairG16, PairG8, PairG4, PairG32) {
  using Enc = typename TestType::Enc;
  using Dec = typename TestType::Dec;
  const auto tensors = snapshot_tensors(1u << 16);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("pair " << DutInfo<Enc>::kName << ", traces " << traces_path() << ", seed " << seed);
  LoopbackBench<Enc, Dec> bench(seed, std::string(DutInfo<Enc>::kName) + "_loop_traces", 1.0,
                                ReadyPattern::random(0.8));
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values);
  }
  bench.run();
}

// For `make report` (hidden; run by name): default-configuration encoder -> memory -> decoder on
// every stashed tensor of a snapshot at its stored mantissa bits; every decoded value is compared
// with Q_m of the input. Appends a summary line to SFP_TB_REPORT.
TEST_CASE("report: loopback on a training snapshot at its stored bitlengths", "[.report]") {
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("traces " << path << ", seed " << seed);
  LoopbackBench<Vsfp_encoder_g16, Vsfp_decoder_g16> bench(seed, "report_loopback", 1.0,
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
  report_line({{"bench", "loopback"},
               {"dut", DutInfo<Vsfp_encoder_g16>::kName},
               {"snapshot", path},
               {"tensors", tensors},
               {"values", bench.values()},
               {"groups", bench.groups()},
               {"values_compared", bench.values()},
               {"mismatches", 0},
               {"cycles", cycles},
               {"sim_seconds", bench.seconds()}});
}
