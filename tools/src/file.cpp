// SPDX-License-Identifier: Apache-2.0
//
// Whole-file reading and atomic writing (POSIX).
#include "sfp/io/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace sfp::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error("cannot open: " + errno_text());
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw Error("cannot read: " + errno_text());
  if (S_ISDIR(st.st_mode)) throw Error("cannot read: is a directory");
  std::vector<uint8_t> out;
  if (S_ISREG(st.st_mode) && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  while (true) {
    const ssize_t got = ::read(fd.get(), buf, sizeof buf);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read: " + errno_text());
    }
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.filename().empty()) throw Error("output path names a directory");
  std::string temp =
      (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
  Fd fd(::mkstemp(temp.data()));
  if (fd.get() < 0) throw Error("cannot create a temporary file next to it: " + errno_text());
  try {
    // mkstemp creates the file with mode 0600; give it the usual 0666 minus the umask.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (::fchmod(fd.get(), 0666 & ~mask) != 0) throw Error("cannot set mode: " + errno_text());
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t put = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (put < 0) {
        if (errno == EINTR) continue;
        throw Error("cannot write: " + errno_text());
      }
      done += static_cast<size_t>(put);
    }
    if (::fsync(fd.get()) != 0) throw Error("cannot write: " + errno_text());
    if (!fd.close()) throw Error("cannot write: " + errno_text());
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      throw Error("cannot rename the temporary file into place: " + errno_text());
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

FileKind detect_kind(const uint8_t* data, size_t size) {
  if (size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0) return FileKind::kNpy;
  if (size >= 4 && std::memcmp(data, "SFPF", 4) == 0) return FileKind::kSfp;
  return FileKind::kSafetensors;
}

}  // namespace sfp::io
