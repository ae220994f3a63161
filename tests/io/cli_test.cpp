// SPDX-License-Identifier: Apache-2.0
//
// The sfp command, run as a process: round trips through files, exit codes, messages, and
// that a failure leaves no output file behind.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "io_test_util.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

struct Run {
  int code;
  std::string out, err;
};

// A started sfp process whose stdout and stderr go to files.
struct Pending {
  pid_t pid;
  std::string out, err;
};

// stdout goes to `out_path` if given (then Run::out is empty).
Pending start(const ScratchDir& dir, const std::vector<std::string>& args, size_t id,
              const std::string& out_path = "") {
  Pending p{-1, out_path.empty() ? dir.file(fmt::format(".stdout.{}", id)) : out_path,
            dir.file(fmt::format(".stderr.{}", id))};
  std::vector<std::string> argv_s = {SFP_EXE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  REQUIRE(posix_spawn_file_actions_init(&fa) == 0);
  REQUIRE(posix_spawn_file_actions_addopen(&fa, 1, p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                           0644) == 0);
  REQUIRE(posix_spawn_file_actions_addopen(&fa, 2, p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                           0644) == 0);
  const int rc = posix_spawn(&p.pid, SFP_EXE, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return p;
}

Run finish(const Pending& p) {
  int status = 0;
  REQUIRE(waitpid(p.pid, &status, 0) == p.pid);
  REQUIRE(WIFEXITED(status));
  Run r{WEXITSTATUS(status), "", ""};
  const Bytes e = read_bytes(p.err);
  r.err.assign(e.begin(), e.end());
  std::filesystem::remove(p.err);
  if (p.out.rfind("/dev/", 0) != 0) {
    const Bytes o = read_bytes(p.out);
    r.out.assign(o.begin(), o.end());
    std::filesystem::remove(p.out);
  }
  return r;
}

// Runs build/sfp with the arguments and waits for it.
Run sfp(const ScratchDir& dir, const std::vector<std::string>& args) {
  return finish(start(dir, args, 0));
}

// Runs several sfp processes at once (each start-up loads every linked library).
std::vector<Run> sfp_all(const ScratchDir& dir,
                         const std::vector<std::vector<std::string>>& cases) {
  std::vector<Pending> pending;
  for (size_t i = 0; i < cases.size(); ++i) pending.push_back(start(dir, cases[i], i));
  std::vector<Run> runs;
  for (const Pending& p : pending) runs.push_back(finish(p));
  return runs;
}

// The signals on which sfp removes its temporary file (io/src/file.cpp).
constexpr int kCleanupSignals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,
                                   SIGXFSZ, SIGXCPU, SIGALRM, SIGUSR1, SIGUSR2};

// Limits and signal actions of a child started by fork_sfp.
struct ChildSetup {
  rlim_t fsize = RLIM_INFINITY;  // RLIMIT_FSIZE (ulimit -f)
  rlim_t as = RLIM_INFINITY;     // RLIMIT_AS (ulimit -v)
  bool ignore_sigxfsz = false;
};

// Starts sfp in `dir` with the given standard input, output and error (file descriptors, closed
// here), no core dumps, the cleanup signals at their default action (SIGXFSZ ignored if asked)
// and none blocked.
pid_t fork_sfp(const ScratchDir& dir, const std::vector<std::string>& args, int in, int out,
               int err, const ChildSetup& setup = {}) {
  std::vector<std::string> argv_s = {SFP_EXE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string cwd = dir.file("");
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const struct rlimit fsize = {setup.fsize, setup.fsize};
    if (setup.fsize != RLIM_INFINITY && ::setrlimit(RLIMIT_FSIZE, &fsize) != 0) ::_exit(126);
    const struct rlimit as = {setup.as, setup.as};
    if (setup.as != RLIM_INFINITY && ::setrlimit(RLIMIT_AS, &as) != 0) ::_exit(126);
    for (const int sig : kCleanupSignals) ::signal(sig, SIG_DFL);
    if (setup.ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(SFP_EXE, argv.data());
    ::_exit(127);
  }
  for (const int fd : {in, out, err}) ::close(fd);
  REQUIRE(pid > 0);
  return pid;
}

int open_fd(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  INFO(path << ": " << std::strerror(errno));
  REQUIRE(fd >= 0);
  return fd;
}

int wait_status(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

std::string text_of(const std::string& path) {
  const Bytes b = read_bytes(path);
  return std::string(b.begin(), b.end());
}

// Reads a FIFO on a thread: opened without waiting for a writer, read until `stop` is set and
// the FIFO is empty without a writer, so a writer that never comes does not hang the test.
class FifoReader {
 public:
  explicit FifoReader(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
    thread_ = std::thread([this] {
      uint8_t buf[65536];
      while (true) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n > 0) {
          got_.insert(got_.end(), buf, buf + n);
        } else if (n == 0 && stop_) {
          break;
        } else if (n == 0 || errno == EAGAIN || errno == EINTR) {
          ::usleep(1000);
        } else {
          break;
        }
      }
    });
  }
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;
  ~FifoReader() { stop(); }
  // Call once the writer has ended.
  const Bytes& stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return got_;
  }

 private:
  int fd_;
  std::atomic<bool> stop_{false};
  Bytes got_;
  std::thread thread_;
};

// A pipe whose write end a thread fills with `data` and closes; the read end is for a child.
class PipeWriter {
 public:
  explicit PipeWriter(Bytes data) : data_(std::move(data)) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_end_ = fds[0];
    const int w = fds[1];
    thread_ = std::thread([this, w] {
      // A reader that ends early gives EPIPE here, not SIGPIPE to the test.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      size_t done = 0;
      while (done < data_.size()) {
        const ssize_t n = ::write(w, data_.data() + done, data_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(w);
    });
  }
  PipeWriter(const PipeWriter&) = delete;
  PipeWriter& operator=(const PipeWriter&) = delete;
  ~PipeWriter() { thread_.join(); }
  // The read end, for fork_sfp (which closes it).
  int read_end() const { return read_end_; }

 private:
  Bytes data_;
  int read_end_;
  std::thread thread_;
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The files in a scratch directory, apart from the ones the test wrote itself.
std::vector<std::string> others(const ScratchDir& dir, std::vector<std::string> mine) {
  std::vector<std::string> out;
  for (const std::string& e : dir.entries()) {
    if (std::find(mine.begin(), mine.end(), e) == mine.end()) out.push_back(e);
  }
  return out;
}

// F32 and BF16 tensors with every FP corner (NaN payloads, -0, subnormals, Inf), random
// values and metadata.
io::TensorFile model_file(std::mt19937_64& rng) {
  io::TensorFile f;
  f.metadata = {{"format", "pt"}, {"epoch", "3"}};
  std::vector<uint32_t> w = corners(Fp::kFp32);
  const std::vector<uint32_t> w_more = random_values(rng, Fp::kFp32, 5000);
  w.insert(w.end(), w_more.begin(), w_more.end());
  std::vector<uint32_t> b = corners(Fp::kBf16);
  const std::vector<uint32_t> b_more = random_values(rng, Fp::kBf16, 300);
  b.insert(b.end(), b_more.begin(), b_more.end());
  const uint64_t wn = w.size(), bn = b.size();
  f.tensors.push_back(make_tensor("encoder.weight", Fp::kFp32, {wn / 2, 2}, std::move(w)));
  f.tensors.push_back(make_tensor("encoder.bias", Fp::kBf16, {bn}, std::move(b)));
  f.tensors.push_back(make_tensor("step", Fp::kFp32, {}, {0x41200000}));
  f.tensors.push_back(make_tensor("unused", Fp::kBf16, {0}, {}));
  return f;
}

TEST_CASE("sfp encode then decode gives back a safetensors file bit for bit", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = model_file(rng);
  const Bytes input = io::write_safetensors(f);
  write_bytes(dir.file("model.safetensors"), input);

  const Run enc = sfp(dir, {"encode", dir.file("model.safetensors"), "-o", dir.file("m.sfp")});
  INFO(enc.err);
  REQUIRE(enc.code == 0);
  CHECK(enc.err.empty());
  // One summary line: tensors, bytes in and out, their ratio, the time.
  const std::vector<std::string> out = lines(enc.out);
  REQUIRE(out.size() == 1);
  const size_t sfp_bytes = read_bytes(dir.file("m.sfp")).size();
  CHECK_THAT(out[0], StartsWith(fmt::format("{}: 4 tensors (safetensors), {} -> {} bytes (",
                                            dir.file("m.sfp"), input.size(), sfp_bytes)));
  CHECK_THAT(out[0], Contains(fmt::format("{:.3f}x) in ", static_cast<double>(input.size()) /
                                                              static_cast<double>(sfp_bytes))));
  CHECK_THAT(out[0], Contains(" s"));

  const Run dec = sfp(dir, {"decode", dir.file("m.sfp"), "-o", dir.file("back.safetensors")});
  INFO(dec.err);
  REQUIRE(dec.code == 0);
  const Bytes back = read_bytes(dir.file("back.safetensors"));
  CHECK(back == input);
  const io::TensorFile g = io::parse_safetensors(back.data(), back.size());
  REQUIRE(g.tensors.size() == f.tensors.size());
  for (size_t i = 0; i < f.tensors.size(); ++i) CHECK(g.tensors[i].values == f.tensors[i].values);
  CHECK(others(dir, {"model.safetensors", "m.sfp", "back.safetensors"}).empty());
}

TEST_CASE("sfp encode with -m decodes to Q_m of the input", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = model_file(rng);
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  const bool v1 = GENERATE(true, false);
  const std::vector<std::string> flags =
      v1 ? std::vector<std::string>{"--format", "1",    "--group", "8",  "--base", "gamma",
                                    "--zero",   "mask", "--chunk", "64", "--word", "64"}
         : std::vector<std::string>{"--format", "2", "--lanes", "8", "--chunk", "64", "-j", "2"};
  std::vector<std::string> args = {
      "encode", dir.file("in.safetensors"), "-o", dir.file("q.sfp"), "-m", "3", "--round", "rne"};
  args.insert(args.end(), flags.begin(), flags.end());
  const Run enc = sfp(dir, args);
  INFO(enc.err);
  REQUIRE(enc.code == 0);
  const Run dec = sfp(dir, {"decode", dir.file("q.sfp"), "-o", dir.file("q.safetensors")});
  REQUIRE(dec.code == 0);
  const Bytes back = read_bytes(dir.file("q.safetensors"));
  const io::TensorFile g = io::parse_safetensors(back.data(), back.size());
  REQUIRE(g.tensors.size() == f.tensors.size());
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const io::Tensor& t = f.tensors[i];
    std::vector<uint32_t> want(t.values.size());
    quantize(t.values.data(), want.data(), want.size(), t.dtype, 3, Rounding::kNearestEven);
    CHECK(g.tensors[i].values == want);
  }
  CHECK(g.metadata == f.metadata);
}

TEST_CASE("sfp encode then decode gives back .npy files bit for bit", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  std::vector<Bytes> inputs;
  std::vector<std::vector<std::string>> encode, decode;
  for (const bool bf16 : {false, true}) {
    for (const bool fortran : {false, true}) {
      const Fp fp = bf16 ? Fp::kBf16 : Fp::kFp32;
      io::TensorFile f;
      f.kind = bf16 ? io::SourceKind::kNpyBf16 : io::SourceKind::kNpyF32;
      f.metadata = {{"fortran_order", fortran ? "true" : "false"}};
      std::vector<uint32_t> v = corners(fp);
      const std::vector<uint32_t> more = random_values(rng, fp, 6 * 40 - v.size());
      v.insert(v.end(), more.begin(), more.end());
      f.tensors.push_back(make_tensor("a", fp, {6, 40}, v));
      const size_t i = inputs.size();
      inputs.push_back(io::write_npy(f));
      // The array is named after the file's stem.
      const std::string stem = fmt::format("a{}", i);
      write_bytes(dir.file(stem + ".npy"), inputs.back());
      encode.push_back({"encode", dir.file(stem + ".npy"), "-o", dir.file(stem + ".sfp")});
      if (bf16) encode.back().push_back("--bf16-npy");
      decode.push_back({"decode", dir.file(stem + ".sfp"), "-o", dir.file(stem + ".back.npy")});
    }
  }
  const std::vector<Run> enc = sfp_all(dir, encode);
  for (size_t i = 0; i < enc.size(); ++i) {
    INFO(enc[i].err);
    REQUIRE(enc[i].code == 0);
    CHECK_THAT(enc[i].out,
               StartsWith(fmt::format("{}: 1 tensor (npy ", dir.file(fmt::format("a{}.sfp", i)))));
  }
  const std::vector<Run> dec = sfp_all(dir, decode);
  for (size_t i = 0; i < dec.size(); ++i) {
    INFO(dec[i].err);
    REQUIRE(dec[i].code == 0);
    CHECK(read_bytes(dir.file(fmt::format("a{}.back.npy", i))) == inputs[i]);
  }
}

TEST_CASE("sfp encode of a <u2 .npy without --bf16-npy is an input error", "[cli]") {
  ScratchDir dir;
  io::TensorFile f;
  f.kind = io::SourceKind::kNpyBf16;
  f.metadata = {{"fortran_order", "false"}};
  f.tensors.push_back(make_tensor("a", Fp::kBf16, {2}, {0x3F80, 0x4000}));
  write_bytes(dir.file("a.npy"), io::write_npy(f));
  const Run r = sfp(dir, {"encode", dir.file("a.npy"), "-o", dir.file("a.sfp")});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, StartsWith("sfp: " + dir.file("a.npy") + ": "));
  CHECK_THAT(r.err, Contains("'<u2'"));
  CHECK(others(dir, {"a.npy"}).empty());
}

TEST_CASE("a missing input file exits 1 naming the file and writes nothing", "[cli]") {
  ScratchDir dir;
  const std::string missing = dir.file("missing.safetensors");
  for (const char* cmd : {"encode", "decode"}) {
    const Run r = sfp(dir, {cmd, missing, "-o", dir.file("out")});
    INFO(cmd);
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "sfp: " + missing + ": cannot open: No such file or directory\n");
    CHECK(dir.entries().empty());
  }
  const Run s = sfp(dir, {"stats", missing});
  CHECK(s.code == 1);
  CHECK(s.err == "sfp: " + missing + ": cannot open: No such file or directory\n");
}

TEST_CASE("a bad input file exits 1 with one line naming it and leaves no output", "[cli]") {
  ScratchDir dir;
  struct Case {
    const char* what;
    const char* command;
    Bytes content;
    const char* message;
  };
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes good = io::write_safetensors(model_file(rng));
  const Bytes f16 = safetensors_bytes(
      R"({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", Bytes(4, 0));
  const Case cases[] = {
      {"garbage", "encode", Bytes{'h', 'e', 'l', 'l', 'o', '\n'}, "header length"},
      {"truncated safetensors", "encode", Bytes(good.begin(), good.end() - 3), "reach past"},
      {"unsupported dtype", "encode", f16, "tensor \"h\" has dtype \"F16\""},
      {"an .sfp to encode", "encode", Bytes{'S', 'F', 'P', 'F', 1, 0}, "sfp decode"},
      {"safetensors to decode", "decode", good, "bad magic"},
      {"truncated .sfp", "decode", Bytes{'S', 'F', 'P', 'F', 1, 0, 0, 0, 1}, "file ends in"},
  };
  std::vector<std::vector<std::string>> args;
  std::vector<std::string> inputs;
  for (size_t i = 0; i < std::size(cases); ++i) {
    inputs.push_back(fmt::format("in{}.bin", i));
    write_bytes(dir.file(inputs.back()), cases[i].content);
    args.push_back(
        {cases[i].command, dir.file(inputs.back()), "-o", dir.file(fmt::format("out{}.bin", i))});
  }
  const std::vector<Run> runs = sfp_all(dir, args);
  for (size_t i = 0; i < std::size(cases); ++i) {
    INFO(cases[i].what);
    const Run& r = runs[i];
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, StartsWith("sfp: " + dir.file(inputs[i]) + ": "));
    CHECK_THAT(r.err, Contains(cases[i].message));
    CHECK(lines(r.err).size() == 1);
  }
  CHECK(others(dir, inputs).empty());
}

TEST_CASE("a failed encode leaves an existing output file untouched", "[cli]") {
  ScratchDir dir;
  write_bytes(dir.file("out.sfp"), Bytes{'k', 'e', 'e', 'p'});
  write_bytes(dir.file("bad.safetensors"), Bytes{1, 2, 3});
  const Run r = sfp(dir, {"encode", dir.file("bad.safetensors"), "-o", dir.file("out.sfp")});
  CHECK(r.code == 1);
  CHECK(read_bytes(dir.file("out.sfp")) == Bytes{'k', 'e', 'e', 'p'});
  CHECK(others(dir, {"out.sfp", "bad.safetensors"}).empty());
}

TEST_CASE("an output file that cannot be written exits 1 naming it", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const std::string out = dir.file("no/such/dir/out.sfp");
  const Run r = sfp(dir, {"encode", dir.file("in.safetensors"), "-o", out});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, StartsWith("sfp: " + out + ": "));
  CHECK(r.out.empty());
}

TEST_CASE("mantissa bits above a tensor's width are an input error naming the tensor", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const Run r =
      sfp(dir, {"encode", dir.file("in.safetensors"), "-o", dir.file("o.sfp"), "-m", "10"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("tensor \"encoder.bias\" is BF16 with 7 mantissa bits"));
  CHECK(others(dir, {"in.safetensors"}).empty());
}

TEST_CASE("bad usage exits 2", "[cli]") {
  ScratchDir dir;
  write_bytes(dir.file("in.safetensors"), safetensors_bytes("{}", {}));
  const std::string in = dir.file("in.safetensors"), out = dir.file("o.sfp");
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"encode", in},
      {"encode", in, "-o", out, "--group", "5"},
      {"encode", in, "-o", out, "-m", "24"},
      {"encode", in, "-o", out, "--chunk", "3000"},
      {"encode", in, "-o", out, "--chunk", "8", "--group", "16"},
      {"encode", in, "-o", out, "--word", "48"},
      {"encode", in, "-o", out, "--base", "huffman"},
      {"decode", in},
      {"stats"},
      {"stats", in, "--chunk", "4", "--group", "8"},
      {"encode", in, "-o", out, "--group", "8"},
      {"encode", in, "-o", out, "--format", "1", "--lanes", "8"},
      {"encode", in, "-o", out, "--format", "4"},
      {"encode", in, "-o", out, "--lanes", "16", "--chunk", "8"},
      {"decode", in, "-o", out, "-j", "-1"},
  };
  const std::vector<Run> runs = sfp_all(dir, cases);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string shown;
    for (const auto& a : cases[i]) shown += a + " ";
    INFO("sfp " << shown);
    CHECK(runs[i].code == 2);
    CHECK_FALSE(runs[i].err.empty());
  }
  CHECK(others(dir, {"in.safetensors"}).empty());
}

TEST_CASE("help on every subcommand and the version flag exit 0", "[cli]") {
  ScratchDir dir;
  const char* const commands[] = {"encode", "decode", "stats"};
  const std::vector<Run> runs = sfp_all(
      dir,
      {{"encode", "--help"}, {"decode", "--help"}, {"stats", "--help"}, {"--help"}, {"--version"}});
  for (size_t i = 0; i < 3; ++i) {
    INFO(commands[i]);
    CHECK(runs[i].code == 0);
    CHECK_THAT(runs[i].out, Contains(std::string("sfp ") + commands[i]));
  }
  CHECK(runs[3].code == 0);
  CHECK_THAT(runs[3].out, Contains("encode"));
  CHECK(runs[4].code == 0);
  CHECK_THAT(runs[4].out, StartsWith("sfp "));
}

TEST_CASE("sfp stats prints a row per tensor and a total row", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = model_file(rng);
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  const Run r = sfp(dir, {"stats", dir.file("in.safetensors")});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::vector<std::string> rows = lines(r.out);
  REQUIRE(rows.size() == 1 + f.tensors.size() + 1);
  CHECK_THAT(rows[0], StartsWith("name"));
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    CHECK_THAT(rows[1 + i], StartsWith(f.tensors[i].name + " "));
    CHECK_THAT(rows[1 + i], Contains(std::string(" ") + io::dtype_name(f.tensors[i].dtype) + " "));
  }
  CHECK_THAT(rows.back(), StartsWith("total "));
  // A column per field: name dtype values zeros exp_H sign exp mant index total xFP32 xBF16.
  std::istringstream step(rows[3]);
  std::vector<std::string> cols;
  for (std::string c; step >> c;) cols.push_back(c);
  REQUIRE(cols.size() == 12);
  CHECK(cols[2] == "1");
  CHECK(cols[3] == "0.0000");  // 10.0f is not +0
  CHECK(cols[4] == "0.000");   // one value: no exponent entropy
}

TEST_CASE("sfp stats --json is one JSON document with consistent numbers", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = model_file(rng);
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  const Run r = sfp(dir, {"stats", "--json", dir.file("in.safetensors")});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& tensors = doc.at("tensors");
  REQUIRE(tensors.size() == f.tensors.size());
  uint64_t values = 0, bits = 0;
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const io::Tensor& t = f.tensors[i];
    const nlohmann::json& j = tensors[i];
    INFO(t.name);
    CHECK(j.at("name") == t.name);
    CHECK(j.at("dtype") == io::dtype_name(t.dtype));
    CHECK(j.at("values") == t.values.size());
    CHECK(j.at("config") == to_string(Config::lossless(t.dtype)));
    const nlohmann::json& b = j.at("bits");
    uint64_t sum = 0;
    for (const char* field : {"sign", "zero", "repeat", "base", "width", "delta", "table", "header",
                              "mantissa", "pad", "index", "crc"}) {
      sum += b.at(field).get<uint64_t>();
    }
    CHECK(b.at("total") == sum);
    const uint64_t zeros = static_cast<uint64_t>(std::count(t.values.begin(), t.values.end(), 0u));
    if (!t.values.empty()) {
      CHECK(j.at("zero_fraction").get<double>() ==
            Approx(static_cast<double>(zeros) / static_cast<double>(t.values.size())));
      CHECK(j.at("bits_per_value").at("total").get<double>() ==
            Approx(static_cast<double>(sum) / static_cast<double>(t.values.size())));
      CHECK(j.at("ratio_fp32").get<double>() ==
            Approx(32.0 * static_cast<double>(t.values.size()) / static_cast<double>(sum)));
    } else {
      CHECK(j.at("bits_per_value").at("total").is_null());
    }
    values += t.values.size();
    bits += sum;
  }
  CHECK(doc.at("total").at("values") == values);
  CHECK(doc.at("total").at("bits").at("total") == bits);

  // The .sfp file of the same tensors gives the same numbers from its stored encoding.
  REQUIRE(sfp(dir, {"encode", dir.file("in.safetensors"), "-o", dir.file("in.sfp")}).code == 0);
  const Run s = sfp(dir, {"stats", "--json", dir.file("in.sfp")});
  INFO(s.err);
  REQUIRE(s.code == 0);
  CHECK(s.err.empty());
  const nlohmann::json from_sfp = nlohmann::json::parse(s.out);
  CHECK(from_sfp.at("total") == doc.at("total"));
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    CHECK(from_sfp.at("tensors")[i].at("bits") == tensors[i].at("bits"));
  }
}

TEST_CASE("sfp stats applies the configuration flags", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const Run r = sfp(dir, {"stats", "--json", "--format", "1", "-m", "2", "--no-gecko",
                          dir.file("in.safetensors")});
  REQUIRE(r.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& w = doc.at("tensors")[0];
  Config want = Config::lossless(Fp::kFp32, 1);
  want.man_bits = 2;
  want.gecko = false;
  CHECK(w.at("config") == to_string(want));
  const uint64_t n = w.at("values").get<uint64_t>();
  CHECK(w.at("bits").at("base") == 0);
  CHECK(w.at("bits").at("mantissa").get<uint64_t>() <= 2 * n);
}

TEST_CASE("sfp stats --stored-bits takes each tensor's mantissa bits from the metadata", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  io::TensorFile f;
  f.tensors.push_back(make_tensor("act/a", Fp::kFp32, {4000}, random_values(rng, Fp::kFp32, 4000)));
  f.tensors.push_back(make_tensor("grad/b", Fp::kBf16, {300}, random_values(rng, Fp::kBf16, 300)));
  f.metadata = {{"tensors", R"({"act/a": {"kind": "act", "man_bits": 3},
                               "grad/b": {"kind": "grad", "man_bits": 7}})"}};
  write_bytes(dir.file("snap.safetensors"), io::write_safetensors(f));
  const Run r = sfp(dir, {"stats", "--json", "--stored-bits", dir.file("snap.safetensors")});
  REQUIRE(r.code == 0);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  Config a = Config::lossless(Fp::kFp32);
  a.man_bits = 3;
  CHECK(doc.at("tensors")[0].at("config") == to_string(a));
  CHECK(doc.at("tensors")[1].at("config") == to_string(Config::lossless(Fp::kBf16)));
  // Three mantissa bits per non-zero value at most.
  CHECK(doc.at("tensors")[0].at("bits").at("mantissa").get<uint64_t>() <= 3 * 4000);

  SECTION("a file without the metadata, or a tensor missing from it, is an input error") {
    f.metadata = {{"tensors", R"({"act/a": {"kind": "act", "man_bits": 3}})"}};
    write_bytes(dir.file("partial.safetensors"), io::write_safetensors(f));
    f.metadata = {};
    write_bytes(dir.file("plain.safetensors"), io::write_safetensors(f));
    const auto runs =
        sfp_all(dir, {{"stats", "--stored-bits", dir.file("partial.safetensors")},
                      {"stats", "--stored-bits", dir.file("plain.safetensors")},
                      {"stats", "--stored-bits", "-m", "2", dir.file("snap.safetensors")}});
    CHECK(runs[0].code == 1);
    CHECK_THAT(runs[0].err, Contains("grad/b") && Contains("partial.safetensors"));
    CHECK(runs[1].code == 1);
    CHECK_THAT(runs[1].err, Contains("no 'tensors' metadata"));
    CHECK(runs[2].code == 2);
  }
}

TEST_CASE("sfp encode and decode: --verbose adds a line per tensor, --quiet prints nothing",
          "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const io::TensorFile f = model_file(rng);
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  const std::string in = dir.file("in.safetensors");
  const std::vector<Run> runs = sfp_all(dir, {{"encode", in, "-o", dir.file("v.sfp"), "--verbose"},
                                              {"encode", in, "-o", dir.file("q.sfp"), "-q"},
                                              {"encode", in, "-o", dir.file("x.sfp"), "-v", "-q"}});
  INFO(runs[0].err);
  REQUIRE(runs[0].code == 0);
  const std::vector<std::string> v = lines(runs[0].out);
  REQUIRE(v.size() == f.tensors.size() + 1);
  for (size_t i = 0; i < f.tensors.size(); ++i)
    CHECK_THAT(v[i], StartsWith(f.tensors[i].name + ":"));
  CHECK_THAT(v[0], Contains(fmt::format("{} values", f.tensors[0].values.size())));
  CHECK_THAT(v[0], Contains("bits/value"));
  CHECK_THAT(v[0], Contains("x vs F32"));
  CHECK_THAT(v[1], Contains("x vs BF16"));
  CHECK_THAT(v.back(), StartsWith(dir.file("v.sfp") + ": 4 tensors"));
  CHECK(runs[1].code == 0);
  CHECK(runs[1].out.empty());
  CHECK(runs[1].err.empty());
  CHECK(runs[2].code == 2);  // --verbose and --quiet exclude each other

  const std::vector<Run> dec =
      sfp_all(dir, {{"decode", dir.file("v.sfp"), "-o", dir.file("v.safetensors"), "-v"},
                    {"decode", dir.file("q.sfp"), "-o", dir.file("q.safetensors"), "--quiet"}});
  REQUIRE(dec[0].code == 0);
  const std::vector<std::string> d = lines(dec[0].out);
  REQUIRE(d.size() == f.tensors.size() + 1);
  CHECK(d[0] == fmt::format("encoder.weight: {} values, F32 [{}, 2]", f.tensors[0].values.size(),
                            f.tensors[0].values.size() / 2));
  CHECK_THAT(d.back(), StartsWith(dir.file("v.safetensors") + ": 4 tensors (safetensors), "));
  REQUIRE(dec[1].code == 0);
  CHECK(dec[1].out.empty());
  CHECK(read_bytes(dir.file("q.safetensors")) == read_bytes(in));
}

TEST_CASE("the long name of -m is --mantissa-bits, and the old --format-m still works", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const std::string in = dir.file("in.safetensors");
  const std::vector<Run> runs =
      sfp_all(dir, {{"encode", in, "-o", dir.file("a.sfp"), "-m", "3"},
                    {"encode", in, "-o", dir.file("b.sfp"), "--mantissa-bits", "3"},
                    {"encode", in, "-o", dir.file("c.sfp"), "--format-m", "3"},
                    {"encode", in, "-o", dir.file("d.sfp"), "--format-m=3"},
                    {"encode", "--help"}});
  for (size_t i = 0; i < 4; ++i) {
    INFO(runs[i].err);
    REQUIRE(runs[i].code == 0);
  }
  const Bytes a = read_bytes(dir.file("a.sfp"));
  CHECK(read_bytes(dir.file("b.sfp")) == a);
  CHECK(read_bytes(dir.file("c.sfp")) == a);
  CHECK(read_bytes(dir.file("d.sfp")) == a);
  CHECK(a != read_bytes(in));
  CHECK_THAT(runs[4].out, Contains("--mantissa-bits"));
  CHECK_THAT(runs[4].out, !Contains("--format-m"));
}

TEST_CASE("an unknown command is named", "[cli]") {
  ScratchDir dir;
  const Run r = sfp(dir, {"bogus", "x"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, StartsWith("sfp: unknown command 'bogus' (commands: encode, decode, stats"));
  CHECK(lines(r.err).size() == 1);
}

TEST_CASE("a write error on stdout exits 1 with a message", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  REQUIRE(std::filesystem::exists("/dev/full"));
  const std::string in = dir.file("in.safetensors");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"stats", in}, std::vector<std::string>{"stats", "--json", in},
        std::vector<std::string>{"encode", in, "-o", dir.file("o.sfp")}}) {
    INFO(args[0] << " " << args[1]);
    const Run r = finish(start(dir, args, 0, "/dev/full"));
    CHECK(r.code == 1);
    CHECK(r.err == "sfp: cannot write to standard output: No space left on device\n");
  }
}

TEST_CASE("a device or pipe as input is refused without reading it", "[cli]") {
  ScratchDir dir;
  REQUIRE(std::filesystem::exists("/dev/zero"));
  const std::vector<Run> runs =
      sfp_all(dir, {{"decode", "/dev/zero", "-o", dir.file("o.safetensors")},
                    {"encode", "/dev/zero", "-o", dir.file("o.sfp")},
                    {"stats", "/dev/zero"}});
  for (const Run& r : runs) {
    CHECK(r.code == 1);
    CHECK(r.err ==
          "sfp: /dev/zero: cannot read: not a regular file (sfp reads regular files only, not "
          "pipes or devices)\n");
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("writing onto the input file is refused, also through a hard or symbolic link", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes input = io::write_safetensors(model_file(rng));
  write_bytes(dir.file("in.safetensors"), input);
  const std::string in = dir.file("in.safetensors");
  REQUIRE(sfp(dir, {"encode", in, "-o", dir.file("in.sfp")}).code == 0);
  const Bytes sfp_in = read_bytes(dir.file("in.sfp"));
  std::filesystem::create_hard_link(in, dir.file("hard"));
  std::filesystem::create_symlink(in, dir.file("sym"));
  std::filesystem::create_symlink(dir.file("in.sfp"), dir.file("sym.sfp"));
  const std::vector<std::vector<std::string>> cases = {
      {"encode", in, "-o", in},
      {"encode", in, "-o", dir.file("hard")},
      {"encode", in, "-o", dir.file("sym")},
      {"encode", dir.file("sym"), "-o", in},
      {"decode", dir.file("in.sfp"), "-o", dir.file("in.sfp")},
      {"decode", dir.file("in.sfp"), "-o", dir.file("sym.sfp")},
  };
  const std::vector<Run> runs = sfp_all(dir, cases);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i][0] << " " << cases[i][1] << " -o " << cases[i][3]);
    CHECK(runs[i].code == 1);
    CHECK_THAT(runs[i].err, StartsWith("sfp: " + cases[i][3] + ": is the input file "));
    CHECK(lines(runs[i].err).size() == 1);
  }
  CHECK(read_bytes(in) == input);
  CHECK(read_bytes(dir.file("in.sfp")) == sfp_in);
  CHECK(others(dir, {"in.safetensors", "in.sfp", "hard", "sym", "sym.sfp"}).empty());
}

TEST_CASE("a symbolic link as the output is written through and kept", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  std::filesystem::create_directory(dir.file("sub"));
  write_bytes(dir.file("sub/target.sfp"), Bytes{'o', 'l', 'd'});
  std::filesystem::create_symlink("sub/target.sfp", dir.file("link.sfp"));  // relative
  std::filesystem::create_symlink("sub/new.sfp", dir.file("dangling.sfp"));
  const std::vector<Run> runs =
      sfp_all(dir, {{"encode", dir.file("in.safetensors"), "-o", dir.file("link.sfp"), "-q"},
                    {"encode", dir.file("in.safetensors"), "-o", dir.file("plain.sfp"), "-q"},
                    {"encode", dir.file("in.safetensors"), "-o", dir.file("dangling.sfp"), "-q"}});
  for (const Run& r : runs) {
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  CHECK(std::filesystem::is_symlink(dir.file("link.sfp")));
  CHECK(std::filesystem::is_symlink(dir.file("dangling.sfp")));
  const Bytes want = read_bytes(dir.file("plain.sfp"));
  CHECK(read_bytes(dir.file("sub/target.sfp")) == want);
  CHECK(read_bytes(dir.file("sub/new.sfp")) == want);
  CHECK(others(dir, {"in.safetensors", "sub", "link.sfp", "plain.sfp", "dangling.sfp"}).empty());
}

TEST_CASE("a signal that ends sfp during encode leaves no temporary file", "[cli]") {
  ScratchDir dir, logs;
  std::mt19937_64 rng(Catch::rngSeed());
  // Large enough that encoding takes a good fraction of a second: the signal comes while the
  // temporary file exists.
  io::TensorFile f;
  f.tensors.push_back(
      make_tensor("w", Fp::kFp32, {1u << 24}, random_values(rng, Fp::kFp32, 1u << 24)));
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  for (const int sig : kCleanupSignals) {
    INFO("signal " << sig << " (" << strsignal(sig) << ")");
    // The child has the default action for every one of them, whatever this process has.
    const pid_t pid = fork_sfp(
        dir, {"encode", dir.file("in.safetensors"), "-o", dir.file("out.sfp")},
        open_fd("/dev/null", O_RDONLY), open_fd(logs.file("out"), O_WRONLY | O_CREAT | O_TRUNC),
        open_fd(logs.file("err"), O_WRONLY | O_CREAT | O_TRUNC));
    // Wait for the temporary file (".out.sfp.XXXXXX") to appear, then signal.
    bool seen = false;
    for (int i = 0; i < 20000 && !seen; ++i) {
      for (const std::string& e : dir.entries()) seen = seen || e.rfind(".out.sfp.", 0) == 0;
      if (!seen) ::usleep(500);
    }
    CHECK(seen);
    REQUIRE(::kill(pid, sig) == 0);
    const int status = wait_status(pid);
    CHECK(WIFSIGNALED(status));
    if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == sig);
    CHECK(others(dir, {"in.safetensors"}).empty());
  }
}

TEST_CASE("an output beyond the file size limit (ulimit -f) leaves no file", "[cli]") {
  ScratchDir dir, logs;
  std::mt19937_64 rng(Catch::rngSeed());
  io::TensorFile f;
  f.tensors.push_back(
      make_tensor("w", Fp::kFp32, {1u << 20}, random_values(rng, Fp::kFp32, 1u << 20)));
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(f));
  ChildSetup setup;
  setup.fsize = 256 << 10;  // the .sfp is about 4 MiB
  // SIGXFSZ at its default action ends the process (the temporary file is removed first); when
  // it is ignored, write() fails with EFBIG: an error like any other.
  setup.ignore_sigxfsz = GENERATE(false, true);
  INFO("SIGXFSZ " << (setup.ignore_sigxfsz ? "ignored" : "default"));
  std::filesystem::create_directory(dir.file("out"));
  const std::string out = dir.file("out/o.sfp");
  const int status = wait_status(fork_sfp(
      dir, {"encode", dir.file("in.safetensors"), "-o", out}, open_fd("/dev/null", O_RDONLY),
      open_fd(logs.file("out"), O_WRONLY | O_CREAT | O_TRUNC),
      open_fd(logs.file("err"), O_WRONLY | O_CREAT | O_TRUNC), setup));
  if (setup.ignore_sigxfsz) {
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(text_of(logs.file("err")) == "sfp: " + out + ": cannot write: File too large\n");
  } else {
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGXFSZ);
  }
  CHECK(text_of(logs.file("out")).empty());
  CHECK(others(dir, {"in.safetensors", "out"}).empty());
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("out"))) {
    left.push_back(e.path().filename().string());
  }
  CHECK(left.empty());
}

TEST_CASE("an .sfp holding a tensor named __metadata__ does not decode to safetensors", "[cli]") {
  ScratchDir dir;
  io::Container c;
  c.tensors.push_back(io::encode_tensor(make_tensor("__metadata__", Fp::kFp32, {1}, {0}),
                                        Config::lossless(Fp::kFp32)));
  write_bytes(dir.file("m.sfp"), io::write_container(c));
  const Run r = sfp(dir, {"decode", dir.file("m.sfp"), "-o", dir.file("m.safetensors")});
  CHECK(r.code == 1);
  CHECK(r.err == "sfp: " + dir.file("m.sfp") +
                     ": tensor name \"__metadata__\" is reserved for the safetensors metadata\n");
  CHECK(others(dir, {"m.sfp"}).empty());
}

// The file types an output can be, for messages.
bool is_type(const std::string& path, mode_t type) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == type;
}

TEST_CASE("a FIFO or a character device as the output is written to and never replaced", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes input = io::write_safetensors(model_file(rng));
  write_bytes(dir.file("in.safetensors"), input);
  const std::string in = dir.file("in.safetensors");
  REQUIRE(sfp(dir, {"encode", in, "-o", dir.file("plain.sfp"), "-q"}).code == 0);
  const Bytes plain = read_bytes(dir.file("plain.sfp"));
  std::vector<std::string> mine = {"in.safetensors", "plain.sfp"};

  SECTION("a FIFO, written straight through as it is read") {
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    std::filesystem::create_symlink("fifo", dir.file("fifo.link"));
    mine.insert(mine.end(), {"fifo", "fifo.link"});
    const std::vector<std::pair<std::vector<std::string>, Bytes>> cases = {
        {{"encode", in, "-o", dir.file("fifo")}, plain},
        {{"encode", in, "-o", dir.file("fifo.link")}, plain},
        {{"decode", dir.file("plain.sfp"), "-o", dir.file("fifo")}, input},
    };
    for (const auto& [args, want] : cases) {
      INFO(args[0] << " -o " << args[3]);
      FifoReader reader(dir.file("fifo"));
      const Run r = sfp(dir, args);
      const Bytes got = reader.stop();
      INFO(r.err);
      CHECK(r.code == 0);
      CHECK_THAT(r.out, StartsWith(args[3] + ": 4 tensors (safetensors), "));
      CHECK(got == want);
      CHECK(is_type(dir.file("fifo"), S_IFIFO));
      CHECK(is_type(dir.file("fifo.link"), S_IFLNK));
    }
    // -o /dev/stdout with standard output on the FIFO: the summary goes to stderr.
    ScratchDir logs;
    FifoReader reader(dir.file("fifo"));
    const int fifo = open_fd(dir.file("fifo"), O_WRONLY | O_NONBLOCK);  // the reader is there
    REQUIRE(::fcntl(fifo, F_SETFL, 0) == 0);
    const int status = wait_status(
        fork_sfp(dir, {"encode", in, "-o", "/dev/stdout"}, open_fd("/dev/null", O_RDONLY), fifo,
                 open_fd(logs.file("err"), O_WRONLY | O_CREAT | O_TRUNC)));
    CHECK(reader.stop() == plain);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(text_of(logs.file("err")), StartsWith("/dev/stdout: 4 tensors (safetensors), "));
    CHECK(is_type(dir.file("fifo"), S_IFIFO));
  }

  SECTION("a character device (a null device node made here), written to and kept") {
    if (::geteuid() != 0) {
      WARN("not root: mknod of a character device needs root; skipped");
      return;
    }
    const dev_t null_dev = makedev(1, 3);
    REQUIRE(::mknod(dir.file("null").c_str(), S_IFCHR | 0666, null_dev) == 0);
    std::filesystem::create_symlink(dir.file("null"), dir.file("null.link"));
    mine.insert(mine.end(), {"null", "null.link"});
    const std::vector<Run> runs =
        sfp_all(dir, {{"encode", in, "-o", dir.file("null")},
                      {"encode", in, "-o", dir.file("null.link")},
                      {"decode", dir.file("plain.sfp"), "-o", dir.file("null"), "-q"}});
    for (const Run& r : runs) {
      INFO(r.err);
      CHECK(r.code == 0);
      CHECK(r.err.empty());
    }
    CHECK_THAT(runs[0].out, StartsWith(dir.file("null") + ": 4 tensors (safetensors), "));
    struct stat st;
    REQUIRE(::lstat(dir.file("null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == null_dev);
    CHECK(is_type(dir.file("null.link"), S_IFLNK));
  }
  // No temporary file was made, or left.
  CHECK(others(dir, mine).empty());
}

TEST_CASE("a socket or a block device as the output is refused and kept", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const std::string in = dir.file("in.safetensors");
  std::vector<std::string> mine = {"in.safetensors", "sock"};
  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(sock >= 0);
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  const std::string sock_path = dir.file("sock");
  REQUIRE(sock_path.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<const struct sockaddr*>(&addr), sizeof addr) == 0);
  std::vector<std::pair<std::string, std::string>> targets = {{sock_path, "a socket"}};
  if (::geteuid() == 0) {
    // Never opened: refused on its type (7, 0 is a loop device).
    REQUIRE(::mknod(dir.file("blk").c_str(), S_IFBLK | 0600, makedev(7, 0)) == 0);
    targets.push_back({dir.file("blk"), "a block device"});
    mine.push_back("blk");
  } else {
    WARN("not root: mknod of a block device needs root; only the socket is tried");
  }
  for (const auto& [target, what] : targets) {
    for (const char* cmd : {"encode", "decode"}) {
      INFO(cmd << " -o " << target);
      const Run r = sfp(dir, {cmd, in, "-o", target});
      CHECK(r.code == 1);
      CHECK(r.out.empty());
      CHECK(r.err == "sfp: " + target + ": output path is " + what +
                         " (sfp writes to regular files, character devices and FIFOs)\n");
    }
  }
  ::close(sock);
  CHECK(is_type(sock_path, S_IFSOCK));
  if (targets.size() > 1) CHECK(is_type(dir.file("blk"), S_IFBLK));
  CHECK(others(dir, mine).empty());
}

TEST_CASE("no output option writes onto an input (eval --markdown and -o - included)", "[cli]") {
  ScratchDir dir, logs;
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes input = io::write_safetensors(model_file(rng));
  write_bytes(dir.file("a.safetensors"), input);
  write_bytes(dir.file("b.safetensors"), input);
  const std::string a = dir.file("a.safetensors"), b = dir.file("b.safetensors");
  REQUIRE(sfp(dir, {"encode", a, "-o", dir.file("a.sfp"), "-q"}).code == 0);
  const Bytes sfp_a = read_bytes(dir.file("a.sfp"));
  std::filesystem::create_hard_link(b, dir.file("hard"));
  std::filesystem::create_symlink(b, dir.file("sym"));

  SECTION("sfp eval --markdown") {
    const std::vector<std::vector<std::string>> cases = {
        {"eval", a, "--markdown", a},
        {"eval", a, b, "--markdown", dir.file("hard")},
        {"eval", a, b, "--markdown", dir.file("sym")},
        {"eval", a, "--markdown", dir.file("./a.safetensors")},
    };
    const std::vector<Run> runs = sfp_all(dir, cases);
    for (size_t i = 0; i < cases.size(); ++i) {
      INFO(cases[i].back());
      CHECK(runs[i].code == 1);
      CHECK(runs[i].out.empty());
      CHECK_THAT(runs[i].err, StartsWith("sfp: " + cases[i].back() + ": is the input file "));
      CHECK(lines(runs[i].err).size() == 1);
    }
    // A markdown file that is not an input is written.
    const Run ok = sfp(dir, {"eval", a, "--markdown", dir.file("t.md")});
    INFO(ok.err);
    CHECK(ok.code == 0);
    CHECK(text_of(dir.file("t.md")) == ok.out);
    std::filesystem::remove(dir.file("t.md"));
    // --markdown - is a usage error: the tables already go to standard output.
    CHECK(sfp(dir, {"eval", a, "--markdown", "-"}).code == 2);
  }

  SECTION("-o - with standard output opened on the input, - as input with -o the input") {
    struct Case {
      std::vector<std::string> args;
      std::string in, out;  // files for standard input and output (appended to)
    };
    const Case cases[] = {
        {{"encode", a, "-o", "-"}, "", a},
        {{"decode", dir.file("a.sfp"), "-o", "-"}, "", dir.file("a.sfp")},
        {{"encode", "-", "-o", "-"}, a, a},
        {{"encode", "-", "-o", a}, a, ""},
        {{"encode", "-", "-o", dir.file("sym")}, b, ""},
    };
    for (const Case& c : cases) {
      INFO(c.args[0] << " " << c.args[1] << " -o " << c.args[3] << " <" << c.in << " >>" << c.out);
      const int status = wait_status(
          fork_sfp(dir, c.args, open_fd(c.in.empty() ? "/dev/null" : c.in, O_RDONLY),
                   open_fd(c.out.empty() ? logs.file("out") : c.out, O_WRONLY | O_APPEND | O_CREAT),
                   open_fd(logs.file("err"), O_WRONLY | O_CREAT | O_TRUNC)));
      REQUIRE(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 1);
      const std::string err = text_of(logs.file("err"));
      CHECK_THAT(err, Contains(": is the input file "));
      CHECK(lines(err).size() == 1);
    }
  }
  CHECK(read_bytes(a) == input);
  CHECK(read_bytes(b) == input);
  CHECK(read_bytes(dir.file("a.sfp")) == sfp_a);
  CHECK(others(dir, {"a.safetensors", "b.safetensors", "a.sfp", "hard", "sym"}).empty());
}

// Runs sfp with standard input from `in` (a file descriptor, closed here) and standard output to
// a file; returns the exit code, standard output and error.
Run run_with_stdin(const ScratchDir& dir, const ScratchDir& logs,
                   const std::vector<std::string>& args, int in, const ChildSetup& setup = {}) {
  const int status =
      wait_status(fork_sfp(dir, args, in, open_fd(logs.file("out"), O_WRONLY | O_CREAT | O_TRUNC),
                           open_fd(logs.file("err"), O_WRONLY | O_CREAT | O_TRUNC), setup));
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), text_of(logs.file("out")), text_of(logs.file("err"))};
}

TEST_CASE("standard input as - and standard output as -o -", "[cli]") {
  ScratchDir dir, logs;
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes input = io::write_safetensors(model_file(rng));
  write_bytes(dir.file("in.safetensors"), input);
  const std::string in = dir.file("in.safetensors");
  const std::vector<Run> ref = sfp_all(dir, {{"encode", in, "-o", dir.file("ref.sfp"), "-q"},
                                             {"stats", "--json", in},
                                             {"eval", "--json", in}});
  for (const Run& r : ref) REQUIRE(r.code == 0);
  const Bytes sfp_bytes = read_bytes(dir.file("ref.sfp"));
  const std::string summary = fmt::format(
      "standard output: 4 tensors (safetensors), {} -> {} bytes (", input.size(), sfp_bytes.size());

  SECTION("encode and decode through pipes and redirected files") {
    // From a pipe and from a redirected file (a regular file as standard input).
    for (const bool pipe : {true, false}) {
      INFO((pipe ? "a pipe" : "a file") << " as standard input");
      PipeWriter writer(pipe ? input : Bytes{});
      const int fd = pipe ? writer.read_end() : open_fd(in, O_RDONLY);
      const Run r = run_with_stdin(dir, logs, {"encode", "-", "-o", "-"}, fd);
      CHECK(r.code == 0);
      CHECK(r.out == std::string(sfp_bytes.begin(), sfp_bytes.end()));
      // The summary goes to stderr, since stdout is the output.
      CHECK_THAT(r.err, StartsWith(summary));
      CHECK(lines(r.err).size() == 1);
      if (!pipe) ::close(writer.read_end());
    }
    {
      PipeWriter writer(sfp_bytes);
      const Run r = run_with_stdin(dir, logs, {"decode", "-", "-o", "-", "-q"}, writer.read_end());
      CHECK(r.code == 0);
      CHECK(r.err.empty());
      CHECK(r.out == std::string(input.begin(), input.end()));
    }
    {
      // -v lines go to stderr too; a file output still reports on stdout.
      PipeWriter writer(input);
      const Run r = run_with_stdin(dir, logs, {"encode", "-", "-o", dir.file("p.sfp"), "-v"},
                                   writer.read_end());
      CHECK(r.code == 0);
      CHECK(read_bytes(dir.file("p.sfp")) == sfp_bytes);
      CHECK(lines(r.out).size() == 5);
      CHECK(r.err.empty());
      std::filesystem::remove(dir.file("p.sfp"));
    }
  }

  SECTION("stats and eval read standard input once") {
    for (const char* cmd : {"stats", "eval"}) {
      INFO(cmd);
      PipeWriter writer(input);
      const Run r = run_with_stdin(dir, logs, {cmd, "--json", "-"}, writer.read_end());
      CHECK(r.code == 0);
      const nlohmann::json want =
          nlohmann::json::parse(cmd == std::string("stats") ? ref[1].out : ref[2].out);
      nlohmann::json got = nlohmann::json::parse(r.out);
      if (cmd == std::string("stats")) {
        for (auto& t : got.at("tensors")) {
          CHECK(t.at("file") == "-");
          t["file"] = in;
        }
      }
      CHECK(got == want);
    }
    const Run twice = run_with_stdin(dir, logs, {"stats", "-", "-"}, PipeWriter(input).read_end());
    CHECK(twice.code == 1);
    CHECK(twice.err == "sfp: standard input: given more than once (it can be read only once)\n");
  }

  SECTION("a terminal as standard input is refused") {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const char* name = ::ptsname(master);
    REQUIRE(name != nullptr);
    const Run r = run_with_stdin(dir, logs, {"stats", "-"}, open_fd(name, O_RDONLY | O_NOCTTY));
    ::close(master);
    CHECK(r.code == 1);
    CHECK(r.err == "sfp: standard input: cannot read: is a terminal\n");
  }

  SECTION("a .npy array from standard input is named 'array'") {
    io::TensorFile f;
    f.kind = io::SourceKind::kNpyF32;
    f.metadata = {{"fortran_order", "false"}};
    f.tensors.push_back(make_tensor("a", Fp::kFp32, {2}, {0x3F800000, 0x40000000}));
    const Run r =
        run_with_stdin(dir, logs, {"stats", "-"}, PipeWriter(io::write_npy(f)).read_end());
    CHECK(r.code == 0);
    CHECK_THAT(lines(r.out).at(1), StartsWith("array "));
  }

  SECTION("standard input beyond memory is out of memory, a bad stream an input error") {
#if !defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of address space for its shadow memory, so a process
    // under it cannot start within ulimit -v; the sanitizer build checks the rest.
    ChildSetup small;
    small.as = 512u << 20;  // ulimit -v: address space
    const Run big =
        run_with_stdin(dir, logs, {"stats", "-"}, open_fd("/dev/zero", O_RDONLY), small);
    CHECK(big.code == 1);
    CHECK(big.err == "sfp: standard input: out of memory\n");
#endif
    const Run bad =
        run_with_stdin(dir, logs, {"decode", "-", "-o", "-"}, PipeWriter(input).read_end());
    CHECK(bad.code == 1);
    CHECK_THAT(bad.err, StartsWith("sfp: standard input: "));
    CHECK(bad.out.empty());
  }
  CHECK(others(dir, {"in.safetensors", "ref.sfp"}).empty());
}

TEST_CASE("replacing a file keeps its permission bits and owner", "[cli]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed());
  write_bytes(dir.file("in.safetensors"), io::write_safetensors(model_file(rng)));
  const std::string in = dir.file("in.safetensors");
  const mode_t mode = GENERATE(mode_t{0600}, mode_t{0640}, mode_t{0755}, mode_t{0444});
  INFO(fmt::format("mode {:o}", mode));
  write_bytes(dir.file("out.sfp"), Bytes{'o', 'l', 'd'});
  REQUIRE(::chmod(dir.file("out.sfp").c_str(), mode) == 0);
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(dir.file("out.sfp").c_str(), 12345, 23456) == 0);
  const Run r = sfp(dir, {"encode", in, "-o", dir.file("out.sfp"), "-q"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(read_bytes(dir.file("out.sfp")).size() > 3);
  struct stat st;
  REQUIRE(::stat(dir.file("out.sfp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == mode);
  if (root) {
    CHECK(st.st_uid == 12345u);
    CHECK(st.st_gid == 23456u);
  }
  // A new file gets 0666 minus the umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  REQUIRE(sfp(dir, {"encode", in, "-o", dir.file("new.sfp"), "-q"}).code == 0);
  REQUIRE(::stat(dir.file("new.sfp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == (0666 & ~mask));
  CHECK(others(dir, {"in.safetensors", "out.sfp", "new.sfp"}).empty());
}

}  // namespace
}  // namespace sfp::test
