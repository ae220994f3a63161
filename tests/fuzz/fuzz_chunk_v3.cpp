// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the version 3 chunk decoder with a re-encode check. Input: a configuration
// word (4 bytes, format version 3), the chunk's value count minus one (2 bytes, reduced modulo
// C), a table section (Spec: "Version 3 table section"; a reference is replaced by a table
// built from no values), then the chunk's words. The CRC is computed over the words, so the
// fuzzer reaches the decoder's other checks. If decode_chunk_v3 accepts the chunk, encoding the
// decoded values with the same table must give the very same words: a version 3 decoder accepts
// only what a conforming encoder makes of what it decodes (Spec: "Version 3 decoder errors").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "sfp/codec.hpp"

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
  const uint8_t* units = data + 6 + used;
  const size_t count = (size - 6 - used) / 4;
  const uint32_t crc = sfp::crc32c(units, count * 4);
  std::vector<uint32_t> values(n, 0xDEADBEEF);
  if (sfp::decode_chunk_v3(c, t, n, crc, units, count, values.data()) != sfp::Status::kOk) {
    for (uint32_t v : values) {
      if (v != 0) std::abort();  // a failing chunk's values are all +0
    }
    return 0;
  }
  sfp::ChunkV3 again;
  if (sfp::encode_chunk_v3(c, t, values.data(), n, &again) != sfp::Status::kOk) std::abort();
  if (again.bytes.size() != count * 4) std::abort();
  for (size_t i = 0; i < count * 4; ++i) {
    if (again.bytes[i] != units[i]) std::abort();
  }
  if (again.crc != crc || again.held_units >= sfp::kV3WindowWords) std::abort();
  return 0;
}
