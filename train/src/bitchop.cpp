// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/bitchop.hpp"

#include <cmath>
#include <stdexcept>

namespace sfp::train {

BitChop::BitChop(const BitChopConfig& config) : config_(config), bits_(config.init_bits) {
  if (config.period == 0) throw std::invalid_argument("bitchop: period must be at least 1");
  if (!(config.ema_factor >= 0.0 && config.ema_factor < 1.0)) {
    throw std::invalid_argument("bitchop: EMA factor must be in [0, 1)");
  }
  if (!(config.threshold >= 0.0 && config.threshold < 1.0)) {
    throw std::invalid_argument("bitchop: threshold must be in [0, 1)");
  }
  if (config.min_bits > config.max_bits || config.max_bits > 23) {
    throw std::invalid_argument("bitchop: bounds must satisfy min <= max <= 23");
  }
  if (config.init_bits < config.min_bits || config.init_bits > config.max_bits) {
    throw std::invalid_argument("bitchop: initial bitlength outside [min, max]");
  }
}

unsigned BitChop::observe(double loss) {
  if (std::isfinite(loss)) {
    sum_ += loss;
  } else {
    bad_ = true;
  }
  if (++count_ < config_.period) return bits_;

  const double mean = sum_ / count_;
  const bool bad = bad_;
  sum_ = 0.0;
  count_ = 0;
  bad_ = false;
  if (bad) {
    last_ = BitChopDecision::kMore;
    if (bits_ < config_.max_bits) ++bits_;
    return bits_;
  }
  if (!has_ema_) {
    ema_ = mean;
    has_ema_ = true;
    last_ = BitChopDecision::kHold;
    return bits_;
  }
  if (mean < ema_ * (1.0 - config_.threshold)) {
    last_ = BitChopDecision::kFewer;
    if (bits_ > config_.min_bits) --bits_;
  } else if (mean > ema_ * (1.0 + config_.threshold)) {
    last_ = BitChopDecision::kMore;
    if (bits_ < config_.max_bits) ++bits_;
  } else {
    last_ = BitChopDecision::kHold;
  }
  ema_ = config_.ema_factor * ema_ + (1.0 - config_.ema_factor) * mean;
  return bits_;
}

}  // namespace sfp::train
