// SPDX-License-Identifier: Apache-2.0
//
// Switching activity of a verilated netlist: an agent that, once per cycle (at the bench's
// sample point, after the cycle's inputs have settled), compares every bit of every net of the
// top module with its value the cycle before, counting the changes and the cycles each bit was 1.
// The netlist is verilated with its top module's nets public (tb/power/CMakeLists.txt), so they
// appear in the model's scope table under their netlist names. Zero-delay: a net changes at most
// once per cycle, glitches are not seen. Used by `make power` (docs/architecture.md, "Power from
// simulated activity").
#pragma once

#include <verilated.h>
#include <verilated_syms.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim.hpp"

namespace sfp::tb {

class ActivityCounter : public Agent {
 public:
  // The nets of the scope `scope` ("<model name>.<top module>") of the context.
  ActivityCounter(VerilatedContext& ctx, const std::string& scope) {
    const VerilatedScopeNameMap* scopes = ctx.scopeNameMap();
    REQUIRE(scopes != nullptr);
    const auto it = scopes->find(scope.c_str());
    if (it == scopes->end() || !it->second->varsp()) {
      FAIL("no public nets in scope '" << scope << "' (verilated without the power config?)");
    }
    for (const auto& [name, var] : *it->second->varsp()) {
      if (var.udims() != 0) FAIL("net '" << name << "' is an unpacked array");
      Net n;
      n.name = name;
      n.data = var.datap();
      n.type = var.vltype();
      n.left = var.dims() ? var.packed().left() : 0;
      n.right = var.dims() ? var.packed().right() : 0;
      n.scalar = var.dims() == 0;
      n.width = static_cast<unsigned>(var.dims() ? var.packed().elements() : 1);
      n.first = bits_;
      n.words = (n.width + 31) / 32;
      n.word0 = words_;
      bits_ += n.width;
      words_ += n.words;
      nets_.push_back(n);
    }
    REQUIRE(!nets_.empty());
    cur_.assign(words_, 0);
    prev_.assign(words_, 0);
    toggles_.assign(bits_, 0);
    high_.assign(bits_, 0);
    since_.assign(bits_, 0);
  }

  void drive() override {}

  void sample() override {
    read(cur_);
    if (cycles_ == 0) {
      prev_ = cur_;
    } else {
      for (size_t w = 0; w < words_; ++w) {
        uint32_t d = cur_[w] ^ prev_[w];
        while (d) {
          const unsigned b = static_cast<unsigned>(__builtin_ctz(d));
          d &= d - 1;
          const size_t bit = bit_of_[w] + b;
          ++toggles_[bit];
          if ((prev_[w] >> b) & 1u) high_[bit] += cycles_ - since_[bit];
          since_[bit] = cycles_;
        }
      }
      std::swap(prev_, cur_);
    }
    ++cycles_;
  }

  uint64_t cycles() const { return cycles_; }
  size_t bits() const { return bits_; }
  uint64_t total_toggles() const {
    uint64_t t = 0;
    for (uint64_t x : toggles_) t += x;
    return t;
  }

  // One line per net bit: name (with [index] for a vector), toggles, cycles at 1; the first line
  // `# cycles <n>`.
  void write(const std::string& path) const {
    std::ofstream f(path);
    f << "# cycles " << cycles_ << "\n";
    for (const Net& n : nets_) {
      for (unsigned i = 0; i < n.width; ++i) {
        const size_t bit = n.first + i;
        uint64_t high = high_[bit];
        if (cycles_ && ((prev_[n.word0 + i / 32] >> (i % 32)) & 1u)) high += cycles_ - since_[bit];
        f << n.name;
        if (!n.scalar) {
          const int idx =
              n.left >= n.right ? n.right + static_cast<int>(i) : n.right - static_cast<int>(i);
          f << "[" << idx << "]";
        }
        f << "\t" << toggles_[bit] << "\t" << high << "\n";
      }
    }
    if (!f) throw std::runtime_error(path + ": cannot write the activity");
  }

 private:
  struct Net {
    std::string name;
    void* data;
    VerilatedVarType type;
    int left, right;
    bool scalar;
    unsigned width, words;
    size_t first, word0;
  };

  // Copies every net into 32-bit words, bit 0 of a net at bit 0 of its first word.
  void read(std::vector<uint32_t>& out) {
    if (bit_of_.empty()) {
      bit_of_.resize(words_);
      for (const Net& n : nets_) {
        for (unsigned w = 0; w < n.words; ++w) bit_of_[n.word0 + w] = n.first + 32 * w;
      }
    }
    for (const Net& n : nets_) {
      uint32_t* o = &out[n.word0];
      switch (n.type) {
        case VLVT_UINT8:
          o[0] = *static_cast<const uint8_t*>(n.data);
          break;
        case VLVT_UINT16:
          o[0] = *static_cast<const uint16_t*>(n.data);
          break;
        case VLVT_UINT32:
          o[0] = *static_cast<const uint32_t*>(n.data);
          break;
        case VLVT_UINT64: {
          const uint64_t v = *static_cast<const uint64_t*>(n.data);
          o[0] = static_cast<uint32_t>(v);
          if (n.words > 1) o[1] = static_cast<uint32_t>(v >> 32);
          break;
        }
        case VLVT_WDATA:
          std::memcpy(o, n.data, 4 * n.words);
          break;
        default:
          FAIL("net '" << n.name << "' has an unsupported type");
      }
      if (n.width % 32) o[n.words - 1] &= (1u << (n.width % 32)) - 1u;
    }
  }

  std::vector<Net> nets_;
  size_t bits_ = 0, words_ = 0;
  std::vector<uint32_t> cur_, prev_;
  std::vector<size_t> bit_of_;  // the first bit index of each word
  std::vector<uint64_t> toggles_, high_, since_;
  uint64_t cycles_ = 0;
};

}  // namespace sfp::tb
