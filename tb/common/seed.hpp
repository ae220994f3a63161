// SPDX-License-Identifier: Apache-2.0
//
// Test seeds and stimulus scale: SEED=<n> in the environment wins, else Catch's --rng-seed. Every
// failure message carries the seed, so a failing run is replayed with SEED=<n> (or --rng-seed <n>).
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace sfp::tb {

inline uint64_t test_seed() {
  if (const char* s = std::getenv("SEED")) {
    if (*s) return std::strtoull(s, nullptr, 0);
  }
  return Catch::rngSeed();
}

// What every failure message ends with: the seed, how to replay it, and the cycle.
inline std::string replay_note(uint64_t seed, uint64_t cycle) {
  return "seed " + std::to_string(seed) + " (replay: SEED=" + std::to_string(seed) + "), cycle " +
         std::to_string(cycle);
}

// Multiplies the amount of random stimulus (SFP_TB_SCALE=<n>, default 1) for longer soak runs.
inline int test_scale() {
  if (const char* s = std::getenv("SFP_TB_SCALE")) {
    const int v = std::atoi(s);
    if (v > 0) return v;
  }
  return 1;
}

}  // namespace sfp::tb
