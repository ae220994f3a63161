// SPDX-License-Identifier: Apache-2.0
//
// The pieces of the .sfp container that the whole-file reader and writer (container.cpp) and the
// streaming encoder and decoder (stream.cpp) share, so that both make and accept the same bytes
// with the same messages (private to sfp_io). Spec: docs/format.md, "Container file".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "sfp/io/container.hpp"

namespace sfp::io::detail {

// Chunk index geometry of a configuration: the largest chunk length in words and the entry
// width L, which is the bit width of that length (spec: "Chunk index"). max_chunk_bits costs
// O(C / G), so it is cached: it does not depend on the format, rounding or word width.
class IndexGeometry {
 public:
  struct Entry {
    uint64_t max_words;
    unsigned bits;
  };
  Entry get(const Config& c, uint32_t word);

 private:
  std::map<uint32_t, uint64_t> chunk_bits_;
};

// "tensor 3 ("w")", as messages name a record.
std::string record_name(size_t i, const std::string& name);

// The file header up to and including its CRC (file version 2 and later). Throws Error if the
// source kind, metadata or tensor count cannot be written. dtype(i) is tensor i's dtype.
std::vector<uint8_t> container_header(SourceKind kind, const Metadata& metadata, size_t tensors,
                                      unsigned file_version,
                                      const std::function<Fp(size_t)>& dtype);

// Throws Error (naming record i) if a tensor cannot be stored: its name, dimensions,
// configuration, value count or chunk count.
void check_record(size_t i, const std::string& name, const std::vector<uint64_t>& shape,
                  const Config& c, uint64_t n);

// Record i up to its chunk index: name, dtype, shape, configuration word, value count, chunk
// count and (versions 2 and 3) the table or table section. Checks as check_record.
std::vector<uint8_t> record_head(size_t i, const std::string& name,
                                 const std::vector<uint64_t>& shape, const Config& c, uint64_t n,
                                 const CodeTable& table, uint32_t ref);

// Bytes of the chunk index of k chunks.
uint64_t index_bytes(const Config& c, uint64_t k);

// The chunk index of record i: k entries of lengths `words`, and (version 2) modes `raw` and
// (versions 2 and 3) CRCs `crc`. Throws Error if a length is 0 or above the largest chunk.
std::vector<uint8_t> record_index(size_t i, const std::string& name, const Config& c,
                                  const uint32_t* words, const uint8_t* raw, const uint32_t* crc,
                                  uint64_t k, IndexGeometry& geometry);

// One record as the scanner finds it: the tensor with its stream but no payload, and where the
// payload lies in the file.
struct ScannedRecord {
  EncodedTensor tensor;
  uint64_t payload_at = 0, payload_bytes = 0;
};

// Reads and checks an .sfp file record by record as read_container does (same checks, same
// messages), skipping the payloads, from memory or through a ReadAt.
class ContainerScanner {
 public:
  // Reads and checks the header and metadata.
  ContainerScanner(const uint8_t* mem, uint64_t size, ReadAt read);
  ~ContainerScanner();
  ContainerScanner(const ContainerScanner&) = delete;
  ContainerScanner& operator=(const ContainerScanner&) = delete;
  SourceKind kind() const { return kind_; }
  const Metadata& metadata() const { return metadata_; }
  uint64_t count() const { return count_; }
  // The next record, checked; false after the last one, once the end of the file and the source
  // kind's requirements are checked too. Throws Error.
  bool next(ScannedRecord* out);

 private:
  std::unique_ptr<SourceReader> r_;
  unsigned version_ = 0;
  SourceKind kind_ = SourceKind::kSafetensors;
  Metadata metadata_;
  uint64_t count_ = 0, i_ = 0;
  bool done_ = false;
  IndexGeometry geometry_;
  std::vector<CodeTable> tables_;
  std::map<std::string, uint64_t> names_;
  std::vector<Fp> dtypes_;
};

}  // namespace sfp::io::detail
