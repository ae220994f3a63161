// SPDX-License-Identifier: Apache-2.0
//
// A short BitPruning run: FP32 checkpoint, learn, freeze, fine-tune; the run folder's report.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "sfp/train/train.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct BpTempDir {
  fs::path path;
  explicit BpTempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("sfp_bp_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~BpTempDir() { fs::remove_all(path); }
};

json read_json_file(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  return json::parse(in);
}

std::vector<json> read_json_lines(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

sfp::train::Options tiny(const std::string& policy, const fs::path& out) {
  sfp::train::Options o = sfp::train::default_options(sfp::train::Net::kCnn);
  o.policy = sfp::train::parse_policy(policy);
  o.epochs = 1;
  o.seed = 5;
  o.out = out.string();
  o.train_subset = 2000;
  o.test_subset = 1000;
  o.quiet = true;
  o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("a short BitPruning run learns, freezes and fine-tunes integer bitlengths",
          "[smoke][train][bitprune]") {
  BpTempDir dir("cnn");
  const sfp::train::Summary fp32 = sfp::train::run(tiny("fp32", dir.path / "fp32"));
  REQUIRE(fs::exists(dir.path / "fp32" / "model.pt"));

  sfp::train::Options o = tiny("bitprune", dir.path / "bp");
  o.init = (dir.path / "fp32" / "model.pt").string();
  o.lr = 0.01;
  o.bp.granularity = sfp::train::BpGranularity::kGroup;
  o.bp.group = 8;
  o.bp.lr = 0.15;  // 32 steps: far enough to leave 8 bits
  o.bp.lambda = 2.0;
  const sfp::train::Summary s = sfp::train::run(o);

  // The starting point is the checkpoint: its FP32 accuracy on the same test images.
  CHECK(s.fp32_test_accuracy == Approx(fp32.test_accuracy));
  CHECK(s.test_accuracy > 0.30);
  CHECK(s.steps == 64);  // 1 learning + 1 fine-tuning epoch of 32 steps
  CHECK(s.avg_weight_bits < 8.0);
  CHECK(s.avg_act_bits < 8.0);

  const json summary = read_json_file(dir.path / "bp" / "summary.json");
  REQUIRE(summary.contains("bitprune"));
  const json& b = summary["bitprune"];
  CHECK(b["test_accuracy"] == Approx(s.test_accuracy));
  for (const char* layer : {"conv1", "conv2", "fc1", "fc2"}) {
    INFO(layer);
    CHECK(b["weight_bits"].contains(layer));
  }
  CHECK(b["act_bits"].size() == 3);
  // Groups of 8 channels: 2 + 4 + 16 + 2 weight groups, 2 + 4 + 16 activation groups.
  CHECK(b["bitlength_parameters"] == 46);
  for (const auto& [name, t] : b["tensors"].items()) {
    INFO(name);
    double sum = 0;
    int64_t idx = 0;
    const int64_t channels = t["channels"];
    for (const auto& g : t["group_bits"]) {
      const int bits = g;
      CHECK(bits >= 2);
      CHECK(bits <= 8);
      sum += double(bits) * double(std::min<int64_t>(8, channels - 8 * idx++));
    }
    CHECK(double(t["bits"]) == Approx(sum / double(channels)));
  }
  CHECK(double(b["bops_ratio"]) < 1.0);

  const auto steps = read_json_lines(dir.path / "bp" / "steps.jsonl");
  REQUIRE(steps.size() == 64);
  CHECK(steps.front()["phase"] == "learn");
  CHECK(steps.front().contains("n"));
  CHECK(steps.front().contains("reg"));
  CHECK(steps.back()["phase"] == "finetune");
  CHECK_FALSE(steps.back().contains("n"));  // frozen: nothing is learned
  CHECK(steps.back()["bits"] == steps[32]["bits"]);
  const auto epochs = read_json_lines(dir.path / "bp" / "epochs.jsonl");
  REQUIRE(epochs.size() == 2);
  CHECK(epochs[0].contains("test_accuracy_frozen"));
  CHECK(epochs[1]["phase"] == "finetune");
}

TEST_CASE("a missing or foreign checkpoint is a clear error", "[smoke][train][bitprune]") {
  BpTempDir dir("init");
  sfp::train::Options o = tiny("bitprune", dir.path / "run");
  o.train_subset = 64;
  o.test_subset = 100;
  o.init = (dir.path / "nowhere.pt").string();
  CHECK_THROWS_WITH(sfp::train::run(o), Catch::Contains("--init"));
  // A ViT checkpoint does not fit the CNN.
  sfp::train::Options v = tiny("fp32", dir.path / "vit");
  v.net = sfp::train::Net::kVit;
  v.train_subset = 64;
  v.test_subset = 100;
  sfp::train::run(v);
  o.init = (dir.path / "vit" / "model.pt").string();
  CHECK_THROWS_WITH(sfp::train::run(o), Catch::Contains("--init"));
}
