// SPDX-License-Identifier: Apache-2.0
//
// The training loop: data, optimizer, policies, logs, snapshots, checkpoint.
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "data.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/safetensors.hpp"
#include "sfp/io/snapshot.hpp"
#include "sfp/train/quant.hpp"
#include "sfp/train/train.hpp"
#include "stash.hpp"

#ifndef SFP_TRAIN_DEFAULT_DATA_DIR
#define SFP_TRAIN_DEFAULT_DATA_DIR "data/fashion-mnist"
#endif

namespace sfp::train {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kMeanFashion = 0.2860, kStdFashion = 0.3530;
constexpr unsigned kM = sfp::kManBitsFp32;

struct Data {
  torch::Tensor train_x, train_y, test_x, test_y;
};

Data load_data(const Options& o) {
  const std::string dir = o.data_dir.empty() ? SFP_TRAIN_DEFAULT_DATA_DIR : o.data_dir;
  prepare_fashion_mnist(o.dataset_dir, dir);
  Data d;
  try {
    torch::data::datasets::MNIST train(dir, torch::data::datasets::MNIST::Mode::kTrain);
    torch::data::datasets::MNIST test(dir, torch::data::datasets::MNIST::Mode::kTest);
    d.train_x = train.images();
    d.train_y = train.targets();
    d.test_x = test.images();
    d.test_y = test.targets();
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        dir + ": cannot read the Fashion-MNIST IDX files: " + e.what_without_backtrace());
  }
  if (o.train_subset > 0 && o.train_subset < d.train_x.size(0)) {
    d.train_x = d.train_x.slice(0, 0, o.train_subset);
    d.train_y = d.train_y.slice(0, 0, o.train_subset);
  }
  if (o.test_subset > 0 && o.test_subset < d.test_x.size(0)) {
    d.test_x = d.test_x.slice(0, 0, o.test_subset);
    d.test_y = d.test_y.slice(0, 0, o.test_subset);
  }
  d.train_x = ((d.train_x - kMeanFashion) / kStdFashion).contiguous();
  d.test_x = ((d.test_x - kMeanFashion) / kStdFashion).contiguous();
  return d;
}

std::string rounding_name(sfp::Rounding r) {
  return r == sfp::Rounding::kNearestEven ? "rne" : "trunc";
}

json options_json(const Options& o, sfp::Rounding rounding) {
  json j;
  j["net"] = to_string(o.net);
  j["policy"] = to_string(o.policy);
  j["apply"] = to_string(o.apply);
  j["rounding"] = rounding_name(rounding);
  j["qm"] = {{"lambda", o.qm.lambda},         {"lr_weights", o.qm.lr_weights},
             {"lr_acts", o.qm.lr_acts},       {"init_weights", o.qm.init_weights},
             {"init_acts", o.qm.init_acts},   {"share", o.qm.share},
             {"optim", to_string(o.qm.optim)}};
  j["bitchop"] = {{"period", o.bitchop.period},       {"ema_factor", o.bitchop.ema_factor},
                  {"threshold", o.bitchop.threshold}, {"min_bits", o.bitchop.min_bits},
                  {"max_bits", o.bitchop.max_bits},   {"init_bits", o.bitchop.init_bits}};
  if (o.policy.kind == PolicyKind::kBitPrune) {
    const BitPruneConfig& b = o.bp;
    j["bitprune"] = {{"lambda", b.lambda},
                     {"reg", to_string(b.reg)},
                     {"granularity", to_string(b.granularity)},
                     {"group", b.group},
                     {"min_bits", b.min_bits},
                     {"max_bits", b.max_bits},
                     {"init_bits", b.init_bits},
                     {"lr", b.lr},
                     {"act_range", to_string(b.act_range)},
                     {"range_momentum", b.range_momentum},
                     {"range_lr", b.range_lr},
                     {"weight_scale", to_string(b.weight_scale)},
                     {"learn_epochs", b.learn_epochs},
                     {"finetune_epochs", b.finetune_epochs}};
  }
  j["init"] = o.init;
  j["epochs"] = o.epochs;
  j["seed"] = o.seed;
  j["train_subset"] = o.train_subset;
  j["test_subset"] = o.test_subset;
  j["batch"] = o.batch;
  j["optim"] = o.optim == Optim::kSgd ? "sgd" : "adamw";
  j["lr"] = o.lr;
  j["momentum"] = o.momentum;
  j["weight_decay"] = o.weight_decay;
  j["schedule"] = o.cosine ? "cosine" : "const";
  j["snapshot_steps"] = o.snapshot_steps;
  j["snapshot_every"] = o.snapshot_every;
  j["threads"] = o.threads;
  j["dataset_dir"] = o.dataset_dir;
  j["mantissa_bits_fp32"] = kM;
  return j;
}

// A stored tensor for sfp::io: its FP32 values as bit patterns, row-major.
io::Tensor io_tensor(const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
  io::Tensor out;
  out.name = name;
  out.dtype = Fp::kFp32;
  out.shape.assign(c.sizes().begin(), c.sizes().end());
  out.values.resize(static_cast<size_t>(c.numel()));
  std::memcpy(out.values.data(), c.data_ptr<float>(), out.values.size() * sizeof(float));
  return out;
}

// An output file of the run written through sfp::io (a temporary file renamed into place);
// write(out) writes it. Throws std::runtime_error naming the file.
void write_output(const std::string& path, const std::function<void(io::OutputFile&)>& write) {
  try {
    io::OutputFile out(path);
    write(out);
    out.commit();
  } catch (const io::Error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void write_text(const std::string& path, const std::string& text) {
  write_output(path, [&](io::OutputFile& out) {
    out.write(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  });
}

// Multiply-accumulates of one sample's forward pass (the network's mac_ops()).
int64_t forward_macs(const Network& net) {
  int64_t n = 0;
  for (const MacOp& op : net.mac_ops()) n += op.macs;
  return n;
}

// Accuracy and mean loss on a dataset, with the policy's quantizers in place.
std::pair<double, double> evaluate(Network& net, Stash& stash, const torch::Tensor& x,
                                   const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  double loss = 0;
  const int64_t n = x.size(0);
  for (int64_t b = 0; b < n; b += 1000) {
    const int64_t e = std::min(n, b + 1000);
    stash.begin_step(false, false);
    torch::Tensor logits = net.forward(x.slice(0, b, e), stash);
    torch::Tensor yb = y.slice(0, b, e);
    loss += torch::cross_entropy_loss(logits, yb, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(yb).sum().item<int64_t>();
  }
  return {static_cast<double>(correct) / n, loss / n};
}

class JsonLines {
 public:
  explicit JsonLines(std::string path) : path_(std::move(path)), part_(path_ + ".part") {
    out_.open(part_, std::ios::trunc);
    if (!out_) throw std::runtime_error(part_ + ": cannot create");
  }
  void write(const json& j) { out_ << j.dump() << '\n' << std::flush; }
  void close() {
    out_.close();
    if (!out_) throw std::runtime_error(part_ + ": write failed");
    std::error_code ec;
    fs::rename(part_, path_, ec);
    if (ec) throw std::runtime_error(path_ + ": cannot rename: " + ec.message());
  }

 private:
  std::string path_, part_;
  std::ofstream out_;
};

void write_snapshot(const std::string& path, const Options& o, const TrainPolicy& policy,
                    const Stash& stash, const std::vector<Capture>& caps, int64_t step,
                    int64_t epoch) {
  io::TensorFile file;
  io::TensorInfoMap info;
  auto add = [&](const std::string& name, const std::string& kind, const Slot& slot, unsigned bits,
                 const torch::Tensor& t) {
    file.tensors.push_back(io_tensor(name, t));
    io::TensorInfo& i = info[name];
    i.kind = kind;
    i.layer = slot.layer;
    i.man_bits = bits;
    if (kind == "act" || kind == "weight") i.n = policy.learned_bits(slot);
  };
  const auto& slots = stash.slots();
  // Stored values: Q_k of the raw value with the bits charged for the tensor (for QM,
  // Q_ceil(n): what a container with ceil(n) mantissa bits holds).
  auto stored = [&](const Capture& c) {
    const unsigned bits = policy.bits(slots[c.slot]);
    return bits >= kM ? c.raw : quantize_tensor(c.raw, bits, policy.rounding());
  };
  for (const Capture& c : caps) {
    if (slots[c.slot].kind == Kind::kAct)
      add(c.name, "act", slots[c.slot], policy.bits(slots[c.slot]), stored(c));
  }
  for (const Capture& c : caps) {
    if (slots[c.slot].kind == Kind::kWeight)
      add(c.name, "weight", slots[c.slot], policy.bits(slots[c.slot]), stored(c));
  }
  if (policy.stores_master()) {
    for (const Capture& c : caps) {
      if (slots[c.slot].kind != Kind::kWeight) continue;
      add("master/" + c.name.substr(std::string("weight/").size()), "master", slots[c.slot], kM,
          c.raw);
    }
  }
  for (const Capture& c : caps) {
    if (slots[c.slot].kind != Kind::kWeight || !c.param.grad().defined()) continue;
    add("grad/" + c.name.substr(std::string("weight/").size()), "grad", slots[c.slot], kM,
        c.param.grad());
  }
  std::map<std::string, std::string> meta = {
      {"format", "sfp-trace"},
      {"format_version", "1"},
      {"network", to_string(o.net)},
      {"policy", to_string(o.policy)},
      {"rounding", rounding_name(policy.rounding())},
      {"step", std::to_string(step)},
      {"epoch", std::to_string(epoch)},
      {"seed", std::to_string(o.seed)},
      {"value_format", "fp32"},
      {io::kTensorInfoKey, io::write_tensor_info(info)},
  };
  file.metadata.assign(meta.begin(), meta.end());  // in key order
  // Header entries with their fields sorted, as the snapshots have always been written.
  const std::vector<uint8_t> bytes = io::write_safetensors(file, io::EntryOrder::kOffsetsFirst);
  write_output(path, [&](io::OutputFile& out) { out.write(bytes); });
}

std::set<int64_t> snapshot_steps(const Options& o, int64_t total) {
  std::set<int64_t> s;
  for (int64_t v : o.snapshot_steps) {
    if (v >= 1 && v <= total) {
      s.insert(v);
    } else if (!o.quiet) {
      fmt::print(stderr, "sfp train: warning: no step {} in this run (steps 1..{}); no snapshot\n",
                 v, total);
    }
  }
  if (o.snapshot_every > 0) {
    for (int64_t v = o.snapshot_every; v <= total; v += o.snapshot_every) s.insert(v);
  }
  return s;
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) {
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&group.options())) sgd->lr(lr);
    if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&group.options())) adamw->lr(lr);
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// The network, with the FP32 weights of an earlier run of the same network (--init).
std::shared_ptr<Network> load_network(const Options& o) {
  std::shared_ptr<Network> net = make_network(o.net);
  if (!o.init.empty()) {
    if (!fs::exists(o.init)) throw std::runtime_error(o.init + ": no such checkpoint (--init)");
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(o.init);
      net->load(archive);
    } catch (const c10::Error& e) {
      throw std::runtime_error(o.init + ": not a checkpoint of the " + to_string(o.net) +
                               " network (--init): " + e.what_without_backtrace());
    }
  }
  return net;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Options& o, Network& net) {
  if (o.optim == Optim::kSgd) {
    return std::make_unique<torch::optim::SGD>(
        net.parameters(),
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      net.parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
}

// config.json: the options, the network and the stored tensors.
json run_config(const Options& o, const TrainPolicy& policy, Network& net, const Data& data,
                int64_t steps_per_epoch, const Stash& stash) {
  json config = options_json(o, policy.rounding());
  config["network"] = net.describe();
  int64_t n_params = 0;
  for (const auto& p : net.parameters()) n_params += p.numel();
  config["parameters"] = n_params;
  config["train_images"] = data.train_x.size(0);
  config["test_images"] = data.test_x.size(0);
  config["steps_per_epoch"] = steps_per_epoch;
  json stored = json::array();
  for (const Slot& s : stash.slots()) {
    stored.push_back({{"name", s.name},
                      {"kind", s.kind == Kind::kAct ? "act" : "weight"},
                      {"layer", s.layer},
                      {"values_per_step", s.numel},
                      {"learned", s.qm_index >= 0}});
  }
  config["stored_tensors"] = stored;
  return config;
}

// The FP32 master weights (model.pt), through a temporary file.
void write_model(Network& net, const std::string& path) {
  torch::serialize::OutputArchive archive;
  net.save(archive);
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(path + ": cannot rename: " + ec.message());
}

// summary.json.
json summary_json(const Options& o, const TrainPolicy& policy, const Network& net,
                  const Stash& stash, const Summary& sum, Clock::time_point run_start) {
  json sj = {{"network", to_string(o.net)},
             {"policy", to_string(o.policy)},
             {"seed", o.seed},
             {"epochs", o.epochs},
             {"steps", sum.steps},
             {"test_accuracy", sum.test_accuracy},
             {"test_accuracy_per_epoch", sum.test_accuracy_per_epoch},
             {"mean_bits_end", sum.mean_bits_end},
             {"mean_bits_avg", sum.mean_bits_avg},
             {"footprint_reduction_end", sum.reduction_end},
             {"footprint_reduction_avg", sum.reduction_avg},
             {"time_per_step_s", sum.time_per_step},
             {"time_per_step_median_s", sum.time_per_step_median},
             {"values_per_step", stash.values_per_step()},
             {"forward_macs_per_sample", forward_macs(net)},
             {"final_bits", sum.final_bits},
             {"wall_time_s", std::chrono::duration<double>(Clock::now() - run_start).count()}};
  policy.summary_json(stash.slots(), sum, &sj);
  return sj;
}

}  // namespace

Summary run(const Options& options) {
  Options o = options;
  prepare_options(&o);
  if (o.out.empty()) throw std::runtime_error("no run folder given (--out)");
  if (o.batch <= 0) throw std::runtime_error("batch size must be positive");
  if (o.epochs == 0) throw std::runtime_error("epochs must be at least 1");
  std::error_code ec;
  fs::create_directories(fs::path(o.out) / "snapshots", ec);
  if (ec) throw std::runtime_error(o.out + ": cannot create the run folder: " + ec.message());

  torch::set_num_threads(std::max(1, o.threads));
  torch::manual_seed(o.seed);
  const Data data = load_data(o);
  const int64_t n_train = data.train_x.size(0);
  const int64_t steps_per_epoch = (n_train + o.batch - 1) / o.batch;
  const int64_t total_steps = steps_per_epoch * o.epochs;
  const std::set<int64_t> snaps = snapshot_steps(o, total_steps);

  std::shared_ptr<Network> net = load_network(o);
  const std::unique_ptr<TrainPolicy> policy = make_policy(o);
  policy->attach(*net);
  Stash stash(*policy);
  {  // Register the stored tensors and their per-step sizes with one full batch.
    torch::NoGradGuard no_grad;
    stash.begin_step(true, false);
    net->forward(data.train_x.slice(0, 0, std::min(o.batch, n_train)), stash);
    stash.end_forward();
  }
  const std::unique_ptr<torch::optim::Optimizer> opt = make_optimizer(o, *net);
  const json config = run_config(o, *policy, *net, data, steps_per_epoch, stash);
  write_text((fs::path(o.out) / "config.json").string(), config.dump(2) + "\n");

  JsonLines steps_log((fs::path(o.out) / "steps.jsonl").string());
  JsonLines epochs_log((fs::path(o.out) / "epochs.jsonl").string());

  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> order(static_cast<size_t>(n_train));
  std::iota(order.begin(), order.end(), 0);

  Summary sum;
  const std::string tag = to_string(o.net) + "/" + to_string(o.policy);
  RunContext ctx{o,     *net,
                 stash, [&] { return evaluate(*net, stash, data.test_x, data.test_y).first; },
                 sum,   tag};
  policy->begin(ctx);
  std::vector<double> step_times;
  double bits_total = 0;
  int64_t step = 0;
  auto last_progress = Clock::now();
  const auto run_start = Clock::now();

  for (unsigned epoch = 1; epoch <= o.epochs; ++epoch) {
    net->train();
    std::shuffle(order.begin(), order.end(), rng);
    torch::Tensor perm = torch::from_blob(order.data(), {n_train}, torch::kInt64).clone();
    double epoch_loss = 0, epoch_bits = 0;
    int64_t epoch_steps = 0;
    for (int64_t b = 0; b < n_train; b += o.batch) {
      ++step;
      const bool capture = snaps.count(step) > 0;
      const double lr =
          o.cosine ? o.lr * 0.5 * (1.0 + std::cos(M_PI * double(step - 1) / double(total_steps)))
                   : o.lr;
      const auto t0 = Clock::now();
      set_lr(*opt, lr);
      torch::Tensor idx = perm.slice(0, b, std::min(n_train, b + o.batch));
      torch::Tensor xb = data.train_x.index_select(0, idx);
      torch::Tensor yb = data.train_y.index_select(0, idx);

      stash.begin_step(true, capture);
      torch::Tensor logits = net->forward(xb, stash);
      stash.end_forward();
      torch::Tensor task = torch::cross_entropy_loss(logits, yb);
      torch::Tensor loss = task;
      torch::Tensor reg = policy->regularizer(stash.slots());
      if (reg.defined()) loss = loss + reg;
      opt->zero_grad();
      policy->zero_grads();
      loss.backward();

      // Bits in force during this step (before the bitlengths move).
      json bits_j = json::object(), n_j = json::object();
      policy->step_bits(stash.slots(), &bits_j, &n_j);
      const double mean_bits = stash.mean_bits();
      double snapshot_s = 0;
      if (capture) {  // weights as read, activations and gradients of this step (not timed)
        const auto s0 = Clock::now();
        char name[48];
        std::snprintf(name, sizeof name, "step_%06lld.safetensors", static_cast<long long>(step));
        write_snapshot((fs::path(o.out) / "snapshots" / name).string(), o, *policy, stash,
                       stash.take_captures(), step, epoch);
        snapshot_s = std::chrono::duration<double>(Clock::now() - s0).count();
      }

      opt->step();
      const double task_loss = task.item<double>();
      policy->update(stash.slots(), task_loss);
      const double dt = std::chrono::duration<double>(Clock::now() - t0).count() - snapshot_s;

      step_times.push_back(dt);
      bits_total += mean_bits;
      epoch_bits += mean_bits;
      epoch_loss += task_loss;
      ++epoch_steps;
      sum.mean_bits_end = mean_bits;
      json line = {{"step", step},           {"epoch", epoch}, {"loss", task_loss}, {"lr", lr},
                   {"mean_bits", mean_bits}, {"bits", bits_j}, {"time_s", dt}};
      if (reg.defined()) line["reg"] = reg.item<double>();
      if (!n_j.empty()) line["n"] = n_j;
      policy->annotate(epoch, &line);
      steps_log.write(line);

      const auto now = Clock::now();
      const bool by_count = o.log_every > 0 && step % o.log_every == 0;
      const bool by_time = o.log_every == 0 && now - last_progress > std::chrono::seconds(2);
      if (!o.quiet && (by_count || by_time)) {
        last_progress = now;
        const double img_s = double(xb.size(0)) / dt;
        const double val_s = double(stash.values_per_step()) / dt;
        fmt::print(stderr,
                   "train {} epoch {}/{} step {}/{} loss {:.4f} bits {:.2f} {:.0f} img/s "
                   "{:.1f} M values/s\n",
                   tag, epoch, o.epochs, step - int64_t(epoch - 1) * steps_per_epoch,
                   steps_per_epoch, task_loss, mean_bits, img_s, val_s / 1e6);
      }
      if (!std::isfinite(task_loss)) {
        throw std::runtime_error(
            fmt::format("training diverged at step {} (loss {})", step, task_loss));
      }
    }
    net->eval();
    const auto [acc, test_loss] = evaluate(*net, stash, data.test_x, data.test_y);
    sum.test_accuracy_per_epoch.push_back(acc);
    const double ebits = epoch_bits / epoch_steps;
    json eline = {{"epoch", epoch},
                  {"step", step},
                  {"test_accuracy", acc},
                  {"test_loss", test_loss},
                  {"train_loss", epoch_loss / epoch_steps},
                  {"mean_bits", ebits},
                  {"footprint_reduction", 1.0 - ebits / policy->full_bits()},
                  {"mean_bits_end", sum.mean_bits_end},
                  {"elapsed_s", std::chrono::duration<double>(Clock::now() - run_start).count()}};
    policy->annotate(epoch, &eline);
    const std::string note = policy->end_epoch(epoch, ctx, &eline);
    epochs_log.write(eline);
    if (!o.quiet) {
      fmt::print(stderr, "train {} epoch {}/{} test accuracy {:.2f} % mean bits {:.2f}\n", tag,
                 epoch, o.epochs, 100.0 * acc, ebits);
      if (!note.empty()) fmt::print(stderr, "{}", note);
    }
  }

  steps_log.close();
  epochs_log.close();

  write_model(*net, (fs::path(o.out) / "model.pt").string());

  sum.test_accuracy = sum.test_accuracy_per_epoch.back();
  sum.steps = step;
  sum.mean_bits_avg = bits_total / double(step);
  const double full_bits = policy->full_bits();
  sum.reduction_end = 1.0 - sum.mean_bits_end / full_bits;
  sum.reduction_avg = 1.0 - sum.mean_bits_avg / full_bits;
  sum.time_per_step =
      std::accumulate(step_times.begin(), step_times.end(), 0.0) / double(step_times.size());
  sum.time_per_step_median = median(step_times);
  policy->finish(ctx, stash.slots());

  const json sj = summary_json(o, *policy, *net, stash, sum, run_start);
  write_text((fs::path(o.out) / "summary.json").string(), sj.dump(2) + "\n");
  return sum;
}

}  // namespace sfp::train
