// SPDX-License-Identifier: Apache-2.0
//
// Internals of format version 2 shared by the tensor codec (codec.cpp) and codec_v2.cpp.
#pragma once

#include <cstdint>

#include "sfp/codec.hpp"

namespace sfp::detail {

// One canonical code of a table (Spec: "Canonical codewords"), the one a lane uses when its
// previous value is +0 (prev_zero) or not: the codeword of each symbol bit-reversed for
// the LSB-first writer, the bits a lane consumes for it (ESC adds its exponent and, when m = 0,
// the quiet bit), and a decoding table indexed by the next kMaxCodeBits lane bits:
// symbol | length << 8, 0 where no codeword matches.
struct Canonical {
  Canonical(const CodeTable& t, bool prev_zero, unsigned man_bits);
  uint32_t rev[kMaxSymbols] = {};
  unsigned lane_bits[kMaxSymbols] = {};
  uint16_t lut[1u << kMaxCodeBits];
};

uint64_t max_chunk_words_v2(const Config& c, uint64_t values);
// build_table with the chunks counted on up to `threads` threads (the same table).
CodeTable build_table_threads(const Config& c, const uint32_t* q, size_t n, const TableOptions& o,
                              unsigned threads);
unsigned index_entry_bits_v2(const Config& c);
Status encode_v2(const Config& c, const uint32_t* values, size_t n, Encoded* out, unsigned threads,
                 const TableOptions& options = {});
Status decode_v2(const Encoded& e, uint32_t* out, unsigned threads);

}  // namespace sfp::detail
