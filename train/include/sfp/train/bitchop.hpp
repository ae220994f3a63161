// SPDX-License-Identifier: Apache-2.0
//
// BitChop: one network-wide mantissa bitlength moved by a controller that watches the training
// loss. No libtorch dependency, so it can be driven by scripted loss sequences.
// Spec: docs/training.md, "BitChop".
#pragma once

#include <cstdint>

namespace sfp::train {

struct BitChopConfig {
  unsigned period = 16;     // P: steps per decision
  double ema_factor = 0.9;  // a: ema <- a*ema + (1-a)*period_mean
  double threshold = 0.05;  // relative band around the EMA inside which the bitlength holds
  unsigned min_bits = 2;    // lower bound (inclusive)
  unsigned max_bits = 23;   // upper bound (inclusive)
  unsigned init_bits = 23;  // bitlength in force before the first decision
};

enum class BitChopDecision : uint8_t { kNone = 0, kHold = 1, kFewer = 2, kMore = 3 };

class BitChop {
 public:
  // Throws std::invalid_argument when the configuration is inconsistent.
  explicit BitChop(const BitChopConfig& config);

  // Records the loss of one training step and returns the bitlength for the next step. After
  // every `period` steps the mean loss of the period m is compared with the EMA e of earlier
  // period means: m < e*(1-threshold) -> one bit fewer, m > e*(1+threshold) -> one bit more,
  // else hold; then e <- a*e + (1-a)*m. The first period only initialises e. A non-finite loss
  // counts as worse.
  unsigned observe(double loss);

  unsigned bits() const { return bits_; }
  double ema() const { return ema_; }
  bool has_ema() const { return has_ema_; }
  BitChopDecision last_decision() const { return last_; }
  const BitChopConfig& config() const { return config_; }

 private:
  BitChopConfig config_;
  unsigned bits_;
  double sum_ = 0.0;
  unsigned count_ = 0;
  bool bad_ = false;  // a non-finite loss in the current period
  double ema_ = 0.0;
  bool has_ema_ = false;
  BitChopDecision last_ = BitChopDecision::kNone;
};

}  // namespace sfp::train
