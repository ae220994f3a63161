// SPDX-License-Identifier: Apache-2.0
//
// The stored tensors of a network (activations kept for backward, read copies of the weights):
// their policy, bitlengths, per-step sizes and snapshot captures. Internal to the trainer.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pruner.hpp"
#include "sfp/train/train.hpp"

namespace sfp::train {

enum class Kind : uint8_t { kAct, kWeight };

struct Slot {
  std::string name;  // "act/<layer>" or "weight/<layer>"
  std::string layer;
  Kind kind;
  int64_t numel = 0;  // elements stored in one training step (weights: all tensors of the layer)
  int qm_index = -1;  // index of its bitlength in Stash::qm_bits(), -1: not learned
};

// One tensor recorded for a snapshot during the captured step.
struct Capture {
  std::string name;     // "act/conv1", "weight/conv1", "weight/conv1.bias"
  size_t slot;          // index into Stash::slots()
  torch::Tensor raw;    // value before quantization (detached copy)
  torch::Tensor param;  // weights: the master parameter (for its gradient), else undefined
};

class Stash {
 public:
  explicit Stash(const Options& options);

  // Activation `layer` as stored for backward: returns the quantized tensor used from here on.
  torch::Tensor act(const std::string& layer, const torch::Tensor& x);
  // Read copy of one weight tensor of `layer` (suffix "" for the main weight, e.g. "bias").
  torch::Tensor weight(const std::string& layer, const std::string& suffix,
                       const torch::Tensor& master);

  // Starts a forward pass. training: record the tensor sizes of this step; capture: keep copies
  // of every stored tensor for a snapshot.
  void begin_step(bool training, bool capture);
  // Ends the forward pass: in training, the sizes just recorded become the slots' sizes.
  void end_forward();

  void set_bitchop_bits(unsigned bits) { bitchop_bits_ = bits; }
  // Bits charged for a slot in the current state (QM: ceil(n)).
  unsigned bits(const Slot& s) const;
  // Footprint-weighted mean mantissa bits over all stored tensors.
  double mean_bits() const;
  int64_t values_per_step() const;
  // QM regularizer lambda * sum(|t| n_t) / (M * sum |t|); undefined tensor for other policies.
  torch::Tensor regularizer() const;
  // One optimizer step on the bitlengths (QmConfig::optim), then clamp to [0, 23]; zeroes
  // their gradients.
  void update_bitlengths();
  void zero_bitlength_grads();

  const std::vector<Slot>& slots() const { return slots_; }
  const std::vector<torch::Tensor>& qm_bits() const { return qm_n_; }
  double qm_value(const Slot& s) const;
  std::vector<Capture> take_captures();
  sfp::Rounding rounding() const { return rounding_; }

  // BitPruning: the network's MAC operations (creates the pruner), its state, and a switch that
  // turns every quantizer off (the FP32 evaluation of a loaded checkpoint).
  void set_mac_ops(std::vector<MacOp> ops);
  BitPruner* pruner() { return pruner_.get(); }
  const BitPruner* pruner() const { return pruner_.get(); }
  void set_bypass(bool bypass) { bypass_ = bypass; }

 private:
  size_t slot_for(const std::string& layer, Kind kind);
  torch::Tensor apply(size_t slot, const torch::Tensor& x);
  bool applies(Kind kind) const;

  Options options_;
  sfp::Rounding rounding_;
  std::vector<Slot> slots_;
  std::map<std::string, size_t> index_;
  std::vector<torch::Tensor> qm_n_;
  std::vector<Kind> qm_kind_;
  std::vector<double> adam_m_, adam_v_;
  int64_t adam_t_ = 0;
  std::map<std::string, int> qm_key_;
  unsigned bitchop_bits_ = 23;
  bool training_ = false;
  bool capture_ = false;
  std::vector<int64_t> step_numel_;
  std::vector<Capture> captures_;
  std::unique_ptr<BitPruner> pruner_;
  bool bypass_ = false;
};

// A network whose forward pass routes every stored tensor through a Stash.
class Network : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, Stash& stash) = 0;
  virtual std::string describe() const = 0;
  // The multiply-accumulate operations per image and their operands (BitPruning's bit-operations).
  virtual std::vector<MacOp> mac_ops() const = 0;
};

std::shared_ptr<Network> make_network(Net net);

}  // namespace sfp::train
