// SPDX-License-Identifier: Apache-2.0
//
// The tensor encoder and decoder: Q_m, Gecko groups, chunks, the chunk index and per-field bit
// accounting. Spec: docs/format.md, "Tensor stream".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sfp/format.hpp"

namespace sfp {

// Where every bit of an encoded tensor went. exponent() counts all exponent metadata (zero
// information, bases, widths, deltas); overhead() is chunk padding plus the chunk index.
struct BitCounts {
  uint64_t sign = 0;
  uint64_t zero = 0;
  uint64_t base = 0;
  uint64_t width = 0;
  uint64_t delta = 0;  // exponent deltas; raw exponents when Gecko is off
  uint64_t mantissa = 0;
  uint64_t pad = 0;    // zero bits that fill each chunk to a word boundary
  uint64_t index = 0;  // chunk index entries
  uint64_t exponent() const { return zero + base + width + delta; }
  uint64_t overhead() const { return pad + index; }
  uint64_t total() const { return sign + exponent() + mantissa + overhead(); }
  BitCounts& operator+=(const BitCounts& o);
};

// One group after analysis: the fields written before its value fields.
// Spec: "Group record". Mirrors the RTL's group analysis stage.
struct GroupPlan {
  unsigned lanes = 0;       // values in the group (G, or fewer at the end of a chunk)
  uint32_t zero_mask = 0;   // bit i set: lane i is +0 (always 0 with zero code none)
  unsigned nonzero = 0;     // lanes with a value field
  unsigned base = 0;        // B: smallest exponent of the non-zero lanes
  unsigned width_code = 0;  // wc: 0..6 = delta width, 7 = width 8
  unsigned width() const { return width_code == 7 ? 8 : width_code; }
};

// Analyses `lanes` quantized values (Gecko on; with Gecko off only the zero fields are used).
GroupPlan plan_group(const Config& c, const uint32_t* q, unsigned lanes);

struct Encoded {
  Config config;
  uint64_t values = 0;
  std::vector<uint32_t> chunk_words;  // the chunk index: length of each chunk in W-bit words
  std::vector<uint8_t> payload;       // the chunks back to back, W/8 bytes per word
  BitCounts bits;
};

// Encodes n values (bit patterns; BF16 in the low 16 bits). Returns kBadConfig for an invalid
// config and kBadInput for a BF16 value with high bits set; *out is then left empty.
Status encode(const Config& c, const uint32_t* values, size_t n, Encoded* out);

// Decodes a whole tensor into out[0..values). Every value written is Q_m of the encoder's input.
Status decode(const Encoded& e, uint32_t* out);

// Decodes chunk `chunk` alone (random access): writes its values to out (at most c.chunk).
// `data` holds exactly that chunk's words.
Status decode_chunk(const Config& c, uint64_t chunk_values, const uint8_t* data, size_t words,
                    uint32_t* out);

// Number of chunks for n values: ceil(n / C).
uint64_t chunk_count(const Config& c, uint64_t n);
// Bits of one chunk index entry: enough to hold the largest chunk length in words.
unsigned index_entry_bits(const Config& c);
// Worst-case encoded size of one chunk of `values` values, before padding.
uint64_t max_chunk_bits(const Config& c, uint64_t values);
// Worst-case size in bits of a whole tensor of n values: chunks padded to words, plus the index.
uint64_t max_encoded_bits(const Config& c, uint64_t n);

}  // namespace sfp
