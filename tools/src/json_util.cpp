// SPDX-License-Identifier: Apache-2.0
//
// Strict JSON parsing of untrusted headers.
#include "json_util.hpp"

#include <fmt/format.h>

#include <set>

#include "sfp/io/tensor.hpp"

namespace sfp::io::detail {

nlohmann::json parse_json_strict(const char* text, size_t size, int max_depth, KeyOrder* order) {
  using Json = nlohmann::json;
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::string root_key;                     // the last key of the root object
  const auto check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= max_depth) {
          throw Error(fmt::format("JSON is nested more than {} levels deep", max_depth));
        }
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const std::string& k = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(k).second) {
          throw Error(fmt::format("JSON has the key {} twice in one object", quote(k)));
        }
        if (keys.size() == 1) root_key = k;
        if (keys.size() == 1 && order) order->root.push_back(k);
        if (keys.size() == 2 && order) order->children[root_key].push_back(k);
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, text + size, check);
  } catch (const Json::exception& e) {
    throw Error("invalid JSON: " + quote(e.what()));
  }
}

std::string brief(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return s;
}

}  // namespace sfp::io::detail
