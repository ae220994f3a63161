// SPDX-License-Identifier: Apache-2.0
//
// BitPruning: integer quantizers with learned bitlengths (the pruner, bitprune.cpp) on the
// weights of the MAC layers and on the activations; bitlengths learned for --bp-learn-epochs,
// then frozen at ceil(n) for --bp-finetune-epochs. Bits are integer bits, against 32.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "policy.hpp"
#include "pruner.hpp"
#include "stash.hpp"

namespace sfp::train {
namespace {

class BitPrunePolicy : public TrainPolicy {
 public:
  explicit BitPrunePolicy(const Options& o) : TrainPolicy(o, o.rounding) {}

  void attach(const Network& net) override {
    pruner_ = std::make_unique<BitPruner>(options().bp, net.mac_ops());
  }

  // Only the main weight of a MAC layer is quantized; biases, LayerNorm parameters and the
  // position and class embeddings stay FP32.
  torch::Tensor quantize(const Slot& s, const std::string& suffix, const torch::Tensor& x,
                         bool training) override {
    if (!pruner_) throw std::logic_error("bitprune: no MAC operations set");
    if (s.kind == Kind::kAct) return pruner_->act(s.name, x, training);
    if (!suffix.empty() || !pruner_->quantizes_weight(s.name)) return x;
    return pruner_->weight(s.name, x);
  }

  torch::Tensor regularizer(const std::vector<Slot>& /*slots*/) const override {
    return pruner_->regularizer();
  }
  void zero_grads() override { pruner_->zero_grads(); }
  void update(const std::vector<Slot>& /*slots*/, double /*task_loss*/) override {
    pruner_->step();
  }

  // Integer bits of the quantized tensors, weighted by the elements they store per step.
  double mean_bits(const std::vector<Slot>& slots) const override {
    double num = 0, den = 0;
    for (const std::string& n : pruner_->names()) {
      const auto it =
          std::find_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == n; });
      const double e = pruner_->is_weight(n) ? double(pruner_->elements(n))
                       : it != slots.end()   ? double(it->numel)
                                             : 0.0;
      num += e * pruner_->charged_bits(n);
      den += e;
    }
    return den > 0 ? num / den : 32.0;
  }
  double full_bits() const override { return 32.0; }
  // Integer bits (mean over channels) of the quantized tensors, and n until they are frozen.
  void step_bits(const std::vector<Slot>& /*slots*/, nlohmann::json* bits,
                 nlohmann::json* n) const override {
    for (const std::string& name : pruner_->names()) {
      (*bits)[name] = pruner_->charged_bits(name);
      if (!pruner_->frozen()) (*n)[name] = pruner_->mean_n(name);
    }
  }

  // The starting point without quantizers; with no learning epochs, 8-bit (init) quantizers
  // fixed from the start.
  void begin(RunContext& run) override {
    run.net.eval();
    run.stash.set_bypass(true);
    run.summary.fp32_test_accuracy = run.test_accuracy();
    run.stash.set_bypass(false);
    if (!options().quiet) {
      fmt::print(stderr, "train {}/bitprune: FP32 test accuracy of the starting network {:.2f} %\n",
                 to_string(options().net), 100.0 * run.summary.fp32_test_accuracy);
    }
    if (options().bp.learn_epochs == 0) {
      pruner_->freeze();
      run.summary.frozen_test_accuracy = run.test_accuracy();
    }
  }

  void annotate(unsigned epoch, nlohmann::json* line) const override {
    (*line)["phase"] = epoch <= options().bp.learn_epochs ? "learn" : "finetune";
  }

  // Learning ends: freeze ceil(n) and evaluate the integer network before fine-tuning.
  std::string end_epoch(unsigned epoch, RunContext& run, nlohmann::json* line) override {
    if (epoch != options().bp.learn_epochs) return "";
    pruner_->freeze();
    run.summary.frozen_test_accuracy = run.test_accuracy();
    const double mean = run.stash.mean_bits();
    (*line)["test_accuracy_frozen"] = run.summary.frozen_test_accuracy;
    (*line)["mean_bits_frozen"] = mean;
    return fmt::format("train {} bitlengths frozen: test accuracy {:.2f} % mean bits {:.2f}\n",
                       run.tag, 100.0 * run.summary.frozen_test_accuracy, mean);
  }

  void finish(RunContext& run, const std::vector<Slot>& /*slots*/) override {
    Summary& sum = run.summary;
    // Without fine-tuning the result is the integer network right after the freeze.
    if (options().bp.finetune_epochs == 0) sum.test_accuracy = sum.frozen_test_accuracy;
    double wsum = 0, asum = 0;
    int wn = 0, an = 0;
    for (const std::string& name : pruner_->names()) {
      sum.final_bits[name] = pruner_->charged_bits(name);
      (pruner_->is_weight(name) ? wsum : asum) += pruner_->charged_bits(name);
      ++(pruner_->is_weight(name) ? wn : an);
    }
    sum.avg_weight_bits = wn > 0 ? wsum / wn : 0;
    sum.avg_act_bits = an > 0 ? asum / an : 0;
  }

  void summary_json(const std::vector<Slot>& /*slots*/, const Summary& sum,
                    nlohmann::json* j) const override {
    const BitPruner& bp = *pruner_;
    nlohmann::json wb = nlohmann::json::object(), ab = nlohmann::json::object();
    double wsum = 0, asum = 0, esum = 0, ewsum = 0;
    for (const std::string& name : bp.names()) {
      const bool w = bp.is_weight(name);
      (w ? wb : ab)[name.substr(name.find('/') + 1)] = bp.charged_bits(name);
      const double e = double(bp.elements(name));
      (w ? wsum : asum) += e * bp.charged_bits(name);
      (w ? ewsum : esum) += e;
    }
    (*j)["bitprune"] = {{"fp32_test_accuracy", sum.fp32_test_accuracy},
                        {"frozen_test_accuracy", sum.frozen_test_accuracy},
                        {"test_accuracy", sum.test_accuracy},
                        {"weight_bits", wb},
                        {"act_bits", ab},
                        {"avg_weight_bits", sum.avg_weight_bits},
                        {"avg_act_bits", sum.avg_act_bits},
                        {"avg_bits", (sum.avg_weight_bits * double(wb.size()) +
                                      sum.avg_act_bits * double(ab.size())) /
                                         std::max<double>(1.0, double(wb.size() + ab.size()))},
                        {"weight_bits_per_element", ewsum > 0 ? wsum / ewsum : 0.0},
                        {"act_bits_per_element", esum > 0 ? asum / esum : 0.0},
                        {"bits_ratio", bp.charged_ratio(BpReg::kBits)},
                        {"memory_ratio", bp.charged_ratio(BpReg::kMemory)},
                        {"bops_ratio", bp.charged_ratio(BpReg::kBops)},
                        {"bitlength_parameters", bp.parameter_count()},
                        {"tensors", bp.describe()}};
  }

 private:
  std::unique_ptr<BitPruner> pruner_;
};

}  // namespace

void prepare_bitprune_options(Options* o) {
  o->epochs = o->bp.learn_epochs + o->bp.finetune_epochs;
  if (o->epochs == 0) throw std::runtime_error("bitprune: no learning and no fine-tuning epochs");
  if (!o->snapshot_steps.empty() || o->snapshot_every > 0) {
    throw std::runtime_error("bitprune: snapshots are not supported (integer quantizers)");
  }
}

std::unique_ptr<TrainPolicy> make_bitprune_policy(const Options& o) {
  return std::make_unique<BitPrunePolicy>(o);
}

}  // namespace sfp::train
