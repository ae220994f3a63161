// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/quant.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sfp/quantize.hpp"

namespace sfp::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

constexpr int64_t kGrain = 16384;  // elements per parallel task (fits in L2 with two buffers)

torch::Tensor as_float_contiguous(const torch::Tensor& x) {
  if (x.scalar_type() != torch::kFloat32) {
    throw std::invalid_argument("quantize: tensor must be float32");
  }
  return x.contiguous();
}

void quantize_into(const torch::Tensor& x, torch::Tensor& out, unsigned k, sfp::Rounding r) {
  const float* in = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) {
    sfp::quantize_f32(in + b, dst + b, static_cast<size_t>(e - b), k, r);
  });
}

class SteFn : public torch::autograd::Function<SteFn> {
 public:
  static torch::Tensor forward(AutogradContext*, torch::Tensor x, int64_t k, int64_t r) {
    torch::Tensor xc = as_float_contiguous(x);
    torch::Tensor out = torch::empty_like(xc);
    quantize_into(xc, out, static_cast<unsigned>(k), static_cast<sfp::Rounding>(r));
    return out;
  }
  static tensor_list backward(AutogradContext*, tensor_list grad) {
    return {grad[0], torch::Tensor(), torch::Tensor()};
  }
};

class QmFn : public torch::autograd::Function<QmFn> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor n,
                               int64_t max_bits, int64_t r, bool need_diff) {
    const auto rounding = static_cast<sfp::Rounding>(r);
    const double nv = std::clamp(n.item<double>(), 0.0, static_cast<double>(max_bits));
    const unsigned lo = static_cast<unsigned>(std::floor(nv));
    const unsigned hi = std::min<unsigned>(lo + 1, static_cast<unsigned>(max_bits));
    const float f = static_cast<float>(nv - lo);
    const float g = 1.0f - f;

    torch::Tensor xc = as_float_contiguous(x);
    torch::Tensor out = torch::empty_like(xc);
    torch::Tensor diff = need_diff ? torch::empty_like(xc) : torch::Tensor();
    const float* in = xc.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    float* dd = need_diff ? diff.data_ptr<float>() : nullptr;
    const bool blend = f != 0.0f;
    at::parallel_for(0, xc.numel(), kGrain, [&](int64_t b, int64_t e) {
      const size_t len = static_cast<size_t>(e - b);
      sfp::quantize_f32(in + b, dst + b, len, lo, rounding);
      if (!blend && !need_diff) return;
      std::vector<float> qhi(len);
      sfp::quantize_f32(in + b, qhi.data(), len, hi, rounding);
      float* o = dst + b;
      if (need_diff) {
        float* d = dd + b;
        for (size_t i = 0; i < len; ++i) d[i] = qhi[i] - o[i];
      }
      if (blend) {
        for (size_t i = 0; i < len; ++i) o[i] = g * o[i] + f * qhi[i];
      }
    });
    if (need_diff) ctx->save_for_backward({diff});
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad) {
    const auto saved = ctx->get_saved_variables();
    torch::Tensor grad_n;
    if (!saved.empty() && saved[0].defined()) {
      // Sum of grad * (Q_hi - Q_lo); non-finite differences (Inf/NaN inputs) contribute nothing.
      torch::Tensor d = torch::nan_to_num(saved[0], 0.0, 0.0, 0.0);
      grad_n = (grad[0] * d).sum();
    }
    return {grad[0], grad_n, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor quantize_tensor(const torch::Tensor& x, unsigned k, sfp::Rounding r) {
  torch::NoGradGuard no_grad;
  torch::Tensor xc = as_float_contiguous(x.detach());
  torch::Tensor out = torch::empty_like(xc);
  quantize_into(xc, out, k, r);
  return out;
}

torch::Tensor quantize_ste(const torch::Tensor& x, unsigned k, sfp::Rounding r) {
  if (k >= sfp::kManBitsFp32) return x;
  return SteFn::apply(x, static_cast<int64_t>(k), static_cast<int64_t>(r));
}

torch::Tensor quantize_qm(const torch::Tensor& x, const torch::Tensor& n, unsigned max_bits,
                          sfp::Rounding r) {
  // The bitlength gradient needs Q_hi - Q_lo; skip it when no backward pass can follow.
  const bool need_diff = torch::GradMode::is_enabled() && n.requires_grad();
  return QmFn::apply(x, n, static_cast<int64_t>(max_bits), static_cast<int64_t>(r), need_diff);
}

unsigned qm_charged_bits(double n, unsigned max_bits) {
  const double c = std::ceil(std::clamp(n, 0.0, static_cast<double>(max_bits)));
  return static_cast<unsigned>(c);
}

}  // namespace sfp::train
