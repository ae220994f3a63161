// SPDX-License-Identifier: Apache-2.0
//
// Training snapshots for the RTL testbenches: the F32 and BF16 tensors of a safetensors file
// (SFP_TB_TRACES=<file.safetensors>). Every header field is checked against the file before use.
// The per-tensor metadata that sfp train writes (kind, stored mantissa bits) is kept when present.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sfp/format.hpp"

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

// Reads every F32/BF16 tensor (other dtypes are skipped), keeping at most max_values of each.
inline std::vector<TraceTensor> read_safetensors(const std::string& path, size_t max_values) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  f.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(f.tellg());
  f.seekg(0);
  uint8_t len_bytes[8];
  if (size < 8 || !f.read(reinterpret_cast<char*>(len_bytes), 8)) {
    throw std::runtime_error(path + ": shorter than the 8-byte header length");
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = hlen << 8 | len_bytes[i];
  if (hlen > size - 8 || hlen > (uint64_t{100} << 20)) {
    throw std::runtime_error(path + ": header length past the end of the file");
  }
  std::string header(hlen, '\0');
  f.read(header.data(), static_cast<std::streamsize>(hlen));
  const nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw std::runtime_error(path + ": header is not a JSON object");
  const uint64_t data_start = 8 + hlen, data_size = size - data_start;
  nlohmann::json info = nlohmann::json::object();
  if (j.contains("__metadata__") && j["__metadata__"].is_object() &&
      j["__metadata__"].contains("tensors") && j["__metadata__"]["tensors"].is_string()) {
    info = nlohmann::json::parse(j["__metadata__"]["tensors"].get<std::string>(), nullptr, false);
    if (!info.is_object()) throw std::runtime_error(path + ": metadata 'tensors' is not an object");
  }
  std::vector<TraceTensor> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& t = it.value();
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") ||
        !t.contains("data_offsets") || !t["dtype"].is_string() || !t["shape"].is_array() ||
        !t["data_offsets"].is_array() || t["data_offsets"].size() != 2) {
      throw std::runtime_error(path + ": tensor '" + it.key() + "' has a malformed entry");
    }
    const std::string dtype = t["dtype"].get<std::string>();
    if (dtype != "F32" && dtype != "BF16") continue;
    const unsigned elem = dtype == "F32" ? 4 : 2;
    uint64_t count = 1;
    for (const auto& d : t["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
        throw std::runtime_error(path + ": tensor '" + it.key() + "' has a bad dimension");
      }
      count *= d.get<uint64_t>();
      if (count > (uint64_t{1} << 40)) throw std::runtime_error(path + ": tensor too large");
    }
    const auto& off = t["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      throw std::runtime_error(path + ": tensor '" + it.key() + "' has bad offsets");
    }
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e || e > data_size || e - b != count * elem) {
      throw std::runtime_error(path + ": tensor '" + it.key() + "' offsets disagree with the file");
    }
    TraceTensor tt{it.key(), dtype == "F32" ? Fp::kFp32 : Fp::kBf16, {}, "", -1};
    if (info.contains(it.key()) && info[it.key()].is_object()) {
      const auto& ti = info[it.key()];
      if (ti.contains("kind") && ti["kind"].is_string()) tt.kind = ti["kind"].get<std::string>();
      if (ti.contains("man_bits")) {
        if (!ti["man_bits"].is_number_unsigned() ||
            ti["man_bits"].get<uint64_t>() > fp_format(tt.fp).man_bits) {
          throw std::runtime_error(path + ": tensor '" + it.key() + "' has a bad man_bits");
        }
        tt.man_bits = static_cast<int>(ti["man_bits"].get<uint64_t>());
      }
    }
    const uint64_t keep = std::min<uint64_t>(count, max_values);
    std::vector<uint8_t> raw(keep * elem);
    f.seekg(static_cast<std::streamoff>(data_start + b));
    f.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (!f) throw std::runtime_error(path + ": read failed");
    tt.values.resize(keep);
    for (uint64_t i = 0; i < keep; ++i) {
      uint32_t v = 0;
      for (unsigned k = elem; k-- > 0;) v = v << 8 | raw[i * elem + k];
      tt.values[i] = v;
    }
    out.push_back(std::move(tt));
  }
  return out;
}

}  // namespace sfp::tb
