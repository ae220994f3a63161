// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the safetensors parser on any bytes. A file that parses is written back and
// parsed again to the same tensors and metadata.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sfp/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfp::io::TensorFile f;
  try {
    f = sfp::io::parse_safetensors(data, size);
  } catch (const sfp::io::Error&) {
    return 0;
  }
  std::vector<uint8_t> again;
  try {
    again = sfp::io::write_safetensors(f);
  } catch (const sfp::io::Error&) {
    return 0;  // e.g. a name that is not UTF-8: parsed, but not writable
  }
  const sfp::io::TensorFile g = sfp::io::parse_safetensors(again.data(), again.size());
  if (g.metadata != f.metadata || g.tensors.size() != f.tensors.size()) std::abort();
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    if (g.tensors[i].name != f.tensors[i].name || g.tensors[i].values != f.tensors[i].values) {
      std::abort();
    }
  }
  return 0;
}
