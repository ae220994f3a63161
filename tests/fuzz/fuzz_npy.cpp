// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the .npy parser on any bytes (the first byte's low bit selects
// --bf16-npy). A file that parses is written back and parsed again to the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sfp/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  sfp::io::NpyOptions options;
  options.bf16 = data[0] & 1;
  sfp::io::TensorFile f;
  try {
    f = sfp::io::parse_npy(data + 1, size - 1, options);
  } catch (const sfp::io::Error&) {
    return 0;
  }
  const std::vector<uint8_t> again = sfp::io::write_npy(f);
  const sfp::io::TensorFile g = sfp::io::parse_npy(again.data(), again.size(), options);
  if (g.tensors.size() != 1 || g.tensors[0].values != f.tensors[0].values ||
      g.tensors[0].shape != f.tensors[0].shape || g.metadata != f.metadata) {
    std::abort();
  }
  return 0;
}
