// SPDX-License-Identifier: Apache-2.0
//
// valid/ready stream agents (contract: docs/architecture.md, "Stream contract").
// StreamDriver raises valid with probability p and holds each beat until it is taken;
// StreamSink drives ready with a pattern and hands every transfer to a callback.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>

#include "sim.hpp"

namespace sfp::tb {

template <class Beat>
class StreamDriver : public Agent {
 public:
  using Put = std::function<void(const Beat* beat)>;  // nullptr: valid low
  using Ready = std::function<bool()>;
  StreamDriver(std::mt19937_64& rng, double p, Put put, Ready ready)
      : rng_(rng), p_(p), put_(std::move(put)), ready_(std::move(ready)) {}

  void push(Beat b) { beats_.push_back(std::move(b)); }
  // Drops every beat not yet taken, the one presented too (a reset of the DUT).
  void clear() {
    beats_.clear();
    presenting_ = false;
  }
  bool idle() const { return beats_.empty(); }
  uint64_t sent() const { return sent_; }
  // Cycle (Sim::cycle at the edge) of the first and the last transfer.
  uint64_t first_cycle() const { return first_; }
  uint64_t last_cycle() const { return last_; }
  void set_probability(double p) { p_ = p; }
  void set_clock(const uint64_t* cycle) { cycle_ = cycle; }

  void drive() override {
    // Rule 2: once valid is high it stays high, with the same beat, until the transfer.
    if (!presenting_ && !beats_.empty()) presenting_ = p_ >= 1.0 || coin_(rng_) < p_;
    put_(presenting_ ? &beats_.front() : nullptr);
  }
  void sample() override {
    if (presenting_ && ready_()) {
      if (sent_ == 0 && cycle_) first_ = *cycle_;
      if (cycle_) last_ = *cycle_;
      beats_.pop_front();
      presenting_ = false;
      ++sent_;
    }
  }

 private:
  std::mt19937_64& rng_;
  double p_;
  Put put_;
  Ready ready_;
  std::deque<Beat> beats_;
  bool presenting_ = false;
  uint64_t sent_ = 0, first_ = 0, last_ = 0;
  const uint64_t* cycle_ = nullptr;
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
};

// Ready patterns of a sink.
struct ReadyPattern {
  enum Kind { kAlways, kRandom, kAlternate, kLongStall } kind = kAlways;
  double q = 1.0;  // kRandom: probability of ready
  static ReadyPattern always() { return {kAlways, 1.0}; }
  static ReadyPattern random(double q) { return {kRandom, q}; }
  static ReadyPattern alternate() { return {kAlternate, 0.5}; }
  static ReadyPattern long_stall() { return {kLongStall, 0.5}; }
  std::string name() const {
    switch (kind) {
      case kAlways:
        return "always";
      case kRandom:
        return "random(" + std::to_string(q).substr(0, 4) + ")";
      case kAlternate:
        return "alternate";
      case kLongStall:
        return "long-stall";
    }
    return "?";
  }
};

template <class Beat>
class StreamSink : public Agent {
 public:
  using SetReady = std::function<void(bool)>;
  using Valid = std::function<bool()>;
  using Read = std::function<Beat()>;
  using OnBeat = std::function<void(const Beat&)>;
  StreamSink(std::mt19937_64& rng, ReadyPattern pattern, SetReady set_ready, Valid valid, Read read,
             OnBeat on_beat)
      : rng_(rng),
        pattern_(pattern),
        set_ready_(std::move(set_ready)),
        valid_(std::move(valid)),
        read_(std::move(read)),
        on_beat_(std::move(on_beat)) {}

  uint64_t received() const { return received_; }
  uint64_t last_cycle() const { return last_; }
  void set_clock(const uint64_t* cycle) { cycle_ = cycle; }
  void set_pattern(ReadyPattern p) { pattern_ = p; }

  void drive() override {
    ++tick_;
    switch (pattern_.kind) {
      case ReadyPattern::kAlways:
        ready_ = true;
        break;
      case ReadyPattern::kRandom:
        ready_ = coin_(rng_) < pattern_.q;
        break;
      case ReadyPattern::kAlternate:
        ready_ = tick_ & 1;
        break;
      case ReadyPattern::kLongStall:
        // Bursts of ready, then stalls of up to 64 cycles.
        if (run_ == 0) {
          stalled_ = !stalled_;
          run_ = std::uniform_int_distribution<unsigned>(1, stalled_ ? 64 : 24)(rng_);
        }
        --run_;
        ready_ = !stalled_;
        break;
    }
    set_ready_(ready_);
  }
  void sample() override {
    if (ready_ && valid_()) {
      ++received_;
      if (cycle_) last_ = *cycle_;
      on_beat_(read_());
    }
  }

 private:
  std::mt19937_64& rng_;
  ReadyPattern pattern_;
  SetReady set_ready_;
  Valid valid_;
  Read read_;
  OnBeat on_beat_;
  bool ready_ = false, stalled_ = false;
  unsigned run_ = 0;
  uint64_t tick_ = 0, received_ = 0, last_ = 0;
  const uint64_t* cycle_ = nullptr;
  std::uniform_real_distribution<double> coin_{0.0, 1.0};
};

}  // namespace sfp::tb
