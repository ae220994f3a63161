// SPDX-License-Identifier: Apache-2.0
//
// The .sfp container file: the tensor streams of one tensor file plus what is needed to write
// that file back. Spec: docs/format.md, "Container file".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/io/tensor.hpp"

namespace sfp::io {

inline constexpr char kContainerMagic[4] = {'S', 'F', 'P', 'F'};
// The newest .sfp file version. A file's version is the newest format version of its streams:
// 3 (shared tables, one-pass lanes), 2 (with a CRC-32C of the file header and of each record) or 1
// (byte for byte as the first writers made it). All three are read.
inline constexpr unsigned kContainerVersion = 3;
inline constexpr unsigned kContainerMaxDims = 8;

struct EncodedTensor {
  std::string name;
  std::vector<uint64_t> shape;
  // config, values, chunk_words and payload are stored; bits is filled only by the encoder.
  Encoded stream;
};

struct Container {
  SourceKind kind = SourceKind::kSafetensors;
  Metadata metadata;
  std::vector<EncodedTensor> tensors;
};

// Serializes a container. Throws Error if a field cannot be represented (name length, more than
// 8 dimensions, value count not the product of the shape, chunk index inconsistent with the
// payload, more than 2^32-1 tensors or chunks).
std::vector<uint8_t> write_container(const Container& c);

// Parses and validates a whole .sfp file: header, metadata, and every record's name, dtype,
// shape, configuration word, value count, chunk count, chunk index (entries between 1 and the
// largest chunk length, pad bits zero) and payload length, and that the file ends after the
// last record. The streams themselves are checked by decode_container. Throws Error naming the
// record and field.
Container read_container(const uint8_t* data, size_t size);

// Decodes every tensor stream with sfp::decode (version 2 chunks on up to `threads` threads).
// Memory is bounded by what the payload really decodes to, not by the value count in the
// header: values are allocated at first for one per payload byte (at least one chunk), and a
// tensor that claims more is decoded in segments of chunks, each at most as large as what has
// decoded before it. Throws Error naming the tensor, the chunk and the decoder status if one
// fails. decoded(i), if given, is called after tensor i.
TensorFile decode_container(const Container& c, unsigned threads = 1,
                            const std::function<void(size_t)>& decoded = nullptr);

// Encodes one tensor. Throws Error naming the tensor if sfp::encode fails.
EncodedTensor encode_tensor(const Tensor& t, const Config& config, unsigned threads = 1);

// Encodes every tensor of a file with the configuration config_for(tensor) returns (called once
// per tensor, in file order); version 3 tensors share tables as the spec's "Shared tables" says.
Container encode_tensor_file(const TensorFile& file,
                             const std::function<Config(const Tensor&)>& config_for,
                             unsigned threads = 1);

}  // namespace sfp::io
