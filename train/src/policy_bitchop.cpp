// SPDX-License-Identifier: Apache-2.0
//
// BitChop: one network-wide bitlength that the controller (bitchop.cpp) moves with the loss.
#include "policy.hpp"
#include "sfp/train/bitchop.hpp"

namespace sfp::train {
namespace {

class BitChopPolicy : public TrainPolicy {
 public:
  explicit BitChopPolicy(const Options& o) : TrainPolicy(o, o.rounding), chop_(o.bitchop) {}

  unsigned bits(const Slot& s) const override {
    return applies(s.kind) ? chop_.bits() : sfp::kManBitsFp32;
  }
  void update(const std::vector<Slot>& /*slots*/, double task_loss) override {
    chop_.observe(task_loss);
  }

 private:
  BitChop chop_;
};

}  // namespace

std::unique_ptr<TrainPolicy> make_bitchop_policy(const Options& o) {
  return std::make_unique<BitChopPolicy>(o);
}

}  // namespace sfp::train
