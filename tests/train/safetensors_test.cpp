// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/safetensors.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using sfp::train::StTensor;

TEST_CASE("safetensors writer lays out header, metadata and data", "[safetensors]") {
  const fs::path path =
      fs::temp_directory_path() / ("sfp_st_" + std::to_string(::getpid()) + ".safetensors");
  const std::vector<StTensor> ts = {{"act/a", {2, 3}, {1, 2, 3, 4, 5, 6}},
                                    {"weight/b", {1}, {-0.5f}}};
  sfp::train::write_safetensors(path.string(), ts, {{"step", "7"}, {"network", "cnn"}});

  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK((8 + n) % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + 7 * 4);
  const std::string header(bytes.data() + 8, n);
  CHECK(header.rfind("{\"__metadata__\":", 0) == 0);  // metadata first
  const auto j = nlohmann::json::parse(header);
  CHECK(j["__metadata__"]["step"] == "7");
  CHECK(j["act/a"]["dtype"] == "F32");
  CHECK(j["act/a"]["shape"] == nlohmann::json({2, 3}));
  CHECK(j["act/a"]["data_offsets"] == nlohmann::json({0, 24}));
  CHECK(j["weight/b"]["data_offsets"] == nlohmann::json({24, 28}));
  float v[7];
  std::memcpy(v, bytes.data() + 8 + n, sizeof v);
  CHECK(v[0] == 1.0f);
  CHECK(v[5] == 6.0f);
  CHECK(v[6] == -0.5f);
  CHECK(sfp::train::read_safetensors_header(path.string()) ==
        header.substr(0, header.find_last_not_of(' ') + 1));
  fs::remove(path);
}

TEST_CASE("safetensors writer rejects a shape that does not match the data", "[safetensors]") {
  const fs::path path = fs::temp_directory_path() / ("sfp_st_bad_" + std::to_string(::getpid()));
  CHECK_THROWS_AS(sfp::train::write_safetensors(path.string(), {{"x", {2, 2}, {1, 2, 3}}}, {}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      sfp::train::write_safetensors(path.string(), {{"x", {1}, {1}}, {"x", {1}, {2}}}, {}),
      std::invalid_argument);
  CHECK_FALSE(fs::exists(path));
}
