// SPDX-License-Identifier: Apache-2.0
#include "data.hpp"

#include <zlib.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "sfp/io/file.hpp"

namespace sfp::train {

namespace fs = std::filesystem;

namespace {

const char* const kFiles[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

void gunzip(const std::string& src, const std::string& dst) {
  gzFile in = gzopen(src.c_str(), "rb");
  if (in == nullptr) throw std::runtime_error(src + ": cannot open");
  try {
    io::OutputFile out(dst);
    std::vector<uint8_t> buf(1 << 16);
    for (;;) {
      const int got = gzread(in, buf.data(), static_cast<unsigned>(buf.size()));
      if (got < 0) {
        int err = 0;
        throw std::runtime_error(src + ": corrupt gzip data (" + gzerror(in, &err) + ")");
      }
      if (got == 0) break;
      out.write(buf.data(), static_cast<size_t>(got));
    }
    out.commit();
  } catch (const io::Error& e) {
    gzclose(in);
    throw std::runtime_error(dst + ": " + e.what());
  } catch (...) {
    gzclose(in);
    throw;
  }
  gzclose(in);
}

}  // namespace

void prepare_fashion_mnist(const std::string& gz_dir, const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error(out_dir + ": cannot create the data folder: " + ec.message());
  for (const char* name : kFiles) {
    const fs::path dst = fs::path(out_dir) / name;
    if (fs::exists(dst)) continue;
    const fs::path gz = fs::path(gz_dir) / (std::string(name) + ".gz");
    const fs::path plain = fs::path(gz_dir) / name;
    if (fs::exists(gz)) {
      gunzip(gz.string(), dst.string());
    } else if (fs::exists(plain)) {
      fs::copy_file(plain, dst, fs::copy_options::skip_existing, ec);
      if (ec) throw std::runtime_error(plain.string() + ": cannot copy: " + ec.message());
    } else {
      throw std::runtime_error(
          gz.string() +
          ": Fashion-MNIST file missing (install the Debian package "
          "dataset-fashion-mnist: scripts/deps.sh train, or pass --dataset DIR)");
    }
  }
}

}  // namespace sfp::train
