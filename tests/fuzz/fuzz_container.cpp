// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer harness: the .sfp reader and decoder (read_container, decode_container) on any
// bytes. A file either is refused with io::Error or decodes; a file that reads is written back
// and read again to the same tensors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sfp/io/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfp::io::Container c;
  try {
    c = sfp::io::read_container(data, size);
  } catch (const sfp::io::Error&) {
    return 0;
  }
  try {
    (void)sfp::io::decode_container(c);
  } catch (const sfp::io::Error&) {
  }
  const std::vector<uint8_t> again = sfp::io::write_container(c);
  const sfp::io::Container d = sfp::io::read_container(again.data(), again.size());
  if (d.tensors.size() != c.tensors.size() || d.metadata != c.metadata) std::abort();
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    if (d.tensors[i].name != c.tensors[i].name || d.tensors[i].shape != c.tensors[i].shape ||
        d.tensors[i].stream.payload != c.tensors[i].stream.payload) {
      std::abort();
    }
  }
  return 0;
}
