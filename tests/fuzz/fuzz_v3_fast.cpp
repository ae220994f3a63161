// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the fast version 3 chunk coder against the reference. Input as
// fuzz_chunk_v3.cpp: a configuration word (4 bytes, format version 3), the chunk's value count
// minus one (2 bytes, reduced modulo C), a table section (a reference is replaced by a table
// built from no values), then the chunk's words, whose CRC is computed so that the decoders'
// other checks are reached. decode_chunk_v3_fast must give decode_chunk_v3's status and values;
// when they accept the chunk, encode_chunk_v3_fast and encode_chunk_v3 must both give back the
// very same words, CRC, bit counts and working set. The fast coder runs twice, with its SIMD
// kernels (where the CPU has them) and with its portable loops only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sfp/codec.hpp"

namespace sfp::detail {
// codec_v3_fast.hpp (internal to the model): turns the fast coder's SIMD kernels on or off.
bool set_v3_fast_simd(bool on);
}  // namespace sfp::detail

namespace {

bool same(const sfp::ChunkV3& a, const sfp::ChunkV3& b) {
  for (const sfp::BitField& f : sfp::kBitFields) {
    if (a.bits.*f.member != b.bits.*f.member) return false;
  }
  return a.bytes == b.bytes && a.crc == b.crc && a.held_units == b.held_units &&
         a.expired_units == b.expired_units && a.expired_bits == b.expired_bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 7) return 0;
  const uint32_t word = data[0] | data[1] << 8 | data[2] << 16 | uint32_t{data[3]} << 24;
  sfp::Config c;
  if (sfp::unpack_config(word, &c) != sfp::Status::kOk || c.version != 3) return 0;
  const uint64_t n = (data[4] | data[5] << 8) % c.chunk + 1;
  sfp::CodeTable t;
  uint32_t ref = 0;
  size_t used = 0;
  if (sfp::unpack_table_section(data + 6, size - 6, &t, &ref, &used) != sfp::Status::kOk) return 0;
  if (ref) t = sfp::build_table(c, nullptr, 0);
  const size_t count = (size - 6 - used) / 4;
  // The words alone in their own buffer, so that a read past them is caught.
  std::vector<uint8_t> units(data + 6 + used, data + 6 + used + count * 4);
  const uint32_t crc = sfp::crc32c(units.data(), units.size());
  std::vector<uint32_t> slow(n, 0xDEADBEEF);
  const sfp::Status s = sfp::decode_chunk_v3(c, t, n, crc, units.data(), count, slow.data());
  sfp::ChunkV3 again;
  if (s == sfp::Status::kOk &&
      sfp::encode_chunk_v3(c, t, slow.data(), n, &again) != sfp::Status::kOk) {
    std::abort();
  }
  for (const bool simd : {true, false}) {
    sfp::detail::set_v3_fast_simd(simd);
    std::vector<uint32_t> fast(n, 0xFEEDFACE);
    const sfp::Status f = sfp::decode_chunk_v3_fast(c, t, n, crc, units.data(), count, fast.data());
    if (s != f || slow != fast) std::abort();
    if (s != sfp::Status::kOk) continue;
    sfp::ChunkV3 again_fast;
    if (sfp::encode_chunk_v3_fast(c, t, slow.data(), n, &again_fast) != sfp::Status::kOk) {
      std::abort();
    }
    if (!same(again, again_fast) || again.bytes != units || again.crc != crc) std::abort();
  }
  sfp::detail::set_v3_fast_simd(true);
  return 0;
}
