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
#include "sfp/io/stream.hpp"

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
  io::StreamResult r;
  uint64_t in_size = 0;
  bool writing = false;
  try {
    const std::unique_ptr<io::InputFile> in = open_input(o.in);
    in_size = in->size();
    std::optional<Progress> progress;  // made when the first pass has the totals
    r = io::decode_stream(
        *in, *out, resolve_threads(o.threads), [&](uint64_t values) { progress->add(values); },
        [&](const io::StreamResult& found) {
          uint64_t total = 0;
          for (const io::StreamedTensor& t : found.tensors) total += t.values;
          progress.emplace("sfp decode", total, found.tensors.size(),
                           want_progress(in_size, o.verbosity));
        });
    if (progress) progress->finish();
    writing = true;
    out->commit();
  } catch (const std::exception& e) {
    return writing || is_write_error(e) ? fail_output(o.out, e) : fail(o.in, e);
  }
  if (o.verbosity.quiet) return 0;
  std::FILE* report = report_stream(*out);
  if (o.verbosity.verbose) {
    for (const io::StreamedTensor& t : r.tensors) {
      fmt::print(report, "{}: {} values, {} {}\n", t.name, t.values, io::dtype_name(t.dtype),
                 io::shape_string(t.shape));
    }
  }
  const size_t tensors = r.tensors.size();
  fmt::print(
      report, "{}: {} tensor{} ({}), {} -> {} bytes ({:.3f}x) in {:.2f} s\n", output_name(o.out),
      tensors, tensors == 1 ? "" : "s", io::source_kind_name(r.kind), in_size, r.bytes_written,
      static_cast<double>(r.bytes_written) / static_cast<double>(in_size), seconds_since(start));
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
