// SPDX-License-Identifier: Apache-2.0
//
// Whole-file I/O for the command line: reading, atomic writing, and recognising tensor files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sfp/io/tensor.hpp"

namespace sfp::io {

// Reads a whole file. Throws Error ("cannot open: <reason>", "cannot read: <reason>").
std::vector<uint8_t> read_file(const std::string& path);

// Writes `bytes` to a temporary file in the directory of `path` and renames it to `path`, so
// `path` is either left untouched or replaced by the complete file. On failure the temporary
// file is removed and Error is thrown.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

enum class FileKind : uint8_t { kSafetensors, kNpy, kSfp };

// By content: the .npy magic, the .sfp magic, and otherwise safetensors (which has no magic).
FileKind detect_kind(const uint8_t* data, size_t size);

}  // namespace sfp::io
