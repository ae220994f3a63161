// SPDX-License-Identifier: Apache-2.0
//
// Little-endian byte access shared by the file parsers and writers (private to sfp_io).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/io/tensor.hpp"

namespace sfp::io::detail {

inline uint64_t load_le(const uint8_t* p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

inline void append_le(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void append_bytes(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

// Bounds-checked sequential reader. Every read names the field it reads, so that running out of
// bytes gives "<context>: file ends in <field> (needs N bytes, M left)".
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  void set_context(std::string context) { context_ = std::move(context); }
  const std::string& context() const { return context_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  // Returns a pointer to the next n bytes and moves past them.
  const uint8_t* take(uint64_t n, const char* field) {
    if (n > remaining()) {
      throw Error(fmt::format("{}file ends in {} (needs {} bytes, {} left)", prefix(), field, n,
                              remaining()));
    }
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint64_t le(unsigned bytes, const char* field) { return load_le(take(bytes, field), bytes); }

  // Throws Error("<context>: <message>").
  [[noreturn]] void fail(const std::string& message) const { throw Error(prefix() + message); }

 private:
  std::string prefix() const { return context_.empty() ? std::string() : context_ + ": "; }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string context_;
};

// ByteReader's interface and messages over a file read by offset (or over memory when `mem` is
// given): take() returns the bytes read into a buffer that the next take() or peek() reuses, skip()
// moves past bytes without reading them, and the CRC-32C of the bytes taken since begin_crc() is
// kept.
class SourceReader {
 public:
  SourceReader(const uint8_t* mem, uint64_t size, ReadAt read)
      : mem_(mem), size_(size), read_(std::move(read)) {}

  void set_context(std::string context) { context_ = std::move(context); }
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  const uint8_t* take(uint64_t n, const char* field) {
    check(n, field);
    const uint8_t* p = nullptr;
    if (mem_) {
      p = mem_ + pos_;
    } else if (n <= kAhead) {
      p = ahead(n);
    } else {
      if (buf_.size() < n) buf_.resize(static_cast<size_t>(n));
      read_(pos_, buf_.data(), static_cast<size_t>(n));
      p = buf_.data();
    }
    crc_ = crc32c(p, static_cast<size_t>(n), crc_);
    pos_ += n;
    return p;
  }
  uint64_t le(unsigned bytes, const char* field) { return load_le(take(bytes, field), bytes); }
  void skip(uint64_t n, const char* field) {
    check(n, field);
    pos_ += n;
  }
  // Up to `max` of the next bytes, without moving past them; *avail is how many.
  const uint8_t* peek(size_t max, size_t* avail) {
    *avail = static_cast<size_t>(std::min<uint64_t>(max, remaining()));
    if (mem_) return mem_ + pos_;
    if (*avail <= kAhead) return ahead(*avail);
    peek_.resize(*avail);
    read_(pos_, peek_.data(), *avail);
    return peek_.data();
  }
  void begin_crc() { crc_ = 0; }
  uint32_t crc() const { return crc_; }

  [[noreturn]] void fail(const std::string& message) const { throw Error(prefix() + message); }

 private:
  void check(uint64_t n, const char* field) const {
    if (n > remaining()) {
      throw Error(fmt::format("{}file ends in {} (needs {} bytes, {} left)", prefix(), field, n,
                              remaining()));
    }
  }
  std::string prefix() const { return context_.empty() ? std::string() : context_ + ": "; }

  // Small reads come from a window of the file read ahead of them (one read for many fields
  // rather than one each: a record's fields, or the records of many small tensors); larger
  // ones are read alone. ahead(n) returns bytes pos_ .. pos_ + n - 1 (n <= kAhead, in the file)
  // from the window, reading it again from pos_ if it does not hold them.
  static constexpr size_t kAhead = 64u << 10;
  const uint8_t* ahead(uint64_t n) {
    if (pos_ < ahead_at_ || pos_ + n > ahead_at_ + ahead_.size()) {
      ahead_.resize(static_cast<size_t>(std::min<uint64_t>(kAhead, remaining())));
      read_(pos_, ahead_.data(), ahead_.size());
      ahead_at_ = pos_;
    }
    return ahead_.data() + (pos_ - ahead_at_);
  }

  const uint8_t* mem_;
  uint64_t size_;
  ReadAt read_;
  uint64_t pos_ = 0;
  uint32_t crc_ = 0;
  std::vector<uint8_t> buf_, peek_, ahead_;
  uint64_t ahead_at_ = 0;
  std::string context_;
};

}  // namespace sfp::io::detail
