// SPDX-License-Identifier: Apache-2.0
#include "sfp/train/safetensors.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "sfp/train/io.hpp"

namespace sfp::train {

namespace {

void put_u64_le(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool little_endian_host() {
  const uint16_t probe = 1;
  unsigned char b;
  std::memcpy(&b, &probe, 1);
  return b == 1;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<StTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::string header = "{\"__metadata__\":";
  header += nlohmann::json(metadata).dump();
  std::set<std::string> seen{"__metadata__"};
  uint64_t offset = 0;
  for (const StTensor& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw std::invalid_argument("safetensors: negative dimension in " + t.name);
      count *= static_cast<uint64_t>(d);
    }
    if (count != t.data.size()) {
      throw std::invalid_argument("safetensors: data size does not match the shape of " + t.name);
    }
    if (!seen.insert(t.name).second) {
      throw std::invalid_argument("safetensors: duplicate tensor name " + t.name);
    }
    const uint64_t bytes = count * sizeof(float);
    nlohmann::json entry = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    header += "," + nlohmann::json(t.name).dump() + ":" + entry.dump();
    offset += bytes;
  }
  header += "}";
  while ((8 + header.size()) % 8 != 0) header.push_back(' ');

  std::string head;
  put_u64_le(head, header.size());
  const bool le = little_endian_host();
  write_file_atomic(path, [&](std::ofstream& out) {
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const StTensor& t : tensors) {
      if (le) {
        out.write(reinterpret_cast<const char*>(t.data.data()),
                  static_cast<std::streamsize>(t.data.size() * sizeof(float)));
      } else {
        for (float v : t.data) {
          uint32_t u;
          std::memcpy(&u, &v, 4);
          const char b[4] = {static_cast<char>(u), static_cast<char>(u >> 8),
                             static_cast<char>(u >> 16), static_cast<char>(u >> 24)};
          out.write(b, 4);
        }
      }
    }
  });
}

std::string read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  unsigned char len_bytes[8];
  if (size < 8 || !in.read(reinterpret_cast<char*>(len_bytes), 8)) {
    throw std::runtime_error(path + ": shorter than the 8-byte header length");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > size - 8) throw std::runtime_error(path + ": header length exceeds the file size");
  std::string header(n, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(n))) {
    throw std::runtime_error(path + ": cannot read the header");
  }
  while (!header.empty() && header.back() == ' ') header.pop_back();
  return header;
}

}  // namespace sfp::train
