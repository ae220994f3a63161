// SPDX-License-Identifier: Apache-2.0
//
// Access to verilated ports of any width as 32-bit limbs (limb 0 = bits 31:0), so the same
// testbench code serves every parameter set whatever C type Verilator picked for a port.
#pragma once

#include <fmt/format.h>
#include <verilated.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sfp::tb {

template <std::size_t N>
inline uint32_t get_limb(const VlWide<N>& p, std::size_t i) {
  return i < N ? p[i] : 0u;
}
inline uint32_t get_limb(QData p, std::size_t i) {
  return i == 0 ? static_cast<uint32_t>(p) : i == 1 ? static_cast<uint32_t>(p >> 32) : 0u;
}
inline uint32_t get_limb(IData p, std::size_t i) { return i == 0 ? p : 0u; }
inline uint32_t get_limb(SData p, std::size_t i) { return i == 0 ? p : 0u; }
inline uint32_t get_limb(CData p, std::size_t i) { return i == 0 ? p : 0u; }

template <std::size_t N>
inline void set_limb(VlWide<N>& p, std::size_t i, uint32_t v) {
  if (i < N) p[i] = v;
}
inline void set_limb(QData& p, std::size_t i, uint32_t v) {
  if (i < 2) p = (p & ~(QData{0xFFFFFFFFu} << (32 * i))) | (QData{v} << (32 * i));
}
inline void set_limb(IData& p, std::size_t i, uint32_t v) {
  if (i == 0) p = v;
}

template <class P>
constexpr std::size_t limbs_of() {
  return (sizeof(P) + 3) / 4;
}

// The first n limbs of a port, and a port set from limbs.
template <class P>
std::vector<uint32_t> read_limbs(const P& port, std::size_t n) {
  std::vector<uint32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = get_limb(port, i);
  return v;
}
template <class P>
void write_limbs(P& port, const std::vector<uint32_t>& v) {
  for (std::size_t i = 0; i < v.size(); ++i) set_limb(port, i, v[i]);
}

// One beat of a decoder's values stream: the lanes, how many hold values, the chunk's and the
// tensor's end.
struct ValuesBeat {
  std::vector<uint32_t> lanes;
  unsigned count = 0;
  bool last = false, chunk_end = false;
};
template <class Dut>
ValuesBeat read_values_beat(const Dut& d, std::size_t lanes) {
  ValuesBeat b;
  b.lanes = read_limbs(d.values_data_o, lanes);
  b.count = d.values_lanes_o;
  b.last = d.values_last_o != 0;
  b.chunk_end = d.values_chunk_end_o != 0;
  return b;
}

// Hex of a little-endian limb vector, most significant limb first.
inline std::string hex_limbs(const uint32_t* limbs, std::size_t n) {
  std::string s;
  for (std::size_t i = n; i-- > 0;) s += fmt::format("{:08x}", limbs[i]);
  return s;
}
inline std::string hex_limbs(const std::vector<uint32_t>& v) {
  return hex_limbs(v.data(), v.size());
}

}  // namespace sfp::tb
