// SPDX-License-Identifier: Apache-2.0
//
// Locked output: the FNV-1a hash of each encoded stream (index then payload) for a fixed set of
// configurations and seeded inputs must equal tests/vectors/checksums.txt. The file changes only
// together with FormatVersion (docs/format.md, "Versioning"); after a version bump, regenerate it
// with SFP_UPDATE_CHECKSUMS=1 and review the diff.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "sfp/codec.hpp"

namespace sfp {
namespace {

const char* const kFile = SFP_SOURCE_DIR "/tests/vectors/checksums.txt";

// A portable generator (splitmix64), so the inputs do not depend on the standard library.
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// Activation-like data: 60 % zeros, exponents near 2^-3, a few specials.
std::vector<uint32_t> inputs(Fp fp, uint64_t seed, size_t n) {
  SplitMix r{seed};
  std::vector<uint32_t> v(n);
  const FpFormat f = fp_format(fp);
  for (auto& x : v) {
    const uint64_t a = r.next();
    const uint32_t kind = a % 100, bits = static_cast<uint32_t>(a >> 32);
    const uint32_t man = bits & f.man_mask(), exp = 118 + (bits >> 24) % 10;
    if (kind < 60)
      x = 0;
    else if (kind < 98)
      x = (exp << f.man_bits) | man;
    else if (kind < 99)
      x = (f.exp_max() << f.man_bits) | man;  // Inf or NaN
    else
      x = bits & (fp == Fp::kFp32 ? 0xFFFFFFFFu : 0xFFFFu);
  }
  return v;
}

// Version 1: index then payload. Version 2 adds the table, and each chunk's mode and CRC after
// its length; version 3 the table section, and each chunk's CRC after its length.
uint64_t fnv1a(const Encoded& e) {
  uint64_t h = 0xcbf29ce484222325ull;
  const auto eat = [&](uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
  const auto eat32 = [&](uint32_t w) {
    for (int i = 0; i < 4; ++i) eat(static_cast<uint8_t>(w >> (8 * i)));
  };
  if (e.config.version == 2) {
    for (uint8_t b : pack_table(e.table)) eat(b);
  }
  if (e.config.version == 3) {
    for (uint8_t b : pack_table_section(e.table, e.table_ref)) eat(b);
  }
  for (size_t i = 0; i < e.chunk_words.size(); ++i) {
    eat32(e.chunk_words[i]);
    if (e.config.version == 2) eat(e.chunk_raw[i]);
    if (e.config.version >= 2) eat32(e.chunk_crc[i]);
  }
  for (uint8_t b : e.payload) eat(b);
  return h;
}

std::map<std::string, Config> cases() {
  std::map<std::string, Config> m;
  const auto add = [&](const std::string& name, Config c) { m[name] = c; };
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const std::string f = fp == Fp::kFp32 ? "fp32" : "bf16";
    Config c = Config::lossless(fp, 1);
    add(f + "-default", c);
    c.man_bits = 2;
    c.rounding = Rounding::kNearestEven;
    add(f + "-m2-rne", c);
    c = Config::lossless(fp, 1);
    c.gecko = false;
    c.zero = ZeroCode::kNone;
    add(f + "-raw-nozero", c);
    for (unsigned g : {4u, 8u, 32u}) {
      c = Config::lossless(fp, 1);
      c.group = g;
      c.base = BaseCode::kGamma;
      c.zero = ZeroCode::kMask;
      c.chunk = 1024;
      c.word_bits = 64;
      add(f + "-g" + std::to_string(g) + "-gamma-mask", c);
    }
    // Format version 2.
    c = Config::lossless(fp, 2);
    add("v2-" + f + "-default", c);
    c.man_bits = 2;
    c.rounding = Rounding::kNearestEven;
    add("v2-" + f + "-m2-rne", c);
    for (unsigned lanes : {4u, 32u}) {
      c = Config::lossless(fp, 2);
      c.man_bits = 0;
      c.group = lanes;
      c.chunk = 1024;
      add("v2-" + f + "-m0-l" + std::to_string(lanes), c);
    }
    // Format version 3: the same configurations.
    c = Config::lossless(fp, 3);
    add("v3-" + f + "-default", c);
    c.man_bits = 2;
    c.rounding = Rounding::kNearestEven;
    add("v3-" + f + "-m2-rne", c);
    for (unsigned lanes : {4u, 32u}) {
      c = Config::lossless(fp, 3);
      c.man_bits = 0;
      c.group = lanes;
      c.chunk = 1024;
      add("v3-" + f + "-m0-l" + std::to_string(lanes), c);
    }
  }
  return m;
}

TEST_CASE("Encoded streams match the locked checksums of this format version", "[vectors]") {
  std::map<std::string, std::string> want;
  {
    std::ifstream in(kFile);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ls(line);
      std::string name, hash;
      ls >> name >> hash;
      want[name] = hash;
    }
  }
  const bool update = std::getenv("SFP_UPDATE_CHECKSUMS") != nullptr;
  std::ostringstream file;
  file << "# FNV-1a 64 of (table+)index+payload per configuration; format versions 1, 2 and 3"
       << "\n# name hash config-word seed values\n";
  for (const auto& [name, c] : cases()) {
    for (uint64_t seed : {1u, 2u}) {
      const auto v = inputs(c.fp, seed, 10000);
      Encoded e;
      REQUIRE(encode(c, v.data(), v.size(), &e) == Status::kOk);
      const std::string key = name + "/" + std::to_string(seed);
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(e)));
      file << key << " " << hex << " " << std::hex << pack_config(c) << std::dec << " " << seed
           << " " << v.size() << "\n";
      if (!update) {
        INFO(key << " (" << to_string(c) << ")");
        CHECK(want[key] == hex);
      }
    }
  }
  if (update) {
    std::ofstream(kFile) << file.str();
    WARN("rewrote " << kFile);
  }
}

}  // namespace
}  // namespace sfp
