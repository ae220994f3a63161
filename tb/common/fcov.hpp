// SPDX-License-Identifier: Apache-2.0
//
// Functional coverage of a bench: named bins, declared up front and counted as the bench runs.
// With SFP_TB_COVERAGE (`make cov`) each bench writes its bins, hit or not, as user points of a
// Verilator coverage file (page v_user/<group>, one point per bin) beside the RTL's line and
// toggle points, so that verilator_coverage merges them over every run and
// tb/coverage_summary.py lists each group's bins and those no run hit.
#pragma once

#ifdef SFP_TB_COVERAGE
#include <unistd.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "sfp/format.hpp"
#include "sim.hpp"

namespace sfp::tb {

class FunctionalCoverage {
 public:
  explicit FunctionalCoverage(std::string group) : group_(std::move(group)) {}
  ~FunctionalCoverage() {
#ifdef SFP_TB_COVERAGE
    write();
#endif
  }
  FunctionalCoverage(const FunctionalCoverage&) = delete;
  FunctionalCoverage& operator=(const FunctionalCoverage&) = delete;

  // A bin that the summary lists even when no run hits it.
  void declare(const std::string& bin) { bins_.emplace(bin, 0); }
  // Counts a hit of a declared bin; an undeclared name is a bench bug.
  void hit(const std::string& bin, uint64_t n = 1) {
    const auto it = bins_.find(bin);
    if (it == bins_.end()) throw std::logic_error("functional coverage: undeclared bin " + bin);
    it->second += n;
  }
  uint64_t count(const std::string& bin) const {
    const auto it = bins_.find(bin);
    return it == bins_.end() ? 0 : it->second;
  }
  const std::map<std::string, uint64_t>& bins() const { return bins_; }

  // The bins of a tensor's per-tensor fields: its format and m (every m of FP32 and BF16) and
  // its rounding.
  void declare_fields() {
    for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
      for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) declare(field_bin(fp, m));
      declare(std::string(fp_name(fp)) + " trunc");
      declare(std::string(fp_name(fp)) + " rne");
    }
  }
  void hit_fields(const Config& c) {
    hit(field_bin(c.fp, c.man_bits));
    hit(std::string(fp_name(c.fp)) + (c.rounding == Rounding::kNearestEven ? " rne" : " trunc"));
  }

  // The window fill bins of a version 3 encoder's held_o (its words held, at most 511), sampled
  // every cycle; "held 496..511" is the window within a few steps of full.
  void declare_held() {
    for (const char* b : kHeldBins) declare(b);
  }
  void hit_held(unsigned held) {
    hit(held == 0    ? kHeldBins[0]
        : held < 64  ? kHeldBins[1]
        : held < 256 ? kHeldBins[2]
        : held < 448 ? kHeldBins[3]
        : held < 496 ? kHeldBins[4]
                     : kHeldBins[5]);
  }

  // The decoder's chunk statuses (Spec: "Decoder errors"; version 3 gives no bad_input or
  // bad_base_code).
  void declare_statuses() {
    for (Status s : kV3Statuses) declare(status_bin(s));
  }
  void hit_status(unsigned code) { hit(status_bin(static_cast<Status>(code))); }

 private:
  static constexpr const char* kHeldBins[] = {"held 0",        "held 1..63",    "held 64..255",
                                              "held 256..447", "held 448..495", "held 496..511"};
  static constexpr Status kV3Statuses[] = {
      Status::kOk,       Status::kBadConfig,  Status::kBadIndex, Status::kTruncated,
      Status::kExpRange, Status::kBadPadding, Status::kLength,   Status::kCrc,
      Status::kBadTable, Status::kBadCode};
  static const char* fp_name(Fp fp) { return fp == Fp::kBf16 ? "bf16" : "fp32"; }
  static std::string field_bin(Fp fp, unsigned m) {
    return std::string(fp_name(fp)) + " m=" + (m < 10 ? "0" : "") + std::to_string(m);
  }
  static std::string status_bin(Status s) {
    return "status " + std::to_string(static_cast<unsigned>(s)) + " " + status_name(s);
  }

#ifdef SFP_TB_COVERAGE
  // One file per bench object in the coverage directory (as Sim's), in the format of
  // verilator_coverage: "C '<\1key\2value...>' <count>" per point.
  void write() const {
    static unsigned serial = 0;
    const char* d = std::getenv("SFP_COVERAGE_DIR");
#ifdef SFP_TB_COVERAGE_DIR
    const std::filesystem::path dir = d ? d : SFP_TB_COVERAGE_DIR;
#else
    const std::filesystem::path dir = d ? d : "coverage";
#endif
    std::filesystem::create_directories(dir);
    const std::filesystem::path file = dir / ("fcov_" + group_ + "_" + std::to_string(::getpid()) +
                                              "_" + std::to_string(serial++) + ".dat");
    std::ofstream f(file);
    f << "# SystemC::Coverage-3\n";
    for (const auto& [bin, n] : bins_) {
      f << "C '\1t\2user\1page\2v_user/" << group_ << "\1f\2tb/common/fcov.hpp\1l\2" << 0 << "\1n\2"
        << 0 << "\1o\2" << bin << "\1h\2" << group_ << "' " << n << "\n";
    }
  }
#endif

  std::string group_;
  std::map<std::string, uint64_t> bins_;
};

// An agent that runs a function at every sample point of a cycle (the transfers of the edge):
// a coverage probe on the DUT's ports.
class Probe : public Agent {
 public:
  explicit Probe(std::function<void()> f) : f_(std::move(f)) {}
  void drive() override {}
  void sample() override { f_(); }

 private:
  std::function<void()> f_;
};

}  // namespace sfp::tb
