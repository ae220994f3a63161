// SPDX-License-Identifier: Apache-2.0
//
// safetensors reader and writer. Every header field is untrusted input.
#include "sfp/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "bytes.hpp"
#include "json_util.hpp"

namespace sfp::io {
namespace {

using detail::brief;
using detail::load_le;

constexpr const char* kMetadataKey = "__metadata__";

struct Entry {
  Tensor tensor;
  uint64_t begin = 0, end = 0;
  size_t order = 0;  // position in the header
};

uint64_t json_uint(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number_unsigned()) {
    throw Error(fmt::format("{} must be a non-negative integer, not {}", where, brief(v)));
  }
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& name, const nlohmann::json& info, uint64_t data_size) {
  const std::string t = "tensor " + quote(name);
  if (!info.is_object()) throw Error(fmt::format("{}: entry must be a JSON object", t));
  for (const auto& item : info.items()) {
    const std::string& key = item.key();
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      throw Error(fmt::format("{}: unexpected field {}", t, quote(key)));
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) throw Error(fmt::format("{}: missing field \"{}\"", t, key));
  }
  Entry e;
  e.tensor.name = name;

  const nlohmann::json& dtype = info.at("dtype");
  if (!dtype.is_string()) throw Error(fmt::format("{}: dtype must be a string", t));
  const std::string& ds = dtype.get_ref<const std::string&>();
  if (ds == "F32") {
    e.tensor.dtype = Fp::kFp32;
  } else if (ds == "BF16") {
    e.tensor.dtype = Fp::kBf16;
  } else {
    throw Error(fmt::format("{} has dtype {}; only F32 and BF16 are supported", t, quote(ds)));
  }

  const nlohmann::json& shape = info.at("shape");
  if (!shape.is_array()) throw Error(fmt::format("{}: shape must be an array", t));
  for (size_t i = 0; i < shape.size(); ++i) {
    e.tensor.shape.push_back(json_uint(shape[i], fmt::format("{}: shape[{}]", t, i)));
  }
  uint64_t n = 0, bytes = 0;
  if (!element_count(e.tensor.shape, &n) ||
      __builtin_mul_overflow(n, uint64_t{dtype_bytes(e.tensor.dtype)}, &bytes)) {
    throw Error(fmt::format("{}: shape {} has too many values", t, shape_string(e.tensor.shape)));
  }

  const nlohmann::json& off = info.at("data_offsets");
  if (!off.is_array() || off.size() != 2) {
    throw Error(fmt::format("{}: data_offsets must be an array [begin, end]", t));
  }
  e.begin = json_uint(off[0], t + ": data_offsets[0]");
  e.end = json_uint(off[1], t + ": data_offsets[1]");
  if (e.begin > e.end) {
    throw Error(fmt::format("{}: data_offsets [{}, {}] begin after they end", t, e.begin, e.end));
  }
  if (e.end > data_size) {
    throw Error(fmt::format("{}: data_offsets [{}, {}] reach past the {} bytes of data", t, e.begin,
                            e.end, data_size));
  }
  if (e.end - e.begin != bytes) {
    throw Error(fmt::format("{}: data_offsets [{}, {}] hold {} bytes, but shape {} of {} needs {}",
                            t, e.begin, e.end, e.end - e.begin, shape_string(e.tensor.shape), ds,
                            bytes));
  }
  return e;
}

// The __metadata__ object, in file order.
Metadata parse_metadata(const nlohmann::json& m, const std::vector<std::string>& keys) {
  if (!m.is_object()) throw Error("__metadata__ must be a JSON object");
  Metadata out;
  for (const std::string& key : keys) {
    const nlohmann::json& value = m.at(key);
    if (!value.is_string()) {
      throw Error(
          fmt::format("__metadata__ {} must be a string, not {}", quote(key), brief(value)));
    }
    out.emplace_back(key, value.get<std::string>());
  }
  return out;
}

}  // namespace

FileLayout safetensors_layout(uint64_t size, const ReadAt& read) {
  if (size < 8) {
    throw Error(fmt::format("file is {} bytes, too short for the 8-byte header length", size));
  }
  uint8_t len[8];
  read(0, len, 8);
  const uint64_t header_len = load_le(len, 8);
  if (header_len > kMaxSafetensorsHeader) {
    throw Error(fmt::format("header length {} is above the limit of {} bytes", header_len,
                            kMaxSafetensorsHeader));
  }
  if (header_len > size - 8) {
    throw Error(
        fmt::format("header length {} is more than the {} bytes after it", header_len, size - 8));
  }
  std::string text(static_cast<size_t>(header_len), '\0');
  read(8, reinterpret_cast<uint8_t*>(text.data()), text.size());
  if (header_len == 0 || text[0] != '{') throw Error("header does not start with '{'");
  detail::KeyOrder order;
  nlohmann::json header;
  try {
    // Levels: the root object, a tensor's object, its shape or offsets array.
    header = detail::parse_json_strict(text.data(), text.size(), 3, &order);
  } catch (const Error& e) {
    throw Error(fmt::format("header: {}", e.what()));
  }
  if (!header.is_object()) throw Error("header is not a JSON object");

  const uint64_t body = 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  FileLayout file;
  file.kind = SourceKind::kSafetensors;
  std::vector<Entry> entries;
  for (const std::string& name : order.root) {
    const nlohmann::json& info = header.at(name);
    if (name == kMetadataKey) {
      file.metadata = parse_metadata(info, order.children[name]);
      continue;
    }
    entries.push_back(parse_entry(name, info, data_size));
    entries.back().order = entries.size() - 1;
  }

  // The tensors must tile the data exactly: sorted by offset, each starts where the last ended.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.order < b.order;
  });
  uint64_t at = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < at) {
      throw Error(fmt::format("tensor {}: data_offsets [{}, {}] overlap tensor {} [{}, {}]",
                              quote(e.tensor.name), e.begin, e.end, quote(prev->tensor.name),
                              prev->begin, prev->end));
    }
    if (e.begin > at) {
      throw Error(
          fmt::format("tensor {}: data_offsets [{}, {}] leave bytes {}..{} of the data "
                      "unused",
                      quote(e.tensor.name), e.begin, e.end, at, e.begin - 1));
    }
    at = e.end;
    prev = &e;
  }
  if (at != data_size) {
    throw Error(fmt::format("data is {} bytes but the tensors cover only {}", data_size, at));
  }

  file.tensors.reserve(entries.size());
  for (Entry& e : entries) {
    TensorLayout t;
    t.name = std::move(e.tensor.name);
    t.dtype = e.tensor.dtype;
    t.shape = std::move(e.tensor.shape);
    t.values = (e.end - e.begin) / dtype_bytes(t.dtype);
    t.offset = body + e.begin;
    file.tensors.push_back(std::move(t));
  }
  return file;
}

TensorFile parse_safetensors(const uint8_t* data, size_t size) {
  FileLayout layout = safetensors_layout(
      size, [&](uint64_t at, uint8_t* out, size_t n) { std::memcpy(out, data + at, n); });
  TensorFile file;
  file.kind = layout.kind;
  file.metadata = std::move(layout.metadata);
  file.tensors.reserve(layout.tensors.size());
  for (TensorLayout& l : layout.tensors) {
    Tensor t;
    t.name = std::move(l.name);
    t.dtype = l.dtype;
    t.shape = std::move(l.shape);
    const unsigned w = dtype_bytes(t.dtype);
    t.values.resize(static_cast<size_t>(l.values));
    const uint8_t* p = data + l.offset;
    for (size_t i = 0; i < t.values.size(); ++i) {
      t.values[i] = static_cast<uint32_t>(load_le(p + i * w, w));
    }
    file.tensors.push_back(std::move(t));
  }
  return file;
}

namespace {

// The header text of write_safetensors, padded. With values, each tensor's values must fill its
// shape; without, the shapes alone give the sizes.
std::string header_text(const TensorFile& file, EntryOrder order, bool with_values) {
  // The header is written as text: a JSON library's insertion-ordered object looks each key up
  // in a list, which is O(n^2) for n tensors.
  std::string text = "{";
  std::set<std::string> names;
  if (!file.metadata.empty()) {
    text += "\"__metadata__\":{";
    for (const auto& [key, value] : file.metadata) {
      if (!names.insert(key).second) {
        throw Error(fmt::format("__metadata__ has the key {} twice", quote(key)));
      }
      if (text.back() != '{') text += ',';
      text += detail::json_string(key, "__metadata__ key");
      text += ':';
      text += detail::json_string(value, "__metadata__ value");
    }
    text += '}';
    names.clear();
  }
  uint64_t at = 0;
  for (const Tensor& t : file.tensors) {
    if (t.name.empty()) throw Error("a tensor has an empty name");
    if (t.name == kMetadataKey) {
      throw Error(
          fmt::format("tensor name {} is reserved for the safetensors metadata", quote(t.name)));
    }
    if (!names.insert(t.name).second) {
      throw Error(fmt::format("tensor name {} is used twice", quote(t.name)));
    }
    uint64_t n = 0;
    if (!element_count(t.shape, &n) || (with_values && n != t.values.size())) {
      throw Error(fmt::format("tensor {}: {} values do not fill shape {}", quote(t.name),
                              t.values.size(), shape_string(t.shape)));
    }
    if (with_values && t.dtype == Fp::kBf16 &&
        std::any_of(t.values.begin(), t.values.end(), [](uint32_t v) { return v >> 16; })) {
      throw Error(fmt::format("tensor {}: a BF16 value has bits above bit 15", quote(t.name)));
    }
    const uint64_t bytes = n * dtype_bytes(t.dtype);
    if (text.back() != '{') text += ',';
    text += detail::json_string(t.name, "tensor name");
    if (order == EntryOrder::kDtypeFirst) {
      text += fmt::format(R"(:{{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}})",
                          dtype_name(t.dtype), fmt::join(t.shape, ","), at, at + bytes);
    } else {
      text += fmt::format(R"(:{{"data_offsets":[{},{}],"dtype":"{}","shape":[{}]}})", at,
                          at + bytes, dtype_name(t.dtype), fmt::join(t.shape, ","));
    }
    at += bytes;
  }
  text += '}';
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

std::vector<uint8_t> safetensors_header(const TensorFile& file, EntryOrder order) {
  const std::string text = header_text(file, order, false);
  std::vector<uint8_t> out;
  detail::append_le(out, text.size(), 8);
  detail::append_bytes(out, text.data(), text.size());
  return out;
}

std::vector<uint8_t> write_safetensors(const TensorFile& file, EntryOrder order) {
  const std::string text = header_text(file, order, true);
  uint64_t at = 0;
  for (const Tensor& t : file.tensors) at += t.values.size() * dtype_bytes(t.dtype);
  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + at);
  detail::append_le(out, text.size(), 8);
  detail::append_bytes(out, text.data(), text.size());
  for (const Tensor& t : file.tensors) {
    const unsigned w = dtype_bytes(t.dtype);
    for (uint32_t v : t.values) detail::append_le(out, v, w);
  }
  return out;
}

}  // namespace sfp::io
