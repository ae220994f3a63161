// SPDX-License-Identifier: Apache-2.0
//
// sfp_decoder against the golden model (sfp::decode_chunk): every value, every chunk status and
// the group framing, for every shipped parameter set, on valid and corrupted streams, under
// random input gaps and output backpressure.
#include <catch2/catch.hpp>

#include "decoder_bench.hpp"
#include "decoder_duts.hpp"
#include "stimulus.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

// Transfer-to-transfer latency of sfp_decoder from a chunk descriptor: descriptor FIFO, chunk
// load, parse, split and build registers.
constexpr uint64_t kDecoderLatency = 5;

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(DutInfo<Dut>::kName) + "_" + what;
}

// Base code for a base difference D from the predictor (B itself for raw and the escape).
void put_base(BitBuf& b, BaseCode code, int base, int pred) {
  const int d = base - pred;
  const unsigned mag = static_cast<unsigned>(d < 0 ? -d : d), s = d < 0;
  if (code == BaseCode::kRaw) {
    b.put(static_cast<unsigned>(base), 8);
  } else if (code == BaseCode::kDelta) {
    if (d == 0) {
      b.put(0, 1);
    } else if (mag == 1) {
      b.put(1u | s << 2, 3);
    } else if (mag <= 5) {
      b.put(3u | s << 3 | (mag - 2) << 4, 6);
    } else {
      b.put(7u | static_cast<unsigned>(base) << 3, 11);
    }
  } else {
    const unsigned v = (d >= 0 ? 2 * mag : 2 * mag - 1) + 1;
    unsigned k = 0;
    while ((v >> (k + 1)) != 0) ++k;
    b.put(uint64_t{1} << k, k + 1);
    b.put(v & ((1u << k) - 1), k);
  }
}

void put_no_zeros(BitBuf& b, ZeroCode z) {
  if (z != ZeroCode::kNone) b.put(0, 1);
}

// A valid chunk of random values (a one-chunk tensor) and the bits its records use.
ChunkData valid_chunk(std::mt19937_64& rng, const Config& c, uint64_t* used) {
  const auto v = random_values(rng, c.fp, c.chunk, Mix::kEveryClass);
  Encoded e;
  REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
  *used = e.bits.total() - e.bits.pad - e.bits.index;
  return split_chunks(e).at(0);
}

void flip(ChunkData& ch, uint64_t bit, unsigned word_bits) {
  ch.words[bit / word_bits][(bit % word_bits) / 32] ^= 1u << (bit % 32);
}

}  // namespace

TEMPLATE_TEST_CASE("decoder matches the model on random tensors under backpressure",
                   "[sim][decoder]", SFP_TB_DECODERS) {
  const double in_p = GENERATE(1.0, 0.5);
  const ReadyPattern out = GENERATE(ReadyPattern::always(), ReadyPattern::random(0.5),
                                    ReadyPattern::alternate(), ReadyPattern::long_stall());
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", input valid p " << in_p << ", ready " << out.name()
              << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("random"), in_p, out);
  auto& rng = bench.rng();
  const Mix mixes[] = {Mix::kEveryClass, Mix::kIncompressible, Mix::kStructured, Mix::kSparse};
  for (int t = 0; t < 40 * test_scale(); ++t) {
    const Config c = random_config(rng, bench.params());
    const size_t n = 1 + rng() % std::min<size_t>(3 * bench.params().chunk, 3000);
    bench.add_tensor(c, random_values(rng, c.fp, n, mixes[t % 4]));
  }
  bench.run();
}

TEMPLATE_TEST_CASE("decoder matches the model on directed corners, back to back", "[sim][decoder]",
                   SFP_TB_DECODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("corners"), 0.8, ReadyPattern::random(0.6));
  for (const TensorCase& t : directed_tensors(bench.rng(), bench.params())) {
    bench.add_tensor(t.config, t.values);
  }
  bench.run();
}

TEMPLATE_TEST_CASE("decoder reports each error code and recovers at the next chunk",
                   "[sim][decoder][errors]", SFP_TB_DECODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("errors"), 0.8, ReadyPattern::random(0.7));
  auto& rng = bench.rng();
  const Config p = bench.params();
  const unsigned w = p.word_bits;
  const uint64_t max_words = (uint64_t{1} << chunk_words_bits(p)) - 1;
  Config c = bench.with_params(Config::lossless(Fp::kFp32, 1));
  c.man_bits = 3;
  uint64_t used = 0;
  std::vector<Status> want;  // the codes this parameter set must show
  const auto add = [&](const std::vector<ChunkData>& chunks, Status expect) {
    // The error chunk sits between two valid ones: decoding resumes right after it.
    std::vector<ChunkData> all{valid_chunk(rng, c, &used)};
    all.insert(all.end(), chunks.begin(), chunks.end());
    all.push_back(valid_chunk(rng, c, &used));
    for (const ChunkData& ch : chunks) {
      std::vector<uint32_t> out(ch.values);
      const auto bytes = chunk_bytes(ch);
      REQUIRE(decode_chunk(c, ch.values, bytes.data(), ch.words.size(), out.data()) == expect);
    }
    bench.add_chunks(c, all);
    want.push_back(expect);
  };

  // truncated: the last word missing, or no words at all.
  ChunkData ch = valid_chunk(rng, c, &used);
  ch.words.pop_back();
  add({ch}, Status::kTruncated);
  ch.words.clear();
  add({ch}, Status::kTruncated);
  // length: a word more than the records need.
  ch = valid_chunk(rng, c, &used);
  if (ch.words.size() < max_words) {
    ch.words.push_back(std::vector<uint32_t>(w / 32, 0));
    add({ch}, Status::kLength);
  }
  // bad_padding: a one after the last record.
  ch = valid_chunk(rng, c, &used);
  if (used % w != 0) {
    flip(ch, used + rng() % (w - used % w), w);
    add({ch}, Status::kBadPadding);
  }
  // exp_range in a value field: base 255 and a delta of 255.
  {
    BitBuf b(w);
    put_no_zeros(b, p.zero);
    put_base(b, p.base, 255, kInitialBase);
    b.put(7, 3);    // width code: 8-bit deltas
    b.put(0, 1);    // lane 0: sign
    b.put(255, 8);  // delta: exponent 510
    b.put(0, c.man_bits);
    add({ChunkData{b.words(), p.group}}, Status::kExpRange);
  }
  // exp_range in the base itself (P + D above 255): not expressible with raw bases.
  if (p.base != BaseCode::kRaw) {
    BitBuf b(w);
    int pred = kInitialBase;
    if (p.base == BaseCode::kDelta) {
      // Group 0 moves P to 255 (escape); group 1 asks for D = +5.
      put_no_zeros(b, p.zero);
      put_base(b, p.base, 255, pred);
      b.put(0, 3);  // width 0: every lane has exponent 255
      for (unsigned l = 0; l < p.group; ++l) b.put(0, 1 + c.man_bits);
      pred = 255;
    }
    put_no_zeros(b, p.zero);
    put_base(b, p.base, pred + (p.base == BaseCode::kDelta ? 5 : 129), pred);
    b.put(0, 3);
    add({ChunkData{b.words(), 2 * p.group}}, Status::kExpRange);
  }
  // bad_base_code: a gamma base code with nine leading zeros.
  if (p.base == BaseCode::kGamma) {
    BitBuf b(w);
    put_no_zeros(b, p.zero);
    b.put(0, 9);
    b.put(1, 1);
    add({ChunkData{b.words(), p.group}}, Status::kBadBaseCode);
  }
  bench.run();
  for (Status s : want) {
    INFO("status " << status_name(s));
    CHECK(bench.status_seen()[static_cast<unsigned>(s)] > 0);
  }
}

TEMPLATE_TEST_CASE("decoder accepts the longest non-conforming records at any bit offset",
                   "[sim][decoder]", SFP_TB_DECODERS) {
  // Spec "Encoder obligations": a decoder accepts zero information that announces zeros with a
  // mask that has none ("11" + 0...0 with mode, "1" + 0...0 with mask). Such a record is longer
  // than any conforming one; all-zero groups in front of it move it through the word.
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("nonconforming"), 0.9,
                               ReadyPattern::random(0.8));
  auto& rng = bench.rng();
  const Config p = bench.params();
  if (p.zero == ZeroCode::kNone) return;  // every record is conforming
  const Config c = bench.with_params(Config::lossless(Fp::kFp32, 1));
  const unsigned zero_group_bits = p.zero == ZeroCode::kMode ? 2 : 1 + p.group;
  const unsigned max_lead = p.chunk / p.group - 1;
  for (unsigned lead = 0; lead <= std::min<unsigned>(max_lead, p.word_bits); ++lead) {
    BitBuf b(p.word_bits);
    for (unsigned k = 0; k < lead; ++k) {  // all-zero groups
      if (p.zero == ZeroCode::kMode) {
        b.put(1, 2);
      } else {
        b.put(1, 1);
        b.put((uint64_t{1} << p.group) - 1, p.group);
      }
    }
    b.put(p.zero == ZeroCode::kMode ? 3 : 1, p.zero == ZeroCode::kMode ? 2 : 1);
    b.put(0, p.group);  // a mask without zeros
    put_base(b, p.base, 0, kInitialBase);
    b.put(7, 3);  // 8-bit deltas
    for (unsigned l = 0; l < p.group; ++l) {
      b.put(rng() & 1, 1);    // sign
      b.put(rng() % 256, 8);  // exponent = delta (base 0)
      b.put(rng() & 0x7FFFFF, 23);
    }
    bench.add_chunks(c, {ChunkData{b.words(), (lead + 1) * p.group}});
    INFO("lead " << lead << " record ends at bit " << b.bits() << ", zero groups "
                 << zero_group_bits << " bits each");
  }
  bench.run();
}

TEMPLATE_TEST_CASE("decoder matches the model on randomly corrupted streams",
                   "[sim][decoder][errors]", SFP_TB_DECODERS) {
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("corrupt"), 0.7, ReadyPattern::random(0.6));
  auto& rng = bench.rng();
  const Config p = bench.params();
  const uint64_t max_words = (uint64_t{1} << chunk_words_bits(p)) - 1;
  for (int t = 0; t < 300 * test_scale(); ++t) {
    const Config c = bench.with_params(random_config(rng, p));
    const size_t n = 1 + rng() % std::min<size_t>(3 * p.chunk, 2500);
    const auto v = random_values(rng, c.fp, n, static_cast<Mix>(t % 4));
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    std::vector<ChunkData> chunks = split_chunks(e);
    for (ChunkData& ch : chunks) {
      if (rng() % 3 == 0) continue;  // some chunks stay valid
      switch (rng() % 5) {
        case 0:
        case 1: {  // flip a few bits
          const unsigned flips = 1 + rng() % 3;
          for (unsigned i = 0; i < flips && !ch.words.empty(); ++i) {
            flip(ch, rng() % (ch.words.size() * p.word_bits), p.word_bits);
          }
          break;
        }
        case 2:  // drop words
          ch.words.resize(ch.words.size() - std::min<size_t>(ch.words.size(), 1 + rng() % 2));
          break;
        case 3:  // extra words, zero or random
          if (ch.words.size() + 2 <= max_words) {
            for (int k = 0; k < 2; ++k) {
              std::vector<uint32_t> x(p.word_bits / 32, 0);
              if (rng() & 1) {
                for (auto& l : x) l = static_cast<uint32_t>(rng());
              }
              ch.words.push_back(x);
            }
          }
          break;
        default:  // random words of the same count
          for (auto& word : ch.words) {
            for (auto& l : word) l = static_cast<uint32_t>(rng());
          }
      }
    }
    bench.add_chunks(c, chunks);
  }
  bench.run();
  std::string seen;
  for (unsigned s = 0; s < 8; ++s) {
    if (bench.status_seen()[s]) {
      seen += fmt::format(" {}={}", status_name(static_cast<Status>(s)), bench.status_seen()[s]);
    }
  }
  WARN(DutInfo<TestType>::kName << " decoder, corrupted chunks by status:" << seen);
}

TEMPLATE_TEST_CASE("decoder sustains one group per cycle on any data", "[sim][decoder][perf]",
                   SFP_TB_DECODERS) {
  const Mix mix = GENERATE(Mix::kEveryClass, Mix::kStructured, Mix::kIncompressible);
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", data " << mix_name(mix) << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("throughput"), 1.0, ReadyPattern::always(),
                               beat_words(params_config<TestType>()));
  auto& rng = bench.rng();
  Config c = Config::lossless(Fp::kFp32, 1);
  const size_t n = std::max<size_t>(4 * bench.params().chunk + 7, 20000);
  bench.add_tensor(c, random_values(rng, c.fp, n, mix));
  c = random_config(rng, bench.params());
  bench.add_tensor(c, random_values(rng, c.fp, n / 2, mix));
  const auto t0 = std::chrono::steady_clock::now();
  bench.run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t cycles = bench.last_out_cycle() - bench.first_in_cycle() + 1;
  WARN(DutInfo<TestType>::kName << " decoder, " << mix_name(mix) << ": " << bench.groups()
                                << " groups in " << cycles << " cycles ("
                                << static_cast<double>(cycles - kDecoderLatency) / bench.groups()
                                << " cycles/group after a latency of " << kDecoderLatency << "); "
                                << static_cast<uint64_t>(bench.values() / secs)
                                << " values/s simulated");
  REQUIRE(cycles <= bench.groups() + kDecoderLatency);
}

TEMPLATE_TEST_CASE("decoder matches the model on training snapshots (SFP_TB_TRACES)",
                   "[sim][decoder][traces]", SFP_TB_DECODERS) {
  const auto tensors = snapshot_tensors(1u << 16);
  if (tensors.empty()) return;
  const uint64_t seed = test_seed();
  INFO("dut " << DutInfo<TestType>::kName << ", traces " << traces_path() << ", seed " << seed);
  DecoderBench<TestType> bench(seed, name_of<TestType>("traces"), 0.9, ReadyPattern::random(0.8));
  auto& rng = bench.rng();
  for (const TraceTensor& t : tensors) {
    bench.add_tensor(snapshot_config(t, random_config(rng, bench.params())), t.values);
  }
  bench.run();
}
