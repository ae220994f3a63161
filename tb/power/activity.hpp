// SPDX-License-Identifier: Apache-2.0
//
// Switching activity of a flat netlist model (synth/power.py flatten): an agent that, once per
// cycle (at the bench's sample point, after the cycle's inputs have settled), compares every bit
// of the model's public array sfp_act (each bit a net that a library cell drives) with its value
// the cycle before, counting the changes and the cycles each bit was 1. Zero-delay: a net changes
// at most once per cycle, glitches are not seen. Used by `make power` (docs/architecture.md,
// "Power from simulated activity").
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
  // The array sfp_act of the scope `scope` ("<model name>.<top module>") of the context.
  ActivityCounter(VerilatedContext& ctx, const std::string& scope) {
    const VerilatedScopeNameMap* scopes = ctx.scopeNameMap();
    REQUIRE(scopes != nullptr);
    const auto it = scopes->find(scope.c_str());
    if (it == scopes->end() || !it->second->varsp()) {
      FAIL("no public variables in scope '" << scope << "' (not a power.py flatten model?)");
    }
    const auto var = it->second->varsp()->find("sfp_act");
    if (var == it->second->varsp()->end()) FAIL("scope '" << scope << "' has no sfp_act");
    const VerilatedVar& v = var->second;
    if (v.udims() != 1 || v.vltype() != VLVT_UINT32 || v.packed().elements() != 32) {
      FAIL("sfp_act is not an unpacked array of 32-bit words");
    }
    data_ = static_cast<const uint32_t*>(v.datap());
    words_ = static_cast<size_t>(v.unpacked().elements());
    REQUIRE(words_ > 0);
    prev_.assign(words_, 0);
    toggles_.assign(32 * words_, 0);
    high_.assign(32 * words_, 0);
  }

  void drive() override {}

  void sample() override {
    for (size_t w = 0; w < words_; ++w) {
      const uint32_t cur = data_[w];
      uint32_t d = cycles_ ? cur ^ prev_[w] : 0u;
      while (d) {
        const unsigned b = static_cast<unsigned>(__builtin_ctz(d));
        d &= d - 1;
        ++toggles_[32 * w + b];
      }
      uint32_t h = cur;
      while (h) {
        const unsigned b = static_cast<unsigned>(__builtin_ctz(h));
        h &= h - 1;
        ++high_[32 * w + b];
      }
      prev_[w] = cur;
    }
    ++cycles_;
  }

  uint64_t cycles() const { return cycles_; }
  size_t bits() const { return 32 * words_; }
  uint64_t total_toggles() const {
    uint64_t t = 0;
    for (uint64_t x : toggles_) t += x;
    return t;
  }

  // `# cycles <n>`, then one line per bit of sfp_act in order: toggles, cycles at 1.
  void write(const std::string& path) const {
    std::ofstream f(path);
    f << "# cycles " << cycles_ << "\n";
    for (size_t bit = 0; bit < toggles_.size(); ++bit) {
      f << toggles_[bit] << "\t" << high_[bit] << "\n";
    }
    if (!f) throw std::runtime_error(path + ": cannot write the activity");
  }

 private:
  const uint32_t* data_ = nullptr;
  size_t words_ = 0;
  std::vector<uint32_t> prev_;
  std::vector<uint64_t> toggles_, high_;
  uint64_t cycles_ = 0;
};

}  // namespace sfp::tb
