// SPDX-License-Identifier: Apache-2.0
//
// .sfp file version 2: format version 2 streams with their code tables and chunk CRCs, the
// header and record CRCs, and that no single bit flip anywhere in a file decodes silently.
// Spec: docs/format.md, "Container file", "Version 2 tensor stream".
#include <catch2/catch.hpp>
#include <random>

#include "io_test_util.hpp"
#include "sfp/codec.hpp"
#include "sfp/io/container.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

io::TensorFile v2_file(std::mt19937_64& rng) {
  io::TensorFile f;
  f.metadata = {{"format", "pt"}};
  std::vector<uint32_t> w = corners(Fp::kFp32);
  const std::vector<uint32_t> more = random_values(rng, Fp::kFp32, 600 - w.size());
  w.insert(w.end(), more.begin(), more.end());
  f.tensors.push_back(make_tensor("w", Fp::kFp32, {20, 30}, w));
  f.tensors.push_back(make_tensor("b", Fp::kBf16, {70}, random_values(rng, Fp::kBf16, 70)));
  f.tensors.push_back(make_tensor("empty", Fp::kFp32, {0}, {}));
  return f;
}

Config small_v2(Fp fp, unsigned m) {
  Config c = Config::lossless(fp, 2);
  c.man_bits = std::min(m, c.man_bits);
  c.group = 8;
  c.chunk = 64;
  return c;
}

TEST_CASE("v2 container round-trips and is written as file version 2", "[container][v2]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v2_file(rng);
  for (unsigned m : {0u, 3u, 23u}) {
    const io::Container c = io::encode_tensor_file(
        f, [&](const io::Tensor& t) { return small_v2(t.dtype, m); }, 2);
    const Bytes bytes = io::write_container(c);
    CHECK(get_le(bytes, 4, 2) == 2);
    const io::Container r = io::read_container(bytes.data(), bytes.size());
    REQUIRE(r.tensors.size() == c.tensors.size());
    for (size_t i = 0; i < c.tensors.size(); ++i) {
      CHECK(r.tensors[i].stream.config == c.tensors[i].stream.config);
      CHECK(r.tensors[i].stream.table == c.tensors[i].stream.table);
      CHECK(r.tensors[i].stream.chunk_crc == c.tensors[i].stream.chunk_crc);
      CHECK(r.tensors[i].stream.chunk_raw == c.tensors[i].stream.chunk_raw);
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

TEST_CASE("a file of format version 1 tensors is still file version 1", "[container][v2]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v2_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return Config::lossless(t.dtype, 1); });
  const Bytes bytes = io::write_container(c);
  CHECK(get_le(bytes, 4, 2) == 1);
  CHECK(io::decode_container(io::read_container(bytes.data(), bytes.size())).tensors.size() == 3);
}

TEST_CASE("every single bit flip in a v2 file is an error or decodes to the same tensors",
          "[container][v2][integrity]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v2_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return small_v2(t.dtype, 4); });
  const Bytes bytes = io::write_container(c);
  const io::TensorFile want = io::decode_container(c);
  uint64_t errors = 0, same = 0;
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    Bytes b = bytes;
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    bool failed = false;
    io::TensorFile got;
    try {
      got = io::decode_container(io::read_container(b.data(), b.size()));
    } catch (const io::Error&) {
      failed = true;
    }
    if (failed) {
      ++errors;
      continue;
    }
    INFO("bit " << bit << " of " << bytes.size() * 8);
    REQUIRE(got.tensors.size() == want.tensors.size());
    for (size_t i = 0; i < want.tensors.size(); ++i) {
      REQUIRE(got.tensors[i].name == want.tensors[i].name);
      REQUIRE(got.tensors[i].values == want.tensors[i].values);
    }
    REQUIRE(got.metadata == want.metadata);
    ++same;
  }
  // Every byte is under a CRC, so every flip is caught (the spec allows an identical decode).
  CHECK(errors == bytes.size() * 8);
  CHECK(same == 0);
}

TEST_CASE("a v2 stream in a file version 1 header is an error", "[container][v2]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = v2_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return small_v2(t.dtype, 23); });
  Bytes b = io::write_container(c);
  b[4] = 1;
  REQUIRE_THROWS_AS(io::read_container(b.data(), b.size()), io::Error);
}

}  // namespace
}  // namespace sfp::test
