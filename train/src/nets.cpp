// SPDX-License-Identifier: Apache-2.0
//
// The stored-tensor bookkeeping (Stash) and the two networks.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "stash.hpp"

namespace sfp::train {

// Stash //

size_t Stash::slot_for(const std::string& layer, Kind kind) {
  const std::string name = (kind == Kind::kAct ? "act/" : "weight/") + layer;
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  Slot s{name, layer, kind, 0, -1};
  policy_.add_slot(s);
  slots_.push_back(s);
  step_numel_.push_back(0);
  index_.emplace(name, slots_.size() - 1);
  return slots_.size() - 1;
}

void Stash::end_forward() {
  if (!training_) return;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (step_numel_[i] > 0) slots_[i].numel = step_numel_[i];
  }
}

void Stash::begin_step(bool training, bool capture) {
  std::fill(step_numel_.begin(), step_numel_.end(), 0);
  training_ = training;
  capture_ = capture;
  captures_.clear();
}

torch::Tensor Stash::apply(size_t i, const std::string& suffix, const torch::Tensor& x) {
  const Slot& s = slots_[i];
  if (training_) step_numel_[i] += x.numel();
  if (!policy_.applies(s.kind) || bypass_) return x;
  return policy_.quantize(s, suffix, x, training_);
}

torch::Tensor Stash::act(const std::string& layer, const torch::Tensor& x) {
  const size_t i = slot_for(layer, Kind::kAct);
  if (capture_) captures_.push_back({slots_[i].name, i, x.detach().clone(), torch::Tensor()});
  return apply(i, "", x);
}

torch::Tensor Stash::weight(const std::string& layer, const std::string& suffix,
                            const torch::Tensor& master) {
  const size_t i = slot_for(layer, Kind::kWeight);
  if (capture_) {
    const std::string name = slots_[i].name + (suffix.empty() ? "" : "." + suffix);
    captures_.push_back({name, i, master.detach().clone(), master});
  }
  return apply(i, suffix, master);
}

int64_t Stash::values_per_step() const {
  int64_t v = 0;
  for (const Slot& s : slots_) v += s.numel;
  return v;
}

std::vector<Capture> Stash::take_captures() {
  std::vector<Capture> out;
  out.swap(captures_);
  return out;
}

// Networks //

namespace {

// 2 conv + 2 fc ReLU CNN: conv3x3(1->16) relu pool2, conv3x3(16->32) relu pool2, fc 1568->128
// relu, fc 128->10. Stored activations: the outputs of conv1, conv2 and fc1 (each is what the
// next layer reads and keeps for its weight gradient).
class Cnn : public Network {
 public:
  Cnn() {
    conv1_ =
        register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)));
    conv2_ =
        register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)));
    fc1_ = register_module("fc1", torch::nn::Linear(32 * 7 * 7, 128));
    fc2_ = register_module("fc2", torch::nn::Linear(128, 10));
  }
  torch::Tensor forward(const torch::Tensor& x, Stash& s) override {
    torch::Tensor h = torch::conv2d(x, s.weight("conv1", "", conv1_->weight),
                                    s.weight("conv1", "bias", conv1_->bias), 1, 1);
    h = s.act("conv1", torch::relu(torch::max_pool2d(h, 2)));
    h = torch::conv2d(h, s.weight("conv2", "", conv2_->weight),
                      s.weight("conv2", "bias", conv2_->bias), 1, 1);
    h = s.act("conv2", torch::relu(torch::max_pool2d(h, 2)));
    h = h.flatten(1);
    h = torch::linear(h, s.weight("fc1", "", fc1_->weight), s.weight("fc1", "bias", fc1_->bias));
    h = s.act("fc1", torch::relu(h));
    return torch::linear(h, s.weight("fc2", "", fc2_->weight), s.weight("fc2", "bias", fc2_->bias));
  }
  std::string describe() const override {
    return "conv3x3(1->16)+relu+pool2, conv3x3(16->32)+relu+pool2, fc(1568->128)+relu, fc(128->10)";
  }
  std::vector<MacOp> mac_ops() const override {
    return {{"conv1", "weight/conv1", "", 28 * 28 * 16 * 9},
            {"conv2", "weight/conv2", "act/conv1", 14 * 14 * 32 * 16 * 9},
            {"fc1", "weight/fc1", "act/conv2", 1568 * 128},
            {"fc2", "weight/fc2", "act/fc1", 128 * 10}};
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};

// Small pre-LN ViT: 7x7 patches (16 tokens) + class token, width 48, 4 heads, MLP 96 (GELU),
// 2 blocks, LayerNorm on the class token, linear head.
class Vit : public Network {
 public:
  static constexpr int64_t kPatch = 7, kGrid = 4, kTokens = kGrid * kGrid + 1;
  static constexpr int64_t kDim = 48, kHeads = 4, kMlp = 96, kDepth = 2;

  Vit() {
    embed_ = register_module("embed", torch::nn::Linear(kPatch * kPatch, kDim));
    cls_ = register_parameter("cls", torch::randn({1, 1, kDim}) * 0.02);
    pos_ = register_parameter("pos", torch::randn({1, kTokens, kDim}) * 0.02);
    for (int64_t i = 0; i < kDepth; ++i) {
      Block b;
      const std::string p = "block" + std::to_string(i) + "_";
      b.ln1 = register_module(p + "ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim})));
      b.qkv = register_module(p + "qkv", torch::nn::Linear(kDim, 3 * kDim));
      b.proj = register_module(p + "proj", torch::nn::Linear(kDim, kDim));
      b.ln2 = register_module(p + "ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim})));
      b.fc1 = register_module(p + "fc1", torch::nn::Linear(kDim, kMlp));
      b.fc2 = register_module(p + "fc2", torch::nn::Linear(kMlp, kDim));
      blocks_.push_back(b);
    }
    head_ln_ =
        register_module("head_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({kDim})));
    head_ = register_module("head", torch::nn::Linear(kDim, 10));
  }

  torch::Tensor forward(const torch::Tensor& x, Stash& s) override {
    const int64_t B = x.size(0);
    torch::Tensor p = x.reshape({B, 1, kGrid, kPatch, kGrid, kPatch})
                          .permute({0, 2, 4, 1, 3, 5})
                          .reshape({B, kGrid * kGrid, kPatch * kPatch});
    torch::Tensor t = linear(s, "embed", embed_, p);
    torch::Tensor cls = s.weight("pos", "cls", cls_).expand({B, 1, kDim});
    t = torch::cat({cls, t}, 1) + s.weight("pos", "", pos_);
    t = s.act("embed", t);
    const int64_t dh = kDim / kHeads;
    const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
    for (size_t i = 0; i < blocks_.size(); ++i) {
      Block& b = blocks_[i];
      const std::string L = "block" + std::to_string(i) + ".";
      torch::Tensor h = s.act(L + "ln1", norm(s, L + "ln1", b.ln1, t));
      torch::Tensor qkv = s.act(L + "qkv", linear(s, L + "qkv", b.qkv, h));
      qkv = qkv.reshape({B, kTokens, 3, kHeads, dh}).permute({2, 0, 3, 1, 4});
      torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
      torch::Tensor a = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1);
      a = s.act(L + "attn", a);
      torch::Tensor c = torch::matmul(a, v).transpose(1, 2).reshape({B, kTokens, kDim});
      c = s.act(L + "ctx", c);
      t = s.act(L + "res", t + linear(s, L + "proj", b.proj, c));
      h = s.act(L + "ln2", norm(s, L + "ln2", b.ln2, t));
      h = s.act(L + "fc1", linear(s, L + "fc1", b.fc1, h));
      h = s.act(L + "gelu", torch::gelu(h));
      t = s.act(L + "out", t + linear(s, L + "fc2", b.fc2, h));
    }
    torch::Tensor c = s.act("head.ln", norm(s, "head.ln", head_ln_, t.select(1, 0)));
    return linear(s, "head", head_, c);
  }
  std::string describe() const override {
    return "ViT: 7x7 patches (16 tokens) + class token, width 48, 4 heads, MLP 96 GELU, 2 pre-LN "
           "blocks, LayerNorm + linear head on the class token";
  }
  std::vector<MacOp> mac_ops() const override {
    constexpr int64_t kDh = kDim / kHeads;
    std::vector<MacOp> ops = {
        {"embed", "weight/embed", "", kGrid * kGrid * kPatch * kPatch * kDim}};
    for (int64_t i = 0; i < kDepth; ++i) {
      const std::string L = "block" + std::to_string(i) + ".";
      ops.push_back(
          {L + "qkv", "weight/" + L + "qkv", "act/" + L + "ln1", kTokens * kDim * 3 * kDim});
      // q k^T and a v: activation times activation (q, k, v are thirds of qkv).
      ops.push_back(
          {L + "scores", "act/" + L + "qkv", "act/" + L + "qkv", kHeads * kTokens * kTokens * kDh});
      ops.push_back({L + "context", "act/" + L + "attn", "act/" + L + "qkv",
                     kHeads * kTokens * kTokens * kDh});
      ops.push_back(
          {L + "proj", "weight/" + L + "proj", "act/" + L + "ctx", kTokens * kDim * kDim});
      ops.push_back({L + "fc1", "weight/" + L + "fc1", "act/" + L + "ln2", kTokens * kDim * kMlp});
      ops.push_back({L + "fc2", "weight/" + L + "fc2", "act/" + L + "gelu", kTokens * kMlp * kDim});
    }
    ops.push_back({"head", "weight/head", "act/head.ln", kDim * 10});
    return ops;
  }

 private:
  struct Block {
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  };
  static torch::Tensor linear(Stash& s, const std::string& layer, torch::nn::Linear& l,
                              const torch::Tensor& x) {
    return torch::linear(x, s.weight(layer, "", l->weight), s.weight(layer, "bias", l->bias));
  }
  static torch::Tensor norm(Stash& s, const std::string& layer, torch::nn::LayerNorm& l,
                            const torch::Tensor& x) {
    return torch::layer_norm(x, {kDim}, s.weight(layer, "", l->weight),
                             s.weight(layer, "bias", l->bias), 1e-5);
  }

  torch::nn::Linear embed_{nullptr}, head_{nullptr};
  torch::nn::LayerNorm head_ln_{nullptr};
  torch::Tensor cls_, pos_;
  std::vector<Block> blocks_;
};

}  // namespace

std::shared_ptr<Network> make_network(Net net) {
  if (net == Net::kCnn) return std::make_shared<Cnn>();
  return std::make_shared<Vit>();
}

}  // namespace sfp::train
