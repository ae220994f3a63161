// SPDX-License-Identifier: Apache-2.0
//
// sfp2_decoder against the golden model (sfp::decode_chunk_v2): every chunk status, every value
// of the chunks that decode, and the step framing, for every set of rtl/param_sets_v2.txt, on
// valid, corrupted and illegal-table streams, under random input gaps and output backpressure.
#include <catch2/catch.hpp>

#include "dec2_duts.hpp"
#include "seed.hpp"
#include "sfp/quantize.hpp"
#include "stimulus.hpp"
#include "traces.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(Dec2Info<Dut>::kName) + "_" + what;
}

// Data kinds beyond tb/common/stimulus.hpp: zero runs and repeats (REP), FP specials.
std::vector<uint32_t> runs_values(std::mt19937_64& rng, Fp fp, size_t n, bool zeros) {
  std::vector<uint32_t> v = random_values(rng, fp, n, Mix::kStructured);
  for (size_t i = 0; i < n;) {
    const size_t len = 1 + rng() % 40;
    const uint32_t x = zeros ? 0u : v[i];
    for (size_t j = i; j < std::min(n, i + len); ++j) v[j] = x;
    i += len + rng() % 30;
  }
  return v;
}
std::vector<uint32_t> special_values(std::mt19937_64& rng, Fp fp, size_t n) {
  const auto corners = corner_values(fp);
  std::vector<uint32_t> v = random_values(rng, fp, n, Mix::kEveryClass);
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 2) v[i] = corners[rng() % corners.size()];
  }
  return v;
}

std::vector<uint32_t> values_of(std::mt19937_64& rng, Fp fp, size_t n, unsigned kind) {
  switch (kind % 7) {
    case 0:
      return random_values(rng, fp, n, Mix::kEveryClass);
    case 1:
      return random_values(rng, fp, n, Mix::kStructured);
    case 2:
      return random_values(rng, fp, n, Mix::kIncompressible);
    case 3:
      return random_values(rng, fp, n, Mix::kSparse);
    case 4:
      return special_values(rng, fp, n);
    case 5:
      return runs_values(rng, fp, n, true);
    default:
      return runs_values(rng, fp, n, false);
  }
}
const char* kind_name(unsigned kind) {
  static const char* names[] = {"every-class", "structured", "incompressible", "sparse",
                                "specials",    "zero runs",  "repeats"};
  return names[kind % 7];
}

template <class Bench>
Config random_v2_config(std::mt19937_64& rng) {
  const Fp fp = (rng() & 1) ? Fp::kBf16 : Fp::kFp32;
  const unsigned mm = fp_format(fp).man_bits;
  const unsigned m = (rng() & 1) ? mm : static_cast<unsigned>(rng() % (mm + 1));
  return Bench::config(fp, m, (rng() & 1) ? Rounding::kNearestEven : Rounding::kTruncate);
}

}  // namespace

TEMPLATE_TEST_CASE("dec2: random tensors of every kind under gaps and backpressure", "[dec2]",
                   SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  const uint64_t seed = test_seed();
  const ReadyPattern patterns[] = {ReadyPattern::always(), ReadyPattern::random(0.7),
                                   ReadyPattern::alternate(), ReadyPattern::long_stall()};
  for (const ReadyPattern& p : patterns) {
    SECTION(p.name()) {
      Bench b(seed, name_of<TestType>("random_" + p.name()), 0.8, p);
      const unsigned C = Bench::kC;
      const int tensors = 8 * test_scale();
      for (int t = 0; t < tensors; ++t) {
        const Config c = random_v2_config<Bench>(b.rng());
        const unsigned kind = static_cast<unsigned>(b.rng()() % 7);
        const size_t n = 1 + b.rng()() % (2 * C + C / 2);
        b.add_tensor(c, values_of(b.rng(), c.fp, n, kind), kind_name(kind));
      }
      b.run();
    }
  }
}

TEMPLATE_TEST_CASE("dec2: every m of both formats, truncate and RNE", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("every_m"), 0.9, ReadyPattern::random(0.8));
  const size_t n = std::min<size_t>(Bench::kC + 37, 3000);
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        const unsigned kind = static_cast<unsigned>(b.rng()() % 7);
        b.add_tensor(Bench::config(fp, m, r), values_of(b.rng(), fp, n, kind), kind_name(kind));
      }
    }
  }
  b.run();
}

TEMPLATE_TEST_CASE("dec2: tiny tensors and chunk boundaries (fewer lanes)", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("tiny"), 0.7, ReadyPattern::random(0.6));
  const size_t C = Bench::kC, L = Bench::kL;
  const size_t lengths[] = {1,          2,      3,     31, 32,    33,     4 * 32 - 1, 4 * 32,
                            32 * L - 1, 32 * L, C - 1, C,  C + 1, C + 32, 2 * C + 5};
  for (size_t n : lengths) {
    for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
      const unsigned kind = static_cast<unsigned>(b.rng()() % 7);
      const Config c =
          Bench::config(fp, fp_format(fp).man_bits - (b.rng()() % 3), Rounding::kNearestEven);
      b.add_tensor(c, values_of(b.rng(), fp, n, kind), kind_name(kind));
      b.add_tensor(Bench::config(fp, 0, Rounding::kTruncate), values_of(b.rng(), fp, n, 4),
                   "specials m = 0");
    }
  }
  b.run();
}

TEMPLATE_TEST_CASE("dec2: corrupted chunks", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("corrupt"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const unsigned C = Bench::kC;
  const int tensors = 24 * test_scale();
  for (int t = 0; t < tensors; ++t) {
    const Config c = random_v2_config<Bench>(rng);
    const unsigned kind = static_cast<unsigned>(rng() % 7);
    const size_t n = 1 + rng() % (2 * C);
    const auto v = values_of(rng, c.fp, n, kind);
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    auto chunks = split_chunks2(e);
    std::string what = kind_name(kind);
    for (Chunk2& ch : chunks) {
      const unsigned how = static_cast<unsigned>(rng() % 9);
      bool fix_crc = true;
      const size_t w = ch.words.size();
      switch (how) {
        case 0:  // a bit flip, CRC left: crc
          ch.words[rng() % w] ^= 1u << (rng() % 32);
          fix_crc = false;
          break;
        case 1:  // a bit flip with a matching CRC: whatever the structure says
        case 2:
          ch.words[rng() % w] ^= 1u << (rng() % 32);
          break;
        case 3:  // the index CRC
          ch.crc ^= 1u << (rng() % 32);
          fix_crc = false;
          break;
        case 4:  // N too large (truncated) or off by a few
          if (!ch.raw)
            ch.words[0] += (rng() & 1) ? static_cast<uint32_t>(1 + rng() % 3)
                                       : static_cast<uint32_t>(w + rng() % 100);
          else
            ch.words[rng() % w] ^= 1u << (rng() % 32);
          break;
        case 5:  // N smaller
          if (!ch.raw && ch.words[0] > 0) ch.words[0] -= 1;
          break;
        case 6:  // extra words
          for (unsigned k = 1 + rng() % 3; k-- > 0 && ch.words.size() < C;) {
            ch.words.push_back((rng() & 1) ? 0u : static_cast<uint32_t>(rng()));
          }
          break;
        case 7:  // truncated chunk
          if (w > 1) ch.words.resize(w - 1 - rng() % std::min<size_t>(w - 1, 3));
          break;
        default:  // untouched
          fix_crc = false;
          break;
      }
      if (fix_crc) ch.crc = chunk_crc(ch);
    }
    b.add_chunks(c, e.table, chunks, what + " corrupted");
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  WARN("crc " << seen[9] << ", truncated " << seen[3] << ", bad_code " << seen[11] << ", exp_range "
              << seen[5] << ", bad_padding " << seen[6] << ", length " << seen[7]);
  CHECK(seen[0] > 0);
  CHECK(seen[9] > 0);
  CHECK(seen[3] > 0);
  CHECK(seen[7] + seen[6] > 0);
}

// Flips bits of a chunk (CRC kept matching) until the model reports `want`; false if none of
// `tries` attempts did.
bool corrupt_to(std::mt19937_64& rng, const Config& c, const CodeTable& t, Chunk2* ch, Status want,
                int tries) {
  std::vector<uint32_t> out(ch->values);
  for (int i = 0; i < tries; ++i) {
    Chunk2 x = *ch;
    const size_t first = x.raw ? 0 : 1;
    if (x.words.size() <= first) return false;
    for (unsigned k = 1 + rng() % 2; k-- > 0;) {
      x.words[first + rng() % (x.words.size() - first)] ^= 1u << (rng() % 32);
    }
    x.crc = chunk_crc(x);
    const auto bytes = bytes_of(x.words);
    if (decode_chunk_v2(c, t, x.values, x.raw, x.crc, bytes.data(), x.words.size(), out.data()) ==
        want) {
      *ch = std::move(x);
      return true;
    }
  }
  return false;
}

TEMPLATE_TEST_CASE("dec2: hand-made tables, bad_code and exp_range", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("handmade"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const unsigned C = Bench::kC;
  int hits[2] = {0, 0};
  for (int t = 0; t < 16; ++t) {
    const Fp fp = (t & 1) ? Fp::kBf16 : Fp::kFp32;
    const unsigned m = (t & 2) ? 0 : fp_format(fp).man_bits;
    const Config c = Bench::config(fp, m, Rounding::kTruncate);
    // An incomplete code of equal lengths, distances past a small base (d > base decodes to
    // exp_range), sometimes a second code, a sign mode from the values.
    CodeTable tab;
    tab.base = static_cast<unsigned>(rng() % 8);
    tab.dist = 8 + static_cast<unsigned>(rng() % 30);
    tab.two = (t % 4) >= 2;
    unsigned len = 1;
    while ((1u << len) < tab.symbols() + 1 + rng() % 8) ++len;
    for (unsigned k = 0; k < tab.codes(); ++k) {
      for (unsigned s = 0; s < tab.symbols(); ++s) {
        tab.lengths[k][s] = static_cast<uint8_t>(rng() % 5 ? len : 0);
      }
      tab.lengths[k][kSymEsc] = static_cast<uint8_t>(len);
    }
    REQUIRE(check_table(tab) == Status::kOk);
    const size_t n = 1 + rng() % (C + C / 2);
    std::vector<uint32_t> v(n);
    const FpFormat f = fp_format(fp);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t e = static_cast<uint32_t>(rng() % 4 ? rng() % (tab.base + 1) : rng() % 256);
      v[i] = rng() % 5 == 0 ? 0u
                            : make_value(fp, static_cast<uint32_t>(rng() & 1), e,
                                         static_cast<uint32_t>(rng()) & f.man_mask());
      v[i] = quantize(v[i], fp, m, Rounding::kTruncate);
    }
    std::vector<Chunk2> chunks;
    for (size_t first = 0; first < n; first += C) {
      const size_t len_c = std::min<size_t>(C, n - first);
      Chunk2 ch = chunk_of(encode_chunk_v2(c, tab, v.data() + first, len_c), len_c);
      const int target = static_cast<int>(rng() % 3);
      if (target < 2 &&
          corrupt_to(rng, c, tab, &ch, target == 0 ? Status::kBadCode : Status::kExpRange, 200)) {
        ++hits[target];
      }
      chunks.push_back(std::move(ch));
    }
    b.add_chunks(c, tab, chunks, "hand-made table");
  }
  b.run();
  WARN("bad_code " << b.status_seen()[11] << ", exp_range " << b.status_seen()[5] << " (targeted "
                   << hits[0] << ", " << hits[1] << ")");
  CHECK(b.status_seen()[11] > 0);
  CHECK(b.status_seen()[5] > 0);
  CHECK(b.status_seen()[0] > 0);
}

TEMPLATE_TEST_CASE("dec2: illegal tables", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("bad_table"), 0.8, ReadyPattern::random(0.8));
  std::mt19937_64& rng = b.rng();
  for (int t = 0; t < 12; ++t) {
    const Config c = random_v2_config<Bench>(rng);
    const size_t n = 1 + rng() % (Bench::kC + 100);
    const auto v = values_of(rng, c.fp, n, static_cast<unsigned>(rng() % 7));
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    CodeTable tab = e.table;
    switch (t % 6) {
      case 0:
        tab.sign = static_cast<SignMode>(3);
        break;
      case 1:
        tab.dist = kMaxDistSymbols + 1 + static_cast<unsigned>(rng() % 10);
        break;
      case 2:
        tab.lengths[0][rng() % tab.symbols()] = static_cast<uint8_t>(13 + rng() % 3);
        break;
      case 3:  // over-subscribed: every symbol of code 0 one bit long
        for (unsigned s = 0; s < tab.symbols(); ++s) tab.lengths[0][s] = 1;
        tab.lengths[0][0] = tab.lengths[0][1] = tab.lengths[0][2] = 1;
        break;
      case 4:  // a length for an absent symbol
        if (tab.dist < kMaxDistSymbols)
          tab.lengths[0][tab.symbols()] = 5;
        else
          tab.sign = static_cast<SignMode>(3);
        break;
      default:  // code 1 lengths with two = 0, or a broken code 1
        if (!tab.two)
          tab.lengths[1][0] = 3;
        else
          for (unsigned s = 0; s < 3; ++s) tab.lengths[1][s] = 1;
        break;
    }
    REQUIRE(check_table(tab) != Status::kOk);
    b.add_chunks(c, tab, split_chunks2(e), "illegal table");
    // A valid tensor after each one: nothing of the illegal table stays.
    const Config c2 = random_v2_config<Bench>(rng);
    b.add_tensor(c2, values_of(rng, c2.fp, 1 + rng() % 300, 1), "after an illegal table");
  }
  b.run();
  CHECK(b.status_seen()[10] > 0);
}

TEMPLATE_TEST_CASE("dec2: one step per cycle without backpressure", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("throughput"), 1.0, ReadyPattern::always(), Bench::kBW);
  // Long tensors of compressible data (one table setup each), then incompressible (raw).
  const size_t n = 6 * size_t{Bench::kC};
  for (unsigned kind : {1u, 0u, 2u}) {
    const Config c = Bench::config(Fp::kFp32, kManBitsFp32, Rounding::kTruncate);
    b.add_tensor(c, values_of(b.rng(), c.fp, n, kind), kind_name(kind));
  }
  b.run();
  const double cycles = static_cast<double>(b.last_out_cycle() - b.first_in_cycle());
  const double per_step = cycles / static_cast<double>(b.steps());
  WARN(
      fmt::format("{}: {} steps in {} chunks of 3 tensors: {} cycles (first descriptor to last "
                  "values), {:.4f} cycles/step",
                  Dec2Info<TestType>::kName, b.steps(), b.chunks(), cycles, per_step));
  CHECK(b.raw_chunks() > 0);  // the incompressible tensor
  // One step per cycle, plus per tensor the table setup (63 cycles) and per chunk a switch of a
  // few cycles.
  CHECK(cycles <=
        1.02 * static_cast<double>(b.steps()) + 80.0 * 3 + 8.0 * static_cast<double>(b.chunks()));
}

TEMPLATE_TEST_CASE("dec2: training snapshots (SFP_TB_TRACES)", "[dec2][traces]", SFP_TB_DEC2) {
  const std::string path = traces_path();
  if (path.empty()) {
    SUCCEED("SFP_TB_TRACES not set");
    return;
  }
  using Dut = TestType;
  using Bench = Dec2Bench<Dut>;
  Bench b(test_seed(), name_of<Dut>("traces"), 0.9, ReadyPattern::random(0.9));
  for (const TraceTensor& t : read_safetensors(path, 4 * Bench::kC)) {
    const unsigned mm = fp_format(t.fp).man_bits;
    const unsigned m = t.man_bits >= 0 ? std::min<unsigned>(t.man_bits, mm) : mm;
    b.add_tensor(Bench::config(t.fp, m, Rounding::kNearestEven), t.values, t.name);
  }
  b.run();
  WARN(path << ": " << b.chunks() << " chunks, " << b.steps() << " steps, " << b.status_seen()[0]
            << " ok");
  CHECK(b.status_seen()[0] == b.chunks());
}

// 12-bit codewords at a lane fill of 11 bits: the only case where a lane takes its codeword's
// last bit from this step's refill word (the loop reads it as X's least significant bit). A lane
// holds at least 32 bits before a step and a value takes at most 21, an m = 0 escape with a
// 12-bit ESC codeword, so fill 11 follows exactly such an escape from 32 bits. A hand-made table
// gives ESC and most distances 12-bit codewords and ZERO a 1-bit one: with many zeros the chunks
// stay coded, and the mix of lengths brings the lanes to 32 bits before an escape.
TEMPLATE_TEST_CASE("dec2: 12-bit codewords at a lane fill of 11 bits", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("long_codes"), 0.9, ReadyPattern::random(0.8));
  std::mt19937_64& rng = b.rng();
  const unsigned C = Bench::kC;
  size_t coded = 0;
  for (int t = 0; t < 8; ++t) {
    const Fp fp = (t & 1) ? Fp::kBf16 : Fp::kFp32;
    const Config c = Bench::config(fp, 0, Rounding::kTruncate);
    CodeTable tab;
    tab.base = 60 + static_cast<unsigned>(rng() % 100);
    tab.dist = kMaxDistSymbols;
    tab.sign = SignMode::kPositive;
    tab.two = (t & 2) != 0;
    for (unsigned k = 0; k < tab.codes(); ++k) {
      tab.lengths[k][kSymZero] = 1;
      tab.lengths[k][kSymRep] = 3;
      tab.lengths[k][kSymEsc] = 12;
      for (unsigned d = 0; d < tab.dist; ++d) {
        tab.lengths[k][kSymDist0 + d] = static_cast<uint8_t>(d < 7 ? 4 + d : 12);
      }
    }
    REQUIRE(check_table(tab) == Status::kOk);
    const size_t n = 2 * C + rng() % (2 * C);
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      const unsigned r = static_cast<unsigned>(rng() % 20);
      // r < 10: +0; r < 11: a repeat; r < 14: an escape (an exponent above the base); else a
      // distance.
      const uint32_t e = r < 14 ? tab.base + 1 + static_cast<uint32_t>(rng() % (254 - tab.base))
                                : tab.base - static_cast<uint32_t>(rng() % tab.dist);
      const uint32_t x = make_value(fp, 0, e, static_cast<uint32_t>(rng()));
      v[i] = r < 10 ? 0u : (r < 11 && i > 0) ? v[i - 1] : quantize(x, fp, 0, Rounding::kTruncate);
    }
    std::vector<Chunk2> chunks;
    for (size_t first = 0; first < n; first += C) {
      const size_t len_c = std::min<size_t>(C, n - first);
      const ChunkV2 e = encode_chunk_v2(c, tab, v.data() + first, len_c);
      coded += e.raw ? 0 : 1;
      Chunk2 ch = chunk_of(e, len_c);
      chunks.push_back(std::move(ch));
    }
    b.add_chunks(c, tab, chunks, "12-bit codewords");
  }
  b.run();
  CHECK(coded > 0);
  CHECK(b.status_seen()[0] == b.chunks());
}

namespace {

// Queues one tensor's chunks with the `last` flag of chunk `wrong` inverted (none when wrong is
// out of range).
template <class Bench>
void send_flagged(Bench& b, const Config& c, const CodeTable& t, const std::vector<Chunk2>& chunks,
                  size_t wrong, const std::string& what) {
  for (size_t k = 0; k < chunks.size(); ++k) {
    const bool last = (k + 1 == chunks.size()) != (k == wrong);
    b.add_desc(chunks[k], last, c, t,
               fmt::format("{} ({}), chunk {} of {}{}", what, to_string(c), k, chunks.size(),
                           k == wrong ? (last ? ", last set" : ", last cleared") : ""));
  }
}

// Random tensor: its configuration, encoding and chunks.
struct Tensor2 {
  Config c;
  Encoded e;
  std::vector<Chunk2> chunks;
};
template <class Bench>
Tensor2 random_tensor(std::mt19937_64& rng, size_t n) {
  Tensor2 t;
  t.c = random_v2_config<Bench>(rng);
  const auto v = values_of(rng, t.c.fp, n, static_cast<unsigned>(rng() % 7));
  REQUIRE(encode(t.c, v.data(), v.size(), &t.e) == Status::kOk);
  t.chunks = split_chunks2(t.e);
  return t;
}

// Values of one or two chunks for the tests that need a tensor's chunks to be C: a full chunk
// and a few more on small C, else a short tensor.
template <class Bench>
size_t some_values(std::mt19937_64& rng) {
  const size_t C = Bench::kC;
  return C + 1 + rng() % std::min<size_t>(C, 1500);
}

}  // namespace

TEMPLATE_TEST_CASE("dec2: descriptors no valid index gives and m above the width", "[dec2]",
                   SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("bad_desc"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t C = Bench::kC;
  for (int t = 0; t < 28; ++t) {
    const unsigned how = static_cast<unsigned>(t % 7);
    // Two chunks or more where the case needs a chunk before the last, else one or two.
    const size_t n = (how == 4 || rng() % 2) ? some_values<Bench>(rng) : 1 + rng() % C;
    Tensor2 x = random_tensor<Bench>(rng, n);
    CodeTable tab = x.e.table;
    Config cd = x.c;  // on cfg_i
    const size_t k = how == 4 ? rng() % (x.chunks.size() - 1) : rng() % x.chunks.size();
    Chunk2& ch = x.chunks[k];
    std::string what;
    switch (how) {
      case 0:  // W = 0: nothing on either stream; coded and raw in turn
        ch.words.clear();
        ch.raw = (t / 7) % 2 != 0;
        what = "W = 0";
        break;
      case 1: {  // W above the largest chunk length of the tensor's m: junk words after the chunk
        const size_t wmax = max_chunk_bits(x.c, C) / kV2WordBits;
        // Sometimes the most the port holds (2C - 1): every word counter takes it.
        const size_t w =
            rng() % 3 == 0 ? 2 * C - 1 : std::min<size_t>(2 * C - 1, wmax + 1 + rng() % 4);
        while (ch.words.size() < w) ch.words.push_back(static_cast<uint32_t>(rng()));
        if (rng() % 2) ch.crc = chunk_crc(ch);
        what = "W above the largest chunk";
        break;
      }
      case 2:
        ch.values = 0;
        what = "values 0";
        break;
      case 3:
        ch.values = C + 1 + rng() % (C - 1);
        what = "values above C";
        break;
      case 4:  // a chunk before the tensor's last with fewer than C values
        ch.values = 1 + rng() % (C - 1);
        what = "short chunk before the last";
        break;
      case 5:  // m above the format's width: every chunk bad_config, also with an illegal table
        cd.man_bits = fp_format(cd.fp).man_bits + 1 + static_cast<unsigned>(rng() % 8);
        if (rng() % 2) tab.sign = static_cast<SignMode>(3);
        if (rng() % 2) ch.values = 0;
        what = "m above the width";
        break;
      default:  // an illegal table wins over a bad descriptor
        tab.sign = static_cast<SignMode>(3);
        ch.words.clear();
        what = "illegal table and W = 0";
        break;
    }
    b.add_chunks(cd, tab, x.chunks, what);
    // A valid tensor after each: nothing of the bad one stays.
    if (rng() % 2) {
      Tensor2 y = random_tensor<Bench>(rng, 1 + rng() % 500);
      b.add_chunks(y.c, y.e.table, y.chunks, "after a bad descriptor");
    }
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  WARN("ok " << seen[0] << ", bad_config " << seen[1] << ", bad_index " << seen[2] << ", bad_table "
             << seen[10]);
  CHECK(seen[0] > 0);
  CHECK(seen[1] > 0);
  CHECK(seen[2] >= 20);
  CHECK(seen[10] > 0);
}

TEMPLATE_TEST_CASE("dec2: wrong last flags", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("wrong_last"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t C = Bench::kC;
  for (int t = 0; t < 12; ++t) {
    const unsigned how = static_cast<unsigned>(t % 4);
    // A: a tensor of two chunks or more (how 0, 3) or one (a full or a short chunk).
    const size_t na = (how == 0 || how == 3) ? some_values<Bench>(rng)
                      : how == 1             ? C
                                             : 1 + rng() % (C - 1);
    Tensor2 a = random_tensor<Bench>(rng, na);
    Tensor2 x = random_tensor<Bench>(rng, (rng() % 2) ? some_values<Bench>(rng) : 1 + rng() % C);
    switch (how) {
      case 0:  // `last` set on a chunk before the last: the next chunk starts a tensor
        send_flagged(b, a.c, a.e.table, a.chunks, 0, "A");
        send_flagged(b, x.c, x.e.table, x.chunks, ~size_t{0}, "B");
        break;
      case 1:  // `last` cleared on a full last chunk: B continues A (A's m and table)
      case 2:  // `last` cleared on a short last chunk: bad_index, then B continues A
        send_flagged(b, a.c, a.e.table, a.chunks, a.chunks.size() - 1, "A");
        send_flagged(b, x.c, x.e.table, x.chunks, ~size_t{0}, "B");
        break;
      default:  // both in one run: A set early, B's last cleared, C continues B's tensor
        send_flagged(b, a.c, a.e.table, a.chunks, 0, "A");
        send_flagged(b, x.c, x.e.table, x.chunks, x.chunks.size() - 1, "B");
        {
          Tensor2 y = random_tensor<Bench>(rng, 1 + rng() % 700);
          send_flagged(b, y.c, y.e.table, y.chunks, ~size_t{0}, "C");
        }
        break;
    }
    REQUIRE(!b.in_tensor());
    // A correctly flagged tensor after: decodes exactly.
    Tensor2 z = random_tensor<Bench>(rng, 1 + rng() % (C + 300));
    b.add_chunks(z.c, z.e.table, z.chunks, "after wrong flags");
    for (size_t k = 0; k < z.chunks.size(); ++k) {
      CHECK(b.expect(z.chunks[k], k + 1 == z.chunks.size()).status == 0);
    }
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  WARN("ok " << seen[0] << ", bad_index " << seen[2]);
  CHECK(seen[0] > 0);
  CHECK(seen[2] > 0);
}

TEMPLATE_TEST_CASE("dec2: reset in a chunk or a table setup or under backpressure", "[dec2]",
                   SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("reset"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t C = Bench::kC;
  int resets[3] = {0, 0, 0};
  for (int r = 0; r < 15; ++r) {
    for (int i = 0; i < 3; ++i) {
      Tensor2 x = random_tensor<Bench>(rng, 1 + rng() % std::min<size_t>(C + C / 2, 3000));
      b.add_chunks(x.c, x.e.table, x.chunks, "cut by a reset");
    }
    const uint64_t v0 = b.values_received(), d0 = b.descs_sent();
    const unsigned how = static_cast<unsigned>(r % 3);
    bool cut = false;
    switch (how) {
      case 0:  // in a chunk, values going out
      {
        const uint64_t at = v0 + rng() % 8;
        cut = b.step_until([&] { return b.values_received() > at; }, 200000);
      }
        b.step(rng() % 4);
        break;
      case 1:  // in the table setup of the first tensor (63 cycles after its first descriptor)
        cut = b.step_until([&] { return b.descs_sent() > d0; }, 200000);
        b.step(1 + rng() % 60);
        break;
      default:  // values and status held by the consumer, the decoder stalled full
        b.block_outputs(true);
        b.step(100 + rng() % 1500);
        cut = b.sim().dut().values_valid_o != 0;
        break;
    }
    if (!cut) continue;  // the tensors were done before the cut: nothing to test this round
    ++resets[how];
    b.reset_midstream(1 + static_cast<unsigned>(rng() % 3));
    b.block_outputs(false);
    for (int i = 0; i < 2; ++i) {
      Tensor2 x = random_tensor<Bench>(rng, 1 + rng() % std::min<size_t>(C + C / 2, 3000));
      b.add_chunks(x.c, x.e.table, x.chunks, "after a reset");
    }
    b.run();
  }
  WARN("resets in a chunk " << resets[0] << ", in a setup " << resets[1] << ", under backpressure "
                            << resets[2]);
  CHECK(resets[0] >= 3);
  CHECK(resets[1] >= 3);
  CHECK(resets[2] >= 3);
  CHECK(b.status_seen()[0] > 0);
}

TEMPLATE_TEST_CASE("dec2: words withheld (starved_o) then late or missing", "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("starved"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t C = Bench::kC;
  const uint64_t hold = 3000;
  for (int r = 0; r < 8; ++r) {
    const bool lane = r % 2 == 0, late = r < 6;
    // Compressible values with mantissas: lane and plane words in every chunk.
    const Config c =
        Bench::config((r / 2) % 2 ? Fp::kBf16 : Fp::kFp32, r % 3 ? 7 : 5, Rounding::kTruncate);
    const size_t n = std::min<size_t>(2 * C + rng() % C, 8000);
    b.add_tensor(c, values_of(rng, c.fp, n, 1), "withheld");
    const uint64_t v0 = b.values_received();
    REQUIRE(b.step_until(
        [&] {
          return b.values_received() > v0 + 1 && (lane ? b.lane_pending() : b.plane_pending());
        },
        200000));
    b.hold(lane, !lane);
    b.step(hold);
    // The decoder waits with the flag up and emits nothing more.
    INFO((lane ? "lane" : "plane") << " stream withheld, cycle " << b.sim().cycle());
    CHECK(b.starved_run() >= hold / 2);
    const uint64_t vh = b.values_received(), sh = b.statuses_received();
    b.step(hold / 2);
    CHECK(b.values_received() == vh);
    CHECK(b.statuses_received() == sh);
    CHECK(b.starved_run() >= hold);
    if (late) {  // the words come late: exact decode
      b.release();
      b.run();
      CHECK(b.starved_run() == 0);
    } else {  // the words never come: a reset recovers
      b.reset_midstream(2);
      b.release();
      b.add_tensor(c, values_of(rng, c.fp, 1 + rng() % 2000, 0), "after missing words");
      b.run();
    }
  }
  CHECK(b.status_seen()[0] > 0);
}

namespace {

// Table kinds of the corruption sweep: one or two codes, with and without a ZERO codeword, an
// ESC codeword or none, and values on one side of base (distances only, base the largest
// exponent) or on both (exponents above base escape).
struct TableKind {
  bool two, zero, esc, two_sided;
  std::string name() const {
    return fmt::format("{} code{}, {}ZERO, {}ESC, {}-sided", two ? 2 : 1, two ? "s" : "",
                       zero ? "" : "no ", esc ? "" : "no ", two_sided ? "two" : "one");
  }
};

// A legal table of kind k: random code lengths (package-merge over a random histogram of the
// present symbols, sometimes one length made longer: an incomplete code), REP at random.
CodeTable kind_table(std::mt19937_64& rng, const TableKind& k, unsigned base, unsigned dist,
                     SignMode sign) {
  CodeTable t;
  t.base = base;
  t.dist = dist;
  t.two = k.two;
  t.sign = sign;
  const bool rep = rng() % 2;
  for (unsigned c = 0; c < t.codes(); ++c) {
    std::vector<uint64_t> hist(t.symbols(), 0);
    for (unsigned s = 0; s < t.symbols(); ++s) {
      const bool present = s == kSymZero  ? k.zero
                           : s == kSymRep ? rep
                           : s == kSymEsc ? k.esc
                                          : true;
      if (present) hist[s] = 1 + rng() % 1000;
    }
    const auto len = limited_code_lengths(hist, kMaxCodeBits);
    for (unsigned s = 0; s < t.symbols(); ++s) t.lengths[c][s] = static_cast<uint8_t>(len[s]);
    if (rng() % 2) {
      const unsigned s = static_cast<unsigned>(rng() % t.symbols());
      if (t.lengths[c][s] != 0 && t.lengths[c][s] < kMaxCodeBits) ++t.lengths[c][s];
    }
  }
  REQUIRE(check_table(t) == Status::kOk);
  return t;
}

// n quantized values that table t codes: +0 only with a ZERO codeword, repeats, exponents
// base - d for d < dist, and with ESC also exponents above base (two-sided), 255 and below the
// distances; signs as the table's sign mode says.
std::vector<uint32_t> kind_values(std::mt19937_64& rng, const Config& c, const CodeTable& t,
                                  const TableKind& k, size_t n) {
  const FpFormat f = fp_format(c.fp);
  std::vector<uint32_t> v(n);
  uint32_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    const unsigned r = static_cast<unsigned>(rng() % 100);
    uint32_t x;
    if (k.zero && r < 15) {
      x = 0;
    } else if (r < 25 && prev != 0) {
      x = prev;
    } else {
      unsigned e = t.base - static_cast<unsigned>(rng() % std::min(t.dist, t.base + 1));
      if (k.esc && r < 32) {
        e = (rng() % 2) ? 255u : static_cast<unsigned>(rng() % 256);
      } else if (k.two_sided && r < 55 && t.base < 254) {
        e = t.base + 1 + static_cast<unsigned>(rng() % (254 - t.base));
      }
      const uint32_t s = t.sign == SignMode::kMixed      ? static_cast<uint32_t>(rng() & 1)
                         : t.sign == SignMode::kNegative ? 1u
                                                         : 0u;
      x = make_value(c.fp, s, e, static_cast<uint32_t>(rng()) & f.man_mask());
      x = quantize(x, c.fp, c.man_bits, Rounding::kTruncate);
      if (x == 0 && !k.zero) x = make_value(c.fp, s, t.base, 0);  // +0 needs ZERO
    }
    v[i] = x;
    prev = x;
  }
  return v;
}

// Flips 1 to 3 bits of a chunk; with fix_crc the index CRC follows (the lanes see the flips).
void flip_bits(std::mt19937_64& rng, Chunk2* ch, bool fix_crc) {
  for (unsigned i = 1 + static_cast<unsigned>(rng() % 3); i-- > 0;) {
    ch->words[rng() % ch->words.size()] ^= 1u << (rng() % 32);
  }
  if (fix_crc) ch->crc = chunk_crc(*ch);
}

}  // namespace

TEMPLATE_TEST_CASE("dec2: corruption across table kinds and formats and m (coded and raw)",
                   "[dec2]", SFP_TB_DEC2) {
  using Bench = Dec2Bench<TestType>;
  Bench b(test_seed(), name_of<TestType>("kinds"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t C = Bench::kC, L = Bench::kL;
  uint64_t coded = 0, raw = 0;
  std::vector<uint32_t> out;
  for (Fp fp : {Fp::kBf16, Fp::kFp32}) {
    const unsigned mm = fp_format(fp).man_bits;
    for (unsigned m : {0u, mm / 2, mm}) {
      const Config c = Bench::config(fp, m, Rounding::kTruncate);
      for (unsigned kk = 0; kk < 16; ++kk) {
        const TableKind k{(kk & 1) != 0, (kk & 2) != 0, (kk & 4) != 0, (kk & 8) != 0};
        if (k.two_sided && !k.esc) continue;  // values above base need ESC
        // A small base sometimes: distances past it decode to exp_range.
        const unsigned base = k.two_sided      ? 60 + static_cast<unsigned>(rng() % 60)
                              : rng() % 4 == 0 ? static_cast<unsigned>(rng() % 6)
                                               : 100 + static_cast<unsigned>(rng() % 27);
        const unsigned dist = 2 + static_cast<unsigned>(rng() % 24);
        const SignMode sign = static_cast<SignMode>(rng() % 3);
        const CodeTable t = kind_table(rng, k, base, dist, sign);
        const size_t n = 1 + rng() % std::min<size_t>(C, 40 * L);
        const auto q = kind_values(rng, c, t, k, n);
        const Chunk2 chunks[2] = {chunk_of(encode_chunk_v2(c, t, q.data(), n), n),
                                  raw_chunk_of(c, q.data(), n)};
        for (const Chunk2& clean : chunks) {
          out.assign(n, 0);
          const auto bytes = bytes_of(clean.words);
          REQUIRE(decode_chunk_v2(c, t, n, clean.raw, clean.crc, bytes.data(), clean.words.size(),
                                  out.data()) == Status::kOk);
          REQUIRE(out == q);
          (clean.raw ? raw : coded) += 1;
          const std::string what = k.name() + (clean.raw ? ", raw" : ", coded");
          b.add_chunks(c, t, {clean}, what);
          for (bool fix : {true, false}) {
            Chunk2 ch = clean;
            flip_bits(rng, &ch, fix);
            b.add_chunks(c, t, {ch}, what + (fix ? ", flips, CRC fixed" : ", flips"));
          }
        }
      }
    }
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  WARN("coded " << coded << ", raw " << raw << "; ok " << seen[0] << ", crc " << seen[9]
                << ", truncated " << seen[3] << ", bad_code " << seen[11] << ", exp_range "
                << seen[5] << ", bad_padding " << seen[6] << ", length " << seen[7]);
  CHECK(coded >= 36);
  CHECK(raw >= 36);
  CHECK(seen[0] > 0);
  CHECK(seen[9] > 0);
  CHECK(seen[3] + seen[5] + seen[6] + seen[7] + seen[11] > 0);
}
