// SPDX-License-Identifier: Apache-2.0
//
// sfp decode: an .sfp container back to the safetensors or .npy file it came from.
#include <fmt/format.h>

#include <memory>

#include "cli.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"

namespace sfp::cli {
namespace {

struct DecodeOptions {
  std::string in, out;
  unsigned threads = 1;
};

int run_decode(const DecodeOptions& o) {
  std::vector<uint8_t> bytes;
  io::SourceKind kind;
  size_t tensors = 0;
  try {
    const std::vector<uint8_t> in = io::read_file(o.in);
    const io::Container c = io::read_container(in.data(), in.size());
    const io::TensorFile file = io::decode_container(c, resolve_threads(o.threads));
    kind = file.kind;
    tensors = file.tensors.size();
    bytes =
        kind == io::SourceKind::kSafetensors ? io::write_safetensors(file) : io::write_npy(file);
  } catch (const std::exception& e) {
    return fail(o.in, e);
  }
  try {
    io::write_file_atomic(o.out, bytes);
  } catch (const std::exception& e) {
    return fail(o.out, e);
  }
  fmt::print("{}: {} tensor{} ({})\n", o.out, tensors, tensors == 1 ? "" : "s",
             io::source_kind_name(kind));
  return 0;
}

}  // namespace

Command add_decode(CLI::App& app) {
  auto o = std::make_shared<DecodeOptions>();
  CLI::App* sub = app.add_subcommand("decode", "Decode an .sfp file back to safetensors or .npy");
  sub->add_option("input", o->in, ".sfp file")->required();
  sub->add_option("-o,--output", o->out, "safetensors or .npy file to write (the source kind)")
      ->required();
  add_threads_flag(sub, &o->threads);
  sub->footer(
      "Writes the kind of file the .sfp was made from, with the same tensor names, shapes, "
      "dtypes and metadata. Tensors encoded losslessly come back bit for bit.");
  return {sub, [o] { return run_decode(*o); }};
}

}  // namespace sfp::cli
