// SPDX-License-Identifier: Apache-2.0
//
// Summary and progress output of sfp encode and decode.
#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace sfp::cli {

void Verbosity::add_to(CLI::App* app) {
  auto* v = app->add_flag("-v,--verbose", verbose, "One line per tensor, then the summary line");
  auto* q = app->add_flag("-q,--quiet", quiet, "Print nothing on success");
  v->excludes(q);
}

Progress::Progress(std::string label, uint64_t total_values, size_t total_tensors, bool enabled)
    : label_(std::move(label)),
      total_values_(total_values),
      total_tensors_(total_tensors),
      enabled_(enabled),
      last_(std::chrono::steady_clock::now()) {}

void Progress::add(uint64_t values) {
  done_values_ += values;
  ++done_tensors_;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  const double pct =
      total_values_ ? 100.0 * static_cast<double>(done_values_) / static_cast<double>(total_values_)
                    : 100.0;
  fmt::print(stderr, "\r{}: {}/{} tensors ({:.0f}%)", label_, done_tensors_, total_tensors_, pct);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!shown_) return;
  shown_ = false;
  // Erase the line: the summary goes to stdout, which may be the same terminal.
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
}

bool want_progress(uint64_t input_bytes, const Verbosity& v) {
  return !v.quiet && input_bytes >= kProgressMinBytes && ::isatty(STDERR_FILENO) == 1;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sfp::cli
