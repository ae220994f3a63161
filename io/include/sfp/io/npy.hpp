// SPDX-License-Identifier: Apache-2.0
//
// NumPy .npy reader (versions 1.0, 2.0, 3.0) and writer (version 1.0) on byte buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sfp/io/tensor.hpp"

namespace sfp::io {

struct NpyOptions {
  // Read '<u2' arrays as BF16 bit patterns. Without it, '<u2' is an error.
  bool bf16 = false;
  // Name given to the one tensor of the file.
  std::string name = "array";
};

// Parses a whole .npy file: magic, version, the header dictionary ('descr', 'fortran_order',
// 'shape', each exactly once) and the data, whose length must match the shape exactly. Accepts
// descr '<f4' (kind kNpyF32) and, with options.bf16, '<u2' (kind kNpyBf16). The metadata is
// {"fortran_order": "true" | "false"}; the values are kept in file order. Throws Error.
TensorFile parse_npy(const uint8_t* data, size_t size, const NpyOptions& options = {});

// The same checks on a file of `size` bytes read through `read`, which reads only the header:
// where the array's data lies.
FileLayout npy_layout(uint64_t size, const ReadAt& read, const NpyOptions& options = {});

// Writes a version 1.0 file (2.0 if the header does not fit) whose header is padded so that the
// data starts at a multiple of 64 bytes. `file` must hold one tensor, kind kNpyF32 with an F32
// tensor or kNpyBf16 with a BF16 tensor; fortran_order is taken from the metadata (default
// false). Throws Error otherwise.
std::vector<uint8_t> write_npy(const TensorFile& file);

// What write_npy writes before the data, for a tensor whose values are left out (its shape gives
// their count). The same checks except on the values.
std::vector<uint8_t> npy_header(const TensorFile& file);

}  // namespace sfp::io
