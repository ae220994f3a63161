// SPDX-License-Identifier: Apache-2.0
//
// The trainer: a small CNN or ViT on Fashion-MNIST with the stashed activations and the read
// copy of the weights quantized per policy (FP32, BF16, fixed, Quantum Mantissa, BitChop),
// logs and snapshots in a run folder. This header does not include libtorch.
// Spec: docs/training.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sfp/format.hpp"
#include "sfp/train/bitchop.hpp"

namespace sfp::train {

enum class Net : uint8_t { kCnn, kVit };
enum class PolicyKind : uint8_t { kFp32, kBf16, kFixed, kQm, kBitChop, kBitPrune };
enum class Apply : uint8_t { kBoth, kWeights, kActs };
enum class Optim : uint8_t { kSgd, kAdamW };

struct Policy {
  PolicyKind kind = PolicyKind::kFp32;
  unsigned fixed_bits = 23;  // kFixed: M
};

// "fp32", "bf16", "fixed:M" (0 <= M <= 23), "qm", "bitchop", "bitprune". Throws
// std::invalid_argument.
Policy parse_policy(const std::string& text);
std::string to_string(const Policy& p);
std::string to_string(Net n);
std::string to_string(Apply a);

// How the QM bitlengths follow the gradient of the loss (the stationary points are the same).
enum class QmOptim : uint8_t {
  kAdam,      // Adam (beta1 0.9, beta2 0.999): every tensor moves at most about lr per step
  kSgd,       // plain SGD
  kSgdShare,  // SGD with each step divided by the tensor's share of the stored footprint
};
std::string to_string(QmOptim o);

struct QmConfig {
  double lambda = 1.0;  // weight of the footprint regularizer
  QmOptim optim = QmOptim::kAdam;
  double lr_weights = 0.2;   // learning rate of the weight bitlengths
  double lr_acts = 0.2;      // learning rate of the activation bitlengths
  double init_weights = 23;  // initial n of weight tensors
  double init_acts = 23;     // initial n of activation tensors
  bool share = false;        // one n per layer for its weights and its activation
};

// BitPruning (docs/bitpruning.md): integer quantizers for inference with a learned real
// bitlength per layer, channel or group of channels; learn, freeze to ceil(n), fine-tune.
enum class BpGranularity : uint8_t { kLayer, kChannel, kGroup };
enum class BpReg : uint8_t { kBits, kMemory, kBops };
enum class BpRange : uint8_t { kRunning, kLearned };  // activation clipping range
enum class BpScale : uint8_t { kTensor, kChannel };   // weight range: max|w| per tensor or channel
std::string to_string(BpGranularity g);
std::string to_string(BpReg r);
std::string to_string(BpRange r);
std::string to_string(BpScale s);

struct BitPruneConfig {
  double lambda = 1.0;  // weight of the regularizer
  BpReg reg = BpReg::kBits;
  BpGranularity granularity = BpGranularity::kLayer;
  int64_t group = 8;      // channels per group (kGroup)
  unsigned min_bits = 2;  // bounds of n (min >= 2: a signed quantizer needs codes -1, 0, 1)
  unsigned max_bits = 8;  //
  double init_bits = 8;   // initial n
  double lr = 0.01;       // Adam learning rate of the bitlengths
  BpRange act_range = BpRange::kRunning;
  double range_momentum = 0.9;  // running range: alpha <- m*alpha + (1-m)*max|x| per step
  double range_lr = 0.01;       // learned range: Adam learning rate of log(alpha)
  BpScale weight_scale = BpScale::kChannel;
  unsigned learn_epochs = 1;     // epochs with learned bitlengths
  unsigned finetune_epochs = 1;  // epochs with the bitlengths frozen at ceil(n)
};

struct Options {
  Net net = Net::kCnn;
  Policy policy;
  Apply apply = Apply::kBoth;  // which stored tensors a quantizing policy touches
  sfp::Rounding rounding = sfp::Rounding::kNearestEven;  // fixed, QM, BitChop (BF16: always RNE)
  QmConfig qm;
  BitChopConfig bitchop;
  BitPruneConfig bp;
  std::string init;  // FP32 checkpoint (model.pt of an earlier run) loaded before training

  unsigned epochs = 5;
  uint64_t seed = 1;
  std::string out;           // run folder
  int64_t train_subset = 0;  // 0: all 60000
  int64_t test_subset = 0;   // 0: all 10000
  int64_t batch = 64;
  Optim optim = Optim::kSgd;  // default per network, see default_options()
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool cosine = true;                   // cosine learning-rate decay to 0 over the run
  std::vector<int64_t> snapshot_steps;  // 1-based global steps
  int64_t snapshot_every = 0;           // 0: off
  int threads = 2;
  std::string dataset_dir = "/usr/share/datasets/fashion-mnist";  // gzipped IDX files
  std::string data_dir;   // unzipped copies; empty: the build folder's data/fashion-mnist
  int64_t log_every = 0;  // progress line every k steps; 0: about every 2 seconds
  bool quiet = false;     // no progress on stderr
};

// Network-specific defaults (optimizer, learning rate, weight decay, QM lambda).
Options default_options(Net net);

struct Summary {
  double test_accuracy = 0;  // after the last epoch, 0..1
  std::vector<double> test_accuracy_per_epoch;
  double mean_bits_end = 23;  // footprint-weighted mantissa bits, last step
  double mean_bits_avg = 23;  // averaged over all training steps
  double reduction_end = 0;   // 1 - mean_bits_end / 23
  double reduction_avg = 0;
  double time_per_step = 0;  // seconds, mean over steps
  double time_per_step_median = 0;
  int64_t steps = 0;
  std::map<std::string, double> final_bits;  // charged bits per stored tensor
  // BitPruning: accuracy of the loaded network without quantizers, and of the integer network
  // right after the bitlengths are frozen (before fine-tuning); -1 for other policies.
  double fp32_test_accuracy = -1;
  double frozen_test_accuracy = -1;
  double avg_weight_bits = 0;  // BitPruning: mean over layers of the charged bits
  double avg_act_bits = 0;
};

// Runs one training job and writes the run folder. Throws std::runtime_error with a one-line
// reason (naming the file where one is involved) on failure.
Summary run(const Options& options);

}  // namespace sfp::train
