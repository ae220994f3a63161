// SPDX-License-Identifier: Apache-2.0
//
// Short training runs on a Fashion-MNIST subset: accuracy above chance, the run folder's logs,
// snapshot names and metadata, and snapshot values as the model's Q_k stores them.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "sfp/io/file.hpp"
#include "sfp/io/safetensors.hpp"
#include "sfp/io/snapshot.hpp"
#include "sfp/quantize.hpp"
#include "sfp/train/train.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("sfp_train_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  return json::parse(in);
}

std::vector<json> read_lines(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// A snapshot as sfp::io reads it: values as bit patterns by tensor name, and the metadata.
struct Snapshot {
  std::map<std::string, std::vector<uint32_t>> values;
  std::map<std::string, std::string> meta;
};

Snapshot read_snapshot(const fs::path& file) {
  const std::vector<uint8_t> bytes = sfp::io::read_file(file.string());
  const sfp::io::TensorFile f = sfp::io::parse_safetensors(bytes.data(), bytes.size());
  Snapshot s;
  for (const sfp::io::Tensor& t : f.tensors) s.values[t.name] = t.values;
  s.meta.insert(f.metadata.begin(), f.metadata.end());
  return s;
}

sfp::train::Options small_run(sfp::train::Net net, const std::string& policy, const fs::path& out) {
  sfp::train::Options o = sfp::train::default_options(net);
  o.policy = sfp::train::parse_policy(policy);
  o.epochs = 1;
  o.seed = 7;
  o.out = out.string();
  o.train_subset = 2000;
  o.test_subset = 1000;
  o.quiet = true;
  o.threads = 1;  // ctest runs cases side by side on 2 cores
  return o;
}

}  // namespace

TEST_CASE("a short QM run on the CNN learns and writes the run folder", "[smoke][train]") {
  TempDir dir("cnn_qm");
  sfp::train::Options o = small_run(sfp::train::Net::kCnn, "qm", dir.path);
  o.snapshot_steps = {5};
  const sfp::train::Summary s = sfp::train::run(o);
  CHECK(s.test_accuracy > 0.30);
  CHECK(s.steps == 32);           // ceil(2000 / 64)
  CHECK(s.mean_bits_end < 23.0);  // the regularizer has started to shorten the tensors

  for (const char* f : {"config.json", "steps.jsonl", "epochs.jsonl", "summary.json", "model.pt"}) {
    INFO(f);
    CHECK(fs::exists(dir.path / f));
  }
  const auto steps = read_lines(dir.path / "steps.jsonl");
  REQUIRE(steps.size() == 32);
  for (const char* key : {"step", "epoch", "loss", "bits", "mean_bits", "time_s", "n"}) {
    INFO(key);
    CHECK(steps.back().contains(key));
  }
  CHECK(steps.back()["bits"].contains("act/conv1"));
  CHECK(steps.back()["bits"].contains("weight/fc2"));
  const auto epochs = read_lines(dir.path / "epochs.jsonl");
  REQUIRE(epochs.size() == 1);
  CHECK(epochs[0]["test_accuracy"] == Approx(s.test_accuracy));
  const json summary = read_json(dir.path / "summary.json");
  CHECK(summary.contains("footprint_reduction_end"));
  CHECK(summary.contains("footprint_reduction_avg"));
  CHECK(summary.contains("time_per_step_s"));
  // conv1, conv2, fc1 and fc2 of one 28x28 image (mac_ops()); scripts/report.py reads it.
  CHECK(summary["forward_macs_per_sample"] ==
        28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 128 + 128 * 10);

  const fs::path snap = dir.path / "snapshots" / "step_000005.safetensors";
  REQUIRE(fs::exists(snap));
  const Snapshot sn = read_snapshot(snap);
  std::set<std::string> names;
  for (const auto& [k, v] : sn.values) names.insert(k);
  for (const char* layer : {"conv1", "conv2", "fc1"}) {
    for (const char* prefix : {"act/", "weight/", "grad/", "master/"}) {
      INFO(prefix << layer);
      CHECK(names.count(std::string(prefix) + layer) == 1);
    }
  }
  CHECK(names.count("weight/fc2") == 1);
  CHECK(names.count("grad/fc2.bias") == 1);
  CHECK(names.count("act/fc2") == 0);  // logits are consumed by the loss, not stored
  const std::map<std::string, std::string>& meta = sn.meta;
  CHECK(meta.at("network") == "cnn");
  CHECK(meta.at("policy") == "qm");
  CHECK(meta.at("step") == "5");
  CHECK(meta.at("epoch") == "1");
  const auto tensors = sfp::io::parse_tensor_info({{"tensors", meta.at("tensors")}})
                           .value_or(sfp::io::TensorInfoMap{});
  CHECK(tensors.at("act/conv1").kind == "act");
  CHECK(tensors.at("act/conv1").layer == "conv1");
  CHECK(tensors.at("weight/conv2").kind == "weight");
  CHECK(tensors.at("grad/conv2").kind == "grad");
  // Stored values carry no more mantissa bits than the tensor is charged.
  REQUIRE(tensors.at("act/conv1").man_bits);
  const auto k = static_cast<unsigned>(*tensors.at("act/conv1").man_bits);
  for (uint32_t v : sn.values.at("act/conv1")) {
    REQUIRE(sfp::quantize(v, sfp::Fp::kFp32, k, sfp::Rounding::kTruncate) == v);
  }
}

TEST_CASE("fixed-bit snapshot weights are sfp::quantize of the master weights", "[smoke][train]") {
  TempDir dir("vit_fixed");
  sfp::train::Options o = small_run(sfp::train::Net::kVit, "fixed:5", dir.path);
  o.rounding = sfp::Rounding::kTruncate;
  o.train_subset = 512;
  o.test_subset = 500;
  o.snapshot_every = 4;
  const sfp::train::Summary s = sfp::train::run(o);
  CHECK(s.mean_bits_end == Approx(5.0));
  CHECK(s.reduction_end == Approx(1.0 - 5.0 / 23.0));
  CHECK(fs::exists(dir.path / "snapshots" / "step_000004.safetensors"));
  const fs::path snap = dir.path / "snapshots" / "step_000008.safetensors";
  REQUIRE(fs::exists(snap));
  const Snapshot sn = read_snapshot(snap);
  for (const char* name : {"act/embed", "act/block0.attn", "act/block1.gelu", "act/head.ln",
                           "weight/block0.qkv", "weight/pos.cls", "grad/block1.fc2"}) {
    INFO(name);
    CHECK(sn.values.count(name) == 1);
  }
  for (const std::string layer : {"block0.qkv", "block1.fc1", "embed", "head"}) {
    const auto& w = sn.values.at("weight/" + layer);
    const auto& m = sn.values.at("master/" + layer);
    REQUIRE(w.size() == m.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      mismatches += w[i] != sfp::quantize(m[i], sfp::Fp::kFp32, 5, sfp::Rounding::kTruncate);
    }
    INFO(layer);
    CHECK(mismatches == 0);
  }
  for (uint32_t v : sn.values.at("act/block0.ln2")) {
    REQUIRE(sfp::quantize(v, sfp::Fp::kFp32, 5, sfp::Rounding::kTruncate) == v);
  }
}

TEST_CASE("a short BitChop run shortens the network-wide bitlength", "[smoke][train]") {
  TempDir dir("cnn_bitchop");
  sfp::train::Options o = small_run(sfp::train::Net::kCnn, "bitchop", dir.path);
  o.bitchop.period = 2;
  const sfp::train::Summary s = sfp::train::run(o);
  CHECK(s.test_accuracy > 0.30);
  CHECK(s.mean_bits_end < 23.0);
  const auto steps = read_lines(dir.path / "steps.jsonl");
  std::set<unsigned> seen;
  for (const auto& line : steps) {
    const auto& bits = line["bits"];
    const unsigned first = bits.begin().value();
    for (const auto& [k, v] : bits.items()) REQUIRE(v == first);  // one network-wide bitlength
    seen.insert(first);
  }
  CHECK(seen.size() > 1);
}

TEST_CASE("a missing dataset is a clear error", "[smoke][train]") {
  TempDir dir("nodata");
  sfp::train::Options o = small_run(sfp::train::Net::kCnn, "fp32", dir.path / "run");
  o.dataset_dir = (dir.path / "nowhere").string();
  o.data_dir = (dir.path / "cache").string();
  CHECK_THROWS_WITH(sfp::train::run(o), Catch::Contains("Fashion-MNIST file missing"));
}
