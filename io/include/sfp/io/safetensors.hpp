// SPDX-License-Identifier: Apache-2.0
//
// safetensors reader and writer on byte buffers. Layout: an 8-byte little-endian header length
// N, N bytes of JSON header, then the tensor data (offsets relative to the start of the data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sfp/io/tensor.hpp"

namespace sfp::io {

// Largest accepted JSON header.
inline constexpr uint64_t kMaxSafetensorsHeader = 100ull << 20;

// Parses a whole safetensors file. Every header field is checked against the buffer: the header
// length, the JSON (an object, no duplicate keys), each tensor's dtype (F32 or BF16 only),
// shape (non-negative integers whose product fits in 64 bits) and data offsets (in bounds,
// begin <= end, matching the shape, and together covering the data exactly, without overlaps
// or gaps). Tensors are returned in data order. Throws Error.
TensorFile parse_safetensors(const uint8_t* data, size_t size);

// The same checks on a file of `size` bytes read through `read`, which reads only the header:
// where each tensor's data lies.
FileLayout safetensors_layout(uint64_t size, const ReadAt& read);

// The order of the fields in each tensor's header entry.
enum class EntryOrder : uint8_t {
  kDtypeFirst,    // dtype, shape, data_offsets (as the safetensors library writes them)
  kOffsetsFirst,  // data_offsets, dtype, shape (sorted, as sfp train writes its snapshots)
};

// Writes `__metadata__` (if not empty) and then the tensors in the given order, with contiguous
// data offsets; the header is padded with spaces to a multiple of 8 bytes. Throws Error if a
// tensor's value count does not match its shape, a name is empty, repeated or "__metadata__",
// or a string is not valid UTF-8.
std::vector<uint8_t> write_safetensors(const TensorFile& file,
                                       EntryOrder order = EntryOrder::kDtypeFirst);

// What write_safetensors writes before the data (the length and the header), for tensors whose
// values are left out: their shapes give their sizes. The same checks except on the values.
std::vector<uint8_t> safetensors_header(const TensorFile& file,
                                        EntryOrder order = EntryOrder::kDtypeFirst);

}  // namespace sfp::io
