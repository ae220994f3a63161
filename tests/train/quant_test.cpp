// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/quant.hpp"

#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "sfp/quantize.hpp"

using sfp::Rounding;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Values spanning many binades, both signs, with FP corners mixed in.
torch::Tensor test_values(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> expo(-30, 30);
  torch::Tensor t = torch::empty({n});
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = std::ldexp(normal(rng), expo(rng));
  const float corners[] = {0.0f,
                           -0.0f,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::min(),
                           std::numeric_limits<float>::max(),
                           -std::numeric_limits<float>::max()};
  for (size_t i = 0; i < sizeof corners / sizeof corners[0] && int64_t(i) < n; ++i)
    p[i] = corners[i];
  return t;
}

// Loss sum(w * x^) as a double, for finite differences.
double weighted_sum(const torch::Tensor& xq, const torch::Tensor& w) {
  const float* a = xq.data_ptr<float>();
  const float* b = w.data_ptr<float>();
  double s = 0;
  for (int64_t i = 0; i < xq.numel(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

}  // namespace

TEST_CASE("trainer quantization is bit-identical to sfp::quantize element by element", "[quant]") {
  const unsigned k = GENERATE(0u, 1u, 5u, 7u, 10u, 22u);
  const Rounding r = GENERATE(Rounding::kTruncate, Rounding::kNearestEven);
  // Large enough to be split across threads.
  const torch::Tensor x = test_values(100003, Catch::rngSeed() + k);
  const torch::Tensor via_tensor = sfp::train::quantize_tensor(x, k, r);
  const torch::Tensor via_ste = sfp::train::quantize_ste(x, k, r);
  const torch::Tensor via_qm =
      sfp::train::quantize_qm(x, torch::full({}, float(k)), sfp::kManBitsFp32, r);
  const float* in = x.data_ptr<float>();
  const float* a = via_tensor.data_ptr<float>();
  const float* b = via_ste.data_ptr<float>();
  const float* c = via_qm.data_ptr<float>();
  int64_t mismatches = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const uint32_t want = sfp::quantize(bits_of(in[i]), sfp::Fp::kFp32, k, r);
    mismatches += bits_of(a[i]) != want;
    mismatches += bits_of(b[i]) != want;
    mismatches += bits_of(c[i]) != want;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("quantize_ste passes the gradient straight through", "[quant]") {
  torch::Tensor x = torch::randn({257}).requires_grad_(true);
  torch::Tensor w = torch::randn({257});
  (sfp::train::quantize_ste(x, 3, Rounding::kTruncate) * w).sum().backward();
  CHECK(torch::equal(x.grad(), w));
}

TEST_CASE("QM forward interpolates between Q_floor(n) and Q_ceil(n)", "[quant][qm]") {
  const torch::Tensor x = torch::randn({4096});
  const float n = 6.25f;
  const torch::Tensor y = sfp::train::quantize_qm(x, torch::full({}, n), 23, Rounding::kTruncate);
  const torch::Tensor lo = sfp::train::quantize_tensor(x, 6, Rounding::kTruncate);
  const torch::Tensor hi = sfp::train::quantize_tensor(x, 7, Rounding::kTruncate);
  CHECK(torch::allclose(y, 0.75f * lo + 0.25f * hi, 1e-6, 0));
  CHECK(sfp::train::qm_charged_bits(6.25, 23) == 7u);
  CHECK(sfp::train::qm_charged_bits(6.0, 23) == 6u);
  CHECK(sfp::train::qm_charged_bits(0.0, 23) == 0u);
  CHECK(sfp::train::qm_charged_bits(30.0, 23) == 23u);
}

TEST_CASE("QM bitlength gradient matches finite differences inside an interval", "[quant][qm]") {
  const double n0 = GENERATE(10.3, 3.6, 0.5);
  const Rounding r = GENERATE(Rounding::kTruncate, Rounding::kNearestEven);
  torch::manual_seed(Catch::rngSeed());
  torch::Tensor x = torch::randn({8192}) * 3.0;
  torch::Tensor w = torch::randn({8192});
  torch::Tensor n = torch::full({}, float(n0)).requires_grad_(true);
  torch::Tensor xr = x.clone().requires_grad_(true);
  (sfp::train::quantize_qm(xr, n, 23, r) * w).sum().backward();
  const double analytic = n.grad().item<double>();

  // x^ is linear in n between floor(n) and ceil(n): a central difference that stays inside the
  // interval is exact up to the float rounding of the blend, whose relative effect is about
  // 2^(n-23) / h; h = 0.2 keeps it below 1e-3 for n <= 11.
  const double h = 0.2;
  const double up =
      weighted_sum(sfp::train::quantize_qm(x, torch::full({}, float(n0 + h)), 23, r), w);
  const double dn =
      weighted_sum(sfp::train::quantize_qm(x, torch::full({}, float(n0 - h)), 23, r), w);
  const double numeric = (up - dn) / (float(n0 + h) - float(n0 - h));
  // Reference: sum(w * (Q_ceil - Q_floor)) computed independently.
  const unsigned lo = unsigned(std::floor(n0));
  const double direct = weighted_sum(
      sfp::train::quantize_tensor(x, lo + 1, r) - sfp::train::quantize_tensor(x, lo, r), w);
  INFO("n = " << n0 << " analytic " << analytic << " numeric " << numeric << " direct " << direct);
  CHECK(analytic == Approx(direct).epsilon(1e-4));
  CHECK(numeric == Approx(analytic).epsilon(2e-2));
  // The activation gradient is straight-through.
  CHECK(torch::equal(xr.grad(), w));
}

TEST_CASE("QM bitlength gradient at an integer n is the right-hand slope", "[quant][qm]") {
  torch::manual_seed(Catch::rngSeed());
  torch::Tensor x = torch::randn({1024});
  torch::Tensor w = torch::randn({1024});
  torch::Tensor n = torch::full({}, 4.0f).requires_grad_(true);
  (sfp::train::quantize_qm(x, n, 23, Rounding::kTruncate) * w).sum().backward();
  const double direct = weighted_sum(sfp::train::quantize_tensor(x, 5, Rounding::kTruncate) -
                                         sfp::train::quantize_tensor(x, 4, Rounding::kTruncate),
                                     w);
  CHECK(n.grad().item<double>() == Approx(direct).epsilon(1e-4));
  // At the top of the range there is nothing above: the slope is 0.
  torch::Tensor top = torch::full({}, 23.0f).requires_grad_(true);
  (sfp::train::quantize_qm(x, top, 23, Rounding::kTruncate) * w).sum().backward();
  CHECK(top.grad().item<double>() == 0.0);
}
