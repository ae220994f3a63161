// SPDX-License-Identifier: Apache-2.0
//
// The stored tensors of a network (activations kept for backward, read copies of the weights):
// their per-step sizes and snapshot captures, each stored value as the policy makes it.
// Internal to the trainer.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy.hpp"
#include "pruner.hpp"
#include "sfp/train/train.hpp"

namespace sfp::train {

// One tensor recorded for a snapshot during the captured step.
struct Capture {
  std::string name;     // "act/conv1", "weight/conv1", "weight/conv1.bias"
  size_t slot;          // index into Stash::slots()
  torch::Tensor raw;    // value before quantization (detached copy)
  torch::Tensor param;  // weights: the master parameter (for its gradient), else undefined
};

class Stash {
 public:
  explicit Stash(TrainPolicy& policy) : policy_(policy) {}

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

  // Footprint-weighted mean bits over all stored tensors (the policy's).
  double mean_bits() const { return policy_.mean_bits(slots_); }
  int64_t values_per_step() const;
  const std::vector<Slot>& slots() const { return slots_; }
  std::vector<Capture> take_captures();
  // Turns every quantizer off (BitPruning's FP32 evaluation of a loaded checkpoint).
  void set_bypass(bool bypass) { bypass_ = bypass; }

 private:
  size_t slot_for(const std::string& layer, Kind kind);
  torch::Tensor apply(size_t slot, const std::string& suffix, const torch::Tensor& x);

  TrainPolicy& policy_;
  std::vector<Slot> slots_;
  std::map<std::string, size_t> index_;
  bool training_ = false;
  bool capture_ = false;
  std::vector<int64_t> step_numel_;
  std::vector<Capture> captures_;
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
