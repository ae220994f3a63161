// SPDX-License-Identifier: Apache-2.0
//
// Encoding a tensor file into an .sfp container and decoding one back, streamed: tensor by
// tensor and chunk by chunk, never holding a whole file, tensor or stream in memory. The bytes
// are those of the whole-file path (write_container of encode_tensor_file, write_safetensors or
// write_npy of decode_container). Spec: docs/format.md, "Container file"; docs/cli.md, "Memory
// and threads".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/tensor.hpp"

namespace sfp::io {

// One tensor as the streaming encoder or decoder saw it.
struct StreamedTensor {
  std::string name;
  Fp dtype = Fp::kFp32;
  std::vector<uint64_t> shape;
  uint64_t values = 0;
  Config config;
  BitCounts bits;  // encoder: every bit of the tensor's stream (table, index and CRCs included)
  // measure_container: the stored stream is the one a conforming encoder writes for the
  // tensor's values with its configuration (the same table, shared-table reference and chunks).
  bool conforming = true;
};

struct StreamResult {
  SourceKind kind = SourceKind::kSafetensors;
  std::vector<StreamedTensor> tensors;
  uint64_t bytes_written = 0;
};

// Called after each tensor with the tensor's value count.
using TensorDone = std::function<void(uint64_t values)>;

// Encodes the tensors of `layout` (the layout of `in`) into an .sfp container written to `out`,
// each with the configuration config_for(tensor) gives (called once per tensor in file order,
// with the tensor's name, dtype and shape and no values). Reads the input twice: a first pass
// counts the values of the version 2 and 3 tensors for their tables (and picks the shared
// tables of version 3), the second codes every chunk and writes. Each record's chunk index
// precedes its chunks, so it is written as zeros and overwritten when the tensor's last chunk
// is written (OutputFile::seekable), or, for an output that cannot be overwritten, the chunks
// of a tensor are held until its index is written: in memory up to 16 MiB, beyond that in an
// unnamed temporary file. Chunks of all tensors form one list of jobs on `threads` threads.
// Throws Error with the messages of encode_tensor_file and write_container.
StreamResult encode_stream(const InputFile& in, const FileLayout& layout, OutputFile& out,
                           const std::function<Config(const Tensor&)>& config_for,
                           unsigned threads = 1, const TensorDone& done = nullptr);

// Called with chunk values[0..n) of tensor `tensor` (bit patterns as read, before Q_m).
using ChunkValues = std::function<void(size_t tensor, const uint32_t* values, size_t n)>;

// encode_stream without an output: the tensors' bit counts and the container's size
// (bytes_written) as sfp encode would write it, and observe(...) called on the calling thread
// for every chunk's values, in file order (sfp stats).
StreamResult measure_stream(const InputFile& in, const FileLayout& layout,
                            const std::function<Config(const Tensor&)>& config_for,
                            unsigned threads, const ChunkValues& observe);

// Decodes the .sfp file `in` into the tensor file it came from, written to `out`. Reads the
// input twice: a first pass checks every record as read_container does (the payloads skipped)
// and gives the output's header; the second decodes the chunks of all tensors as one list of
// jobs on `threads` threads and writes their values in order. scanned(result), if given, is
// called after the first pass with the tensors found. Throws Error with the messages of
// read_container and decode_container.
StreamResult decode_stream(const InputFile& in, OutputFile& out, unsigned threads = 1,
                           const TensorDone& done = nullptr,
                           const std::function<void(const StreamResult&)>& scanned = nullptr);

// Measures the .sfp file `in` without holding its values: each tensor's name, dtype, shape, value
// count and stored configuration, and in `bits` every bit a conforming encoder writes for its
// decoded values with that configuration (the stored stream's own bits when it is conforming,
// see StreamedTensor::conforming). Decodes a chunk at a time on `threads` threads, as
// decode_stream does, and codes each chunk again; a tensor whose stored table or shared-table
// reference is not the conforming one has its chunks decoded a second time and coded with the
// conforming table. observe(...) is called on the calling thread with every chunk's decoded
// values, in file order (sfp stats); scanned(result), if given, before that with the tensors
// found. Throws Error with the messages of decode_stream.
StreamResult measure_container(const InputFile& in, unsigned threads, const ChunkValues& observe,
                               const std::function<void(const StreamResult&)>& scanned = nullptr);

}  // namespace sfp::io
