// SPDX-License-Identifier: Apache-2.0
//
// Gate-level simulation: the generic netlists that Yosys writes for sfp_encoder and sfp_decoder
// (synth/synth.py, `<set>/<top>.gate.v`) against the golden model, with the RTL testbenches'
// scoreboards (encoder_bench.hpp, decoder_bench.hpp) and a share of their stimulus: random
// tensors of every value class under backpressure, the directed corners, corrupted chunks for
// the decoder's error paths, and training snapshots (SFP_TB_TRACES). A netlist that differs from
// the RTL in any bit the model defines fails here. Label `gate` (`make gate`).
#include <catch2/catch.hpp>

#include "decoder_bench.hpp"
#include "encoder_bench.hpp"
#include "gate_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(DutInfo<Dut>::kName) + "_" + what;
}

// Short tensors (around one group) or up to a few chunks, at least a few hundred values.
size_t random_length(std::mt19937_64& rng, const Config& p) {
  const size_t longest = std::min<size_t>(std::max<size_t>(3 * p.chunk, 800), 3000);
  return rng() % 3 == 0 ? 1 + rng() % (2 * p.group) : 1 + rng() % longest;
}

const Mix kMixes[] = {Mix::kEveryClass, Mix::kIncompressible, Mix::kStructured, Mix::kSparse};

}  // namespace

TEMPLATE_TEST_CASE("gate-level encoder matches the model on random tensors under backpressure",
                   "[gate][encoder]", SFP_TB_GATE_ENCODERS) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out = GENERATE(ReadyPattern::always(), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("random"), in_p, out,
                               ReadyPattern::random(0.7));
  auto& rng = bench.rng();
  for (int t = 0; t < 12 * test_scale(); ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(c,
                     random_values(rng, c.fp, random_length(rng, bench.params()), kMixes[t % 4]));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level encoder matches the model on directed corners", "[gate][encoder]",
                   SFP_TB_GATE_ENCODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("corners"), 0.8, ReadyPattern::random(0.6),
                               ReadyPattern::always());
  for (const TensorCase& t : directed_tensors(bench.rng(), bench.params())) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level encoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[gate][encoder][traces]", SFP_TB_GATE_ENCODERS) {
  const std::string path = traces_path();
  if (path.empty()) {
    WARN("SFP_TB_TRACES is not set: no training snapshot to run");
    return;
  }
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", traces " << path << ", seed " << seed);
  EncoderBench<TestType> bench(seed, name_of<TestType>("traces"), 1.0, ReadyPattern::always(),
                               ReadyPattern::always());
  auto& rng = bench.rng();
  for (const TraceTensor& t : read_safetensors(path, 1u << 13)) {
    Config c = random_config(rng, bench.params());
    c.fp = t.fp;
    c.man_bits = std::min(c.man_bits, fp_format(t.fp).man_bits);
    bench.add_tensor(c, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level decoder matches the model on random tensors under backpressure",
                   "[gate][decoder]", SFP_TB_GATE_DECODERS) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out = GENERATE(ReadyPattern::always(), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("random"), in_p, out);
  auto& rng = bench.rng();
  for (int t = 0; t < 12 * test_scale(); ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(c,
                     random_values(rng, c.fp, random_length(rng, bench.params()), kMixes[t % 4]));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level decoder matches the model on directed corners", "[gate][decoder]",
                   SFP_TB_GATE_DECODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("corners"), 0.8, ReadyPattern::random(0.6));
  for (const TensorCase& t : directed_tensors(bench.rng(), bench.params())) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level decoder matches the model on corrupted chunks", "[gate][decoder]",
                   SFP_TB_GATE_DECODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("corrupt"), 0.8, ReadyPattern::random(0.7));
  auto& rng = bench.rng();
  const Config p = bench.params();
  for (int t = 0; t < 40 * test_scale(); ++t) {
    const Config c = bench.with_params(random_config(rng, p));
    const auto v = random_values(rng, c.fp, random_length(rng, p), kMixes[t % 4]);
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    std::vector<ChunkData> chunks = split_chunks(e);
    for (ChunkData& ch : chunks) {
      if (rng() % 3 == 0 || ch.words.empty()) continue;  // some chunks stay valid
      if (rng() % 2) {
        for (unsigned i = 0, n = 1 + rng() % 3; i < n; ++i) {  // flip a few bits
          const uint64_t bit = rng() % (ch.words.size() * p.word_bits);
          ch.words[bit / p.word_bits][(bit % p.word_bits) / 32] ^= 1u << (bit % 32);
        }
      } else {
        for (auto& word : ch.words) {  // random words of the same count
          for (auto& l : word) l = static_cast<uint32_t>(rng());
        }
      }
    }
    bench.add_chunks(c, chunks);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("gate-level decoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[gate][decoder][traces]", SFP_TB_GATE_DECODERS) {
  const std::string path = traces_path();
  if (path.empty()) {
    WARN("SFP_TB_TRACES is not set: no training snapshot to run");
    return;
  }
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", traces " << path << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("traces"), 1.0, ReadyPattern::always());
  auto& rng = bench.rng();
  for (const TraceTensor& t : read_safetensors(path, 1u << 13)) {
    Config c = random_config(rng, bench.params());
    c.fp = t.fp;
    c.man_bits = std::min(c.man_bits, fp_format(t.fp).man_bits);
    bench.add_tensor(c, t.values);
  }
  bench.run();
}
