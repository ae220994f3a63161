// SPDX-License-Identifier: Apache-2.0
//
// The per-tensor metadata of a training snapshot. sfp train writes its snapshots as safetensors
// files whose __metadata__ entry "tensors" is a JSON object (as a string) with one entry per
// tensor: {"kind": "act" | "weight" | "master" | "grad", "layer": <layer>, "man_bits": <mantissa
// bits the values were stored with>, "n": <QM's learned bitlength, QM activations and weights>}.
// sfp eval, sfp stats --stored-bits and the RTL testbenches read it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "sfp/io/tensor.hpp"

namespace sfp::io {

// The __metadata__ key of the per-tensor metadata.
inline constexpr const char* kTensorInfoKey = "tensors";

struct TensorInfo {
  std::string kind;                  // "" when the entry has no string "kind"
  std::string layer;                 // "" when the entry has no string "layer"
  std::optional<uint64_t> man_bits;  // when "man_bits" is a non-negative integer
  bool bad_man_bits = false;         // "man_bits" is there but is not a non-negative integer
  std::optional<double> n;           // when "n" is a number
};

// Tensor name -> its entry.
using TensorInfoMap = std::map<std::string, TensorInfo>;

// The "tensors" entry of a file's metadata; std::nullopt when the metadata has none. An entry
// that is not a JSON object has no fields. Throws Error if the value is not a JSON object.
std::optional<TensorInfoMap> parse_tensor_info(const Metadata& metadata);

// The JSON text of a "tensors" entry: tensors by name, each with "kind", "layer", "man_bits" (if
// set) and "n" (if set), keys in sorted order.
std::string write_tensor_info(const TensorInfoMap& info);

}  // namespace sfp::io
