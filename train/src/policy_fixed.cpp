// SPDX-License-Identifier: Apache-2.0
//
// Fixed bitlengths: fp32 (nothing quantized), bf16 (7 mantissa bits, rounding to nearest even)
// and fixed:M (M bits, the run's rounding).
#include "policy.hpp"

namespace sfp::train {
namespace {

class FixedPolicy : public TrainPolicy {
 public:
  FixedPolicy(const Options& o, bool fp32, unsigned bits, sfp::Rounding rounding)
      : TrainPolicy(o, rounding), fp32_(fp32), bits_(bits) {}

  bool applies(Kind kind) const override { return !fp32_ && TrainPolicy::applies(kind); }
  unsigned bits(const Slot& s) const override {
    return applies(s.kind) ? bits_ : sfp::kManBitsFp32;
  }
  bool stores_master() const override { return !fp32_; }

 private:
  bool fp32_;
  unsigned bits_;
};

}  // namespace

std::unique_ptr<TrainPolicy> make_fixed_policy(const Options& o) {
  switch (o.policy.kind) {
    case PolicyKind::kBf16:
      return std::make_unique<FixedPolicy>(o, false, sfp::kManBitsBf16,
                                           sfp::Rounding::kNearestEven);
    case PolicyKind::kFixed:
      return std::make_unique<FixedPolicy>(o, false, o.policy.fixed_bits, o.rounding);
    default:
      return std::make_unique<FixedPolicy>(o, true, sfp::kManBitsFp32, o.rounding);
  }
}

}  // namespace sfp::train
