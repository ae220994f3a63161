// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the version 1 chunk decoder with a re-encode check. Input: a configuration
// word (4 bytes), the chunk's value count minus one (2 bytes, reduced modulo C), then the
// chunk's words. If decode_chunk accepts the chunk, encoding the decoded values with the same
// configuration and decoding that again must give the same values (the decoded values are
// Q_m values, which the encoder keeps as they are).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "sfp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  const uint32_t word = data[0] | data[1] << 8 | data[2] << 16 | uint32_t{data[3]} << 24;
  sfp::Config c;
  if (sfp::unpack_config(word, &c) != sfp::Status::kOk || c.version != 1) return 0;
  const uint64_t n = (data[4] | data[5] << 8) % c.chunk + 1;
  const size_t word_bytes = c.word_bits / 8;
  const size_t words = (size - 6) / word_bytes;
  if (words == 0) return 0;
  std::vector<uint32_t> values(n, 0xDEADBEEF);
  if (sfp::decode_chunk(c, n, data + 6, words, values.data()) != sfp::Status::kOk) return 0;
  sfp::Encoded e;
  if (sfp::encode(c, values.data(), n, &e) != sfp::Status::kOk) std::abort();
  if (e.chunk_words.size() != 1) std::abort();
  std::vector<uint32_t> again(n, 0);
  if (sfp::decode(e, again.data()) != sfp::Status::kOk || again != values) std::abort();
  return 0;
}
