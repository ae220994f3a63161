// SPDX-License-Identifier: Apache-2.0
//
// The sfp command: encode, decode and inspect tensor files (docs/cli.md). `sfp train` runs the
// trainer, a separate executable (sfp-train, beside sfp), so that the other commands do not
// load libtorch.
#include <fmt/format.h>
#include <limits.h>
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.hpp"
#include "sfp/gen/format.hpp"
#include "sfp/io/container.hpp"

namespace {

// Replaces this process by sfp-train from the directory of this executable, with the arguments
// after "train". Returns only on failure.
int run_trainer(int argc, char** argv) {
#ifdef SFP_HAVE_TRAIN
  char self[PATH_MAX];
  const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    fmt::print(stderr, "sfp: train: cannot find the sfp executable: {}\n", std::strerror(errno));
    return 1;
  }
  self[len] = '\0';
  std::string dir(self);
  dir.erase(dir.rfind('/') + 1);
  const std::string trainer = dir + "sfp-train";
  std::vector<char*> args = {const_cast<char*>("sfp-train"), const_cast<char*>("train")};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(trainer.c_str(), args.data());
  fmt::print(stderr, "sfp: train: cannot run {}: {}\n", trainer, std::strerror(errno));
  return 1;
#else
  (void)argc;
  (void)argv;
  fmt::print(stderr,
             "sfp: train: this sfp was built without the trainer (libtorch was not found; "
             "scripts/deps.sh train installs it)\n");
  return 2;
#endif
}

// Flushes stdout; a write error there (a full disk, a closed pipe) is a failure: exit 1.
int finish_stdout(int code) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int err = errno;
    fmt::print(stderr, "sfp: cannot write to standard output: {}\n",
               err ? std::strerror(err) : "write error");
    return code == 0 ? 1 : code;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "train") == 0) return run_trainer(argc, argv);
  // Chunk buffers are allocated and freed over and over, on several threads: freed memory is
  // kept for reuse instead of being returned to the kernel and faulted in again.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);

  CLI::App app{"sfp: floating-point tensor compression (Gecko exponents, mantissa truncation)",
               "sfp"};
  app.set_version_flag("--version",
                       fmt::format("sfp {} (format version {}, .sfp file version {})", SFP_VERSION,
                                   sfp::kFormatVersion, sfp::io::kContainerVersion));
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 bad input, 2 bad usage. See docs/cli.md.");
  std::vector<sfp::cli::Command> commands = {sfp::cli::add_encode(app), sfp::cli::add_decode(app),
                                             sfp::cli::add_stats(app), sfp::cli::add_eval(app)};
#ifdef SFP_HAVE_TRAIN
  // Listed in --help; `sfp train ...` is handled above.
  app.add_subcommand("train",
                     "Train a CNN or ViT on Fashion-MNIST with a mantissa policy (see sfp train "
                     "--help)");
#endif

  // The first argument that is not a flag names the command: say so if it names none.
  if (argc >= 2 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->get_name() == argv[1];
    }
    if (!found) {
      fmt::print(stderr, "sfp: unknown command '{}' (commands: {}; see sfp --help)\n", argv[1],
                 known);
      return 2;
    }
  }
  // --format-m: the old long name of -m (--mantissa-bits), still accepted.
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& a : args) {
    if (a == "--format-m" || a.rfind("--format-m=", 0) == 0) a.replace(0, 10, "--mantissa-bits");
  }
  std::vector<char*> args_c;
  for (std::string& a : args) args_c.push_back(a.data());

  try {
    app.parse(static_cast<int>(args_c.size()), args_c.data());
  } catch (const CLI::ParseError& e) {
    return finish_stdout(app.exit(e) == 0 ? 0 : 2);
  }
  try {
    for (const sfp::cli::Command& c : commands) {
      if (c.app->parsed()) return finish_stdout(c.run());
    }
  } catch (const sfp::cli::UsageError& e) {
    fmt::print(stderr, "sfp: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    // A failed write to stdout is reported once, by finish_stdout.
    if (!std::ferror(stdout)) fmt::print(stderr, "sfp: {}\n", e.what());
    return finish_stdout(1);
  }
  return finish_stdout(0);
}
