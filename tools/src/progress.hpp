// SPDX-License-Identifier: Apache-2.0
//
// What sfp encode and decode print: a summary line by default, per-tensor lines with --verbose,
// nothing with --quiet, and a progress line on stderr while a large input is processed.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace sfp::cli {

// Inputs at least this large get a progress line on stderr (when stderr is a terminal).
inline constexpr uint64_t kProgressMinBytes = 64ull << 20;

struct Verbosity {
  bool verbose = false;
  bool quiet = false;
  // Adds -v/--verbose and -q/--quiet (mutually exclusive).
  void add_to(CLI::App* app);
};

// "\r<label>: <done>/<total> tensors (<pct>%)" on stderr, at most ten times a second, and
// erased by finish() or the destructor. Does nothing unless enabled.
class Progress {
 public:
  Progress(std::string label, uint64_t total_values, size_t total_tensors, bool enabled);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { finish(); }
  void add(uint64_t values);
  void finish();

 private:
  std::string label_;
  uint64_t total_values_, done_values_ = 0;
  size_t total_tensors_, done_tensors_ = 0;
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

// True when a progress line is wanted: stderr is a terminal, the input has at least
// kProgressMinBytes, and --quiet is not given.
bool want_progress(uint64_t input_bytes, const Verbosity& v);

// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace sfp::cli
