// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the version 2 lane decoder with a re-encode check. Input: a configuration
// word (4 bytes, format version 2), the chunk's value count minus one (2 bytes, reduced modulo
// C), the chunk's mode (1 byte, bit 0), then a code table ("Code table") and the chunk's words.
// The chunk's CRC is computed here, so the fuzzer reaches the lanes instead of the CRC check. If
// the chunk decodes, encoding the decoded values with the same configuration and decoding again
// must give the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "sfp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 7) return 0;
  const uint32_t word = data[0] | data[1] << 8 | data[2] << 16 | uint32_t{data[3]} << 24;
  sfp::Config c;
  if (sfp::unpack_config(word, &c) != sfp::Status::kOk || c.version != 2) return 0;
  if (c.chunk > 4096) return 0;  // keeps each run short; the lanes do not depend on C
  const uint64_t n = (data[4] | data[5] << 8) % c.chunk + 1;
  const bool raw = data[6] & 1u;
  sfp::CodeTable t;
  size_t used = 0;
  if (sfp::unpack_table(data + 7, size - 7, &t, &used) != sfp::Status::kOk) return 0;
  const uint8_t* chunk = data + 7 + used;
  const size_t words = (size - 7 - used) / 4;
  if (words == 0) return 0;
  const uint8_t mode = raw ? 1 : 0;
  const uint32_t crc = sfp::crc32c(chunk, words * 4, sfp::crc32c(&mode, 1));
  std::vector<uint32_t> values(n, 0xDEADBEEF);
  const sfp::Status s = sfp::decode_chunk_v2(c, t, n, raw, crc, chunk, words, values.data());
  if (s != sfp::Status::kOk) {
    for (uint32_t v : values) {
      if (v != 0) std::abort();  // a failing chunk decodes to +0
    }
    return 0;
  }
  sfp::Encoded e;
  if (sfp::encode(c, values.data(), n, &e) != sfp::Status::kOk) std::abort();
  std::vector<uint32_t> again(n, 0);
  if (sfp::decode(e, again.data()) != sfp::Status::kOk || again != values) std::abort();
  return 0;
}
