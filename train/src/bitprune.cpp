// SPDX-License-Identifier: Apache-2.0
//
// BitPruning: integer quantizers with learned bitlengths (docs/bitpruning.md).
#include "sfp/train/bitprune.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pruner.hpp"

namespace sfp::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Q_b(x) with its codes q, step s and largest code L (all broadcast against x).
struct IntQ {
  torch::Tensor value, q, s, levels;
};

IntQ int_quantize_parts(const torch::Tensor& x, const torch::Tensor& bits,
                        const torch::Tensor& alpha, bool is_signed) {
  IntQ r;
  r.levels = is_signed ? torch::exp2(bits - 1.0) - 1.0 : torch::exp2(bits) - 1.0;
  r.s = alpha / r.levels;
  const torch::Tensor lo = is_signed ? -r.levels : torch::zeros_like(r.levels);
  r.q = torch::max(torch::min(torch::round(x / r.s), r.levels), lo);
  r.value = r.q * r.s;
  return r;
}

class BpFn : public torch::autograd::Function<BpFn> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor n,
                               torch::Tensor alpha, bool is_signed, int64_t min_bits,
                               int64_t max_bits, bool clip_grad, bool need_n, bool need_alpha) {
    if (x.scalar_type() != torch::kFloat32) {
      throw std::invalid_argument("quantize_bp: tensor must be float32");
    }
    const torch::Tensor nc = n.clamp(double(min_bits), double(max_bits));
    const torch::Tensor lo = nc.floor();
    const torch::Tensor f = nc - lo;
    const IntQ qlo = int_quantize_parts(x, lo, alpha, is_signed);
    const bool blend = (f != 0).any().item<bool>();
    torch::Tensor out = qlo.value, d, da, inside;
    IntQ qhi;
    if (blend || need_n || need_alpha) {
      const torch::Tensor hi = torch::clamp_max(lo + 1.0, double(max_bits));
      qhi = int_quantize_parts(x, hi, alpha, is_signed);
      out = (1.0 - f) * qlo.value + f * qhi.value;
      d = qhi.value - qlo.value;
    }
    if (clip_grad || need_alpha) {
      inside = is_signed ? x.abs() <= alpha : (x >= 0) & (x <= alpha);
    }
    if (need_alpha) {
      auto slope = [&](const IntQ& p) {
        return (p.q - torch::where(inside, x / p.s, torch::zeros_like(x))) / p.levels;
      };
      da = (1.0 - f) * slope(qlo) + f * slope(qhi);
    }
    ctx->saved_data["clip"] = clip_grad;
    ctx->saved_data["n_sizes"] = n.sizes().vec();
    ctx->saved_data["alpha_sizes"] = alpha.sizes().vec();
    ctx->save_for_backward({need_n ? d : torch::Tensor(), clip_grad ? inside : torch::Tensor(),
                            need_alpha ? da : torch::Tensor()});
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& g = grad[0];
    const bool clip = ctx->saved_data["clip"].toBool();
    torch::Tensor gx = clip ? g * saved[1].to(g.scalar_type()) : g;
    torch::Tensor gn, ga;
    if (saved[0].defined()) {
      gn = (g * torch::nan_to_num(saved[0], 0.0, 0.0, 0.0))
               .sum_to_size(ctx->saved_data["n_sizes"].toIntVector());
    }
    if (saved[2].defined()) {
      ga = (g * torch::nan_to_num(saved[2], 0.0, 0.0, 0.0))
               .sum_to_size(ctx->saved_data["alpha_sizes"].toIntVector());
    }
    return {gx,
            gn,
            ga,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

constexpr double kRefBits = 8.0;    // the regularizers are normalised to their value at 8 bits
constexpr double kInputBits = 8.0;  // the input image (8-bit pixels)

}  // namespace

int64_t int_levels(unsigned bits, bool is_signed) {
  if (bits > 30 || bits < (is_signed ? 2u : 1u)) {
    throw std::invalid_argument("int_levels: bitlength out of range");
  }
  return is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
}

torch::Tensor int_quantize(const torch::Tensor& x, const torch::Tensor& bits,
                           const torch::Tensor& alpha, bool is_signed) {
  torch::NoGradGuard no_grad;
  return int_quantize_parts(x.detach(), bits.to(torch::kFloat32), alpha.to(torch::kFloat32),
                            is_signed)
      .value;
}

torch::Tensor quantize_bp(const torch::Tensor& x, const torch::Tensor& n,
                          const torch::Tensor& alpha, const BpQuant& q) {
  if (q.min_bits < (q.is_signed ? 2u : 1u) || q.max_bits > 16 || q.min_bits > q.max_bits) {
    throw std::invalid_argument("quantize_bp: bitlength bounds out of range");
  }
  const bool grad = torch::GradMode::is_enabled();
  const bool need_n = grad && n.requires_grad();
  const bool need_alpha = grad && alpha.requires_grad();
  return BpFn::apply(x, n.to(torch::kFloat32), alpha.to(torch::kFloat32).clamp_min(1e-30),
                     q.is_signed, int64_t{q.min_bits}, int64_t{q.max_bits}, q.clip_grad, need_n,
                     need_alpha);
}

// BitPruner //

BitPruner::BitPruner(const BitPruneConfig& config, std::vector<MacOp> ops)
    : config_(config), ops_(std::move(ops)) {}

bool BitPruner::quantizes_weight(const std::string& name) const {
  for (const MacOp& op : ops_) {
    if (op.a == name || op.b == name) return true;
  }
  return false;
}

BitPruner::Entry& BitPruner::entry(const std::string& name, const torch::Tensor& x, bool weight) {
  auto it = entries_.find(name);
  if (it != entries_.end()) return it->second;
  torch::NoGradGuard no_grad;
  Entry e;
  e.name = name;
  e.weight = weight;
  if (weight) {
    e.channel_dim = 0;
    e.is_signed = true;
    e.elements = x.numel();
  } else {
    e.channel_dim = x.dim() == 4 ? 1 : x.dim() - 1;
    e.is_signed = x.numel() > 0 && x.min().item<float>() < 0.0f;
    e.elements = x.size(0) > 0 ? x.numel() / x.size(0) : 0;
  }
  e.channels = x.dim() > 0 ? x.size(e.channel_dim) : 1;
  int64_t per = e.channels;  // channels per group
  if (config_.granularity == BpGranularity::kChannel) per = 1;
  if (config_.granularity == BpGranularity::kGroup) per = std::max<int64_t>(1, config_.group);
  const int64_t groups = (e.channels + per - 1) / per;
  for (int64_t g = 0; g < groups; ++g) {
    e.group_size.push_back(std::min(per, e.channels - g * per));
  }
  e.group_of = torch::arange(e.channels, torch::kInt64).div(per, "floor");
  const double init =
      std::clamp(config_.init_bits, double(config_.min_bits), double(config_.max_bits));
  e.n = torch::full({groups}, init, torch::kFloat32).requires_grad_(!frozen_);
  if (frozen_) e.n = e.n.ceil();
  e.adam_m = torch::zeros({groups});
  e.adam_v = torch::zeros({groups});
  if (!weight && config_.act_range == BpRange::kLearned) {
    const double m = std::max(1e-6, x.abs().max().item<double>());
    e.log_alpha = torch::full({}, std::log(m), torch::kFloat32).requires_grad_(true);
  }
  order_.push_back(name);
  return entries_.emplace(name, std::move(e)).first->second;
}

torch::Tensor BitPruner::n_broadcast(const Entry& e, int64_t dim) const {
  torch::Tensor nc = e.n.index_select(0, e.group_of);
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  if (dim > 0) shape[static_cast<size_t>(e.channel_dim)] = e.channels;
  return nc.view(shape);
}

torch::Tensor BitPruner::run(Entry& e, const torch::Tensor& x, const torch::Tensor& alpha,
                             bool clip_grad) {
  BpQuant q;
  q.is_signed = e.is_signed;
  q.min_bits = config_.min_bits;
  q.max_bits = config_.max_bits;
  q.clip_grad = clip_grad;
  return quantize_bp(x, n_broadcast(e, x.dim()), alpha, q);
}

torch::Tensor BitPruner::act(const std::string& name, const torch::Tensor& x, bool training) {
  Entry& e = entry(name, x, false);
  if (x.dim() == 0 || x.size(e.channel_dim) != e.channels) {
    throw std::runtime_error(name + ": channel count changed between steps");
  }
  torch::Tensor alpha;
  if (config_.act_range == BpRange::kLearned) {
    alpha = e.log_alpha.exp();
  } else {
    if (training || !e.has_alpha) {
      const double m = std::max(1e-6, x.detach().abs().max().item<double>());
      e.alpha_running = e.has_alpha ? config_.range_momentum * e.alpha_running +
                                          (1.0 - config_.range_momentum) * m
                                    : m;
      e.has_alpha = true;
    }
    alpha = torch::full({}, e.alpha_running, torch::kFloat32);
  }
  return run(e, x, alpha, true);
}

torch::Tensor BitPruner::weight(const std::string& name, const torch::Tensor& w) {
  Entry& e = entry(name, w, true);
  torch::Tensor alpha;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor a = w.detach().abs();
    if (config_.weight_scale == BpScale::kChannel && w.dim() > 1) {
      std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
      shape[0] = w.size(0);
      alpha = std::get<0>(a.reshape({w.size(0), -1}).max(1)).view(shape);
    } else {
      alpha = a.max();
    }
  }
  return run(e, w, alpha, false);
}

bool BitPruner::is_weight(const std::string& name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.weight;
}

torch::Tensor BitPruner::mean_n_tensor(const Entry& e) const {
  torch::Tensor gs = torch::tensor(e.group_size, torch::kInt64).to(torch::kFloat32);
  return (e.n * gs).sum() / double(e.channels);
}

double BitPruner::charged_bits(const std::string& name) const {
  const Entry& e = entries_.at(name);
  torch::NoGradGuard no_grad;
  const torch::Tensor c =
      e.n.detach().clamp(double(config_.min_bits), double(config_.max_bits)).ceil();
  double s = 0;
  for (size_t g = 0; g < e.group_size.size(); ++g) {
    s += double(e.group_size[g]) * c[int64_t(g)].item<double>();
  }
  return s / double(e.channels);
}

double BitPruner::mean_n(const std::string& name) const {
  torch::NoGradGuard no_grad;
  return mean_n_tensor(entries_.at(name)).item<double>();
}

int64_t BitPruner::elements(const std::string& name) const { return entries_.at(name).elements; }

int64_t BitPruner::parameter_count() const {
  int64_t c = 0;
  for (const auto& [k, e] : entries_) c += e.n.numel();
  return c;
}

namespace {

// R of one regularizer from per-tensor mean bits (a function returning the bits of a quantized
// tensor as T, and whether a name is quantized). T is torch::Tensor or double.
template <class T, class Bits, class Has>
T regularize(BpReg reg, const std::vector<MacOp>& ops, const std::vector<std::string>& names,
             const std::map<std::string, int64_t>& elements,
             const std::map<std::string, int64_t>& groups, Bits bits, Has has, T zero) {
  T num = zero;
  double den = 0;
  switch (reg) {
    case BpReg::kBits:
      for (const std::string& n : names) {
        num = num + bits(n, true) * double(groups.at(n));
        den += kRefBits * double(groups.at(n));
      }
      break;
    case BpReg::kMemory:
      for (const std::string& n : names) {
        num = num + bits(n, false) * double(elements.at(n));
        den += kRefBits * double(elements.at(n));
      }
      break;
    case BpReg::kBops:
      for (const MacOp& op : ops) {
        // Operands: the input image (8 bits), a quantized tensor, or an unquantized one (32).
        auto ref = [&](const std::string& o) {
          return o.empty() ? kInputBits : has(o) ? kRefBits : 32.0;
        };
        const double ra = ref(op.a), rb = ref(op.b);
        T a = zero + ra, b = zero + rb;
        if (!op.a.empty() && has(op.a)) a = bits(op.a, false);
        if (!op.b.empty() && has(op.b)) b = bits(op.b, false);
        num = num + a * b * double(op.macs);
        den += ra * rb * double(op.macs);
      }
      break;
  }
  return den > 0 ? num / den : zero;
}

}  // namespace

torch::Tensor BitPruner::regularizer() const {
  if (frozen_ || entries_.empty()) return torch::Tensor();
  std::map<std::string, int64_t> elements, groups;
  for (const auto& [k, e] : entries_) {
    elements[k] = e.elements;
    groups[k] = e.n.numel();
  }
  auto bits = [&](const std::string& n, bool per_group) {
    const Entry& e = entries_.at(n);
    return per_group ? e.n.sum() / double(e.n.numel()) : mean_n_tensor(e);
  };
  auto has = [&](const std::string& n) { return entries_.count(n) > 0; };
  torch::Tensor r = regularize<torch::Tensor>(config_.reg, ops_, order_, elements, groups, bits,
                                              has, torch::zeros({}));
  return r * config_.lambda;
}

double BitPruner::charged_ratio(BpReg reg) const {
  std::map<std::string, int64_t> elements, groups;
  for (const auto& [k, e] : entries_) {
    elements[k] = e.elements;
    groups[k] = e.n.numel();
  }
  auto bits = [&](const std::string& n, bool per_group) {
    const Entry& e = entries_.at(n);
    if (!per_group) return charged_bits(n);
    torch::NoGradGuard no_grad;
    return e.n.detach()
        .clamp(double(config_.min_bits), double(config_.max_bits))
        .ceil()
        .mean()
        .item<double>();
  };
  auto has = [&](const std::string& n) { return entries_.count(n) > 0; };
  return regularize<double>(reg, ops_, order_, elements, groups, bits, has, 0.0);
}

void BitPruner::step() {
  torch::NoGradGuard no_grad;
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-12;
  ++adam_t_;
  const double c1 = 1 - std::pow(kBeta1, double(adam_t_));
  const double c2 = 1 - std::pow(kBeta2, double(adam_t_));
  for (auto& [k, e] : entries_) {
    if (!frozen_ && e.n.grad().defined()) {
      const torch::Tensor g = e.n.grad();
      e.adam_m.mul_(kBeta1).add_(g, 1 - kBeta1);
      e.adam_v.mul_(kBeta2).add_(g * g, 1 - kBeta2);
      e.n.sub_(config_.lr * (e.adam_m / c1) / ((e.adam_v / c2).sqrt() + kEps));
      e.n.clamp_(double(config_.min_bits), double(config_.max_bits));
    }
    if (e.log_alpha.defined() && e.log_alpha.grad().defined()) {
      const double g = e.log_alpha.grad().item<double>();
      e.la_m = kBeta1 * e.la_m + (1 - kBeta1) * g;
      e.la_v = kBeta2 * e.la_v + (1 - kBeta2) * g * g;
      e.log_alpha.sub_(config_.range_lr * (e.la_m / c1) / (std::sqrt(e.la_v / c2) + kEps));
    }
  }
  zero_grads();
}

void BitPruner::zero_grads() {
  for (auto& [k, e] : entries_) {
    if (e.n.grad().defined()) e.n.mutable_grad().zero_();
    if (e.log_alpha.defined() && e.log_alpha.grad().defined()) e.log_alpha.mutable_grad().zero_();
  }
}

void BitPruner::freeze() {
  torch::NoGradGuard no_grad;
  for (auto& [k, e] : entries_) {
    e.n = e.n.detach().clamp(double(config_.min_bits), double(config_.max_bits)).ceil();
  }
  frozen_ = true;
}

nlohmann::json BitPruner::describe() const {
  nlohmann::json j = nlohmann::json::object();
  torch::NoGradGuard no_grad;
  for (const std::string& name : order_) {
    const Entry& e = entries_.at(name);
    const torch::Tensor c =
        e.n.detach().clamp(double(config_.min_bits), double(config_.max_bits)).ceil();
    std::vector<int> groups;
    for (int64_t g = 0; g < c.numel(); ++g) groups.push_back(int(c[g].item<float>()));
    nlohmann::json t = {{"kind", e.weight ? "weight" : "act"},
                        {"signed", e.is_signed},
                        {"channels", e.channels},
                        {"groups", c.numel()},
                        {"elements", e.elements},
                        {"bits", charged_bits(name)},
                        {"n", mean_n(name)},
                        {"group_bits", groups}};
    if (!e.weight) {
      t["range"] = e.log_alpha.defined() ? std::exp(e.log_alpha.item<double>()) : e.alpha_running;
    }
    j[name] = t;
  }
  return j;
}

}  // namespace sfp::train
