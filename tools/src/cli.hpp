// SPDX-License-Identifier: Apache-2.0
//
// Pieces shared by the sfp subcommands: the configuration flags, loading a tensor file, and
// reporting errors the way the command line promises (docs/cli.md, "Exit codes").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sfp/format.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/tensor.hpp"

namespace sfp::cli {

// Bad usage found after parsing (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A subcommand and what to run when it is the one given.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_encode(CLI::App& app);
Command add_decode(CLI::App& app);
Command add_stats(CLI::App& app);
Command add_eval(CLI::App& app);

// Flags that override the lossless default configuration of each tensor's dtype.
class ConfigFlags {
 public:
  void add_to(CLI::App* app);
  // True if any flag was given.
  bool any() const;
  // True if -m was given.
  bool man_bits_given() const { return man_bits_opt_ && man_bits_opt_->count() > 0; }
  // Cross-flag checks CLI11 cannot do; throws UsageError.
  void check() const;
  // The configuration for a tensor: Config::lossless(dtype) with the flags applied. Throws
  // io::Error if -m is above the tensor's mantissa width.
  Config config_for(const io::Tensor& t) const;

 private:
  unsigned version_ = kFormatVersion;
  unsigned lanes_ = 0;
  unsigned man_bits_ = 0;
  std::string round_ = "trunc";
  bool no_gecko_ = false;
  unsigned group_ = 0;
  std::string base_ = "delta";
  std::string zero_ = "mode";
  unsigned chunk_ = 0;
  unsigned word_ = 0;
  std::vector<CLI::Option*> options_;
  CLI::Option* version_opt_ = nullptr;
  CLI::Option* lanes_opt_ = nullptr;
  CLI::Option* gecko_opt_ = nullptr;
  CLI::Option* man_bits_opt_ = nullptr;
  CLI::Option* round_opt_ = nullptr;
  CLI::Option* group_opt_ = nullptr;
  CLI::Option* base_opt_ = nullptr;
  CLI::Option* zero_opt_ = nullptr;
  CLI::Option* chunk_opt_ = nullptr;
  CLI::Option* word_opt_ = nullptr;
};

// Reads an input file whole (io::read_file); "-" is standard input (io::read_stdin), which can be
// given once. Throws io::Error.
std::vector<uint8_t> read_input(const std::string& path);

// Opens an input for reading by offset (io::InputFile); "-" is standard input, which can be given
// once. Throws io::Error.
std::unique_ptr<io::InputFile> open_input(const std::string& path);

// How messages name an output: "-" is "standard output".
std::string output_name(const std::string& path);
// Where a command reports on what it wrote: stderr when the output goes to standard output ("-",
// /dev/stdout), else stdout.
std::FILE* report_stream(const io::OutputFile& output);

// Parses a safetensors or .npy file already read into memory (an .sfp file is an error). A .npy
// array is named after the file's stem ("array" from standard input).
io::TensorFile parse_tensor_file(const std::string& path, const std::vector<uint8_t>& bytes,
                                 bool bf16_npy);

// The layout of a safetensors or .npy file read by offset, with the checks and messages of
// parse_tensor_file.
io::FileLayout tensor_file_layout(const std::string& path, const io::InputFile& in, bool bf16_npy);

// Adds -j/--threads (chunks coded in parallel) to a subcommand; 0 means one per core.
void add_threads_flag(CLI::App* app, unsigned* threads);
// The thread count a -j value stands for.
unsigned resolve_threads(unsigned threads);

// True if e is an error writing an output (io::OutputError).
bool is_write_error(const std::exception& e);

// Prints "sfp: <file>: <what went wrong>" on stderr and returns 1. An input "-" is named
// "standard input".
int fail(const std::string& file, const std::exception& e);
// The same for an output ("-" is "standard output").
int fail_output(const std::string& path, const std::exception& e);

}  // namespace sfp::cli
