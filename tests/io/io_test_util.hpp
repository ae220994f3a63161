// SPDX-License-Identifier: Apache-2.0
//
// Helpers for the sfp_io and command line tests: byte builders and a scratch directory.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sfp/io/tensor.hpp"

namespace sfp::test {

using Bytes = std::vector<uint8_t>;

inline void put_le(Bytes& b, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void put_str(Bytes& b, const std::string& s) {
  for (char c : s) b.push_back(static_cast<uint8_t>(c));
}

inline uint64_t get_le(const Bytes& b, size_t at, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{b.at(at + i)} << (8 * i);
  return v;
}

// A safetensors file from a header text and raw data, built without sfp_io.
inline Bytes safetensors_bytes(const std::string& header, const Bytes& data) {
  Bytes b;
  put_le(b, header.size(), 8);
  put_str(b, header);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// A .npy file from a version, header text and raw data, built without sfp_io.
inline Bytes npy_bytes(unsigned major, const std::string& header, const Bytes& data) {
  Bytes b;
  put_str(b, std::string("\x93NUMPY", 6));
  b.push_back(static_cast<uint8_t>(major));
  b.push_back(0);
  put_le(b, header.size(), major == 1 ? 2 : 4);
  put_str(b, header);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline io::Tensor make_tensor(std::string name, Fp dtype, std::vector<uint64_t> shape,
                              std::vector<uint32_t> values) {
  io::Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.values = std::move(values);
  return t;
}

// A fresh directory under the system temp directory, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sfp_io_test.XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(f.good());
}

inline Bytes read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace sfp::test
