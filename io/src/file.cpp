// SPDX-License-Identifier: Apache-2.0
//
// Whole-file reading and atomic writing (POSIX).
#include "sfp/io/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <signal.h>
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

 private:
  int fd_;
};

// The temporary file being written, for the signal handler. Set and cleared with the signals
// blocked, so the handler sees either no path or a complete one.
char g_temp[PATH_MAX];
volatile sig_atomic_t g_temp_set = 0;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void remove_temp_and_reraise(int sig) {
  if (g_temp_set) ::unlink(g_temp);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (const int sig : kCleanupSignals) {
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_temp_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (const int s : kCleanupSignals) sigaddset(&sa.sa_mask, s);
    ::sigaction(sig, &sa, nullptr);
  }
}

// Blocks the cleanup signals for its lifetime.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t set;
    sigemptyset(&set);
    for (const int s : kCleanupSignals) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, &old_);
  }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;
  ~SignalsBlocked() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

// The path a write to `path` lands on: symbolic links followed to the file they name (which
// need not exist yet).
std::filesystem::path write_target(std::filesystem::path p) {
  namespace fs = std::filesystem;
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    if (hops == 40) throw Error("too many levels of symbolic links");
    const fs::path link = fs::read_symlink(p, ec);
    if (ec) throw Error("cannot read the symbolic link: " + ec.message());
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error("cannot open: " + errno_text());
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw Error("cannot read: " + errno_text());
  if (S_ISDIR(st.st_mode)) throw Error("cannot read: is a directory");
  if (!S_ISREG(st.st_mode)) {
    throw Error(
        "cannot read: not a regular file (sfp reads regular files only, not pipes or "
        "devices)");
  }
  // Exactly st_size bytes and a check for one more: memory is bounded by the size stat gave.
  const auto size = static_cast<size_t>(st.st_size);
  std::vector<uint8_t> out(size);
  size_t done = 0;
  while (true) {
    uint8_t extra;
    uint8_t* to = done < size ? out.data() + done : &extra;
    const ssize_t got = ::read(fd.get(), to, done < size ? size - done : 1);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read: " + errno_text());
    }
    if (done >= size) throw Error("cannot read: the file grew while it was read");
    done += static_cast<size_t>(got);
  }
  if (done != size) throw Error("cannot read: the file shrank while it was read");
  return out;
}

OutputFile::OutputFile(const std::string& path, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  if (fs::path(path).filename().empty()) throw Error("output path names a directory");
  const fs::path target = write_target(path);
  struct stat out_st;
  if (::stat(target.c_str(), &out_st) == 0) {
    if (S_ISDIR(out_st.st_mode)) throw Error("output path is a directory");
    for (const std::string& in : inputs) {
      struct stat in_st;
      if (::stat(in.c_str(), &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
          in_st.st_ino == out_st.st_ino) {
        throw Error(
            fmt::format("is the input file {} (same file); write to another path", quote(in)));
      }
    }
  }
  target_ = target.string();
  const std::string temp =
      (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
  if (temp.size() >= sizeof g_temp) throw Error("output path is too long");
  install_handlers();
  {
    const SignalsBlocked blocked;
    if (g_temp_set) throw Error("another output file is being written");
    std::memcpy(g_temp, temp.c_str(), temp.size() + 1);
    fd_ = ::mkstemp(g_temp);
    if (fd_ < 0) {
      throw Error("cannot create a temporary file next to it: " + errno_text());
    }
    g_temp_set = 1;
  }
  // mkstemp creates the file with mode 0600; give it the usual 0666 minus the umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) {
    const std::string why = errno_text();
    discard();
    throw Error("cannot set mode: " + why);
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  const SignalsBlocked blocked;
  if (g_temp_set) ::unlink(g_temp);
  g_temp_set = 0;
}

void OutputFile::write(const uint8_t* data, size_t size) {
  if (fd_ < 0) throw Error("cannot write: the output file is closed");
  size_t done = 0;
  while (done < size) {
    const ssize_t put = ::write(fd_, data + done, size - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write: " + errno_text());
    }
    done += static_cast<size_t>(put);
  }
}

void OutputFile::commit() {
  if (fd_ < 0) throw Error("cannot write: the output file is closed");
  if (::fsync(fd_) != 0) throw Error("cannot write: " + errno_text());
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error("cannot write: " + errno_text());
  const SignalsBlocked blocked;
  if (std::rename(g_temp, target_.c_str()) != 0) {
    throw Error("cannot rename the temporary file into place: " + errno_text());
  }
  g_temp_set = 0;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes,
                       const std::vector<std::string>& inputs) {
  OutputFile out(path, inputs);
  out.write(bytes);
  out.commit();
}

FileKind detect_kind(const uint8_t* data, size_t size) {
  if (size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0) return FileKind::kNpy;
  if (size >= 4 && std::memcmp(data, "SFPF", 4) == 0) return FileKind::kSfp;
  return FileKind::kSafetensors;
}

}  // namespace sfp::io
