// SPDX-License-Identifier: Apache-2.0
//
// .sfp file version 3: format version 3 streams with shared tables, and that no single bit flip
// anywhere in a file decodes silently; the index bound that keeps decoding proportional to the
// file. Spec: docs/format.md, "Container file", "Version 3 tensor stream".
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "io_test_util.hpp"
#include "sfp/codec.hpp"
#include "sfp/io/container.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

std::vector<uint32_t> gaussian(std::mt19937_64& rng, size_t n, float sigma) {
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<uint32_t> v(n);
  for (auto& x : v) {
    const float f = g(rng);
    std::memcpy(&x, &f, 4);
  }
  return v;
}

// A weight, two small tensors alike (they share the first one's table) and an empty one.
io::TensorFile v3_file(std::mt19937_64& rng) {
  io::TensorFile f;
  f.metadata = {{"format", "pt"}};
  std::vector<uint32_t> w = corners(Fp::kFp32);
  const std::vector<uint32_t> more = gaussian(rng, 600 - w.size(), 0.05f);
  w.insert(w.end(), more.begin(), more.end());
  f.tensors.push_back(make_tensor("w", Fp::kFp32, {20, 30}, w));
  f.tensors.push_back(make_tensor("b1", Fp::kFp32, {64}, gaussian(rng, 64, 0.05f)));
  f.tensors.push_back(make_tensor("b2", Fp::kFp32, {96}, gaussian(rng, 96, 0.05f)));
  f.tensors.push_back(make_tensor("h", Fp::kBf16, {70}, random_values(rng, Fp::kBf16, 70)));
  f.tensors.push_back(make_tensor("empty", Fp::kFp32, {0}, {}));
  return f;
}

Config small_v3(Fp fp, unsigned m) {
  Config c = Config::lossless(fp, 3);
  c.man_bits = std::min(m, c.man_bits);
  c.group = 8;
  c.chunk = 256;
  return c;
}

TEST_CASE("v3 container round-trips, shares tables and is written as file version 3",
          "[container][v3]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v3_file(rng);
  for (unsigned m : {0u, 3u, 23u}) {
    const io::Container c = io::encode_tensor_file(
        f, [&](const io::Tensor& t) { return small_v3(t.dtype, m); }, 2);
    const Bytes bytes = io::write_container(c);
    CHECK(get_le(bytes, 4, 2) == 3);
    unsigned shared = 0;
    for (const io::EncodedTensor& t : c.tensors) shared += t.stream.table_ref != 0;
    CHECK(shared >= 1);
    const io::Container r = io::read_container(bytes.data(), bytes.size());
    REQUIRE(r.tensors.size() == c.tensors.size());
    for (size_t i = 0; i < c.tensors.size(); ++i) {
      CHECK(r.tensors[i].stream.config == c.tensors[i].stream.config);
      CHECK(r.tensors[i].stream.table == c.tensors[i].stream.table);
      CHECK(r.tensors[i].stream.table_ref == c.tensors[i].stream.table_ref);
      CHECK(r.tensors[i].stream.chunk_crc == c.tensors[i].stream.chunk_crc);
    }
    CHECK(io::write_container(r) == bytes);
    const io::TensorFile d = io::decode_container(r, 2);
    for (size_t i = 0; i < f.tensors.size(); ++i) {
      std::vector<uint32_t> q = f.tensors[i].values;
      const Config& cfg = c.tensors[i].stream.config;
      quantize(q.data(), q.data(), q.size(), cfg.fp, cfg.man_bits, cfg.rounding);
      CHECK(d.tensors[i].values == q);
    }
  }
}

TEST_CASE("every single bit flip in a v3 file is an error", "[container][v3][integrity]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v3_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return small_v3(t.dtype, 4); });
  const Bytes bytes = io::write_container(c);
  uint64_t errors = 0;
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    Bytes b = bytes;
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    try {
      io::decode_container(io::read_container(b.data(), b.size()));
    } catch (const io::Error&) {
      ++errors;
      continue;
    }
    FAIL("bit " << bit << " of " << bytes.size() * 8 << " decoded without an error");
  }
  CHECK(errors == bytes.size() * 8);
}

TEST_CASE("a v3 writer refuses a table reference that names no equal earlier table",
          "[container][v3]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v3_file(rng);
  io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return small_v3(t.dtype, 23); });
  c.tensors[0].stream.table_ref = 1;  // the first tensor has no earlier table
  REQUIRE_THROWS_WITH(io::write_container(c), Catch::Matchers::Contains("table reference 1"));
}

TEST_CASE("a v3 stream in a file version 2 header is an error", "[container][v3]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v3_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return small_v3(t.dtype, 23); });
  Bytes b = io::write_container(c);
  b[4] = 2;
  REQUIRE_THROWS_AS(io::read_container(b.data(), b.size()), io::Error);
}

TEST_CASE("a v3 index that gives a chunk fewer units than its values need is refused",
          "[container][v3][bounds]") {
  // One tensor of 2^20 zeros: 64 chunks of 16384 values, 512 words each (N_min). A record
  // claiming those values with fewer words is refused by the reader, before anything is
  // allocated for the values: a v3 file decodes to at most 32 values per 4-byte word.
  io::TensorFile f;
  f.tensors.push_back(make_tensor("z", Fp::kFp32, {1u << 20}, std::vector<uint32_t>(1u << 20, 0)));
  const io::Container c =
      io::encode_tensor_file(f, [](const io::Tensor& t) { return Config::lossless(t.dtype); });
  const io::EncodedTensor& t = c.tensors[0];
  REQUIRE(t.stream.chunk_words.size() == 64);
  for (uint32_t w : t.stream.chunk_words) CHECK(w == 512);
  io::Container bomb = c;
  bomb.tensors[0].stream.chunk_words.assign(64, 1);
  bomb.tensors[0].stream.payload.assign(64 * 4, 0);
  const uint8_t zero_word[4] = {};
  for (auto& crc : bomb.tensors[0].stream.chunk_crc) crc = crc32c(zero_word, 4);
  // The writer checks only the index's range; the reader checks the bound.
  Bytes b;
  REQUIRE_NOTHROW(b = io::write_container(bomb));
  CHECK(b.size() < 1024);
  REQUIRE_THROWS_WITH(io::read_container(b.data(), b.size()),
                      Catch::Matchers::Contains("a chunk of 16384 values takes 512 to 32768"));
}

}  // namespace
}  // namespace sfp::test
