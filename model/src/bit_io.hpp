// SPDX-License-Identifier: Apache-2.0
//
// Bit writer and reader of the model: bits LSB first (Spec: "Conventions"). Each encoder put has
// its decoder get in the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sfp::detail {

// Bits needed to write v (0 for 0).
inline unsigned bit_width(uint64_t v) {
  unsigned w = 0;
  for (; v; v >>= 1) ++w;
  return w;
}

// Appends bits LSB first into a byte buffer sized in advance by the caller, with 8 spare bytes:
// every put stores the whole accumulator and advances by the complete bytes (no branch).
class BitWriter {
 public:
  explicit BitWriter(uint8_t* out) : out_(out) {}
  // Writes the n low bits of v (n <= 56, v < 2^n).
  void put(uint64_t v, unsigned n) {
    acc_ |= v << fill_;
    fill_ += n;
    std::memcpy(out_ + bytes_, &acc_, 8);
    const unsigned whole = fill_ >> 3;  // at most 7: fill_ stays below 8 between puts
    bytes_ += whole;
    acc_ >>= whole * 8;
    fill_ &= 7;
  }
  uint64_t bits() const { return bytes_ * 8 + fill_; }
  // Writes the partial byte and zero padding up to a multiple of word_bytes; returns the bytes.
  size_t finish(unsigned word_bytes) {
    const size_t total = bytes_ + (fill_ + 7) / 8;
    if (fill_) out_[bytes_] = static_cast<uint8_t>(acc_);
    const size_t padded = (total + word_bytes - 1) / word_bytes * word_bytes;
    std::memset(out_ + total, 0, padded - total);
    return padded;
  }

 private:
  uint8_t* out_;
  size_t bytes_ = 0;
  uint64_t acc_ = 0;
  unsigned fill_ = 0;
};

// Reads bits LSB first from [data, data + size). Reading past the end sets a sticky overrun flag
// and returns zeros.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size), limit_(size * 8) {}
  uint32_t get(unsigned n) {  // n <= 32
    if (pos_ + n > limit_) {
      overrun_ = true;
      pos_ = limit_;
      return 0;
    }
    const size_t byte = pos_ >> 3;
    uint64_t w;
    if (byte + 8 <= size_) {
      std::memcpy(&w, data_ + byte, 8);
    } else {
      w = 0;
      std::memcpy(&w, data_ + byte, size_ - byte);
    }
    const uint32_t v = static_cast<uint32_t>((w >> (pos_ & 7)) & ((uint64_t{1} << n) - 1));
    pos_ += n;
    return v;
  }
  uint64_t pos() const { return pos_; }
  bool overrun() const { return overrun_; }

 private:
  const uint8_t* data_;
  size_t size_;
  uint64_t limit_;
  uint64_t pos_ = 0;
  bool overrun_ = false;
};

}  // namespace sfp::detail
