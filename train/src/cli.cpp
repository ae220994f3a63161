// SPDX-License-Identifier: Apache-2.0
//
// Option parsing helpers and the `sfp train` subcommand.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "sfp/train/command.hpp"
#include "sfp/train/train.hpp"

namespace sfp::train {

Policy parse_policy(const std::string& text) {
  Policy p;
  if (text == "fp32") {
    p.kind = PolicyKind::kFp32;
  } else if (text == "bf16") {
    p.kind = PolicyKind::kBf16;
  } else if (text == "qm") {
    p.kind = PolicyKind::kQm;
  } else if (text == "bitchop") {
    p.kind = PolicyKind::kBitChop;
  } else if (text == "bitprune") {
    p.kind = PolicyKind::kBitPrune;
  } else if (text.rfind("fixed:", 0) == 0) {
    const std::string m = text.substr(6);
    if (m.empty() || m.size() > 2 || m.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(m) > sfp::kManBitsFp32) {
      throw std::invalid_argument("policy '" + text + "': fixed:M needs 0 <= M <= 23");
    }
    p.kind = PolicyKind::kFixed;
    p.fixed_bits = static_cast<unsigned>(std::stoul(m));
  } else {
    throw std::invalid_argument("policy '" + text +
                                "' is not one of fp32, bf16, fixed:M, qm, bitchop, bitprune");
  }
  return p;
}

std::string to_string(const Policy& p) {
  switch (p.kind) {
    case PolicyKind::kFp32:
      return "fp32";
    case PolicyKind::kBf16:
      return "bf16";
    case PolicyKind::kFixed:
      return "fixed:" + std::to_string(p.fixed_bits);
    case PolicyKind::kQm:
      return "qm";
    case PolicyKind::kBitChop:
      return "bitchop";
    case PolicyKind::kBitPrune:
      return "bitprune";
  }
  return "?";
}

std::string to_string(BpGranularity g) {
  switch (g) {
    case BpGranularity::kLayer:
      return "layer";
    case BpGranularity::kChannel:
      return "channel";
    case BpGranularity::kGroup:
      return "group";
  }
  return "?";
}

std::string to_string(BpReg r) {
  switch (r) {
    case BpReg::kBits:
      return "bits";
    case BpReg::kMemory:
      return "memory";
    case BpReg::kBops:
      return "bops";
  }
  return "?";
}

std::string to_string(BpRange r) { return r == BpRange::kLearned ? "learned" : "running"; }

std::string to_string(BpScale s) { return s == BpScale::kTensor ? "tensor" : "channel"; }

std::string to_string(QmOptim o) {
  switch (o) {
    case QmOptim::kAdam:
      return "adam";
    case QmOptim::kSgd:
      return "sgd";
    case QmOptim::kSgdShare:
      return "sgd-share";
  }
  return "?";
}

std::string to_string(Net n) { return n == Net::kCnn ? "cnn" : "vit"; }

std::string to_string(Apply a) {
  switch (a) {
    case Apply::kBoth:
      return "both";
    case Apply::kWeights:
      return "weights";
    case Apply::kActs:
      return "acts";
  }
  return "?";
}

Options default_options(Net net) {
  Options o;
  o.net = net;
  if (net == Net::kCnn) {
    o.optim = Optim::kSgd;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.weight_decay = 0.0;
    o.qm.lambda = 0.3;
  } else {
    o.optim = Optim::kAdamW;
    o.lr = 2e-3;
    o.weight_decay = 0.05;
    o.qm.lambda = 0.5;
  }
  return o;
}

void register_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "train", "Train a CNN or ViT on Fashion-MNIST with a mantissa policy; logs and snapshots");
  // Raw flag values; network-dependent defaults are filled in when the command runs.
  struct Raw {
    std::string net = "cnn", policy = "fp32", apply = "both", rounding = "rne", optim,
                schedule = "cosine";
    Options o;  // defaults of everything else
    double lr = NAN, weight_decay = NAN, qm_lambda = NAN;
    double qm_lr = NAN, qm_init = NAN;
    std::string qm_optim = "adam";
    std::vector<int64_t> snapshot_steps;
    std::string bp_reg = "bits", bp_granularity = "layer", bp_act_range = "running",
                bp_weight_scale = "channel";
    double bp_lambda = NAN, bp_lr = NAN;
  };
  auto raw = std::make_shared<Raw>();
  Options& o = raw->o;

  sub->add_option("--net", raw->net, "Network")
      ->check(CLI::IsMember({"cnn", "vit"}))
      ->capture_default_str();
  sub->add_option("--policy", raw->policy, "fp32 | bf16 | fixed:M | qm | bitchop | bitprune")
      ->check([](const std::string& v) {
        try {
          parse_policy(v);
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
        return std::string();
      })
      ->capture_default_str();
  sub->add_option("--epochs", o.epochs, "Epochs (bitprune: the two --bp-*-epochs)")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  sub->add_option("--seed", o.seed, "Seed of initialisation and data order")->capture_default_str();
  sub->add_option("--out", o.out, "Run folder (created)")->required();
  sub->add_option("--train-subset", o.train_subset, "Use the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--test-subset", o.test_subset, "Use the first N test images (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--batch", o.batch, "Batch size")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  sub->add_option("--optim", raw->optim, "sgd | adamw (default: sgd for cnn, adamw for vit)")
      ->check(CLI::IsMember({"sgd", "adamw"}));
  sub->add_option("--lr", raw->lr,
                  "Learning rate (default: 0.05 cnn, 0.002 vit; bitprune: a fifth of that)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  sub->add_option("--weight-decay", raw->weight_decay, "Weight decay (default: 0 cnn, 0.05 vit)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--schedule", raw->schedule, "Learning-rate schedule: cosine | const")
      ->check(CLI::IsMember({"cosine", "const"}))
      ->capture_default_str();
  sub->add_option("--snapshot-steps", raw->snapshot_steps,
                  "Snapshot at these 1-based steps (a,b,c)")
      ->delimiter(',');
  sub->add_option("--snapshot-every", o.snapshot_every, "Snapshot every K steps (0: off)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--threads", o.threads, "libtorch intra-op threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sub->add_option("--apply", raw->apply, "Stored tensors a policy quantizes: both | weights | acts")
      ->check(CLI::IsMember({"both", "weights", "acts"}))
      ->capture_default_str();
  sub->add_option("--rounding", raw->rounding,
                  "Q_k rounding for fixed, qm, bitchop: trunc | rne (bf16 is always rne)")
      ->check(CLI::IsMember({"trunc", "rne"}))
      ->capture_default_str();

  sub->add_option("--qm-lambda", raw->qm_lambda,
                  "QM: weight of the footprint regularizer (default: 0.3 cnn, 0.5 vit)");
  sub->add_option("--qm-lr", raw->qm_lr, "QM: learning rate of all bitlengths");
  sub->add_option("--qm-lr-weights", o.qm.lr_weights, "QM: learning rate of the weight bitlengths")
      ->capture_default_str();
  sub->add_option("--qm-lr-acts", o.qm.lr_acts, "QM: learning rate of the activation bitlengths")
      ->capture_default_str();
  sub->add_option("--qm-init", raw->qm_init, "QM: initial bitlength of every tensor")
      ->check(CLI::Range(0.0, 23.0));
  sub->add_option("--qm-init-weights", o.qm.init_weights, "QM: initial weight bitlength")
      ->check(CLI::Range(0.0, 23.0))
      ->capture_default_str();
  sub->add_option("--qm-init-acts", o.qm.init_acts, "QM: initial activation bitlength")
      ->check(CLI::Range(0.0, 23.0))
      ->capture_default_str();
  sub->add_flag("--qm-share", o.qm.share,
                "QM: one bitlength per layer for its weights and activation");
  sub->add_option("--qm-optim", raw->qm_optim,
                  "QM: bitlength optimizer: adam | sgd | sgd-share (SGD step / footprint share)")
      ->check(CLI::IsMember({"adam", "sgd", "sgd-share"}))
      ->capture_default_str();

  sub->add_option("--bitchop-period", o.bitchop.period, "BitChop: steps per decision")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  sub->add_option("--bitchop-ema", o.bitchop.ema_factor,
                  "BitChop: EMA factor a (ema = a*ema + (1-a)*mean)")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  sub->add_option("--bitchop-threshold", o.bitchop.threshold,
                  "BitChop: relative band around the EMA that holds")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  sub->add_option("--bitchop-min", o.bitchop.min_bits, "BitChop: lowest bitlength")
      ->check(CLI::Range(0u, 23u))
      ->capture_default_str();
  sub->add_option("--bitchop-max", o.bitchop.max_bits, "BitChop: highest bitlength")
      ->check(CLI::Range(0u, 23u))
      ->capture_default_str();
  sub->add_option("--bitchop-init", o.bitchop.init_bits, "BitChop: initial bitlength")
      ->check(CLI::Range(0u, 23u))
      ->capture_default_str();

  sub->add_option("--init", o.init, "Start from these FP32 weights (model.pt of an earlier run)");
  sub->add_option("--bp-lambda", raw->bp_lambda,
                  "BitPruning: weight of the regularizer (default: 1 cnn, 1 vit)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--bp-reg", raw->bp_reg,
                  "BitPruning: regularizer: bits | memory | bops (each 1 at 8 bits)")
      ->check(CLI::IsMember({"bits", "memory", "bops"}))
      ->capture_default_str();
  sub->add_option("--bp-granularity", raw->bp_granularity,
                  "BitPruning: one bitlength per layer | channel | group (of --bp-group channels)")
      ->check(CLI::IsMember({"layer", "channel", "group"}))
      ->capture_default_str();
  sub->add_option("--bp-group", o.bp.group, "BitPruning: channels per group")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  sub->add_option("--bp-min-bits", o.bp.min_bits, "BitPruning: lower bound of the bitlengths")
      ->check(CLI::Range(2u, 16u))
      ->capture_default_str();
  sub->add_option("--bp-max-bits", o.bp.max_bits, "BitPruning: upper bound of the bitlengths")
      ->check(CLI::Range(2u, 16u))
      ->capture_default_str();
  sub->add_option("--bp-init-bits", o.bp.init_bits,
                  "BitPruning: initial bitlength (default: --bp-max-bits)")
      ->check(CLI::Range(2.0, 16.0));
  sub->add_option("--bp-lr", raw->bp_lr,
                  "BitPruning: Adam learning rate of the bitlengths (default: 0.01)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--bp-act-range", raw->bp_act_range,
                  "BitPruning: activation clipping range: running (EMA of max|x|) | learned")
      ->check(CLI::IsMember({"running", "learned"}))
      ->capture_default_str();
  sub->add_option("--bp-range-momentum", o.bp.range_momentum,
                  "BitPruning: running range alpha = m*alpha + (1-m)*max|x|")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  sub->add_option("--bp-range-lr", o.bp.range_lr,
                  "BitPruning: Adam learning rate of log(range) (learned range)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--bp-weight-scale", raw->bp_weight_scale,
                  "BitPruning: weight range max|w| per tensor | channel (output channel)")
      ->check(CLI::IsMember({"tensor", "channel"}))
      ->capture_default_str();
  sub->add_option("--bp-learn-epochs", o.bp.learn_epochs,
                  "BitPruning: epochs that learn the bitlengths")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();
  sub->add_option("--bp-finetune-epochs", o.bp.finetune_epochs,
                  "BitPruning: epochs of fine-tuning with the bitlengths frozen at ceil(n)")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();

  sub->add_option("--dataset", o.dataset_dir, "Folder with the gzipped Fashion-MNIST IDX files")
      ->capture_default_str();
  sub->add_option("--data-dir", o.data_dir,
                  "Folder for the unzipped copies (default: <build>/data/fashion-mnist)");
  sub->add_option("--log-every", o.log_every, "Progress line every K steps (0: every ~2 s)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--quiet", o.quiet, "No progress on stderr");

  sub->callback([sub, raw]() {
    const Net net = raw->net == "vit" ? Net::kVit : Net::kCnn;
    Options opt = raw->o;
    const Options d = default_options(net);
    opt.net = net;
    opt.optim = raw->optim.empty() ? d.optim : (raw->optim == "sgd" ? Optim::kSgd : Optim::kAdamW);
    opt.lr = !std::isnan(raw->lr) ? raw->lr : opt.optim == Optim::kSgd ? 0.05 : 2e-3;
    opt.weight_decay = std::isnan(raw->weight_decay) ? d.weight_decay : raw->weight_decay;
    opt.qm.lambda = std::isnan(raw->qm_lambda) ? d.qm.lambda : raw->qm_lambda;
    opt.cosine = raw->schedule == "cosine";
    opt.policy = parse_policy(raw->policy);
    opt.apply = raw->apply == "weights" ? Apply::kWeights
                : raw->apply == "acts"  ? Apply::kActs
                                        : Apply::kBoth;
    opt.rounding = raw->rounding == "rne" ? sfp::Rounding::kNearestEven : sfp::Rounding::kTruncate;
    if (!std::isnan(raw->qm_lr)) {
      if (sub->count("--qm-lr-weights") == 0) opt.qm.lr_weights = raw->qm_lr;
      if (sub->count("--qm-lr-acts") == 0) opt.qm.lr_acts = raw->qm_lr;
    }
    if (!std::isnan(raw->qm_init)) {
      if (sub->count("--qm-init-weights") == 0) opt.qm.init_weights = raw->qm_init;
      if (sub->count("--qm-init-acts") == 0) opt.qm.init_acts = raw->qm_init;
    }
    opt.snapshot_steps = raw->snapshot_steps;
    opt.qm.optim = raw->qm_optim == "sgd"         ? QmOptim::kSgd
                   : raw->qm_optim == "sgd-share" ? QmOptim::kSgdShare
                                                  : QmOptim::kAdam;
    if (opt.bitchop.min_bits > opt.bitchop.max_bits) {
      throw CLI::ValidationError("--bitchop-min", "must not exceed --bitchop-max");
    }
    if (sub->count("--bitchop-init") == 0) opt.bitchop.init_bits = opt.bitchop.max_bits;
    const bool bitprune = opt.policy.kind == PolicyKind::kBitPrune;
    if (!bitprune) {
      for (const char* flag :
           {"--bp-lambda", "--bp-reg", "--bp-granularity", "--bp-group", "--bp-min-bits",
            "--bp-max-bits", "--bp-init-bits", "--bp-lr", "--bp-act-range", "--bp-range-momentum",
            "--bp-range-lr", "--bp-weight-scale", "--bp-learn-epochs", "--bp-finetune-epochs"}) {
        if (sub->count(flag) > 0) throw CLI::ValidationError(flag, "needs --policy bitprune");
      }
    } else {
      if (sub->count("--epochs") > 0) {
        throw CLI::ValidationError("--epochs",
                                   "not used by --policy bitprune: give --bp-learn-epochs and "
                                   "--bp-finetune-epochs");
      }
      if (!opt.snapshot_steps.empty() || opt.snapshot_every > 0) {
        throw CLI::ValidationError("--snapshot-steps/--snapshot-every",
                                   "not supported with --policy bitprune");
      }
    }
    opt.bp.lambda = std::isnan(raw->bp_lambda) ? d.bp.lambda : raw->bp_lambda;
    opt.bp.lr = std::isnan(raw->bp_lr) ? d.bp.lr : raw->bp_lr;
    opt.bp.reg = raw->bp_reg == "bits"     ? BpReg::kBits
                 : raw->bp_reg == "memory" ? BpReg::kMemory
                                           : BpReg::kBops;
    opt.bp.granularity = raw->bp_granularity == "channel" ? BpGranularity::kChannel
                         : raw->bp_granularity == "group" ? BpGranularity::kGroup
                                                          : BpGranularity::kLayer;
    opt.bp.act_range = raw->bp_act_range == "learned" ? BpRange::kLearned : BpRange::kRunning;
    opt.bp.weight_scale = raw->bp_weight_scale == "tensor" ? BpScale::kTensor : BpScale::kChannel;
    if (sub->count("--bp-group") > 0 && opt.bp.granularity != BpGranularity::kGroup) {
      throw CLI::ValidationError("--bp-group", "needs --bp-granularity group");
    }
    if (opt.bp.min_bits > opt.bp.max_bits) {
      throw CLI::ValidationError("--bp-min-bits", "must not exceed --bp-max-bits");
    }
    if (sub->count("--bp-init-bits") == 0) opt.bp.init_bits = opt.bp.max_bits;
    if (opt.bp.init_bits < opt.bp.min_bits || opt.bp.init_bits > opt.bp.max_bits) {
      throw CLI::ValidationError("--bp-init-bits", "must lie in [--bp-min-bits, --bp-max-bits]");
    }
    if (bitprune && opt.bp.learn_epochs + opt.bp.finetune_epochs == 0) {
      throw CLI::ValidationError("--bp-learn-epochs",
                                 "with --bp-finetune-epochs 0 leaves nothing to run");
    }
    if (bitprune) {
      opt.epochs = opt.bp.learn_epochs + opt.bp.finetune_epochs;
      // Fine-tuning a trained network: a fifth of the learning rate that trains it from scratch.
      if (std::isnan(raw->lr)) opt.lr /= 5.0;
    }
    if (opt.bitchop.init_bits < opt.bitchop.min_bits ||
        opt.bitchop.init_bits > opt.bitchop.max_bits) {
      throw CLI::ValidationError("--bitchop-init", "must lie in [--bitchop-min, --bitchop-max]");
    }
    Summary s;
    try {
      s = run(opt);
    } catch (const std::exception& e) {
      // Bad input or a failed run: the one-line reason, then exit status 1.
      fmt::print(stderr, "sfp train: {}\n", e.what());
      std::fflush(stdout);
      std::exit(1);
    }
    fmt::print(
        "{} {} test_accuracy {:.4f} mean_bits_end {:.3f} reduction_end {:.2f}% mean_bits_avg "
        "{:.3f} reduction_avg {:.2f}% time_per_step {:.2f} ms ({} steps) -> {}\n",
        to_string(opt.net), to_string(opt.policy), s.test_accuracy, s.mean_bits_end,
        100.0 * s.reduction_end, s.mean_bits_avg, 100.0 * s.reduction_avg, 1e3 * s.time_per_step,
        s.steps, opt.out);
    if (bitprune) {
      fmt::print(
          "{} bitprune fp32_test_accuracy {:.4f} frozen_test_accuracy {:.4f} test_accuracy {:.4f} "
          "avg_weight_bits {:.3f} avg_act_bits {:.3f}\n",
          to_string(opt.net), s.fp32_test_accuracy, s.frozen_test_accuracy, s.test_accuracy,
          s.avg_weight_bits, s.avg_act_bits);
    }
  });
}

}  // namespace sfp::train
