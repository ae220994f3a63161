// SPDX-License-Identifier: Apache-2.0
//
// BitPruning: integer quantizers against a scalar reference written here, the interpolation and
// its bitlength gradient against finite differences, granularity, freezing, flag errors.
#include "sfp/train/bitprune.hpp"

#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pruner.hpp"
#include "sfp/train/command.hpp"

using sfp::train::BpQuant;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The b-bit integer quantizer of docs/bitpruning.md, one float at a time.
float reference_q(float x, unsigned b, float alpha, bool is_signed) {
  const int64_t levels = is_signed ? (int64_t{1} << (b - 1)) - 1 : (int64_t{1} << b) - 1;
  const float s = alpha / static_cast<float>(levels);
  float q = std::nearbyint(x / s);  // default rounding mode: half to even
  const float hi = static_cast<float>(levels), lo = is_signed ? -hi : 0.0f;
  q = std::min(std::max(q, lo), hi);
  return q * s;
}

double weighted_sum(const torch::Tensor& a, const torch::Tensor& w) {
  const torch::Tensor ac = a.contiguous(), wc = w.contiguous();
  const float* p = ac.data_ptr<float>();
  const float* q = wc.data_ptr<float>();
  double s = 0;
  for (int64_t i = 0; i < ac.numel(); ++i) s += double(p[i]) * double(q[i]);
  return s;
}

// x [C, K] with channel c scaled by 2^(c % 5 - 2); per-channel ranges max|x| of each row.
torch::Tensor channel_values(int64_t channels, int64_t k, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor x = torch::randn({channels, k});
  for (int64_t c = 0; c < channels; ++c) x[c].mul_(std::ldexp(1.0, int(c % 5) - 2));
  return x;
}

}  // namespace

TEST_CASE("integer quantizer at integer bitlengths matches the scalar reference bit for bit",
          "[bitprune][quant]") {
  const unsigned b = GENERATE(2u, 3u, 4u, 5u, 8u);
  const bool is_signed = GENERATE(true, false);
  const bool per_channel = GENERATE(false, true);
  constexpr int64_t kC = 6, kK = 4001;
  torch::Tensor x = channel_values(kC, kK, Catch::rngSeed() + b);
  if (!is_signed) x = torch::relu(x);
  // Ranges below max|x| so that some values clip.
  torch::Tensor alpha =
      per_channel ? std::get<0>(x.abs().max(1, true)) * 0.8f : x.abs().max().reshape({1, 1}) * 0.5f;
  BpQuant q;
  q.is_signed = is_signed;
  q.max_bits = 8;
  const torch::Tensor n = torch::full({1, 1}, float(b));
  const torch::Tensor via_bp = sfp::train::quantize_bp(x, n, alpha, q);
  const torch::Tensor via_int = sfp::train::int_quantize(x, n, alpha, is_signed);
  const float* px = x.data_ptr<float>();
  const float* pa = alpha.contiguous().data_ptr<float>();
  const float* pb = via_bp.contiguous().data_ptr<float>();
  const float* pi = via_int.contiguous().data_ptr<float>();
  int64_t mismatches = 0, clipped = 0;
  for (int64_t c = 0; c < kC; ++c) {
    const float a = per_channel ? pa[c] : pa[0];
    for (int64_t i = 0; i < kK; ++i) {
      const int64_t j = c * kK + i;
      const uint32_t want = bits_of(reference_q(px[j], b, a, is_signed));
      mismatches += bits_of(pb[j]) != want;
      mismatches += bits_of(pi[j]) != want;
      clipped += std::fabs(px[j]) > a;
    }
  }
  INFO("bits " << b << " signed " << is_signed << " per channel " << per_channel);
  CHECK(mismatches == 0);
  CHECK(clipped > 0);
  // At most 2L + 1 (signed) or L + 1 (unsigned) distinct values per channel.
  const int64_t levels = is_signed ? (int64_t{1} << (b - 1)) - 1 : (int64_t{1} << b) - 1;
  for (int64_t c = 0; c < kC; ++c) {
    const int64_t distinct = std::get<0>(torch::_unique(via_bp[c])).numel();
    CHECK(distinct <= (is_signed ? 2 * levels + 1 : levels + 1));
  }
  CHECK(sfp::train::int_levels(b, is_signed) == levels);
}

TEST_CASE("a fractional bitlength interpolates between Q_floor(n) and Q_ceil(n)",
          "[bitprune][quant]") {
  torch::Tensor x = channel_values(4, 1000, Catch::rngSeed());
  const torch::Tensor alpha = x.abs().max();
  BpQuant q;
  const torch::Tensor y = sfp::train::quantize_bp(x, torch::full({}, 3.25f), alpha, q);
  std::vector<float> want(static_cast<size_t>(x.numel()));
  const float* px = x.data_ptr<float>();
  const float a = alpha.item<float>();
  for (size_t i = 0; i < want.size(); ++i) {
    want[i] = 0.75f * reference_q(px[i], 3, a, true) + 0.25f * reference_q(px[i], 4, a, true);
  }
  const torch::Tensor w = torch::from_blob(want.data(), x.sizes(), torch::kFloat32);
  CHECK(torch::allclose(y, w, 1e-6, 1e-7));
}

TEST_CASE("bitlength gradient matches finite differences inside an interval", "[bitprune][quant]") {
  const double n0 = GENERATE(2.3, 3.6, 6.5);
  const bool per_channel = GENERATE(false, true);
  constexpr int64_t kC = 5;
  const torch::Tensor x = channel_values(kC, 2000, Catch::rngSeed());
  torch::manual_seed(Catch::rngSeed() + 1);
  const torch::Tensor w = torch::randn(x.sizes());
  const torch::Tensor alpha = std::get<0>(x.abs().max(1, true));
  BpQuant q;
  // Per channel: a different n for each channel (n0 + 0.05 c stays inside [floor n0, ceil n0)).
  const torch::Tensor base = per_channel
                                 ? torch::arange(kC, torch::kFloat32).reshape({kC, 1}) * 0.05f
                                 : torch::zeros({1, 1});
  torch::Tensor n = (base + float(n0)).requires_grad_(true);
  torch::Tensor xr = x.clone().requires_grad_(true);
  (sfp::train::quantize_bp(xr, n, alpha, q) * w).sum().backward();
  const torch::Tensor analytic = n.grad().clone();
  // Weights are not clipped (alpha = max|x|): the value gradient is straight-through.
  CHECK(torch::equal(xr.grad(), w));

  // x^ is linear in n inside [floor n, ceil n): a central difference there is exact up to the
  // float rounding of the blend.
  const double h = 0.02;
  for (int64_t c = 0; c < n.numel(); ++c) {
    torch::Tensor up = n.detach().clone(), dn = n.detach().clone();
    up.view(-1)[c] += h;
    dn.view(-1)[c] -= h;
    const double lup = weighted_sum(sfp::train::quantize_bp(x, up, alpha, q), w);
    const double ldn = weighted_sum(sfp::train::quantize_bp(x, dn, alpha, q), w);
    const double step = double(up.view(-1)[c].item<float>()) - double(dn.view(-1)[c].item<float>());
    const double numeric = (lup - ldn) / step;
    const double a = analytic.view(-1)[c].item<double>();
    INFO("n0 " << n0 << " group " << c << " analytic " << a << " numeric " << numeric);
    CHECK(numeric == Approx(a).epsilon(1e-2).margin(1e-3));
  }
  // The tensor-wide n collects the slope of every element.
  if (!per_channel) {
    const unsigned lo = unsigned(std::floor(n0));
    double direct = 0;
    const float* px = x.data_ptr<float>();
    const float* pw = w.data_ptr<float>();
    const float* pa = alpha.data_ptr<float>();
    for (int64_t c = 0; c < kC; ++c) {
      for (int64_t i = 0; i < 2000; ++i) {
        const int64_t j = c * 2000 + i;
        direct += double(pw[j]) * (double(reference_q(px[j], lo + 1, pa[c], true)) -
                                   double(reference_q(px[j], lo, pa[c], true)));
      }
    }
    CHECK(analytic.item<double>() == Approx(direct).epsilon(1e-4));
  }
}

TEST_CASE("bitlength gradient at an integer n is the right-hand slope, 0 at the maximum",
          "[bitprune][quant]") {
  const torch::Tensor x = channel_values(3, 500, Catch::rngSeed());
  torch::manual_seed(Catch::rngSeed() + 2);
  const torch::Tensor w = torch::randn(x.sizes());
  const torch::Tensor alpha = x.abs().max();
  BpQuant q;
  q.max_bits = 8;
  torch::Tensor n = torch::full({}, 4.0f).requires_grad_(true);
  (sfp::train::quantize_bp(x, n, alpha, q) * w).sum().backward();
  const float a = alpha.item<float>();
  double direct = 0;
  const float* px = x.data_ptr<float>();
  const float* pw = w.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    direct +=
        double(pw[i]) * (double(reference_q(px[i], 5, a, true)) - reference_q(px[i], 4, a, true));
  }
  CHECK(n.grad().item<double>() == Approx(direct).epsilon(1e-4));
  torch::Tensor top = torch::full({}, 8.0f).requires_grad_(true);
  (sfp::train::quantize_bp(x, top, alpha, q) * w).sum().backward();
  CHECK(top.grad().item<double>() == 0.0);
}

TEST_CASE("clipped activations get no value gradient", "[bitprune][quant]") {
  torch::Tensor x = torch::tensor({-0.5f, 0.25f, 0.75f, 1.5f, 3.0f}).requires_grad_(true);
  BpQuant q;
  q.is_signed = false;
  q.clip_grad = true;
  sfp::train::quantize_bp(x, torch::full({}, 4.0f), torch::full({}, 1.0f), q).sum().backward();
  const std::vector<float> want = {0, 1, 1, 0, 0};
  for (int64_t i = 0; i < 5; ++i) CHECK(x.grad()[i].item<float>() == want[size_t(i)]);
}

namespace {

// Quantizes the CNN's stored tensors once (shapes as in the network, batch 4) and returns the
// pruner.
std::unique_ptr<sfp::train::BitPruner> cnn_pruner(const sfp::train::BitPruneConfig& c) {
  std::vector<sfp::train::MacOp> ops = {{"conv1", "weight/conv1", "", 1},
                                        {"conv2", "weight/conv2", "act/conv1", 1},
                                        {"fc1", "weight/fc1", "act/conv2", 1},
                                        {"fc2", "weight/fc2", "act/fc1", 1}};
  auto p = std::make_unique<sfp::train::BitPruner>(c, ops);
  torch::manual_seed(3);
  p->weight("weight/conv1", torch::randn({16, 1, 3, 3}));
  p->act("act/conv1", torch::relu(torch::randn({4, 16, 14, 14})), true);
  p->weight("weight/conv2", torch::randn({32, 16, 3, 3}));
  p->act("act/conv2", torch::relu(torch::randn({4, 32, 7, 7})), true);
  p->weight("weight/fc1", torch::randn({128, 1568}));
  p->act("act/fc1", torch::relu(torch::randn({4, 128})), true);
  p->weight("weight/fc2", torch::randn({10, 128}));
  return p;
}

}  // namespace

TEST_CASE("granularity gives one bitlength per layer, channel or group", "[bitprune]") {
  sfp::train::BitPruneConfig c;
  // Channels of the CNN: weights 16, 32, 128, 10 (output channels); activations 16, 32, 128.
  const std::vector<int64_t> channels = {16, 32, 128, 10, 16, 32, 128};
  SECTION("layer") {
    c.granularity = sfp::train::BpGranularity::kLayer;
    CHECK(cnn_pruner(c)->parameter_count() == 7);
  }
  SECTION("channel") {
    c.granularity = sfp::train::BpGranularity::kChannel;
    CHECK(cnn_pruner(c)->parameter_count() == 16 + 32 + 128 + 10 + 16 + 32 + 128);
  }
  SECTION("group") {
    c.granularity = sfp::train::BpGranularity::kGroup;
    c.group = GENERATE(1, 5, 8, 200);
    int64_t want = 0;
    for (int64_t ch : channels) want += (ch + c.group - 1) / c.group;  // ceil(C / G)
    INFO("group " << c.group);
    CHECK(cnn_pruner(c)->parameter_count() == want);
    CHECK(cnn_pruner(c)->bitlengths("weight/fc2").numel() == (10 + c.group - 1) / c.group);
  }
}

TEST_CASE("frozen bitlengths are the integers ceil(n) and the quantizers are exact Q_n",
          "[bitprune]") {
  sfp::train::BitPruneConfig c;
  c.granularity = sfp::train::BpGranularity::kChannel;
  c.lambda = 1.0;
  c.lr = 0.37;  // a few steps leave fractional bitlengths
  auto p = cnn_pruner(c);
  torch::manual_seed(Catch::rngSeed());
  const torch::Tensor w = torch::randn({32, 16, 3, 3});
  for (int i = 0; i < 4; ++i) {
    torch::Tensor y = p->weight("weight/conv2", w);
    torch::Tensor loss = (y * torch::randn(y.sizes())).sum() * 1e-3 + p->regularizer();
    loss.backward();
    p->step();
  }
  const torch::Tensor before = p->bitlengths("weight/conv2").detach().clone();
  CHECK((before != before.round()).any().item<bool>());  // fractional before the freeze
  p->freeze();
  CHECK(p->frozen());
  CHECK_FALSE(p->regularizer().defined());
  for (const std::string& name : p->names()) {
    const torch::Tensor n = p->bitlengths(name);
    INFO(name);
    CHECK_FALSE(n.requires_grad());
    CHECK(torch::equal(n, n.round()));
    CHECK(n.min().item<float>() >= 2.0f);
    CHECK(n.max().item<float>() <= 8.0f);
  }
  CHECK(torch::equal(p->bitlengths("weight/conv2"), before.ceil()));
  // The frozen quantizer is Q_ceil(n) per channel, checked against the scalar reference.
  const torch::Tensor y = p->weight("weight/conv2", w);
  const torch::Tensor alpha = std::get<0>(w.abs().reshape({32, -1}).max(1));
  const torch::Tensor wf = w.reshape({32, -1}), yf = y.reshape({32, -1});
  int64_t mismatches = 0;
  for (int64_t ch = 0; ch < 32; ++ch) {
    const unsigned b = unsigned(before[ch].ceil().item<float>());
    const float a = alpha[ch].item<float>();
    for (int64_t i = 0; i < wf.size(1); ++i) {
      mismatches += bits_of(yf[ch][i].item<float>()) !=
                    bits_of(reference_q(wf[ch][i].item<float>(), b, a, true));
    }
  }
  CHECK(mismatches == 0);
}

namespace {

// Parses `sfp train <args>` and returns the usage error's message ("" if none).
std::string usage_error(const std::vector<std::string>& args) {
  CLI::App app("sfp");
  sfp::train::register_command(app);
  std::vector<std::string> argv = {"train", "--out", "/nonexistent/never-used"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> rev(argv.rbegin(), argv.rend());
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("bad BitPruning flags are usage errors naming the flag", "[bitprune][cli]") {
  using Catch::Contains;
  CHECK_THAT(usage_error({"--policy", "qm", "--bp-lambda", "0.5"}), Contains("--bp-lambda"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-granularity", "row"}),
             Contains("--bp-granularity"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-reg", "flops"}), Contains("--bp-reg"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-min-bits", "1"}),
             Contains("--bp-min-bits"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-min-bits", "6", "--bp-max-bits", "4"}),
             Contains("--bp-min-bits"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-group", "4"}), Contains("--bp-group"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-granularity", "group", "--bp-group", "0"}),
             Contains("--bp-group"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-lambda", "-1"}), Contains("--bp-lambda"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--epochs", "3"}), Contains("--epochs"));
  CHECK_THAT(
      usage_error({"--policy", "bitprune", "--bp-learn-epochs", "0", "--bp-finetune-epochs", "0"}),
      Contains("--bp-learn-epochs"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--bp-init-bits", "9"}),
             Contains("--bp-init-bits"));
  CHECK_THAT(usage_error({"--policy", "bitprune", "--snapshot-every", "3"}),
             Contains("--snapshot"));
  CHECK_THAT(usage_error({"--policy", "prune"}), Contains("--policy"));
}
