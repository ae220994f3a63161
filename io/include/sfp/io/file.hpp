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

// Reads standard input whole: a redirected regular file as read_file reads a file (from the
// current offset), anything else (a pipe, a socket, a device) until end of file, at most the
// machine's physical memory (beyond it, std::bad_alloc). A terminal is refused. Throws Error.
std::vector<uint8_t> read_stdin();

// An output file written to a temporary file in the directory of its target and renamed over
// the target by commit(), so the target is either left untouched or replaced by the complete
// file, which keeps the permission bits of the file it replaces (and its owner and group where
// the process may set them). The temporary file is removed if commit() is not reached (an
// exception, the object destroyed) and also on the signals that end a process by default and can
// be caught (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ, SIGXCPU, SIGALRM, SIGUSR1,
// SIGUSR2): the first OutputFile that makes a temporary file installs handlers for those signals
// (unless they are ignored) that remove the temporary file being written and then end the
// process by the same signal. One OutputFile may be open at a time.
//
// A target that is a symbolic link is written through: the file it points to (following every
// link) is replaced and the link is kept. A character device or a FIFO is opened and written to
// directly (no temporary file, no rename; a FIFO waits for a reader), and "-" is standard output:
// these cannot be taken back, so a failure may leave part of the output written. A socket or a
// block device is refused. A target that is one of `inputs` ("-" is standard input) is refused:
// the same path, or the same regular file (device and inode: a hard link or a symbolic link to
// it, or standard output redirected to it).
class OutputFile {
 public:
  explicit OutputFile(const std::string& path, const std::vector<std::string>& inputs = {});
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  void write(const uint8_t* data, size_t size);
  void write(const std::vector<uint8_t>& bytes) { write(bytes.data(), bytes.size()); }
  // True if bytes already written can be overwritten with write_at: the output is a temporary
  // file (a regular file target).
  bool seekable() const { return mode_ == Mode::kReplace; }
  // Overwrites size bytes at `offset`, which must lie within what write() has written.
  void write_at(uint64_t offset, const uint8_t* data, size_t size);
  // Syncs, closes and renames the temporary file into place (closes a device or FIFO). The
  // write-out to the disk starts while writing, every few MiB, so the sync waits for the rest.
  void commit();
  // True if the output goes to standard output: "-", or a device or FIFO that standard output is
  // also open on (such as /dev/stdout).
  bool is_stdout() const { return stdout_; }

 private:
  enum class Mode : uint8_t {
    kReplace,  // a temporary file renamed over the target
    kDirect,   // a character device or FIFO, written to
    kStdout,   // standard output, written to and left open
  };
  void discard() noexcept;

  static constexpr uint64_t kWriteBehind = 8u << 20;
  Mode mode_ = Mode::kReplace;
  uint64_t written_ = 0, started_ = 0;  // bytes written; bytes whose write-out has started
  bool stdout_ = false;
  std::string target_;
  int fd_ = -1;
};

// OutputFile(path, inputs), one write, commit. Throws Error.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes,
                       const std::vector<std::string>& inputs = {});

// An input file read by offset (pread), never whole: a regular file, exactly the size it has
// when it is opened, or "-" for standard input. Standard input redirected from a regular file is
// read from its current offset; a pipe, socket or device is first copied to an unnamed
// temporary file (in $TMPDIR, else /tmp; at most half that folder's free space), so that it
// too can be read twice. A terminal, a
// directory, and a pipe or device named as a path are refused. Throws Error ("cannot open: ...",
// "cannot read: ...").
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  // An input already read into memory (such as read_stdin's).
  explicit InputFile(std::vector<uint8_t> bytes);
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  uint64_t size() const { return size_; }
  // Reads bytes [offset, offset + n) of the file; an error if the file has shrunk under them.
  void read(uint64_t offset, uint8_t* out, size_t n) const;
  // read() as a ReadAt.
  ReadAt reader() const;
  // Throws Error if the file's size is not the size it had when it was opened.
  void check_size() const;

 private:
  int fd_ = -1;
  bool own_ = true;    // fd_ is closed by the destructor (not standard input)
  uint64_t base_ = 0;  // where the input starts in the file (standard input's offset)
  uint64_t size_ = 0;
  std::vector<uint8_t> bytes_;  // the input, when it was given in memory (fd_ < 0)
};

enum class FileKind : uint8_t { kSafetensors, kNpy, kSfp };

// By content: the .npy magic, the .sfp magic, and otherwise safetensors (which has no magic).
FileKind detect_kind(const uint8_t* data, size_t size);

}  // namespace sfp::io
