// SPDX-License-Identifier: Apache-2.0
//
// Strict JSON parsing of untrusted headers.
#include "json_util.hpp"

#include <fmt/format.h>

#include <cstring>
#include <set>

#include "sfp/io/tensor.hpp"

namespace sfp::io::detail {
namespace {

using Json = nlohmann::json;

// The checks of parse_json_strict as a SAX handler: nesting depth, keys repeated in an object,
// and the key order. Every event costs O(log k) for an object of k keys, so a header of n keys
// is checked in O(n log n). (nlohmann's callback parser, which could do the same, scans the
// parent object each time a child object ends: O(n^2) for n tensors.)
class Checker : public nlohmann::json_sax<Json> {
 public:
  Checker(int max_depth, KeyOrder* order) : max_depth_(max_depth), order_(order) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open();
    keys_.emplace_back();
    objects_.push_back(true);
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) {
      throw Error(fmt::format("JSON has the key {} twice in one object", quote(k)));
    }
    // Depth 1 is the root object; depth 2 an object that is the value of a root key.
    if (order_ && depth_ == 1) {
      root_key_ = k;
      order_->root.push_back(k);
    } else if (order_ && depth_ == 2 && objects_[0] && objects_[1]) {
      order_->children[root_key_].push_back(k);
    }
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    close();
    return true;
  }
  bool start_array(std::size_t) override {
    open();
    objects_.push_back(false);
    return true;
  }
  bool end_array() override {
    close();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw Error("invalid JSON: " + quote(e.what()));
  }

 private:
  void open() {
    if (depth_ >= max_depth_) {
      throw Error(fmt::format("JSON is nested more than {} levels deep", max_depth_));
    }
    ++depth_;
  }
  void close() {
    --depth_;
    objects_.pop_back();
  }

  int max_depth_;
  KeyOrder* order_;
  int depth_ = 0;
  std::vector<std::set<std::string>> keys_;  // one set per open object
  std::vector<bool> objects_;                // per open level: an object (not an array)
  std::string root_key_;                     // the last key of the root object
};

}  // namespace

nlohmann::json parse_json_strict(const char* text, size_t size, int max_depth, KeyOrder* order) {
  // The parser takes a NUL byte for the end of the input and would ignore what follows it. JSON
  // text holds no raw NUL (a string must escape it), so one anywhere is an error.
  if (const void* nul = std::memchr(text, 0, size)) {
    throw Error(
        fmt::format("invalid JSON: NUL byte at offset {}", static_cast<const char*>(nul) - text));
  }
  // Two linear passes: the checks, then the document (whose objects are sorted maps: O(n log n)).
  Checker checker(max_depth, order);
  Json::sax_parse(text, text + size, &checker);
  try {
    return Json::parse(text, text + size);
  } catch (const Json::exception& e) {
    throw Error("invalid JSON: " + quote(e.what()));
  }
}

std::string brief(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return s;
}

std::string json_string(const std::string& s, const char* what) {
  try {
    return nlohmann::json(s).dump();
  } catch (const Json::exception&) {
    throw Error(fmt::format("{} {} is not valid UTF-8", what, quote(s)));
  }
}

}  // namespace sfp::io::detail
