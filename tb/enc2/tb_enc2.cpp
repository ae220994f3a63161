// SPDX-License-Identifier: Apache-2.0
//
// sfp2_encoder against the golden model (sfp::encode, format version 2): every payload word and
// every chunk index entry (length, mode, CRC-32C), for every set of rtl/param_sets_v2.txt, under
// random input gaps and output backpressure.
#include <algorithm>
#include <catch2/catch.hpp>
#include <type_traits>
#include <utility>

#include "enc2_bench.hpp"
#include "enc2_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"
#include "traces.hpp"
#include "v2.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(Enc2Info<Dut>::kName) + "_" + what;
}

// Values per test case, so that the default set (16384-value chunks) stays within seconds.
template <class Dut>
size_t budget() {
  return std::max<size_t>(40000, 8 * enc2_params<Dut>().chunk) * test_scale();
}

// Whether the model shows the packing stage's q_room_q (public in the RTL; a netlist has none).
template <class Dut, class = void>
struct HasQueueRoom : std::false_type {};
template <class Dut>
struct HasQueueRoom<Dut,
                    std::void_t<decltype(std::declval<Dut&>().sfp2_encoder->u_pack__DOT__q_room_q)>>
    : std::true_type {};

// Counts the cycles in which the packing stage holds its step for a full write queue.
template <class Dut>
class QueueFullCount : public Agent {
 public:
  explicit QueueFullCount(Dut& dut) : dut_(dut) {}
  void drive() override {}
  void sample() override {
    if constexpr (HasQueueRoom<Dut>::value) {
      if (!dut_.sfp2_encoder->u_pack__DOT__q_room_q) ++cycles_;
    }
  }
  uint64_t cycles() const { return cycles_; }

 private:
  Dut& dut_;
  uint64_t cycles_ = 0;
};

}  // namespace

TEMPLATE_TEST_CASE("v2 encoder matches the model on random tensors under backpressure",
                   "[sim][enc2]", SFP_TB_ENC2) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out =
      GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("random"), in_p, out,
                            ReadyPattern::random(0.7));
  for (const TensorCase& t :
       random_tensors2(bench.rng(), bench.params(), budget<TestType>(), budget<TestType>() / 3)) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("v2 encoder matches the model on every kind and every m and rounding",
                   "[sim][enc2]", SFP_TB_ENC2) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("corners"), 0.9, ReadyPattern::random(0.8),
                            ReadyPattern::always());
  auto& rng = bench.rng();
  const Config& p = bench.params();
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const unsigned man = fp_format(fp).man_bits;
    for (unsigned m = 0; m <= man; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        Config c = Config::lossless(fp, 2);
        c.man_bits = m;
        c.rounding = r;
        const DataKind k = kDataKinds[(m * 2 + (r == Rounding::kNearestEven)) % kNumDataKinds];
        bench.add_tensor(c, make_values(rng, fp, 1 + rng() % (3 * p.group), k));
      }
    }
    Config c = Config::lossless(fp, 2);
    // Every kind at m = 0 and m = M, a full chunk and a short last chunk.
    for (DataKind k : kDataKinds) {
      for (unsigned m : {0u, man}) {
        c.man_bits = m;
        bench.add_tensor(c, make_values(rng, fp, p.chunk + 1 + rng() % (32 * p.group), k));
      }
    }
    // All zeros, one value, one value per lane, lengths around the lane-count thresholds.
    bench.add_tensor(c, std::vector<uint32_t>(p.chunk + p.group + 1, 0u));
    bench.add_tensor(c, std::vector<uint32_t>(1, 0u));
    bench.add_tensor(c, make_values(rng, fp, 1, DataKind::kRandom));
    for (size_t n : {p.group - 1, p.group, p.group + 1, 32 * p.group - 1, 32 * p.group,
                     32 * p.group + 1, 64 * p.group + 3}) {
      bench.add_tensor(c,
                       make_values(rng, fp, std::min<size_t>(n, 3 * p.chunk), DataKind::kRandom));
    }
  }
  bench.run();
}

TEMPLATE_TEST_CASE("v2 encoder index stream may stall on its own", "[sim][enc2]", SFP_TB_ENC2) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("index_stall"), 1.0, ReadyPattern::always(),
                            ReadyPattern::long_stall());
  auto& rng = bench.rng();
  for (int t = 0; t < 4; ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(c, make_values(rng, c.fp, 3 * bench.params().chunk + 5, kDataKinds[t]));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("v2 encoder takes any legal table and goes raw on a missing codeword",
                   "[sim][enc2]", SFP_TB_ENC2) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("tables"), 0.8, ReadyPattern::random(0.7),
                            ReadyPattern::random(0.5));
  auto& rng = bench.rng();
  const Config& p = bench.params();
  size_t total = 0;
  for (int t = 0; total < budget<TestType>() / 2; ++t) {
    const Config c = bench.with_params(random_config(rng, bench.params()));
    const size_t n = random_length2(rng, p, budget<TestType>() / 6);
    const std::vector<uint32_t> v = make_values(rng, c.fp, n, kDataKinds[t % kNumDataKinds]);
    std::vector<uint32_t> q(n);
    quantize(v.data(), q.data(), n, c.fp, c.man_bits, c.rounding);
    CodeTable tab;
    if (t % 2 == 0) {
      // The table of other values: some symbols of these have no codeword.
      const std::vector<uint32_t> o =
          make_values(rng, c.fp, 1 + rng() % 200, kDataKinds[rng() % kNumDataKinds]);
      std::vector<uint32_t> oq(o.size());
      quantize(o.data(), oq.data(), o.size(), c.fp, c.man_bits, c.rounding);
      tab = build_table(c, oq.data(), oq.size());
    } else {
      // The values' own table under another rule: no REP, one code, short codewords.
      TableOptions o;
      o.rep = rng() & 1;
      o.contexts = rng() & 1;
      o.max_code_bits = 6 + static_cast<unsigned>(rng() % 7);  // 2^6 >= 51 symbols
      tab = build_table(c, q.data(), q.size(), o);
    }
    bench.add_tensor_with_table(c, tab, v);
    total += n;
  }
  bench.run();
  WARN(Enc2Info<TestType>::kName << ": " << bench.chunks_checked() << " chunks, "
                                 << bench.raw_chunks() << " raw");
  REQUIRE(bench.raw_chunks() > 0);
}

// The step's wait on a full write queue: escape_lane_tensor's 5-bit chunk fills the last lane's
// queue in every set where BeatWords divides 2 L_c, which every shipped set does, and its other
// chunks make the wait needed in v4, v8, v16 and v32 (a missing wait loses a lane word there; no
// stimulus is known that needs it in v16c256). Input every cycle, as a gap lets the queues drain;
// the output backpressure only delays the chunks' first steps.
TEMPLATE_TEST_CASE("v2 encoder waits while a lane's write queue is full", "[sim][enc2]",
                   SFP_TB_ENC2) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("queue_full"), 1.0, ReadyPattern::random(0.5),
                            ReadyPattern::random(0.7));
  QueueFullCount<TestType> full(bench.sim().dut());
  bench.sim().add(&full);
  const Config& p = bench.params();
  REQUIRE(2 * chunk_lanes(p.group, p.chunk) % Enc2Info<TestType>::Top::BeatWords == 0);
  const std::vector<LaneLengths> chunks = {{5, 5, 5}, {3, 7, 5}, {3, 8, 5}};
  const TableTensorCase t = escape_lane_tensor(bench.rng(), p, chunks);
  REQUIRE(check_table(t.table) == Status::kOk);
  bench.add_tensor_with_table(t.config, t.table, t.values);
  bench.run();
  // Coded chunks, so that every lane word went through the queues and was compared.
  REQUIRE(bench.chunks_checked() == chunks.size());
  REQUIRE(bench.raw_chunks() == 0);
  if constexpr (HasQueueRoom<TestType>::value) {
    WARN(Enc2Info<TestType>::kName << ": " << full.cycles() << " cycles waiting on a full write "
                                   << "queue in " << chunks.size() << " chunks");
    REQUIRE(full.cycles() > 0);
  }
}

TEMPLATE_TEST_CASE("v2 encoder cycles per step on each kind of data", "[sim][enc2][perf]",
                   SFP_TB_ENC2) {
  const DataKind kind =
      GENERATE(DataKind::kRandom, DataKind::kStructured, DataKind::kIncompressible,
               DataKind::kSpecials, DataKind::kZeroRuns, DataKind::kRepeats);
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", data " << kind_name(kind) << ", seed " << seed);
  const Config p = enc2_params<TestType>();
  // A chunk is read as steps of L_c values (fewer than L when C < 32 L).
  const unsigned lanes = chunk_lanes(p.group, p.chunk);
  const uint64_t chunk_steps = p.chunk / lanes;
  // Lossless FP32 (the widest raw form) in whole chunks, input every cycle, output always ready.
  // Two runs of k and 3k chunks: the difference of their cycle counts over the difference of
  // their steps is the sustained cycles per step, without the fill and drain latency.
  struct Run {
    uint64_t steps, cycles, in_cycles, chunks, raw;
  };
  const auto run = [&](size_t chunks) {
    Enc2Bench<TestType> bench(seed, name_of<TestType>("throughput"), 1.0, ReadyPattern::always(),
                              ReadyPattern::always());
    const Config c = Config::lossless(Fp::kFp32, 2);
    bench.add_tensor(c, make_values(bench.rng(), c.fp, chunks * p.chunk, kind));
    bench.run();
    return Run{bench.values() / lanes, bench.last_out_cycle() - bench.first_in_cycle() + 1,
               bench.last_in_cycle() - bench.first_in_cycle() + 1, bench.chunks_checked(),
               bench.raw_chunks()};
  };
  const size_t k = std::max<size_t>(4, 4096 / chunk_steps);
  const Run a = run(k), b = run(3 * k);
  const double per_step =
      static_cast<double>(b.cycles - a.cycles) / static_cast<double>(b.steps - a.steps);
  WARN(Enc2Info<TestType>::kName << " v2 encoder, " << kind_name(kind) << ": " << per_step
                                 << " cycles/step sustained (" << b.steps << " steps of " << lanes
                                 << " values in " << b.cycles << " cycles, " << a.steps << " in "
                                 << a.cycles << "); " << b.raw << " of " << b.chunks
                                 << " chunks raw; chunk of " << chunk_steps << " steps");
  // One step per cycle but for the chunk-end flush (about 4 to 6 cycles a chunk); the bound
  // leaves room for the difference of the last chunks' drain in the two runs.
  REQUIRE(per_step <= 1.0 + 12.0 / static_cast<double>(chunk_steps));
}

TEMPLATE_TEST_CASE("v2 encoder cycles per tensor on tiny tensors", "[sim][enc2][perf]",
                   SFP_TB_ENC2) {
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("tiny"), 1.0, ReadyPattern::always(),
                            ReadyPattern::always());
  auto& rng = bench.rng();
  const int tensors = 64;
  for (int t = 0; t < tensors; ++t) {
    const Config c = random_config(rng, bench.params());
    bench.add_tensor(
        c, make_values(rng, c.fp, 1 + rng() % bench.params().group, kDataKinds[t % kNumDataKinds]));
  }
  bench.run();
  const double per_tensor =
      static_cast<double>(bench.last_out_cycle() - bench.first_in_cycle() + 1) / tensors;
  WARN(Enc2Info<TestType>::kName << ": " << per_tensor << " cycles per tensor of one beat");
  // The table setup (51 cycles), the pipeline and the chunk-end flush.
  REQUIRE(per_tensor < 100);
}

TEMPLATE_TEST_CASE("v2 encoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[sim][enc2][traces]", SFP_TB_ENC2) {
  const auto tensors = snapshot_tensors(1u << 16);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("dut " << Enc2Info<TestType>::kName << ", traces " << traces_path() << ", seed " << seed);
  Enc2Bench<TestType> bench(seed, name_of<TestType>("traces"), 0.9, ReadyPattern::random(0.8),
                            ReadyPattern::always());
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values);
  }
  bench.run();
  WARN(Enc2Info<TestType>::kName << ": " << tensors.size() << " tensors, " << bench.values()
                                 << " values, " << bench.words_checked() << " words and "
                                 << bench.chunks_checked() << " index entries compared ("
                                 << bench.raw_chunks() << " raw)");
}

// For `make report` (hidden; run by name): the default set's encoder on every tensor of a
// snapshot but the FP32 master weights, at the mantissa bits the trainer stored it with, input
// every cycle and outputs always ready, so the cycle count is the encoder's own. Cycles per step
// as in the perf test: two runs, of one pass over the snapshot and of two, so that fill and
// drain cancel in the difference of their cycle counts over the difference of their steps (the
// tensors' table setups and the waits between tensors stay in). Appends a summary line to
// SFP_TB_REPORT. Only where the RTL models are built (the gate-level build of this file has no
// default set).
#ifdef SFP_TB_ENC2_DEFAULT
TEST_CASE("report: v2 encoder on a training snapshot at its stored bitlengths", "[.report]") {
  using Dut = SFP_TB_ENC2_DEFAULT;
  const std::string path = traces_path();
  if (path.empty()) FAIL("SFP_TB_TRACES must name a training snapshot");
  const uint64_t seed = test_seed();
  INFO("traces " << path << ", seed " << seed);
  std::vector<TraceTensor> tensors;
  for (TraceTensor& t : read_safetensors(path, size_t{1} << 24)) {
    if (!t.values.empty() && t.kind != "master") tensors.push_back(std::move(t));
  }
  REQUIRE(tensors.size() > 0);
  struct Run {
    uint64_t values, steps, cycles, words, chunks, raw;
    double seconds;
  };
  const auto run = [&](int passes) {
    Enc2Bench<Dut> bench(seed, name_of<Dut>("report"), 1.0, ReadyPattern::always(),
                         ReadyPattern::always());
    for (int pass = 0; pass < passes; ++pass) {
      for (const TraceTensor& t : tensors) {
        bench.add_tensor(snapshot_config(t, Config::lossless(t.fp, 2), true), t.values);
      }
    }
    bench.run();
    return Run{bench.values(),
               bench.steps(),
               bench.last_out_cycle() - bench.first_in_cycle() + 1,
               bench.words_checked(),
               bench.chunks_checked(),
               bench.raw_chunks(),
               bench.seconds()};
  };
  const Run a = run(1), b = run(2);
  const double per_step =
      static_cast<double>(b.cycles - a.cycles) / static_cast<double>(b.steps - a.steps);
  const Config p = enc2_params<Dut>();
  report_line({{"bench", "encoder"},
               {"dut", Enc2Info<Dut>::kName},
               {"set", "v16"},
               {"lanes", p.group},
               {"chunk_values", p.chunk},
               {"version", 2},
               {"snapshot", path},
               {"tensors", tensors.size()},
               {"values", a.values},
               {"steps", a.steps},
               {"words_compared", a.words},
               {"chunks", a.chunks},
               {"raw_chunks", a.raw},
               {"mismatches", 0},
               {"cycles", a.cycles},
               {"cycles_per_step", per_step},
               {"sim_seconds", a.seconds + b.seconds}});
}
#endif  // SFP_TB_ENC2_DEFAULT
