// SPDX-License-Identifier: Apache-2.0
//
// Shared pieces of the sfp subcommands.
#include "cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <new>
#include <thread>

#include "sfp/io/file.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"

namespace sfp::cli {
namespace {

// One line: control characters (a multi-line library message, a name with a newline) become
// spaces.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

}  // namespace

void ConfigFlags::add_to(CLI::App* app) {
  version_opt_ = app->add_option("--format", version_,
                                 fmt::format("Format version: 3 (lanes, exponent code, one-pass "
                                             "layout, shared tables), 2 (lanes with a plane) or "
                                             "1 (Gecko groups) (default: {})",
                                             kFormatVersion))
                     ->check(CLI::IsMember({1u, 2u, 3u}));
  lanes_opt_ = app->add_option("--lanes", lanes_, "Formats 2 and 3: lanes L (default: 16)")
                   ->check(CLI::IsMember({4u, 8u, 16u, 32u}));
  man_bits_opt_ = app->add_option("-m,--mantissa-bits", man_bits_,
                                  "Mantissa bits kept (default: all: 23 for F32, 7 for BF16)")
                      ->check(CLI::Range(0u, 23u));
  round_opt_ = app->add_option("--round", round_, "Rounding when -m drops bits (default: trunc)")
                   ->check(CLI::IsMember({"trunc", "rne"}));
  gecko_opt_ =
      app->add_flag("--no-gecko", no_gecko_, "Format 1: raw 8-bit exponents instead of Gecko");
  group_opt_ = app->add_option("--group", group_, "Format 1: group size G (default: 16)")
                   ->check(CLI::IsMember({4u, 8u, 16u, 32u}));
  base_opt_ = app->add_option("--base", base_, "Format 1: base code (default: delta)")
                  ->check(CLI::IsMember({"raw", "delta", "gamma"}));
  zero_opt_ = app->add_option("--zero", zero_, "Format 1: zero code (default: mode)")
                  ->check(CLI::IsMember({"none", "mask", "mode"}));
  chunk_opt_ = app->add_option("--chunk", chunk_,
                               "Chunk size C in values: a power of two, G (or L) to 1048576 "
                               "(default: 16384 in formats 2 and 3, 4096 in format 1)")
                   ->check(CLI::Validator(
                       [](std::string& s) -> std::string {
                         unsigned long v = 0;
                         try {
                           v = std::stoul(s);
                         } catch (const std::exception&) {
                           return "not a number: " + s;
                         }
                         if (v < 4 || v > (1ul << kMaxChunkLog2) || (v & (v - 1)) != 0) {
                           return "chunk size must be a power of two from 4 to 1048576";
                         }
                         return "";
                       },
                       "POW2", "power of two"));
  word_opt_ = app->add_option("--word", word_, "Format 1: word width W in bits (default: 256)")
                  ->check(CLI::IsMember({32u, 64u, 128u, 256u, 512u}));
  options_ = {version_opt_, lanes_opt_, man_bits_opt_, round_opt_, gecko_opt_,
              group_opt_,   base_opt_,  zero_opt_,     chunk_opt_, word_opt_};
}

bool ConfigFlags::any() const {
  for (const CLI::Option* o : options_) {
    if (o->count() > 0) return true;
  }
  return false;
}

void ConfigFlags::check() const {
  if (version_ >= 2) {
    for (const CLI::Option* o : {gecko_opt_, group_opt_, base_opt_, zero_opt_, word_opt_}) {
      if (o->count()) {
        throw UsageError(fmt::format("{} applies to --format 1 only", o->get_name()));
      }
    }
    const unsigned lanes = lanes_opt_->count() ? lanes_ : kV2DefaultLanes;
    const unsigned chunk = chunk_opt_->count() ? chunk_ : kV2DefaultChunkValues;
    if (chunk < lanes) {
      throw UsageError(
          fmt::format("chunk size --chunk {} is smaller than the lane count {}", chunk, lanes));
    }
    return;
  }
  if (lanes_opt_->count()) throw UsageError("--lanes applies to --format 2 and 3 only");
  const unsigned group = group_opt_->count() ? group_ : kDefaultGroupLanes;
  const unsigned chunk = chunk_opt_->count() ? chunk_ : kDefaultChunkValues;
  if (chunk < group) {
    throw UsageError(
        fmt::format("chunk size --chunk {} is smaller than the group size {}", chunk, group));
  }
}

Config ConfigFlags::config_for(const io::Tensor& t) const {
  Config c = Config::lossless(t.dtype, version_);
  if (man_bits_opt_->count()) {
    const unsigned max = fp_format(t.dtype).man_bits;
    if (man_bits_ > max) {
      throw io::Error(fmt::format("tensor {} is {} with {} mantissa bits; -m {} is more",
                                  io::quote(t.name), io::dtype_name(t.dtype), max, man_bits_));
    }
    c.man_bits = man_bits_;
  }
  c.rounding = round_ == "rne" ? Rounding::kNearestEven : Rounding::kTruncate;
  if (version_ >= 2) {
    if (lanes_opt_->count()) c.group = lanes_;
    if (chunk_opt_->count()) c.chunk = chunk_;
    return c;
  }
  c.gecko = !no_gecko_;
  if (group_opt_->count()) c.group = group_;
  if (base_opt_->count()) {
    c.base = base_ == "raw"     ? BaseCode::kRaw
             : base_ == "gamma" ? BaseCode::kGamma
                                : BaseCode::kDelta;
  }
  if (zero_opt_->count()) {
    c.zero = zero_ == "none"   ? ZeroCode::kNone
             : zero_ == "mask" ? ZeroCode::kMask
                               : ZeroCode::kMode;
  }
  if (chunk_opt_->count()) c.chunk = chunk_;
  if (word_opt_->count()) c.word_bits = word_;
  return c;
}

io::TensorFile parse_tensor_file(const std::string& path, const std::vector<uint8_t>& bytes,
                                 bool bf16_npy) {
  switch (io::detect_kind(bytes.data(), bytes.size())) {
    case io::FileKind::kSfp:
      throw io::Error("this is an .sfp file; sfp decode turns it back into a tensor file");
    case io::FileKind::kNpy: {
      io::NpyOptions options;
      options.bf16 = bf16_npy;
      options.name = path == "-" ? "" : std::filesystem::path(path).stem().string();
      if (options.name.empty()) options.name = "array";
      return io::parse_npy(bytes.data(), bytes.size(), options);
    }
    case io::FileKind::kSafetensors:
      break;
  }
  try {
    return io::parse_safetensors(bytes.data(), bytes.size());
  } catch (const io::Error& e) {
    // safetensors has no magic: say what was tried unless the name says what the file is.
    if (std::filesystem::path(path).extension() == ".safetensors") throw;
    throw io::Error(fmt::format("not .npy or .sfp, and as safetensors: {}", e.what()));
  }
}

namespace {

// Standard input can be read once.
void claim_stdin() {
  static bool read = false;
  if (read) throw io::Error("given more than once (it can be read only once)");
  read = true;
}

}  // namespace

std::vector<uint8_t> read_input(const std::string& path) {
  if (path != "-") return io::read_file(path);
  claim_stdin();
  return io::read_stdin();
}

std::unique_ptr<io::InputFile> open_input(const std::string& path) {
  if (path == "-") claim_stdin();
  return std::make_unique<io::InputFile>(path);
}

io::FileLayout tensor_file_layout(const std::string& path, const io::InputFile& in, bool bf16_npy) {
  uint8_t magic[6] = {};
  const size_t got = static_cast<size_t>(std::min<uint64_t>(in.size(), sizeof magic));
  in.read(0, magic, got);
  const io::ReadAt read = in.reader();
  switch (io::detect_kind(magic, got)) {
    case io::FileKind::kSfp:
      throw io::Error("this is an .sfp file; sfp decode turns it back into a tensor file");
    case io::FileKind::kNpy: {
      io::NpyOptions options;
      options.bf16 = bf16_npy;
      options.name = path == "-" ? "" : std::filesystem::path(path).stem().string();
      if (options.name.empty()) options.name = "array";
      return io::npy_layout(in.size(), read, options);
    }
    case io::FileKind::kSafetensors:
      break;
  }
  try {
    return io::safetensors_layout(in.size(), read);
  } catch (const io::Error& e) {
    // safetensors has no magic: say what was tried unless the name says what the file is.
    if (std::filesystem::path(path).extension() == ".safetensors") throw;
    throw io::Error(fmt::format("not .npy or .sfp, and as safetensors: {}", e.what()));
  }
}

std::string output_name(const std::string& path) { return path == "-" ? "standard output" : path; }

std::FILE* report_stream(const io::OutputFile& output) {
  return output.is_stdout() ? stderr : stdout;
}

void add_threads_flag(CLI::App* app, unsigned* threads) {
  app->add_option("-j,--threads", *threads,
                  "Threads that code chunks in parallel (format 2; 0 = one per core)")
      ->check(CLI::Range(0u, 256u))
      ->capture_default_str();
}

unsigned resolve_threads(unsigned threads) {
  if (threads) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}

bool is_write_error(const std::exception& e) {
  return dynamic_cast<const io::OutputError*>(&e) != nullptr;
}

int fail(const std::string& file, const std::exception& e) {
  const bool oom = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
  fmt::print(stderr, "sfp: {}: {}\n", one_line(file == "-" ? "standard input" : file),
             oom ? "out of memory" : one_line(e.what()));
  return 1;
}

int fail_output(const std::string& path, const std::exception& e) {
  return fail(output_name(path), e);
}

}  // namespace sfp::cli
