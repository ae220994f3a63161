// SPDX-License-Identifier: Apache-2.0
//
// Codec helpers shared by the model tests: encode and decode that must succeed, and Q_m of an
// input.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"

namespace sfp::test {

inline Encoded must_encode(const Config& c, const std::vector<uint32_t>& v, unsigned threads = 1) {
  Encoded e;
  REQUIRE(encode(c, v.data(), v.size(), &e, threads) == Status::kOk);
  return e;
}

inline std::vector<uint32_t> must_decode(const Encoded& e, unsigned threads = 1) {
  std::vector<uint32_t> out(e.values, 0xDEADBEEF);
  REQUIRE(decode(e, out.data(), threads) == Status::kOk);
  return out;
}

inline std::vector<uint32_t> quantized(const Config& c, std::vector<uint32_t> v) {
  quantize(v.data(), v.data(), v.size(), c.fp, c.man_bits, c.rounding);
  return v;
}

}  // namespace sfp::test
