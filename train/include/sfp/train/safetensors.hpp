// SPDX-License-Identifier: Apache-2.0
//
// Minimal safetensors writer for training snapshots: F32 tensors only, string metadata.
// Layout: u64 little-endian header length N, N bytes of JSON (the "__metadata__" object first,
// then one entry per tensor in the order given, padded with spaces so that 8 + N is a multiple
// of 8), then the tensors' bytes back to back (little-endian FP32, row-major).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sfp::train {

struct StTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // product(shape) values
};

// Writes the file through a temporary name and renames it into place. Throws
// std::runtime_error (naming the file) on I/O failure and std::invalid_argument on a tensor whose
// data size does not match its shape or on duplicate names.
void write_safetensors(const std::string& path, const std::vector<StTensor>& tensors,
                       const std::map<std::string, std::string>& metadata);

// The JSON header of a safetensors file (as text, padding removed). Throws std::runtime_error
// when the file is missing or the length field does not fit the file.
std::string read_safetensors_header(const std::string& path);

}  // namespace sfp::train
