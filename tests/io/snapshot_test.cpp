// SPDX-License-Identifier: Apache-2.0
//
// The "tensors" metadata of training snapshots: what the trainer writes, what eval, stats and
// the testbenches read back, and entries that are missing or malformed.
#include "sfp/io/snapshot.hpp"

#include <catch2/catch.hpp>

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("snapshot tensor metadata is written with sorted keys and read back",
          "[safetensors][snapshot]") {
  io::TensorInfoMap info;
  info["weight/fc1"] = {"weight", "fc1", 3, false, 2.5};
  info["act/conv1"] = {"act", "conv1", 23, false, std::nullopt};
  const std::string text = io::write_tensor_info(info);
  CHECK(text == R"({"act/conv1":{"kind":"act","layer":"conv1","man_bits":23},)"
                R"("weight/fc1":{"kind":"weight","layer":"fc1","man_bits":3,"n":2.5}})");
  const auto back = io::parse_tensor_info({{"step", "5"}, {io::kTensorInfoKey, text}});
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  const io::TensorInfo& w = back->at("weight/fc1");
  CHECK(w.kind == "weight");
  CHECK(w.layer == "fc1");
  CHECK(w.man_bits == uint64_t{3});
  CHECK_FALSE(w.bad_man_bits);
  CHECK(w.n == 2.5);
  CHECK_FALSE(back->at("act/conv1").n);
}

TEST_CASE("snapshot tensor metadata: absent, malformed or partial", "[safetensors][snapshot]") {
  CHECK_FALSE(io::parse_tensor_info({}));
  CHECK_FALSE(io::parse_tensor_info({{"format", "pt"}}));
  CHECK_THROWS_WITH(io::parse_tensor_info({{"tensors", "{not json"}}),
                    Contains("metadata 'tensors' is not a JSON object"));
  CHECK_THROWS_WITH(io::parse_tensor_info({{"tensors", "[1, 2]"}}),
                    Contains("metadata 'tensors' is not a JSON object"));
  const auto info = io::parse_tensor_info(
      {{"tensors", R"({"a": 3, "b": {"kind": 1, "man_bits": "7"}, "c": {"man_bits": -1},)"
                   R"( "d": {"man_bits": 1.5}, "e": {"kind": "grad"}})"}});
  REQUIRE(info);
  REQUIRE(info->size() == 5);
  CHECK(info->at("a").kind.empty());  // not an object: no fields
  CHECK_FALSE(info->at("a").man_bits);
  CHECK_FALSE(info->at("a").bad_man_bits);
  CHECK(info->at("b").kind.empty());  // not a string
  for (const char* name : {"b", "c", "d"}) {
    INFO(name);
    CHECK_FALSE(info->at(name).man_bits);
    CHECK(info->at(name).bad_man_bits);
  }
  CHECK(info->at("e").kind == "grad");
  CHECK_FALSE(info->at("e").man_bits);
  CHECK_FALSE(info->at("e").bad_man_bits);
}

}  // namespace
}  // namespace sfp::test
