// SPDX-License-Identifier: Apache-2.0
//
// Training snapshots for the RTL testbenches: the F32 and BF16 tensors of a safetensors file
// (SFP_TB_TRACES=<file.safetensors>), read by sfp::io, which checks every header field against
// the file. The per-tensor metadata that sfp train writes (kind, stored mantissa bits) is kept
// when present.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sfp/format.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/safetensors.hpp"
#include "sfp/io/snapshot.hpp"

namespace sfp::tb {

struct TraceTensor {
  std::string name;
  Fp fp;
  std::vector<uint32_t> values;  // bit patterns; BF16 in the low 16 bits
  std::string kind;              // "act", "weight", "grad", "master"; "" without metadata
  int man_bits = -1;             // mantissa bits the trainer stored it with; -1 without metadata
};

// Appends one JSON line to the file named by SFP_TB_REPORT (nothing when unset): the summary
// that `make report` collects from the snapshot runs.
inline void report_line(const nlohmann::json& j) {
  const char* p = std::getenv("SFP_TB_REPORT");
  if (!p || !*p) return;
  std::ofstream f(p, std::ios::app);
  f << j.dump() << "\n";
  if (!f) throw std::runtime_error(std::string(p) + ": cannot append the report line");
}

// The file named by SFP_TB_TRACES, or "" when unset.
inline std::string traces_path() {
  const char* p = std::getenv("SFP_TB_TRACES");
  return p ? std::string(p) : std::string();
}

// Reads every tensor (sfp::io: F32 and BF16) in name order, keeping at most max_values of each.
inline std::vector<TraceTensor> read_safetensors(const std::string& path, size_t max_values) {
  io::TensorFile file;
  io::TensorInfoMap info;  // empty without the "tensors" metadata
  try {
    const std::vector<uint8_t> bytes = io::read_file(path);
    file = io::parse_safetensors(bytes.data(), bytes.size());
    info = io::parse_tensor_info(file.metadata).value_or(io::TensorInfoMap{});
  } catch (const io::Error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  std::sort(file.tensors.begin(), file.tensors.end(),
            [](const io::Tensor& a, const io::Tensor& b) { return a.name < b.name; });
  std::vector<TraceTensor> out;
  for (io::Tensor& t : file.tensors) {
    TraceTensor tt{t.name, t.dtype, {}, "", -1};
    if (const auto ti = info.find(t.name); ti != info.end()) {
      tt.kind = ti->second.kind;
      if (ti->second.bad_man_bits ||
          (ti->second.man_bits && *ti->second.man_bits > fp_format(tt.fp).man_bits)) {
        throw std::runtime_error(path + ": tensor '" + t.name + "' has a bad man_bits");
      }
      if (ti->second.man_bits) tt.man_bits = static_cast<int>(*ti->second.man_bits);
    }
    t.values.resize(std::min<size_t>(t.values.size(), max_values));
    tt.values = std::move(t.values);
    out.push_back(std::move(tt));
  }
  return out;
}

// The tensors holding values of the snapshot SFP_TB_TRACES names (at most max_values each), in
// name order; none, with a note in the test's output, when it is unset: a snapshot test then
// passes without running anything.
inline std::vector<TraceTensor> snapshot_tensors(size_t max_values) {
  const std::string path = traces_path();
  if (path.empty()) {
    WARN("SFP_TB_TRACES is not set: no training snapshot to run");
    return {};
  }
  std::vector<TraceTensor> t = read_safetensors(path, max_values);
  t.erase(std::remove_if(t.begin(), t.end(), [](const TraceTensor& x) { return x.values.empty(); }),
          t.end());
  return t;
}

// c for a snapshot tensor: the tensor's format and c's mantissa bits, or (stored) the bits the
// tensor was stored with when its metadata says; at most the format's.
inline Config snapshot_config(const TraceTensor& t, Config c, bool stored = false) {
  c.fp = t.fp;
  if (stored && t.man_bits >= 0) c.man_bits = static_cast<unsigned>(t.man_bits);
  c.man_bits = std::min(c.man_bits, fp_format(t.fp).man_bits);
  return c;
}

}  // namespace sfp::tb
