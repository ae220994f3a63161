// SPDX-License-Identifier: Apache-2.0
//
// In-memory tensors read from and written to tensor files (safetensors, .npy, .sfp), and the
// error type every parser and writer in sfp::io throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sfp/format.hpp"

namespace sfp::io {

// Little-endian host assumed, as in the model (the codec moves payload words with memcpy).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "sfp::io assumes a little-endian host");

// A malformed or unsupported file, or data a writer cannot represent. what() is one line that
// says which part of the file is wrong and how; it does not name the file (the caller does).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error writing an output (OutputFile, or a temporary file holding output).
class OutputError : public Error {
 public:
  using Error::Error;
};

// Where a tensor file came from; stored in the .sfp header so that decoding restores it.
// Spec: docs/format.md, "Container file" (the numeric values are the source kind byte).
enum class SourceKind : uint8_t { kSafetensors = 0, kNpyF32 = 1, kNpyBf16 = 2 };

// String-to-string metadata in file order: the safetensors "__metadata__" object, or for .npy
// {"fortran_order": "true" | "false"}.
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Tensor {
  std::string name;
  Fp dtype = Fp::kFp32;
  std::vector<uint64_t> shape;
  std::vector<uint32_t> values;  // bit patterns in memory order; BF16 in the low 16 bits
};

struct TensorFile {
  SourceKind kind = SourceKind::kSafetensors;
  Metadata metadata;
  std::vector<Tensor> tensors;
};

// Reads n bytes at a file offset into out; throws Error if they are not all there.
using ReadAt = std::function<void(uint64_t offset, uint8_t* out, size_t n)>;

// Where the tensors of a safetensors or .npy file lie, read from its header alone: each tensor's
// name, dtype and shape, and the file offset of its first value (values are little-endian, 4
// or 2 bytes each, contiguous). Tensors in data order.
struct TensorLayout {
  std::string name;
  Fp dtype = Fp::kFp32;
  std::vector<uint64_t> shape;
  uint64_t values = 0;
  uint64_t offset = 0;
};
struct FileLayout {
  SourceKind kind = SourceKind::kSafetensors;
  Metadata metadata;
  std::vector<TensorLayout> tensors;
};

// The product of the dimensions (1 for a scalar); false if it does not fit in 64 bits.
bool element_count(const std::vector<uint64_t>& shape, uint64_t* n);

// "F32" / "BF16", as safetensors spells them.
const char* dtype_name(Fp dtype);
// Bytes per value in a tensor file: 4 for F32, 2 for BF16.
unsigned dtype_bytes(Fp dtype);
// "safetensors", "npy <f4", "npy <u2 (BF16)".
const char* source_kind_name(SourceKind kind);
// "[2, 3]".
std::string shape_string(const std::vector<uint64_t>& shape);
// s in double quotes with quotes, backslashes, control characters and bytes that are not
// UTF-8 escaped, cut after 200 bytes: safe to embed in a one-line message.
std::string quote(const std::string& s);
// True if s is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool valid_utf8(const std::string& s);

}  // namespace sfp::io
