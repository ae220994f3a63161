// SPDX-License-Identifier: Apache-2.0
//
// safetensors reader and writer: round trips, the exact layout, and hostile headers.
#include "sfp/io/safetensors.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "io_test_util.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;
using io::Error;
using io::parse_safetensors;
using io::write_safetensors;

io::TensorFile sample_file(std::mt19937_64& rng) {
  io::TensorFile f;
  f.metadata = {{"format", "pt"}, {"note", "with \"quotes\" and ünïcode"}};
  f.tensors.push_back(make_tensor("layer.0.weight", Fp::kFp32, {3, 6}, corners(Fp::kFp32)));
  f.tensors.push_back(make_tensor("layer.0.bias", Fp::kBf16, {18}, corners(Fp::kBf16)));
  f.tensors.push_back(make_tensor("scalar", Fp::kFp32, {}, {0x3F800000}));
  f.tensors.push_back(make_tensor("empty", Fp::kBf16, {0, 4}, {}));
  f.tensors.push_back(
      make_tensor("random", Fp::kFp32, {7, 11, 3}, random_values(rng, Fp::kFp32, 7 * 11 * 3)));
  return f;
}

TEST_CASE("safetensors written and parsed back gives the same tensors", "[safetensors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = sample_file(rng);
  const Bytes b = write_safetensors(f);
  const io::TensorFile g = parse_safetensors(b.data(), b.size());
  CHECK(g.kind == io::SourceKind::kSafetensors);
  CHECK(g.metadata == io::Metadata{{"format", "pt"}, {"note", "with \"quotes\" and ünïcode"}});
  REQUIRE(g.tensors.size() == f.tensors.size());
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    INFO(f.tensors[i].name);
    CHECK(g.tensors[i].name == f.tensors[i].name);
    CHECK(g.tensors[i].dtype == f.tensors[i].dtype);
    CHECK(g.tensors[i].shape == f.tensors[i].shape);
    CHECK(g.tensors[i].values == f.tensors[i].values);
  }
  // Writing the parsed file again gives the same bytes.
  CHECK(write_safetensors(g) == b);
}

TEST_CASE("safetensors writer puts metadata first with contiguous offsets and a padded header",
          "[safetensors]") {
  io::TensorFile f;
  f.metadata = {{"m", "v"}};
  f.tensors.push_back(make_tensor("z", Fp::kFp32, {2}, {0x3F800000, 0x80000000}));
  f.tensors.push_back(make_tensor("a", Fp::kBf16, {3}, {0x3F80, 0xFF80, 0x0001}));
  const Bytes b = write_safetensors(f);
  const uint64_t n = get_le(b, 0, 8);
  CHECK(n % 8 == 0);
  REQUIRE(b.size() == 8 + n + 8 + 6);
  const std::string text(b.begin() + 8, b.begin() + 8 + static_cast<long>(n));
  const size_t end = text.find_last_not_of(' ');
  CHECK(text.substr(0, end + 1) ==
        R"({"__metadata__":{"m":"v"},"z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("a":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]}})");
  CHECK(text.size() - (end + 1) < 8);  // only the padding follows
  const Bytes data(b.begin() + 8 + static_cast<long>(n), b.end());
  CHECK(data == Bytes{0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80,  // F32 little-endian
                      0x80, 0x3F, 0x80, 0xFF, 0x01, 0x00});            // BF16 little-endian

  // The training snapshots' layout: each entry's fields sorted, everything else the same.
  const Bytes s = write_safetensors(f, io::EntryOrder::kOffsetsFirst);
  REQUIRE(s.size() == b.size());
  CHECK(get_le(s, 0, 8) == n);
  CHECK(std::string(s.begin() + 8, s.begin() + 8 + static_cast<long>(n)).substr(0, end + 1) ==
        R"({"__metadata__":{"m":"v"},"z":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
        R"("a":{"data_offsets":[8,14],"dtype":"BF16","shape":[3]}})");
  CHECK(Bytes(s.begin() + 8 + static_cast<long>(n), s.end()) == data);
  const io::TensorFile g = parse_safetensors(s.data(), s.size());
  REQUIRE(g.tensors.size() == 2);
  CHECK(g.tensors[1].values == f.tensors[1].values);
}

TEST_CASE("safetensors parser reads a hand-built file in data order", "[safetensors]") {
  const std::string header = R"({"b": {"dtype": "BF16", "shape": [2], "data_offsets": [8, 12]},)"
                             R"( "a": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]},)"
                             R"( "e": {"dtype": "F32", "shape": [0], "data_offsets": [12, 12]},)"
                             R"( "__metadata__": {"k": "v"}}   )";
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xC0, 0x7F, 0x00, 0x80};
  const Bytes b = safetensors_bytes(header, data);
  const io::TensorFile f = parse_safetensors(b.data(), b.size());
  REQUIRE(f.tensors.size() == 3);
  CHECK(f.tensors[0].name == "a");
  CHECK(f.tensors[0].dtype == Fp::kFp32);
  CHECK(f.tensors[0].shape == std::vector<uint64_t>{1, 2});
  CHECK(f.tensors[0].values == std::vector<uint32_t>{0x04030201, 0x08070605});
  CHECK(f.tensors[1].name == "b");
  CHECK(f.tensors[1].dtype == Fp::kBf16);
  CHECK(f.tensors[1].values == std::vector<uint32_t>{0x7FC0, 0x8000});
  CHECK(f.tensors[2].name == "e");
  CHECK(f.tensors[2].values.empty());
  CHECK(f.metadata == io::Metadata{{"k", "v"}});
}

TEST_CASE("safetensors with no tensors is valid", "[safetensors]") {
  const Bytes b = safetensors_bytes("{}", {});
  const io::TensorFile f = parse_safetensors(b.data(), b.size());
  CHECK(f.tensors.empty());
  CHECK(f.metadata.empty());
}

TEST_CASE("every truncation of a safetensors file is an error", "[safetensors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes b = write_safetensors(sample_file(rng));
  for (size_t len = 0; len < b.size(); ++len) {
    INFO("length " << len << " of " << b.size());
    REQUIRE_THROWS_AS(parse_safetensors(b.data(), len), Error);
  }
}

TEST_CASE("a safetensors header length beyond the file or the cap is rejected", "[safetensors]") {
  const Bytes ok = safetensors_bytes("{}", {});
  const uint64_t bad_lengths[] = {3, 1ull << 63, ~0ull, io::kMaxSafetensorsHeader + 1};
  for (uint64_t n : bad_lengths) {
    Bytes b = ok;
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(n >> (8 * i));
    INFO("header length " << n);
    REQUIRE_THROWS_WITH(parse_safetensors(b.data(), b.size()), Contains("header length"));
  }
}

struct Hostile {
  const char* what;
  std::string header;
  size_t data_bytes;
  const char* message;
};

TEST_CASE("hostile safetensors headers are rejected with a message saying why", "[safetensors]") {
  const std::string w = R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  const Hostile cases[] = {
      {"empty header", "", 0, "does not start with '{'"},
      {"array", "[1, 2]", 0, "does not start with '{'"},
      {"invalid JSON", R"({"w": )", 0, "invalid JSON"},
      {"trailing garbage", "{} x", 0, "invalid JSON"},
      // The JSON parser would stop at a NUL and never look at what follows it.
      {"NUL then garbage", std::string("{}\0 x", 5), 0, "NUL byte at offset 2"},
      {"NUL padding", std::string("{}\0\0\0\0\0\0", 8), 0, "NUL byte at offset 2"},
      {"NUL inside a key", w.substr(0, 3) + std::string(1, '\0') + w.substr(3), 8, "NUL byte"},
      {"duplicate tensor",
       R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},)"
       R"( "w": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})",
       0, "\"w\" twice"},
      {"entry not an object", R"({"w": 5})", 0, "tensor \"w\": entry must be a JSON object"},
      {"F16", R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", 4,
       "tensor \"w\" has dtype \"F16\""},
      {"I64", R"({"idx": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", 8,
       "tensor \"idx\" has dtype \"I64\""},
      {"dtype number", R"({"w": {"dtype": 32, "shape": [2], "data_offsets": [0, 8]}})", 8,
       "dtype must be a string"},
      {"missing shape", R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", 8,
       "missing field \"shape\""},
      {"extra field", R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": 1}})", 8,
       "unexpected field \"x\""},
      {"shape not array", R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", 8,
       "shape must be an array"},
      {"negative dim", R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8,
       "shape[0] must be a non-negative integer"},
      {"float dim", R"({"w": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}})", 8,
       "shape[0] must be a non-negative integer"},
      {"string dim", R"({"w": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}})", 8,
       "shape[0] must be a non-negative integer"},
      {"nested shape", R"({"w": {"dtype": "F32", "shape": [[2]], "data_offsets": [0, 8]}})", 8,
       "nested"},
      {"product overflow",
       R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", 8,
       "too many values"},
      {"bytes overflow",
       R"({"w": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 8]}})", 8,
       "too many values"},
      {"one offset", R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8]}})", 8,
       "data_offsets must be an array [begin, end]"},
      {"negative offset", R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [-1, 0]}})", 8,
       "data_offsets[0] must be a non-negative integer"},
      {"begin after end", R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}})", 8,
       "begin after they end"},
      {"end past data", w, 4, "reach past the 4 bytes of data"},
      {"huge end",
       R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 18446744073709551615]}})", 8,
       "reach past"},
      {"size mismatch", R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8,
       "hold 8 bytes, but shape [3] of F32 needs 12"},
      {"overlap",
       R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
       R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
       12, "overlap tensor \"a\""},
      {"empty tensor inside another",
       R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
       R"( "b": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}})",
       8, "overlap"},
      {"gap", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8,
       "leave bytes 0..3 of the data unused"},
      {"trailing data", w, 12, "data is 12 bytes but the tensors cover only 8"},
      {"metadata not object", R"({"__metadata__": [1]})", 0, "__metadata__ must be a JSON object"},
      {"metadata value not string", R"({"__metadata__": {"k": 1}})", 0,
       "__metadata__ \"k\" must be a string"},
      {"metadata nested", R"({"__metadata__": {"k": {"x": "y"}}})", 0,
       "__metadata__ \"k\" must be a string"},
      {"too deep", R"({"__metadata__": {"k": {"x": {}}}})", 0, "nested"},
      {"invalid UTF-8", "{\"\xff\": 1}", 0, "invalid JSON"},
  };
  for (const Hostile& h : cases) {
    INFO(h.what);
    const Bytes b = safetensors_bytes(h.header, Bytes(h.data_bytes, 0));
    REQUIRE_THROWS_WITH(parse_safetensors(b.data(), b.size()), Contains(h.message));
  }
}

TEST_CASE("a safetensors header may be padded with JSON whitespace", "[safetensors]") {
  for (const char* pad : {"      ", "\n\t\r "}) {
    INFO(pad);
    const Bytes b = safetensors_bytes(std::string("{}") + pad, {});
    CHECK(parse_safetensors(b.data(), b.size()).tensors.empty());
  }
}

TEST_CASE("safetensors writer refuses what it cannot write", "[safetensors]") {
  io::TensorFile f;
  SECTION("duplicate names") {
    f.tensors.push_back(make_tensor("a", Fp::kFp32, {1}, {0}));
    f.tensors.push_back(make_tensor("a", Fp::kFp32, {1}, {0}));
    CHECK_THROWS_WITH(write_safetensors(f), Contains("used twice"));
  }
  SECTION("a tensor named __metadata__") {
    f.tensors.push_back(make_tensor("__metadata__", Fp::kFp32, {1}, {0}));
    CHECK_THROWS_WITH(write_safetensors(f), Contains("\"__metadata__\" is reserved"));
  }
  SECTION("empty name") {
    f.tensors.push_back(make_tensor("", Fp::kFp32, {1}, {0}));
    CHECK_THROWS_WITH(write_safetensors(f), Contains("empty name"));
  }
  SECTION("values not filling the shape") {
    f.tensors.push_back(make_tensor("a", Fp::kFp32, {2, 2}, {0, 0, 0}));
    CHECK_THROWS_WITH(write_safetensors(f), Contains("3 values do not fill shape [2, 2]"));
  }
  SECTION("BF16 value with high bits") {
    f.tensors.push_back(make_tensor("a", Fp::kBf16, {1}, {0x10000}));
    CHECK_THROWS_WITH(write_safetensors(f), Contains("above bit 15"));
  }
  SECTION("name that is not UTF-8") {
    f.tensors.push_back(make_tensor("\xff", Fp::kFp32, {1}, {0}));
    CHECK_THROWS_AS(write_safetensors(f), Error);
  }
}

TEST_CASE("random corruption of a safetensors file never crashes the parser", "[safetensors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes good = write_safetensors(sample_file(rng));
  std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255), count(1, 4);
  size_t rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    Bytes b = good;
    for (int k = count(rng); k > 0; --k) b[pos(rng)] = static_cast<uint8_t>(byte(rng));
    try {
      const io::TensorFile f = parse_safetensors(b.data(), b.size());
      // Accepted: the result must still be self-consistent.
      for (const io::Tensor& t : f.tensors) {
        uint64_t n = 0;
        REQUIRE(io::element_count(t.shape, &n));
        REQUIRE(n == t.values.size());
      }
    } catch (const Error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 0);
}

}  // namespace
}  // namespace sfp::test
