// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/bitchop.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using sfp::train::BitChop;
using sfp::train::BitChopConfig;
using sfp::train::BitChopDecision;

namespace {

BitChopConfig config() {
  BitChopConfig c;
  c.period = 4;
  c.ema_factor = 0.5;
  c.threshold = 0.02;
  c.min_bits = 2;
  c.max_bits = 12;
  c.init_bits = 8;
  return c;
}

}  // namespace

TEST_CASE("bitchop shortens to the lower bound while the loss keeps improving", "[bitchop]") {
  BitChop chop(config());
  double loss = 2.0;
  for (int i = 0; i < 400; ++i) {
    chop.observe(loss);
    loss *= 0.98;  // 2 % better every step
  }
  CHECK(chop.bits() == 2u);
}

TEST_CASE("bitchop lengthens to the upper bound while the loss degrades", "[bitchop]") {
  BitChop chop(config());
  double loss = 0.5;
  for (int i = 0; i < 400; ++i) {
    chop.observe(loss);
    loss *= 1.02;
  }
  CHECK(chop.bits() == 12u);
}

TEST_CASE("bitchop holds on a noisy flat loss", "[bitchop]") {
  BitChop chop(config());
  std::mt19937_64 rng(Catch::rngSeed());
  std::uniform_real_distribution<double> noise(-0.005, 0.005);  // never leaves the 2 % band
  for (int i = 0; i < 1000; ++i) chop.observe(1.0 + noise(rng));
  CHECK(chop.bits() == 8u);
  CHECK(chop.last_decision() == BitChopDecision::kHold);
}

TEST_CASE("bitchop decides once per period and only after the first period", "[bitchop]") {
  BitChop chop(config());
  // Period 1 initialises the EMA with its mean (1.0) and holds.
  for (int i = 0; i < 4; ++i) CHECK(chop.observe(1.0) == 8u);
  CHECK(chop.has_ema());
  CHECK(chop.ema() == Approx(1.0));
  // Period 2, mean 0.5 < 1.0 * 0.98: one bit fewer, only on the 4th step.
  CHECK(chop.observe(0.5) == 8u);
  CHECK(chop.observe(0.5) == 8u);
  CHECK(chop.observe(0.5) == 8u);
  CHECK(chop.observe(0.5) == 7u);
  CHECK(chop.last_decision() == BitChopDecision::kFewer);
  CHECK(chop.ema() == Approx(0.75));  // 0.5 * 1.0 + 0.5 * 0.5
  // Period 3, mean 0.76 within 2 % of 0.75: hold.
  for (int i = 0; i < 4; ++i) chop.observe(0.76);
  CHECK(chop.bits() == 7u);
  CHECK(chop.last_decision() == BitChopDecision::kHold);
  // Period 4, mean 1.0 > 0.755 * 1.02: one bit more.
  for (int i = 0; i < 4; ++i) chop.observe(1.0);
  CHECK(chop.bits() == 8u);
  CHECK(chop.last_decision() == BitChopDecision::kMore);
}

TEST_CASE("bitchop treats a non-finite loss as worse", "[bitchop]") {
  BitChop chop(config());
  for (int i = 0; i < 4; ++i) chop.observe(1.0);
  chop.observe(1.0);
  chop.observe(NAN);
  chop.observe(1.0);
  CHECK(chop.observe(1.0) == 9u);
}

TEST_CASE("bitchop rejects inconsistent configurations", "[bitchop]") {
  BitChopConfig c = config();
  c.period = 0;
  CHECK_THROWS_AS(BitChop(c), std::invalid_argument);
  c = config();
  c.min_bits = 13;
  CHECK_THROWS_AS(BitChop(c), std::invalid_argument);
  c = config();
  c.init_bits = 1;
  CHECK_THROWS_AS(BitChop(c), std::invalid_argument);
  c = config();
  c.ema_factor = 1.0;
  CHECK_THROWS_AS(BitChop(c), std::invalid_argument);
}
