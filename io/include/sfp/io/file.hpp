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

// Reads a whole regular file (its size as fstat gives it, which bounds the memory). Anything
// else (a directory, a pipe, a device such as /dev/zero) is refused, as is a file that changes
// size while it is read. Throws Error ("cannot open: <reason>", "cannot read: <reason>").
std::vector<uint8_t> read_file(const std::string& path);

// An output file written to a temporary file in the directory of its target and renamed over
// the target by commit(), so the target is either left untouched or replaced by the complete
// file. The temporary file is removed if commit() is not reached (an exception, the object
// destroyed) and also on SIGINT, SIGTERM and SIGHUP: the first OutputFile installs handlers for
// those signals (unless they are ignored) that remove the temporary file being written and then
// end the process by the same signal. One OutputFile may be open at a time.
//
// A target that is a symbolic link is written through: the file it points to (following every
// link) is replaced and the link is kept. A target that is the same file as one of `inputs`
// (same device and inode: the same path, a hard link or a symbolic link to it) is refused.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path, const std::vector<std::string>& inputs = {});
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  void write(const uint8_t* data, size_t size);
  void write(const std::vector<uint8_t>& bytes) { write(bytes.data(), bytes.size()); }
  // Syncs, closes and renames the temporary file into place.
  void commit();

 private:
  void discard() noexcept;

  std::string target_;
  int fd_ = -1;
};

// OutputFile(path, inputs), one write, commit. Throws Error.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes,
                       const std::vector<std::string>& inputs = {});

enum class FileKind : uint8_t { kSafetensors, kNpy, kSfp };

// By content: the .npy magic, the .sfp magic, and otherwise safetensors (which has no magic).
FileKind detect_kind(const uint8_t* data, size_t size);

}  // namespace sfp::io
