// SPDX-License-Identifier: Apache-2.0
//
// Whole-file reading and atomic writing (POSIX).
#include "sfp/io/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>

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
// Every signal whose default action ends the process and that can be caught, apart from the
// ones a fault raises (SIGSEGV, SIGBUS, ...) and those of profilers and debuggers.
constexpr int kCleanupSignals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,
                                   SIGXFSZ, SIGXCPU, SIGALRM, SIGUSR1, SIGUSR2};

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

// Reads the `size` bytes left in `fd`, a regular file, and checks that no more follow (the file
// neither grows nor shrinks while it is read).
std::vector<uint8_t> read_regular(int fd, size_t size) {
  std::vector<uint8_t> out(size);
  size_t done = 0;
  while (true) {
    uint8_t extra;
    uint8_t* to = done < size ? out.data() + done : &extra;
    const ssize_t got = ::read(fd, to, done < size ? size - done : 1);
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

// The status of an input: "-" is standard input.
bool input_stat(const std::string& in, struct stat* st) {
  return in == "-" ? ::fstat(STDIN_FILENO, st) == 0 : ::stat(in.c_str(), st) == 0;
}

// Throws if the output `path` (status `out_st`, null if it does not exist) is one of `inputs`:
// the same path, or the same regular file (device and inode).
void refuse_inputs(const std::string& path, const struct stat* out_st,
                   const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  for (const std::string& in : inputs) {
    bool same = path != "-" && in != "-" &&
                fs::path(in).lexically_normal() == fs::path(path).lexically_normal();
    struct stat in_st;
    if (!same && out_st && S_ISREG(out_st->st_mode) && input_stat(in, &in_st)) {
      same = in_st.st_dev == out_st->st_dev && in_st.st_ino == out_st->st_ino;
    }
    if (!same) continue;
    if (in == "-") {
      throw Error("is the input file on standard input (same file); write to another path");
    }
    throw Error(fmt::format("is the input file {} (same file); write to another path", quote(in)));
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
  return read_regular(fd.get(), static_cast<size_t>(st.st_size));
}

std::vector<uint8_t> read_stdin() {
  struct stat st;
  if (::fstat(STDIN_FILENO, &st) != 0) throw Error("cannot read: " + errno_text());
  if (S_ISDIR(st.st_mode)) throw Error("cannot read: is a directory");
  if (::isatty(STDIN_FILENO)) throw Error("cannot read: is a terminal");
  if (S_ISREG(st.st_mode)) {
    // A redirected file: the rest of it from the current offset, as read_file reads a file.
    const off_t at = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
    if (at >= 0 && at <= st.st_size) {
      return read_regular(STDIN_FILENO, static_cast<size_t>(st.st_size - at));
    }
  }
  // A pipe, socket or device: until end of file, in memory like a file, and no more than the
  // machine's memory (a larger allocation would only succeed by overcommit).
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  const uint64_t memory = pages > 0 && page > 0
                              ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page)
                              : UINT64_MAX;
  std::vector<uint8_t> out;
  size_t done = 0;
  while (true) {
    if (out.size() - done < (64u << 10)) {
      if (out.size() >= memory) throw std::bad_alloc();
      out.resize(std::max<size_t>(out.size() * 2, 256u << 10));
    }
    const ssize_t got = ::read(STDIN_FILENO, out.data() + done, out.size() - done);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read: " + errno_text());
    }
    done += static_cast<size_t>(got);
  }
  out.resize(done);
  out.shrink_to_fit();
  return out;
}

OutputFile::OutputFile(const std::string& path, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  struct stat out_st;
  if (path == "-") {
    if (::fstat(STDOUT_FILENO, &out_st) != 0) throw Error("cannot write: " + errno_text());
    refuse_inputs(path, &out_st, inputs);
    mode_ = Mode::kStdout;
    stdout_ = true;
    target_ = path;
    fd_ = STDOUT_FILENO;
    return;
  }
  if (fs::path(path).filename().empty()) throw Error("output path names a directory");
  // stat follows every link, /dev/stdout and the other /proc/self/fd links included.
  const bool exists = ::stat(path.c_str(), &out_st) == 0;
  if (exists) {
    if (S_ISDIR(out_st.st_mode)) throw Error("output path is a directory");
    const char* refused =
        S_ISSOCK(out_st.st_mode)  ? "a socket"
        : S_ISBLK(out_st.st_mode) ? "a block device"
        : S_ISREG(out_st.st_mode) || S_ISCHR(out_st.st_mode) || S_ISFIFO(out_st.st_mode)
            ? nullptr
            : "not a regular file";
    if (refused) {
      throw Error(fmt::format(
          "output path is {} (sfp writes to regular files, character devices and FIFOs)", refused));
    }
  }
  refuse_inputs(path, exists ? &out_st : nullptr, inputs);
  if (exists && !S_ISREG(out_st.st_mode)) {
    // A character device or a FIFO: written to, never replaced. Opening a FIFO waits for a
    // reader.
    int fd;
    do {
      fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw Error("cannot open: " + errno_text());
    struct stat st;
    if (::fstat(fd, &st) != 0 || st.st_dev != out_st.st_dev || st.st_ino != out_st.st_ino ||
        (st.st_mode & S_IFMT) != (out_st.st_mode & S_IFMT)) {
      ::close(fd);
      throw Error("cannot open: the file changed while it was opened");
    }
    mode_ = Mode::kDirect;
    struct stat out;
    stdout_ = ::fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev &&
              out.st_ino == st.st_ino && out.st_rdev == st.st_rdev;
    target_ = path;
    fd_ = fd;
    return;
  }
  const fs::path target = write_target(path);
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
  // mkstemp creates the file with mode 0600. A file replaced keeps its permission bits (and its
  // owner and group where this process may set them); a new one gets 0666 minus the umask.
  mode_t mode;
  if (exists) {
    if (::fchown(fd_, out_st.st_uid, out_st.st_gid) != 0) {
      [[maybe_unused]] const int ignored = ::fchown(fd_, static_cast<uid_t>(-1), out_st.st_gid);
    }
    mode = out_st.st_mode & 0777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd_, mode) != 0) {
    const std::string why = errno_text();
    discard();
    throw Error("cannot set mode: " + why);
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
  if (fd_ >= 0 && mode_ != Mode::kStdout) ::close(fd_);
  fd_ = -1;
  if (mode_ != Mode::kReplace) return;
  const SignalsBlocked blocked;
  if (g_temp_set) ::unlink(g_temp);
  g_temp_set = 0;
}

void OutputFile::write(const uint8_t* data, size_t size) {
  if (fd_ < 0) throw OutputError("cannot write: the output file is closed");
  size_t done = 0;
  while (done < size) {
    const ssize_t put = ::write(fd_, data + done, size - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw OutputError("cannot write: " + errno_text());
    }
    done += static_cast<size_t>(put);
  }
  if (mode_ != Mode::kReplace) return;
  // Write-behind: the kernel starts writing each kWriteBehind bytes to the disk as they come,
  // while the coding goes on, so that commit's fsync waits for the last few only. Errors show
  // at the fsync.
  written_ += size;
  if (written_ - started_ >= kWriteBehind) {
#ifdef __linux__
    ::sync_file_range(fd_, static_cast<off_t>(started_), static_cast<off_t>(written_ - started_),
                      SYNC_FILE_RANGE_WRITE);
#endif
    started_ = written_;
  }
}

void OutputFile::write_at(uint64_t offset, const uint8_t* data, size_t size) {
  if (fd_ < 0) throw OutputError("cannot write: the output file is closed");
  if (mode_ != Mode::kReplace) throw OutputError("cannot write: the output cannot be overwritten");
  size_t done = 0;
  while (done < size) {
    const ssize_t put = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(offset + done));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw OutputError("cannot write: " + errno_text());
    }
    done += static_cast<size_t>(put);
  }
}

void OutputFile::commit() {
  if (fd_ < 0) throw OutputError("cannot write: the output file is closed");
  const int fd = fd_;
  fd_ = -1;
  if (mode_ == Mode::kStdout) return;
  if (mode_ == Mode::kDirect) {
    if (::close(fd) != 0) throw OutputError("cannot write: " + errno_text());
    return;
  }
  if (::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    throw OutputError("cannot write: " + why);
  }
  if (::close(fd) != 0) throw OutputError("cannot write: " + errno_text());
  const SignalsBlocked blocked;
  if (std::rename(g_temp, target_.c_str()) != 0) {
    throw OutputError("cannot rename the temporary file into place: " + errno_text());
  }
  g_temp_set = 0;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes,
                       const std::vector<std::string>& inputs) {
  OutputFile out(path, inputs);
  out.write(bytes);
  out.commit();
}

InputFile::InputFile(const std::string& path) {
  struct stat st;
  if (path != "-") {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error("cannot open: " + errno_text());
    if (::fstat(fd_, &st) != 0) {
      const std::string why = errno_text();
      ::close(fd_);
      throw Error("cannot read: " + why);
    }
    const char* refused = S_ISDIR(st.st_mode) ? "cannot read: is a directory"
                          : !S_ISREG(st.st_mode)
                              ? "cannot read: not a regular file (sfp reads regular files only, "
                                "not pipes or devices)"
                              : nullptr;
    if (refused) {
      ::close(fd_);
      throw Error(refused);
    }
    size_ = static_cast<uint64_t>(st.st_size);
    return;
  }
  own_ = false;
  fd_ = STDIN_FILENO;
  if (::fstat(STDIN_FILENO, &st) != 0) throw Error("cannot read: " + errno_text());
  if (S_ISDIR(st.st_mode)) throw Error("cannot read: is a directory");
  if (::isatty(STDIN_FILENO)) throw Error("cannot read: is a terminal");
  if (S_ISREG(st.st_mode)) {
    // A redirected file: the rest of it from the current offset.
    const off_t at = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
    if (at >= 0 && at <= st.st_size) {
      base_ = static_cast<uint64_t>(at);
      size_ = static_cast<uint64_t>(st.st_size - at);
      return;
    }
  }
  // A pipe, socket or device: copied to an unnamed temporary file until end of file.
  const char* env = std::getenv("TMPDIR");
  const std::string dir = env && *env ? env : "/tmp";
  std::string temp = dir + "/sfp-stdin.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw Error("cannot copy to a temporary file: " + errno_text());
  ::unlink(temp.c_str());
  fd_ = fd;
  own_ = true;
  // At most half the folder's free space, so that an endless input (/dev/zero) does not fill it.
  struct statvfs fs;
  const uint64_t limit =
      ::fstatvfs(fd, &fs) == 0 ? static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize / 2 : UINT64_MAX;
  std::vector<uint8_t> buf(1u << 20);
  while (true) {
    const ssize_t got = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read: " + errno_text());
    }
    if (size_ + static_cast<uint64_t>(got) > limit) {
      throw Error(fmt::format(
          "cannot copy to a temporary file: the input is larger than half the free space of {} "
          "({} bytes)",
          dir, limit));
    }
    size_t done = 0;
    while (done < static_cast<size_t>(got)) {
      const ssize_t put = ::write(fd_, buf.data() + done, static_cast<size_t>(got) - done);
      if (put < 0) {
        if (errno == EINTR) continue;
        throw Error("cannot copy to a temporary file: " + errno_text());
      }
      done += static_cast<size_t>(put);
    }
    size_ += static_cast<uint64_t>(got);
  }
}

InputFile::InputFile(std::vector<uint8_t> bytes)
    : own_(false), size_(bytes.size()), bytes_(std::move(bytes)) {}

InputFile::~InputFile() {
  if (own_ && fd_ >= 0) ::close(fd_);
}

void InputFile::read(uint64_t offset, uint8_t* out, size_t n) const {
  if (offset > size_ || n > size_ - offset) {
    throw Error("cannot read: read past the end of the file");
  }
  if (fd_ < 0) {
    if (n) std::memcpy(out, bytes_.data() + offset, n);
    return;
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t got =
        ::pread(fd_, out + done, n - done, static_cast<off_t>(base_ + offset + done));
    if (got == 0) throw Error("cannot read: the file shrank while it was read");
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read: " + errno_text());
    }
    done += static_cast<size_t>(got);
  }
}

ReadAt InputFile::reader() const {
  return [this](uint64_t offset, uint8_t* out, size_t n) { read(offset, out, n); };
}

void InputFile::check_size() const {
  if (fd_ < 0) return;
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw Error("cannot read: " + errno_text());
  const uint64_t now = static_cast<uint64_t>(st.st_size);
  if (now > base_ + size_) throw Error("cannot read: the file grew while it was read");
  if (now < base_ + size_) throw Error("cannot read: the file shrank while it was read");
}

FileKind detect_kind(const uint8_t* data, size_t size) {
  if (size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0) return FileKind::kNpy;
  if (size >= 4 && std::memcmp(data, "SFPF", 4) == 0) return FileKind::kSfp;
  return FileKind::kSafetensors;
}

}  // namespace sfp::io
