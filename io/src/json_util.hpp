// SPDX-License-Identifier: Apache-2.0
//
// Strict JSON parsing of untrusted headers (private to sfp_io).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sfp::io::detail {

// Key order in the file, which nlohmann::json does not keep (it sorts keys; its sorted map also
// keeps parsing O(n log n) for a hostile number of keys, where an ordered map is O(n^2)).
struct KeyOrder {
  std::vector<std::string> root;                             // keys of the root object
  std::map<std::string, std::vector<std::string>> children;  // keys of objects under root keys
};

// Parses `size` bytes of JSON in O(size log size). Throws Error for invalid JSON (a NUL byte
// anywhere included), a key repeated in any object, or objects and arrays nested more than
// max_depth levels (the root is level 1). *order, if given, receives the key order.
nlohmann::json parse_json_strict(const char* text, size_t size, int max_depth,
                                 KeyOrder* order = nullptr);

// A JSON value for a message: its text, cut after 40 bytes.
std::string brief(const nlohmann::json& v);

// s as a JSON string literal, quotes included. Throws Error("<what> \"s\" is not valid UTF-8").
std::string json_string(const std::string& s, const char* what);

}  // namespace sfp::io::detail
