// SPDX-License-Identifier: Apache-2.0
//
// Simulation harness: owns the VerilatedContext and one verilated DUT, drives the clock and the
// reset, runs the stream agents in a fixed order each cycle and optionally writes an FST trace.
//
// One cycle, in order (no race between C++ and RTL):
//   1. every agent drives its inputs (drive);   2. eval() settles the combinational logic;
//   3. every agent records the transfers of this edge, valid && ready (sample);
//   4. clock high, eval(), trace;                5. clock low, eval(), trace.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>
#ifdef SFP_TB_COVERAGE
#include <unistd.h>
#include <verilated_cov.h>
#endif

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "seed.hpp"

namespace sfp::tb {

// A stream driver, sink or monitor attached to a Sim.
class Agent {
 public:
  virtual ~Agent() = default;
  virtual void drive() = 0;   // set this cycle's inputs
  virtual void sample() = 0;  // observe the transfers of the coming edge
};

template <class Dut>
class Sim {
 public:
  // `name` names the trace file; the seed sets the C++ stimulus and the RTL's random reset
  // values (+verilator+rand+reset+2 +verilator+seed+<seed>).
  Sim(uint64_t seed, const std::string& name) : seed_(seed), name_(name), rng_(seed) {
    ctx_ = std::make_unique<VerilatedContext>();
    ctx_->randReset(2);
    ctx_->randSeed(static_cast<int>(seed % 0x7FFFFFFEu) + 1);
    ctx_->fatalOnError(false);  // an assertion failure ends the test in step()
    ctx_->fatalOnVpiError(false);
    // Verilator registers and erases a model's scopes through the thread's current context; with
    // several models (a loopback) each must be its own current context while built and freed.
    Verilated::threadContextp(ctx_.get());
    dut_ = std::make_unique<Dut>(ctx_.get(), "dut");
    if (trace_enabled()) {
      ctx_->traceEverOn(true);
      trace_ = std::make_unique<VerilatedFstC>();
      dut_->trace(trace_.get(), 99);
      const std::filesystem::path dir = waves_dir();
      std::filesystem::create_directories(dir);
      trace_path_ = (dir / (sanitize(name) + "_seed" + std::to_string(seed) + ".fst")).string();
      trace_->open(trace_path_.c_str());
    }
    dut_->clk_i = 0;
    dut_->rst_ni = 1;
    dut_->eval();
  }
  ~Sim() {
    Verilated::threadContextp(ctx_.get());
    if (trace_) trace_->close();
    dut_->final();
#ifdef SFP_TB_COVERAGE
    // One coverage file per simulation; `make cov` merges them (verilator_coverage).
    static unsigned serial = 0;
    const std::filesystem::path dir = coverage_dir();
    std::filesystem::create_directories(dir);
    const std::string file = (dir / (sanitize(name_) + "_" + std::to_string(::getpid()) + "_" +
                                     std::to_string(serial++) + ".dat"))
                                 .string();
    ctx_->coveragep()->write(file.c_str());
#endif
    trace_.reset();
    dut_.reset();
  }
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  Dut& dut() { return *dut_; }
  std::mt19937_64& rng() { return rng_; }
  uint64_t seed() const { return seed_; }
  uint64_t cycle() const { return cycle_; }
  const uint64_t* cycle_ptr() const { return &cycle_; }
  const std::string& trace_path() const { return trace_path_; }
  // The seed, how to replay it and the current cycle, for failure messages.
  std::string where() const { return replay_note(seed_, cycle_); }
  void add(Agent* a) { agents_.push_back(a); }

  // Asynchronous reset for `cycles` clock cycles; agents are not run.
  void reset(unsigned cycles = 3) {
    dut_->rst_ni = 0;
    dut_->eval();
    for (unsigned i = 0; i < cycles; ++i) clock();
    dut_->rst_ni = 1;
    dut_->eval();
  }

  // One cycle in the documented order. Fails the test at the first cycle an SVA assertion fails.
  void step() {
    for (Agent* a : agents_) a->drive();
    eval();
    for (Agent* a : agents_) a->sample();
    tick();
  }

  // The parts of a cycle, for benches that step several DUTs in lockstep.
  void drive() {
    for (Agent* a : agents_) a->drive();
  }
  void eval() { dut_->eval(); }
  void sample() {
    for (Agent* a : agents_) a->sample();
  }
  // Clock high and low (steps 4 and 5), then the assertion check.
  void tick() {
    clock();
    if (ctx_->gotError()) {
      FAIL("SVA assertion failed (message above); " << where());
    }
  }

  // Steps until done() holds (checked before each cycle) or timeout_cycles pass; returns done().
  bool run_until(const std::function<bool()>& done, uint64_t timeout_cycles) {
    for (uint64_t i = 0; i < timeout_cycles; ++i) {
      if (done()) return true;
      step();
    }
    return done();
  }

 private:
  void clock() {
    dut_->clk_i = 1;
    dut_->eval();
    ctx_->timeInc(5);
    if (trace_) trace_->dump(ctx_->time());
    dut_->clk_i = 0;
    dut_->eval();
    ctx_->timeInc(5);
    if (trace_) trace_->dump(ctx_->time());
    ++cycle_;
  }
  static bool trace_enabled() {
    const char* t = std::getenv("TRACE");
    return t && *t && std::string(t) != "0";
  }
  static std::filesystem::path waves_dir() {
    if (const char* d = std::getenv("SFP_WAVES_DIR")) return d;
#ifdef SFP_TB_WAVES_DIR
    return SFP_TB_WAVES_DIR;
#else
    return "waves";
#endif
  }
  static std::filesystem::path coverage_dir() {
    if (const char* d = std::getenv("SFP_COVERAGE_DIR")) return d;
#ifdef SFP_TB_COVERAGE_DIR
    return SFP_TB_COVERAGE_DIR;
#else
    return "coverage";
#endif
  }
  static std::string sanitize(std::string s) {
    for (char& c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return s.substr(0, 120);
  }

  uint64_t seed_;
  std::string name_;
  std::mt19937_64 rng_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Dut> dut_;
  std::unique_ptr<VerilatedFstC> trace_;
  std::string trace_path_;
  std::vector<Agent*> agents_;
  uint64_t cycle_ = 0;
};

// One cycle of two DUTs in lockstep (a loopback), in the order of Sim::step: both drive, both
// settle, both sample, both clock.
template <class A, class B>
void step_lockstep(Sim<A>& a, Sim<B>& b) {
  a.drive();
  b.drive();
  a.eval();
  b.eval();
  a.sample();
  b.sample();
  a.tick();
  b.tick();
}

}  // namespace sfp::tb
