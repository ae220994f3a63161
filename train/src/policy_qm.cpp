// SPDX-License-Identifier: Apache-2.0
//
// Quantum Mantissa: a learned bitlength n per stored tensor (or per layer with --qm-share),
// trained by its own optimizer against a footprint regularizer; the container charges ceil(n).
#include <algorithm>
#include <cmath>
#include <map>

#include "policy.hpp"
#include "sfp/train/quant.hpp"

namespace sfp::train {
namespace {

constexpr unsigned kM = sfp::kManBitsFp32;

class QmPolicy : public TrainPolicy {
 public:
  explicit QmPolicy(const Options& o) : TrainPolicy(o, o.rounding) {}

  void add_slot(Slot& s) override {
    if (!applies(s.kind)) return;
    const QmConfig& qm = options().qm;
    const std::string key = qm.share ? s.layer : s.name;
    auto k = key_.find(key);
    if (k == key_.end()) {
      const double init = s.kind == Kind::kAct ? qm.init_acts : qm.init_weights;
      n_.push_back(torch::full({}, std::clamp(init, 0.0, double(kM)),
                               torch::TensorOptions().dtype(torch::kFloat32))
                       .requires_grad_(true));
      kind_.push_back(s.kind);
      k = key_.emplace(key, static_cast<int>(n_.size() - 1)).first;
    }
    s.qm_index = k->second;
  }

  torch::Tensor quantize(const Slot& s, const std::string& suffix, const torch::Tensor& x,
                         bool training) override {
    if (s.qm_index >= 0) {
      return quantize_qm(x, n_[static_cast<size_t>(s.qm_index)], kM, rounding());
    }
    return TrainPolicy::quantize(s, suffix, x, training);
  }

  unsigned bits(const Slot& s) const override {
    return applies(s.kind) ? qm_charged_bits(value(s), kM) : kM;
  }
  std::optional<double> learned_bits(const Slot& s) const override {
    if (s.qm_index < 0) return std::nullopt;
    return value(s);
  }

  // lambda * sum(|t| n_t) / (M * sum |t|).
  torch::Tensor regularizer(const std::vector<Slot>& slots) const override {
    if (n_.empty()) return torch::Tensor();
    double total = 0;
    for (const Slot& s : slots) total += static_cast<double>(s.numel);
    torch::Tensor reg = torch::zeros({});
    for (const Slot& s : slots) {
      if (s.qm_index < 0 || s.numel == 0) continue;
      reg =
          reg + n_[static_cast<size_t>(s.qm_index)] * (static_cast<double>(s.numel) / (kM * total));
    }
    return reg * options().qm.lambda;
  }

  void zero_grads() override {
    for (torch::Tensor& n : n_) {
      if (n.grad().defined()) n.mutable_grad().zero_();
    }
  }

  // One optimizer step on the bitlengths (QmConfig::optim), then clamp to [0, 23]; zeroes their
  // gradients.
  void update(const std::vector<Slot>& slots, double /*task_loss*/) override {
    torch::NoGradGuard no_grad;
    if (n_.empty()) return;
    const QmConfig& qm = options().qm;
    std::vector<double> share(n_.size(), 0.0);
    double total = 0;
    for (const Slot& s : slots) total += static_cast<double>(s.numel);
    for (const Slot& s : slots) {
      if (s.qm_index >= 0 && total > 0) share[static_cast<size_t>(s.qm_index)] += s.numel / total;
    }
    constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-12;
    adam_m_.resize(n_.size(), 0.0);
    adam_v_.resize(n_.size(), 0.0);
    ++adam_t_;
    for (size_t j = 0; j < n_.size(); ++j) {
      torch::Tensor& n = n_[j];
      const double lr = kind_[j] == Kind::kAct ? qm.lr_acts : qm.lr_weights;
      const double g = n.grad().defined() ? n.grad().item<double>() : 0.0;
      double step = 0;
      switch (qm.optim) {
        case QmOptim::kAdam: {
          adam_m_[j] = kBeta1 * adam_m_[j] + (1 - kBeta1) * g;
          adam_v_[j] = kBeta2 * adam_v_[j] + (1 - kBeta2) * g * g;
          const double mh = adam_m_[j] / (1 - std::pow(kBeta1, double(adam_t_)));
          const double vh = adam_v_[j] / (1 - std::pow(kBeta2, double(adam_t_)));
          step = lr * mh / (std::sqrt(vh) + kEps);
          break;
        }
        case QmOptim::kSgd:
          step = lr * g;
          break;
        case QmOptim::kSgdShare:
          step = share[j] > 0 ? lr * g / share[j] : 0.0;
          break;
      }
      n.sub_(step);
      if (n.grad().defined()) n.mutable_grad().zero_();
      n.clamp_(0.0, static_cast<double>(kM));
    }
  }

  void summary_json(const std::vector<Slot>& slots, const Summary& /*sum*/,
                    nlohmann::json* j) const override {
    if (n_.empty()) return;
    nlohmann::json fn = nlohmann::json::object();
    for (const Slot& s : slots) {
      if (s.qm_index >= 0) fn[s.name] = value(s);
    }
    (*j)["final_n"] = fn;
  }

 private:
  double value(const Slot& s) const {
    if (s.qm_index < 0) return kM;
    return n_[static_cast<size_t>(s.qm_index)].item<double>();
  }

  std::vector<torch::Tensor> n_;  // the learned bitlengths
  std::vector<Kind> kind_;
  std::map<std::string, int> key_;  // slot name (or layer, shared) -> index into n_
  std::vector<double> adam_m_, adam_v_;
  int64_t adam_t_ = 0;
};

}  // namespace

std::unique_ptr<TrainPolicy> make_qm_policy(const Options& o) {
  return std::make_unique<QmPolicy>(o);
}

}  // namespace sfp::train
