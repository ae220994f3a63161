// SPDX-License-Identifier: Apache-2.0
//
// BitPruning state of a network: one integer quantizer per quantized tensor with its learned
// bitlengths (per layer, channel or group of channels) and its clipping range, the regularizers,
// the bitlength optimizer and the freeze. Internal to the trainer. Spec: docs/bitpruning.md.
#pragma once

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sfp/train/train.hpp"

namespace sfp::train {

// One multiply-accumulate operation of the network: a * b over `macs` products per image.
// Operands are stored-tensor names ("weight/conv1", "act/conv1"); an empty name is the 8-bit
// input image.
struct MacOp {
  std::string name;
  std::string a, b;
  int64_t macs = 0;
};

class BitPruner {
 public:
  BitPruner(const BitPruneConfig& config, std::vector<MacOp> ops);

  // Quantized activation / main weight tensor `name` ("act/<layer>", "weight/<layer>").
  // training: the running clipping range follows the batch.
  torch::Tensor act(const std::string& name, const torch::Tensor& x, bool training);
  torch::Tensor weight(const std::string& name, const torch::Tensor& w);
  // Layers whose main weight is quantized (the weight operands of the MAC operations).
  bool quantizes_weight(const std::string& name) const;

  // lambda * R, R normalised to 1 with every bitlength at 8 bits; undefined once frozen.
  torch::Tensor regularizer() const;
  // The regularizer R (without lambda) with the charged bits ceil(n).
  double charged_ratio(BpReg reg) const;
  // One Adam step on the bitlengths (and learned ranges), clamp to the bounds, zero the grads.
  void step();
  void zero_grads();
  // n <- ceil(n) for good; from here on only the integer quantizers Q_n are used.
  void freeze();
  bool frozen() const { return frozen_; }

  // Names of the quantized tensors in the order they were first seen.
  const std::vector<std::string>& names() const { return order_; }
  bool is_weight(const std::string& name) const;
  // Mean over the tensor's channels of ceil(n) (the charged bits) and of n.
  double charged_bits(const std::string& name) const;
  double mean_n(const std::string& name) const;
  // Elements per image (activations) or in total (weights).
  int64_t elements(const std::string& name) const;
  int64_t parameter_count() const;  // learned bitlengths
  // The bitlengths n of one tensor, one per group ([groups], float32).
  const torch::Tensor& bitlengths(const std::string& name) const { return entries_.at(name).n; }
  // Per tensor: granularity details, charged bits per group, signedness, range.
  nlohmann::json describe() const;

 private:
  struct Entry {
    std::string name;
    bool weight = false;
    bool is_signed = true;
    int64_t channel_dim = 0;
    int64_t channels = 1;
    std::vector<int64_t> group_size;  // channels per group
    torch::Tensor n;                  // [groups] float32
    torch::Tensor group_of;           // [channels] int64
    torch::Tensor adam_m, adam_v;
    int64_t elements = 0;
    double alpha_running = 0;  // activations, running range
    bool has_alpha = false;
    torch::Tensor log_alpha;  // activations, learned range (0-dim)
    double la_m = 0, la_v = 0;
  };
  Entry& entry(const std::string& name, const torch::Tensor& x, bool weight);
  torch::Tensor n_broadcast(const Entry& e, int64_t dim) const;
  torch::Tensor mean_n_tensor(const Entry& e) const;  // differentiable
  torch::Tensor run(Entry& e, const torch::Tensor& x, const torch::Tensor& alpha, bool clip_grad);

  BitPruneConfig config_;
  std::vector<MacOp> ops_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
  bool frozen_ = false;
  int64_t adam_t_ = 0;
};

}  // namespace sfp::train
