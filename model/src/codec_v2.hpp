// SPDX-License-Identifier: Apache-2.0
//
// Internals of format version 2 shared by the tensor codec (codec.cpp) and codec_v2.cpp.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

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

// limited_code_lengths of hist[0..size) into len[0..size), in the caller's memory (no
// allocation): order of size entries, weight of 4 size, is_leaf of 2 size max(max_bits, 1).
struct CodeLengthWork {
  unsigned* order;
  uint64_t* weight;
  uint8_t* is_leaf;
};
void limited_code_lengths(const uint64_t* hist, unsigned size, unsigned max_bits, unsigned* len,
                          const CodeLengthWork& w);

uint64_t max_chunk_words_v2(const Config& c, uint64_t values);
// Q_m of values[0..n) (Spec: "Mantissa quantizer"): the values themselves when Q_m is the
// identity, else *buf filled with the quantized values.
const uint32_t* quantized_values(const Config& c, const uint32_t* values, size_t n,
                                 std::vector<uint32_t>* buf);
// Q_m of values[0..n) when Q_m is not the identity, into a buffer of the calling thread that
// holds it until the thread's next call; else the values themselves.
const uint32_t* quantized_chunk(const Config& c, const uint32_t* values, size_t n);
// Reads a table's fields (Spec: "Code table") from br and checks them, without padding.
class BitReader;
Status read_table(BitReader& br, CodeTable* t);
// Symbol counts of a tensor by context and exponent (256: +0, 257: a repeat), and its signs:
// everything the table rule and the cost of any table need (Spec: "Code lengths").
struct TensorCounts {
  uint64_t with[2][258] = {}, without[2][258] = {};  // repeats counted apart / as their symbol
  uint32_t sign_or = 0, sign_and = 1;                // over the non-zero values
};
// The counts of values q[0..n), already quantized; with `quantize`, of Q_m of them (each chunk
// quantized into a buffer of its own as it is counted).
TensorCounts count_tensor(const Config& c, const uint32_t* q, size_t n, unsigned threads,
                          bool quantize = false);
CodeTable table_from_counts(const Config& c, const TensorCounts& counts, const TableOptions& o);
// The coded size of those values with table t, as "Code lengths" counts it (codewords, escapes,
// plane entries; no table, padding or index), or kCannotCode if t lacks a symbol they need.
inline constexpr uint64_t kCannotCode = ~uint64_t{0};
uint64_t coded_cost(const Config& c, const CodeTable& t, const TensorCounts& counts);
// build_table with the chunks counted on up to `threads` threads (the same table).
CodeTable build_table_threads(const Config& c, const uint32_t* q, size_t n, const TableOptions& o,
                              unsigned threads);
unsigned index_entry_bits_v2(const Config& c);
Status encode_v2(const Config& c, const uint32_t* values, size_t n, Encoded* out, unsigned threads,
                 const TableOptions& options = {});
Status decode_v2(const Encoded& e, uint32_t* out, unsigned threads);

// Runs body(i) for i in [0, count) on up to `threads` threads.
template <class Body>
void parallel_for(uint64_t count, unsigned threads, Body body) {
  threads = static_cast<unsigned>(std::min<uint64_t>(std::max(threads, 1u), count));
  if (threads <= 1) {
    for (uint64_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (uint64_t i = t; i < count; i += threads) body(i);
    });
  }
  for (auto& th : pool) th.join();
}

// Runs body(i) for i in [0, count) on up to `threads` threads, each taking the next index when
// it is free (jobs of unequal size, such as the chunks of many tensors of different lengths).
template <class Body>
void parallel_jobs(uint64_t count, unsigned threads, Body body) {
  threads = static_cast<unsigned>(std::min<uint64_t>(std::max(threads, 1u), count));
  if (threads <= 1) {
    for (uint64_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::atomic<uint64_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (uint64_t i = next++; i < count; i = next++) body(i);
    });
  }
  for (auto& th : pool) th.join();
}

// Version 3 (codec_v3.cpp). encode_v3 uses `shared` as the table when given, else builds one.
unsigned index_entry_bits_v3(const Config& c);
Status encode_v3(const Config& c, const CodeTable* shared, const uint32_t* values, size_t n,
                 Encoded* out, unsigned threads, const TableOptions& options = {});
Status decode_v3(const Encoded& e, uint32_t* out, unsigned threads);

}  // namespace sfp::detail
