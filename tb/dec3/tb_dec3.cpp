// SPDX-License-Identifier: Apache-2.0
//
// sfp3_decoder against the golden model (sfp::decode_chunk_v3): every chunk status, every value
// of the chunks that decode, and the step framing, for every set of rtl/param_sets_v3_dec.txt,
// on valid, corrupted, adversarial (expiry) and illegal-table streams, under random input gaps
// and output backpressure; and the decoder's throughput on realistic data.
#include <catch2/catch.hpp>
#include <iostream>

#include "dec3_duts.hpp"
#include "seed.hpp"
#include "stimulus.hpp"

using namespace sfp;
using namespace sfp::tb;

namespace {

template <class Dut>
std::string name_of(const std::string& what) {
  return std::string(Dec3Info<Dut>::kName) + "_" + what;
}

template <class Bench>
Config random_v3_config(std::mt19937_64& rng) {
  const Fp fp = (rng() & 1) ? Fp::kBf16 : Fp::kFp32;
  const unsigned mm = fp_format(fp).man_bits;
  const unsigned m = (rng() & 1) ? mm : static_cast<unsigned>(rng() % (mm + 1));
  return Bench::config(fp, m, (rng() & 1) ? Rounding::kNearestEven : Rounding::kTruncate);
}

// A tensor length: tiny (L_c < L), around a chunk, a short last chunk, several chunks.
size_t random_length3(std::mt19937_64& rng, unsigned lanes, unsigned chunk, size_t cap) {
  size_t n = 1;
  switch (rng() % 5) {
    case 0:
      n = 1 + rng() % (64 * lanes);
      break;
    case 1:
      n = chunk + rng() % 3 - 1;
      break;
    case 2:
      n = chunk + 1 + rng() % (64 * lanes);
      break;
    default:
      n = 1 + rng() % (3 * chunk);
  }
  return std::max<size_t>(1, std::min(n, cap));
}

// One lane of +0 (1-bit codewords) beside lanes of random FP32 bit patterns (escapes with a
// full entry): the slow lane's words stay unfinished while the others take words fast, so they
// expire (Spec: "Version 3 refill rule").
std::vector<uint32_t> adversarial(std::mt19937_64& rng, unsigned lanes, size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i % lanes == 0 ? 0u : static_cast<uint32_t>(rng());
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("dec3: random tensors of every kind under gaps and backpressure", "[dec3]",
                   SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  struct Rate {
    double in;
    ReadyPattern out;
    unsigned per_beat;
  };
  const Rate rates[] = {{1.0, ReadyPattern::always(), 0},
                        {0.6, ReadyPattern::random(0.6), 0},
                        {0.9, ReadyPattern::long_stall(), 0},
                        {1.0, ReadyPattern::alternate(), Bench::kBW}};
  const size_t budget = Bench::kC >= 4096 ? 60000 : 6000;
  const size_t cap = Bench::kC >= 4096 ? 40000 : 2000;
  for (size_t ri = 0; ri < std::size(rates); ++ri) {
    const Rate& r = rates[ri];
    Bench b(seed + ri, name_of<TestType>("random"), r.in, r.out, r.per_beat);
    INFO("rates in " << r.in << " out " << r.out.name());
    std::mt19937_64& rng = b.rng();
    size_t total = 0;
    for (unsigned t = 0; total < budget; ++t) {
      const Config c = random_v3_config<Bench>(rng);
      const size_t n = random_length3(rng, Bench::kL, Bench::kC, cap);
      b.add_tensor(c, make_values(rng, c.fp, n, kDataKinds[t % kNumDataKinds]),
                   fmt::format("tensor {} {}", t, kind_name(kDataKinds[t % kNumDataKinds])));
      total += n;
    }
    b.run();
    CHECK(b.status_seen()[0] == b.chunks());
  }
}

TEMPLATE_TEST_CASE("dec3: every m of FP32 and BF16, both roundings, specials", "[dec3]",
                   SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("every_m"), 0.8, ReadyPattern::random(0.8));
  std::mt19937_64& rng = b.rng();
  const size_t n0 = Bench::kC >= 4096 ? 1200 : 300;
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) {
      const Rounding rd = (m & 1) ? Rounding::kNearestEven : Rounding::kTruncate;
      const Config c = Bench::config(fp, m, rd);
      const DataKind k = kDataKinds[(m + (fp == Fp::kBf16 ? 3 : 0)) % kNumDataKinds];
      b.add_tensor(c, make_values(rng, fp, n0 + rng() % n0, k), kind_name(k));
      b.add_tensor(c, make_values(rng, fp, 1 + rng() % (2 * Bench::kL), DataKind::kSpecials),
                   "tiny specials");
    }
  }
  b.run();
  CHECK(b.status_seen()[0] == b.chunks());
}

TEMPLATE_TEST_CASE("dec3: expired words (one lane of +0 beside lossless random bits)", "[dec3]",
                   SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  // Expiry needs the other lanes to take 512 words while the slow lane reads one: 16 lanes
  // and chunks of thousands of values; v4 (256 values a chunk) cannot reach it.
  if (Bench::kL < 16 || Bench::kC < 4096) {
    SUCCEED("no expiry possible with this parameter set");
    return;
  }
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("expiry"), 0.9, ReadyPattern::random(0.8));
  std::mt19937_64& rng = b.rng();
  const Config c = Bench::config(Fp::kFp32, 23, Rounding::kTruncate);
  const std::vector<uint32_t> v = adversarial(rng, Bench::kL, Bench::kC);
  Encoded e;
  REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
  REQUIRE(e.expired_units > 0);
  const std::vector<Chunk3> clean = split_chunks3(e);
  b.add_chunks(c, e.table, clean, "adversarial");
  // A set bit in an expired word's skipped part: bad_padding. Flip the last bit of lane 0's
  // words (the slow lane) until the model reports it; the neighbours decode.
  unsigned found = 0;
  for (size_t w = 0; w < clean[0].words.size() && found < 2; ++w) {
    Chunk3 bad = clean[0];
    bad.words[w] ^= 0x80000000u;
    bad.crc = crc_of(bad.words);
    std::vector<uint32_t> out(bad.values);
    const auto by = bytes_of(bad.words);
    if (decode_chunk_v3(c, e.table, bad.values, bad.crc, by.data(), bad.words.size(), out.data()) !=
        Status::kBadPadding) {
      continue;
    }
    ++found;
    b.add_chunks(c, e.table, {clean[0], bad, clean[0]}, fmt::format("expired bit at word {}", w));
  }
  CHECK(found == 2);
  b.run();
  CHECK(b.status_seen()[6] == found);
  CHECK(b.status_seen()[0] == b.chunks() - found);
}

TEMPLATE_TEST_CASE("dec3: corrupted chunks fail alone with the model's status", "[dec3]",
                   SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("corrupt"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const unsigned cases = Bench::kC >= 4096 ? 40 : 160;
  for (unsigned t = 0; t < cases; ++t) {
    const Config c = random_v3_config<Bench>(rng);
    // Three chunks, the middle one corrupted.
    const size_t n = 2 * Bench::kC + 1 + rng() % Bench::kC;
    const std::vector<uint32_t> v = make_values(rng, c.fp, n, kDataKinds[t % kNumDataKinds]);
    Encoded e;
    REQUIRE(encode(c, v.data(), n, &e) == Status::kOk);
    std::vector<Chunk3> ch = split_chunks3(e);
    Chunk3& x = ch[1];
    std::string what;
    const unsigned kind = t % 9;
    switch (kind) {
      case 0:
      case 1:
      case 2: {  // 1 .. 3 bit flips, the CRC recomputed (structural errors), or not (crc)
        const unsigned flips = 1 + rng() % 3;
        for (unsigned i = 0; i < flips; ++i) {
          x.words[rng() % x.words.size()] ^= 1u << (rng() % 32);
        }
        if (kind != 2) x.crc = crc_of(x.words);
        what = fmt::format("{} bit flips{}", flips, kind != 2 ? ", CRC recomputed" : "");
        break;
      }
      case 3:
        x.crc ^= 1u << (rng() % 32);
        what = "wrong CRC";
        break;
      case 4:
        x.words.push_back(kind & 1 ? static_cast<uint32_t>(rng()) : 0u);
        x.crc = crc_of(x.words);
        what = "an extra word";
        break;
      case 5:
        x.words.pop_back();
        x.crc = crc_of(x.words);
        what = "the last word missing";
        break;
      case 6: {  // a word in the middle missing
        x.words.erase(x.words.begin() + static_cast<long>(rng() % x.words.size()));
        x.crc = crc_of(x.words);
        what = "a word missing";
        break;
      }
      case 7: {  // N below N_min or above N_max (bad_index), words as announced
        const uint64_t lo = min_chunk_units_v3(c, x.values), hi = max_chunk_units_v3(c, x.values);
        const uint64_t w = (rng() & 1) && lo > 1
                               ? rng() % lo
                               : std::min<uint64_t>(Bench::kMaxWords, hi + 1 + rng() % 8);
        x.words.resize(w, static_cast<uint32_t>(rng()));
        x.crc = crc_of(x.words);
        what = fmt::format("N = {} outside {} .. {}", w, lo, hi);
        break;
      }
      default: {  // lane bits past the last value (padding) set
        x.words.back() |= 0x80000000u;
        x.crc = crc_of(x.words);
        what = "last word's top bit set";
        break;
      }
    }
    b.add_chunks(c, e.table, ch, fmt::format("case {} ({})", t, what));
  }
  // Chunks cut short by their last words, which held only +0 codewords (the lanes read zeros
  // in their place and decode the same values): the first cut the model calls truncated,
  // between intact neighbours.
  for (unsigned t = 0; t < 4; ++t) {
    const Config c = random_v3_config<Bench>(rng);
    std::vector<uint32_t> v = make_values(rng, c.fp, Bench::kC, kDataKinds[t]);
    std::fill(v.begin() + static_cast<long>(v.size() / 2), v.end(), 0u);
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    const Chunk3 clean = split_chunks3(e)[0];
    for (size_t cut = 1; cut < 8 && cut < clean.words.size(); ++cut) {
      Chunk3 x = clean;
      x.words.resize(x.words.size() - cut);
      x.crc = crc_of(x.words);
      std::vector<uint32_t> out(x.values);
      const auto by = bytes_of(x.words);
      if (decode_chunk_v3(c, e.table, x.values, x.crc, by.data(), x.words.size(), out.data()) !=
          Status::kTruncated) {
        continue;
      }
      for (const Chunk3& k : {clean, x, clean}) {
        b.add_desc(k, true, c, e.table, fmt::format("cut by {} words", cut));
      }
      break;
    }
  }
  // Decoding under a table whose base is below the distances the chunk uses: exp_range (or
  // bad_code where a codeword decodes to another symbol first).
  for (unsigned t = 0; t < 6; ++t) {
    const Config c = Bench::config(Fp::kBf16, 7, Rounding::kTruncate);
    const std::vector<uint32_t> v = make_values(rng, c.fp, Bench::kC, DataKind::kStructured);
    Encoded e;
    REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
    CodeTable low = e.table;
    low.base = t;
    b.add_chunks(c, low, split_chunks3(e), fmt::format("base lowered to {}", t));
    b.add_tensor(c, v, "after a foreign table");
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  INFO("statuses: ok " << seen[0] << ", crc " << seen[9] << ", bad_code " << seen[11]
                       << ", exp_range " << seen[5] << ", bad_padding " << seen[6] << ", length "
                       << seen[7] << ", truncated " << seen[3] << ", bad_index " << seen[2]);
  for (unsigned s : {0u, 9u, 11u, 5u, 6u, 7u, 3u, 2u}) CHECK(seen[s] > 0);
}

TEMPLATE_TEST_CASE("dec3: illegal tables, m above the width, bad descriptors", "[dec3]",
                   SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("illegal"), 0.9, ReadyPattern::random(0.9));
  std::mt19937_64& rng = b.rng();
  const Config c = Bench::config(Fp::kFp32, 23, Rounding::kTruncate);
  const std::vector<uint32_t> v = make_values(rng, c.fp, Bench::kC + 77, DataKind::kStructured);
  Encoded e;
  REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
  const std::vector<Chunk3> ch = split_chunks3(e);
  CodeTable over = e.table;  // over-subscribed: every length 1
  for (unsigned s = 0; s < over.symbols(); ++s) over.lengths[0][s] = 1;
  REQUIRE(check_table(over) != Status::kOk);
  b.add_chunks(c, over, ch, "over-subscribed table");
  b.add_chunks(c, e.table, ch, "after an illegal table");
  Config wide = c;
  wide.man_bits = 27;
  b.add_chunks(wide, e.table, ch, "m above the width");
  b.add_chunks(c, e.table, ch, "after m above the width");
  // A short chunk before the tensor's last, values 0 and above C.
  Chunk3 s = ch[1];
  b.add_desc(s, false, c, e.table, "short chunk not last");
  b.add_desc(ch[1], true, c, e.table, "short last chunk");
  Chunk3 z = ch[1];
  z.values = 0;
  b.add_desc(z, true, c, e.table, "values 0");
  Chunk3 big = ch[0];
  big.values = Bench::kC + 1;
  b.add_desc(big, true, c, e.table, "values above C");
  b.add_chunks(c, e.table, ch, "after bad descriptors");
  // N at the bounds of its chunk: N_min - 1 and N_max + 1 are bad_index, N_min and N_max are
  // decoded (and fail as the model says).
  const uint64_t lo = min_chunk_units_v3(c, ch[0].values), hi = max_chunk_units_v3(c, ch[0].values);
  unsigned bounds_bad = 0;
  for (uint64_t w : {lo - 1, lo, hi, hi + 1}) {
    if (w > Bench::kMaxWords) continue;
    Chunk3 x = ch[0];
    x.words.resize(w, 0u);
    x.crc = crc_of(x.words);
    bounds_bad += w < lo || w > hi ? 1 : 0;
    b.add_desc(x, false, c, e.table, fmt::format("N = {} (bounds {} .. {})", w, lo, hi));
    b.add_desc(ch[1], true, c, e.table, "after it");
  }
  b.run();
  const uint64_t* seen = b.status_seen();
  CHECK(seen[10] == 2);
  CHECK(seen[1] == 2);
  CHECK(seen[2] == 3 + bounds_bad);
  // Every chunk after a bad one decodes (the chunks at N_min and N_max give the model's status).
  CHECK(seen[0] >= 7 + 4);
}

TEMPLATE_TEST_CASE("dec3: reset in a chunk, words withheld (starved_o), then exact decode",
                   "[dec3]", SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  Bench b(seed, name_of<TestType>("reset"), 0.8, ReadyPattern::random(0.7));
  std::mt19937_64& rng = b.rng();
  const size_t n = Bench::kC + Bench::kC / 2;
  for (unsigned r = 0; r < 4; ++r) {
    // Resets at random points: in a table setup, in a chunk, with values held.
    const Config c = random_v3_config<Bench>(rng);
    b.add_tensor(c, make_values(rng, c.fp, n, kDataKinds[r]), "to be reset");
    b.step(1 + rng() % (r < 2 ? 80 : 2 * Bench::kC / Bench::kL));
    b.reset_midstream(1 + static_cast<unsigned>(rng() % 4));
  }
  // Words withheld in a chunk: starved_o rises and stays while the decoder waits, no status
  // leaves; then the words come late and everything decodes.
  const Config c = Bench::config(Fp::kFp32, 23, Rounding::kTruncate);
  b.add_tensor(c, make_values(rng, c.fp, n, DataKind::kStructured), "words late");
  b.step(40 + rng() % 40);
  b.hold_words(true);
  b.step(200);  // the queued words run out (the output is backpressured meanwhile)
  const uint64_t got = b.values_received();
  uint64_t starved = 0;
  for (int i = 0; i < 400; ++i) {
    b.step(1);
    starved += b.starved() ? 1 : 0;
  }
  CHECK(starved == 400);
  CHECK(b.values_received() == got);
  b.hold_words(false);
  for (unsigned r = 0; r < 3; ++r) {
    const Config d = random_v3_config<Bench>(rng);
    b.add_tensor(d, make_values(rng, d.fp, n, kDataKinds[r + 3]), "after resets");
  }
  b.run();
  for (unsigned k = 1; k < 16; ++k) CHECK(b.status_seen()[k] == 0);
  CHECK(b.status_seen()[0] >= 8);
  CHECK(!b.starved());
}

TEMPLATE_TEST_CASE("dec3: throughput on realistic data (values per lane per cycle)",
                   "[dec3][throughput]", SFP_TB_DEC3) {
  using Bench = Dec3Bench<TestType>;
  const uint64_t seed = test_seed();
  struct Case {
    Fp fp;
    unsigned m;
    DataKind kind;
    const char* name;
  };
  const Case cases[] = {{Fp::kFp32, 23, DataKind::kStructured, "FP32 lossless structured"},
                        {Fp::kBf16, 7, DataKind::kStructured, "BF16 lossless structured"},
                        {Fp::kFp32, 3, DataKind::kRandom, "FP32 m=3 every class"},
                        {Fp::kFp32, 23, DataKind::kIncompressible, "FP32 incompressible"}};
  for (const Case& k : cases) {
    // Full beats whenever the memory has them, no output backpressure.
    Bench b(seed, name_of<TestType>("throughput"), 1.0, ReadyPattern::always(), Bench::kBW);
    const Config c = Bench::config(k.fp, k.m, Rounding::kTruncate);
    const size_t n = std::max<size_t>(4 * Bench::kC, 4096 * Bench::kL);
    b.add_tensor(c, make_values(b.rng(), k.fp, n, k.kind), k.name);
    b.run();
    const double cycles = static_cast<double>(b.last_out_cycle() - b.first_in_cycle() + 1);
    const double per_lane = static_cast<double>(b.values()) / (cycles * Bench::kL);
    std::cout << Dec3Info<TestType>::kName << " " << k.name << ": " << b.values() << " values, "
              << b.steps() << " steps in " << cycles
              << " cycles: " << fmt::format("{:.4f}", per_lane) << " values per lane per cycle\n";
    CHECK(b.status_seen()[0] == b.chunks());
    // One value per lane per cycle but for the chunk switches and the table setup.
    CHECK(per_lane > 0.85);
  }
}
