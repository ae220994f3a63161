// SPDX-License-Identifier: Apache-2.0
//
// The "tensors" metadata of training snapshots.
#include "sfp/io/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace sfp::io {

std::optional<TensorInfoMap> parse_tensor_info(const Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    if (key != kTensorInfoKey) continue;
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) throw Error("metadata 'tensors' is not a JSON object");
    TensorInfoMap out;
    for (auto it = j.begin(); it != j.end(); ++it) {
      TensorInfo& info = out[it.key()];
      const nlohmann::json& e = it.value();
      if (!e.is_object()) continue;
      if (e.contains("kind") && e["kind"].is_string()) info.kind = e["kind"].get<std::string>();
      if (e.contains("layer") && e["layer"].is_string()) info.layer = e["layer"].get<std::string>();
      if (e.contains("man_bits")) {
        if (e["man_bits"].is_number_unsigned()) {
          info.man_bits = e["man_bits"].get<uint64_t>();
        } else {
          info.bad_man_bits = true;
        }
      }
      if (e.contains("n") && e["n"].is_number()) info.n = e["n"].get<double>();
    }
    return out;
  }
  return std::nullopt;
}

std::string write_tensor_info(const TensorInfoMap& info) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, t] : info) {
    nlohmann::json e = {{"kind", t.kind}, {"layer", t.layer}};
    if (t.man_bits) e["man_bits"] = *t.man_bits;
    if (t.n) e["n"] = *t.n;
    j[name] = std::move(e);
  }
  return j.dump();
}

}  // namespace sfp::io
