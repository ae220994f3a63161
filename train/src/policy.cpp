// SPDX-License-Identifier: Apache-2.0
//
// What every policy shares, and the choice of one.
#include "policy.hpp"

#include "sfp/train/quant.hpp"

namespace sfp::train {

constexpr unsigned kM = sfp::kManBitsFp32;

TrainPolicy::TrainPolicy(const Options& options, sfp::Rounding rounding)
    : options_(options), rounding_(rounding) {}

bool TrainPolicy::applies(Kind kind) const {
  switch (options_.apply) {
    case Apply::kBoth:
      return true;
    case Apply::kWeights:
      return kind == Kind::kWeight;
    case Apply::kActs:
      return kind == Kind::kAct;
  }
  return true;
}

torch::Tensor TrainPolicy::quantize(const Slot& slot, const std::string& /*suffix*/,
                                    const torch::Tensor& x, bool /*training*/) {
  return quantize_ste(x, bits(slot), rounding_);
}

unsigned TrainPolicy::bits(const Slot& /*slot*/) const { return kM; }

double TrainPolicy::mean_bits(const std::vector<Slot>& slots) const {
  double num = 0, den = 0;
  for (const Slot& s : slots) {
    num += static_cast<double>(s.numel) * bits(s);
    den += static_cast<double>(s.numel);
  }
  return den > 0 ? num / den : kM;
}

void TrainPolicy::step_bits(const std::vector<Slot>& slots, nlohmann::json* bits,
                            nlohmann::json* n) const {
  for (const Slot& s : slots) {
    (*bits)[s.name] = this->bits(s);
    if (const std::optional<double> v = learned_bits(s)) (*n)[s.name] = *v;
  }
}

void TrainPolicy::finish(RunContext& run, const std::vector<Slot>& slots) {
  for (const Slot& s : slots) run.summary.final_bits[s.name] = bits(s);
}

void prepare_options(Options* o) {
  if (o->policy.kind == PolicyKind::kBitPrune) prepare_bitprune_options(o);
}

std::unique_ptr<TrainPolicy> make_policy(const Options& o) {
  switch (o.policy.kind) {
    case PolicyKind::kFp32:
    case PolicyKind::kBf16:
    case PolicyKind::kFixed:
      return make_fixed_policy(o);
    case PolicyKind::kQm:
      return make_qm_policy(o);
    case PolicyKind::kBitChop:
      return make_bitchop_policy(o);
    case PolicyKind::kBitPrune:
      return make_bitprune_policy(o);
  }
  return make_fixed_policy(o);
}

}  // namespace sfp::train
