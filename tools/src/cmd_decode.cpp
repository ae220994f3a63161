// SPDX-License-Identifier: Apache-2.0
//
// sfp decode: an .sfp container back to the safetensors or .npy file it came from.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "cli.hpp"
#include "progress.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"

namespace sfp::cli {
namespace {

struct DecodeOptions {
  std::string in, out;
  unsigned threads = 1;
  Verbosity verbosity;
};

int run_decode(const DecodeOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<io::OutputFile> out;
  try {
    out.emplace(o.out, std::vector<std::string>{o.in});
  } catch (const std::exception& e) {
    return fail_output(o.out, e);
  }
  std::vector<uint8_t> bytes;
  io::SourceKind kind;
  std::vector<std::string> lines;
  size_t tensors = 0, in_size = 0;
  try {
    const std::vector<uint8_t> in = read_input(o.in);
    in_size = in.size();
    const io::Container c = io::read_container(in.data(), in.size());
    uint64_t total = 0;
    for (const io::EncodedTensor& t : c.tensors) total += t.stream.values;
    Progress progress("sfp decode", total, c.tensors.size(), want_progress(in_size, o.verbosity));
    const io::TensorFile file = io::decode_container(
        c, resolve_threads(o.threads), [&](size_t i) { progress.add(c.tensors[i].stream.values); });
    progress.finish();
    kind = file.kind;
    tensors = file.tensors.size();
    if (o.verbosity.verbose) {
      for (const io::Tensor& t : file.tensors) {
        lines.push_back(fmt::format("{}: {} values, {} {}", t.name, t.values.size(),
                                    io::dtype_name(t.dtype), io::shape_string(t.shape)));
      }
    }
    bytes =
        kind == io::SourceKind::kSafetensors ? io::write_safetensors(file) : io::write_npy(file);
  } catch (const std::exception& e) {
    return fail(o.in, e);
  }
  try {
    out->write(bytes);
    out->commit();
  } catch (const std::exception& e) {
    return fail_output(o.out, e);
  }
  if (o.verbosity.quiet) return 0;
  std::FILE* report = report_stream(*out);
  for (const std::string& l : lines) fmt::print(report, "{}\n", l);
  fmt::print(
      report, "{}: {} tensor{} ({}), {} -> {} bytes ({:.3f}x) in {:.2f} s\n", output_name(o.out),
      tensors, tensors == 1 ? "" : "s", io::source_kind_name(kind), in_size, bytes.size(),
      static_cast<double>(bytes.size()) / static_cast<double>(in_size), seconds_since(start));
  return 0;
}

}  // namespace

Command add_decode(CLI::App& app) {
  auto o = std::make_shared<DecodeOptions>();
  CLI::App* sub = app.add_subcommand("decode", "Decode an .sfp file back to safetensors or .npy");
  sub->add_option("input", o->in, ".sfp file (- for standard input)")->required();
  sub->add_option("-o,--output", o->out,
                  "safetensors or .npy file to write (the source kind; - for standard output)")
      ->required();
  add_threads_flag(sub, &o->threads);
  o->verbosity.add_to(sub);
  sub->footer(
      "Writes the kind of file the .sfp was made from, with the same tensor names, shapes, "
      "dtypes and metadata. Tensors encoded losslessly come back bit for bit. Prints one "
      "summary line; --verbose adds a line per tensor, --quiet prints nothing.");
  return {sub, [o] { return run_decode(*o); }};
}

}  // namespace sfp::cli
