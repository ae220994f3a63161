// SPDX-License-Identifier: Apache-2.0
//
// sfp encode: a safetensors or .npy file to an .sfp container.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "cli.hpp"
#include "progress.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/stream.hpp"

namespace sfp::cli {
namespace {

struct EncodeOptions {
  std::string in, out;
  bool bf16_npy = false;
  unsigned threads = 1;
  ConfigFlags flags;
  Verbosity verbosity;
};

std::string tensor_line(const io::StreamedTensor& t) {
  const uint64_t n = t.values;
  const unsigned in_bits = fp_format(t.config.fp).width();
  if (n == 0) return fmt::format("{}: 0 values", t.name);
  const double bpv = static_cast<double>(t.bits.total()) / static_cast<double>(n);
  return fmt::format("{}: {} values, {:.3f} bits/value, {:.3f}x vs {}", t.name, n, bpv,
                     in_bits / bpv, io::dtype_name(t.config.fp));
}

int run_encode(const EncodeOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  o.flags.check();
  // The output first: a target that cannot be written (or is the input) fails before the work.
  std::optional<io::OutputFile> out;
  try {
    out.emplace(o.out, std::vector<std::string>{o.in});
  } catch (const std::exception& e) {
    return fail_output(o.out, e);
  }
  // The input is read twice, by offset (docs/cli.md, "Memory and threads"); errors reading it
  // and errors writing the output are told apart by where they are thrown.
  io::StreamResult r;
  uint64_t in_size = 0;
  bool writing = false;
  try {
    const std::unique_ptr<io::InputFile> in = open_input(o.in);
    in_size = in->size();
    const io::FileLayout layout = tensor_file_layout(o.in, *in, o.bf16_npy);
    uint64_t total = 0;
    for (const io::TensorLayout& t : layout.tensors) total += t.values;
    Progress progress("sfp encode", total, layout.tensors.size(),
                      want_progress(in_size, o.verbosity));
    const unsigned threads = resolve_threads(o.threads);
    r = io::encode_stream(
        *in, layout, *out, [&](const io::Tensor& t) { return o.flags.config_for(t); }, threads,
        [&](uint64_t values) { progress.add(values); });
    progress.finish();
    writing = true;
    out->commit();
  } catch (const std::exception& e) {
    return writing || is_write_error(e) ? fail_output(o.out, e) : fail(o.in, e);
  }
  if (o.verbosity.quiet) return 0;
  std::FILE* report = report_stream(*out);
  if (o.verbosity.verbose) {
    for (const io::StreamedTensor& t : r.tensors) fmt::print(report, "{}\n", tensor_line(t));
  }
  const size_t n = r.tensors.size();
  fmt::print(report, "{}: {} tensor{} ({}), {} -> {} bytes ({:.3f}x) in {:.2f} s\n",
             output_name(o.out), n, n == 1 ? "" : "s", io::source_kind_name(r.kind), in_size,
             r.bytes_written, static_cast<double>(in_size) / static_cast<double>(r.bytes_written),
             seconds_since(start));
  return 0;
}

}  // namespace

Command add_encode(CLI::App& app) {
  auto o = std::make_shared<EncodeOptions>();
  CLI::App* sub = app.add_subcommand("encode", "Encode a safetensors or .npy file to .sfp");
  sub->add_option("input", o->in, "safetensors or .npy file (- for standard input)")->required();
  sub->add_option("-o,--output", o->out, ".sfp file to write (- for standard output)")->required();
  sub->add_flag("--bf16-npy", o->bf16_npy, "Read a .npy array of dtype <u2 as BF16 bit patterns");
  o->flags.add_to(sub);
  add_threads_flag(sub, &o->threads);
  o->verbosity.add_to(sub);
  sub->footer(
      "Each tensor is encoded losslessly with the default configuration of its dtype unless the "
      "flags say otherwise. Prints one summary line (tensors, input and output bytes, their "
      "ratio, time); --verbose adds a line per tensor (values, bits per value, ratio to the "
      "input dtype), --quiet prints nothing.");
  return {sub, [o] { return run_encode(*o); }};
}

}  // namespace sfp::cli
