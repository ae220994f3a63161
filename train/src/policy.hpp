// SPDX-License-Identifier: Apache-2.0
//
// A mantissa policy as one object: what the stash quantizes and how, the per-step update of its
// bitlengths, and the bitlengths it reports and stores. The training loop (trainer.cpp) calls
// these hooks and knows no policy by name. One file per policy: policy_fixed.cpp (fp32, bf16,
// fixed:M), policy_qm.cpp, policy_bitchop.cpp, policy_bitprune.cpp; make_policy() in policy.cpp
// picks one. Internal to the trainer.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sfp/train/train.hpp"

namespace sfp::train {

enum class Kind : uint8_t { kAct, kWeight };

struct Slot {
  std::string name;  // "act/<layer>" or "weight/<layer>"
  std::string layer;
  Kind kind;
  int64_t numel = 0;  // elements stored in one training step (weights: all tensors of the layer)
  int qm_index = -1;  // index of its learned bitlength (QM), -1: not learned
};

class Network;
class Stash;

// What a policy's run hooks may use of the training run.
struct RunContext {
  const Options& options;
  Network& net;
  Stash& stash;
  std::function<double()> test_accuracy;  // on the test set, with the stash's quantizers
  Summary& summary;
  std::string tag;  // "<net>/<policy>", for progress lines
};

class TrainPolicy {
 public:
  // rounding: of the policy's Q_k (bf16 always rounds to nearest even).
  TrainPolicy(const Options& options, sfp::Rounding rounding);
  virtual ~TrainPolicy() = default;
  TrainPolicy(const TrainPolicy&) = delete;
  TrainPolicy& operator=(const TrainPolicy&) = delete;

  // What to quantize and how.
  // Whether stored tensors of this kind are quantized (--apply; fp32: none).
  virtual bool applies(Kind kind) const;
  // A stored tensor seen for the first time (QM gives it a learned bitlength).
  virtual void add_slot(Slot& /*slot*/) {}
  // The stored value of one tensor of a slot whose kind applies (suffix: "" for an activation or
  // a layer's main weight, else "bias", ...). Default: Q_bits(slot) with a straight-through
  // gradient.
  virtual torch::Tensor quantize(const Slot& slot, const std::string& suffix,
                                 const torch::Tensor& x, bool training);
  sfp::Rounding rounding() const { return rounding_; }

  // The per-step update.
  // Added to the task loss; undefined tensor for none.
  virtual torch::Tensor regularizer(const std::vector<Slot>& /*slots*/) const { return {}; }
  virtual void zero_grads() {}
  // After the optimizer step, with the step's task loss.
  virtual void update(const std::vector<Slot>& /*slots*/, double /*task_loss*/) {}

  // The bitlengths to report and store.
  // Mantissa bits charged for a slot in the current state.
  virtual unsigned bits(const Slot& slot) const;
  // The learned (fractional) bitlength of a slot, if the policy learns one.
  virtual std::optional<double> learned_bits(const Slot& /*slot*/) const { return std::nullopt; }
  // Footprint-weighted mean bits over the stored tensors, and the bits they are measured against.
  virtual double mean_bits(const std::vector<Slot>& slots) const;
  virtual double full_bits() const { return sfp::kManBitsFp32; }
  // A step's "bits" and "n" (learned bitlengths; may stay empty) in steps.jsonl.
  virtual void step_bits(const std::vector<Slot>& slots, nlohmann::json* bits,
                         nlohmann::json* n) const;
  // Whether snapshots hold the FP32 master weights beside the stored ones.
  virtual bool stores_master() const { return true; }

  // The run.
  // Before training, after the stored tensors are registered.
  virtual void attach(const Network& /*net*/) {}
  virtual void begin(RunContext& /*run*/) {}
  // Extra fields of a step's and an epoch's log line.
  virtual void annotate(unsigned /*epoch*/, nlohmann::json* /*line*/) const {}
  // After an epoch's evaluation, before its log line is written; returns a progress line to
  // print after the epoch's ("" for none).
  virtual std::string end_epoch(unsigned /*epoch*/, RunContext& /*run*/, nlohmann::json* /*line*/) {
    return "";
  }
  // After training: the summary's final bitlengths (and whatever else the policy reports).
  virtual void finish(RunContext& run, const std::vector<Slot>& slots);
  // Extra fields of summary.json.
  virtual void summary_json(const std::vector<Slot>& /*slots*/, const Summary& /*sum*/,
                            nlohmann::json* /*j*/) const {}

 protected:
  const Options& options() const { return options_; }

 private:
  Options options_;
  sfp::Rounding rounding_;
};

// Checks and completes the options of a policy before the run starts (BitPruning: its epochs).
void prepare_options(Options* o);
// The policy of o.policy.kind.
std::unique_ptr<TrainPolicy> make_policy(const Options& o);

// One per file.
std::unique_ptr<TrainPolicy> make_fixed_policy(const Options& o);
std::unique_ptr<TrainPolicy> make_qm_policy(const Options& o);
std::unique_ptr<TrainPolicy> make_bitchop_policy(const Options& o);
std::unique_ptr<TrainPolicy> make_bitprune_policy(const Options& o);
void prepare_bitprune_options(Options* o);

}  // namespace sfp::train
