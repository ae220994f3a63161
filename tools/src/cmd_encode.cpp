// SPDX-License-Identifier: Apache-2.0
//
// sfp encode: a safetensors or .npy file to an .sfp container.
#include <fmt/format.h>

#include <memory>

#include "cli.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"

namespace sfp::cli {
namespace {

struct EncodeOptions {
  std::string in, out;
  bool bf16_npy = false;
  unsigned threads = 1;
  ConfigFlags flags;
};

int run_encode(const EncodeOptions& o) {
  o.flags.check();
  io::Container c;
  std::vector<uint8_t> bytes;
  try {
    const std::vector<uint8_t> in = io::read_file(o.in);
    const io::TensorFile file = parse_tensor_file(o.in, in, o.bf16_npy);
    c = io::encode_tensor_file(
        file, [&](const io::Tensor& t) { return o.flags.config_for(t); },
        resolve_threads(o.threads));
    bytes = io::write_container(c);
  } catch (const std::exception& e) {
    return fail(o.in, e);
  }
  try {
    io::write_file_atomic(o.out, bytes);
  } catch (const std::exception& e) {
    return fail(o.out, e);
  }
  for (const io::EncodedTensor& t : c.tensors) {
    const uint64_t n = t.stream.values;
    const unsigned in_bits = fp_format(t.stream.config.fp).width();
    if (n == 0) {
      fmt::print("{}: 0 values\n", t.name);
      continue;
    }
    const double bpv = static_cast<double>(t.stream.bits.total()) / static_cast<double>(n);
    fmt::print("{}: {} values, {:.3f} bits/value, {:.3f}x vs {}\n", t.name, n, bpv, in_bits / bpv,
               io::dtype_name(t.stream.config.fp));
  }
  return 0;
}

}  // namespace

Command add_encode(CLI::App& app) {
  auto o = std::make_shared<EncodeOptions>();
  CLI::App* sub = app.add_subcommand("encode", "Encode a safetensors or .npy file to .sfp");
  sub->add_option("input", o->in, "safetensors or .npy file")->required();
  sub->add_option("-o,--output", o->out, ".sfp file to write")->required();
  sub->add_flag("--bf16-npy", o->bf16_npy, "Read a .npy array of dtype <u2 as BF16 bit patterns");
  o->flags.add_to(sub);
  add_threads_flag(sub, &o->threads);
  sub->footer(
      "Each tensor is encoded losslessly with the default configuration of its dtype unless the "
      "flags say otherwise. Prints one line per tensor: values, bits per value, and the ratio "
      "to the input dtype.");
  return {sub, [o] { return run_encode(*o); }};
}

}  // namespace sfp::cli
