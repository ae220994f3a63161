// SPDX-License-Identifier: Apache-2.0
//
// Encode/decode throughput of the golden model in GB/s of FP32 input, format versions 1, 2 and 3
// on one and two threads, version 3's reference and fast chunk coders alone, beside zstd -1 and lz4
// on the same buffers. Counters: `ratio` = FP32 bytes / encoded bytes (index, table and CRCs
// included for sfp). Throughput is wall-clock time (UseRealTime), so two threads show as a higher
// rate. BM_case_* put sfp::encode / sfp::decode (version 3, one thread) and zstd -1 side by side
// on five tensors (FP32 weights lossless and truncated to m = 7, BF16 weights, FP32 post-ReLU
// activations lossless and at m = 7), in GB/s of the tensor's own bytes (4 per FP32 value, 2 per
// BF16 value) and CPU time; zstd gets the quantized values, sfp quantizes as part of encoding.
// BM_size_* do the same on the first 2,560 to 1,048,576 values of two of the cases, each a tensor
// of its own. On a shared machine, run them with --benchmark_repetitions and take each one's
// fastest run.
#include <benchmark/benchmark.h>
#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"

namespace sfp::detail {
// codec_v3_fast.hpp (internal to the model): turns the fast coder's SIMD kernels on or off.
bool set_v3_fast_simd(bool on);
}  // namespace sfp::detail

namespace {

constexpr size_t kValues = 1u << 22;  // 16 MiB of FP32 per buffer

std::vector<uint32_t> to_bits(const std::vector<float>& f) {
  std::vector<uint32_t> b(f.size());
  std::memcpy(b.data(), f.data(), f.size() * 4);
  return b;
}

// Post-ReLU activations: about 55 % exact zeros, the rest half-normal around 0.5.
const std::vector<uint32_t>& activations() {
  static const std::vector<uint32_t> v = [] {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> d(-0.1f, 0.8f);
    std::vector<float> f(kValues);
    for (auto& x : f) x = std::max(0.0f, d(rng));
    return to_bits(f);
  }();
  return v;
}

// Weights: zero-mean normal with a fan-in-like scale.
const std::vector<uint32_t>& weights() {
  static const std::vector<uint32_t> v = [] {
    std::mt19937_64 rng(2);
    std::normal_distribution<float> d(0.0f, 0.05f);
    std::vector<float> f(kValues);
    for (auto& x : f) x = d(rng);
    return to_bits(f);
  }();
  return v;
}

const std::vector<uint32_t>& data(int which) { return which == 0 ? activations() : weights(); }

sfp::Config config(int version, int m) {
  sfp::Config c = sfp::Config::lossless(sfp::Fp::kFp32, static_cast<unsigned>(version));
  c.man_bits = static_cast<unsigned>(m);
  return c;
}

void set_io(benchmark::State& state, size_t encoded_bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kValues * 4));
  state.counters["ratio"] = static_cast<double>(kValues * 4) / static_cast<double>(encoded_bytes);
}

size_t sfp_bytes(const sfp::Encoded& e) { return (e.bits.total() + 7) / 8; }

void BM_sfp_encode(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const sfp::Config c = config(static_cast<int>(state.range(2)), static_cast<int>(state.range(1)));
  const auto threads = static_cast<unsigned>(state.range(3));
  sfp::Encoded e;
  for (auto _ : state) {
    if (sfp::encode(c, v.data(), v.size(), &e, threads) != sfp::Status::kOk) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(e.payload.data());
  }
  set_io(state, sfp_bytes(e));
}

void BM_sfp_decode(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const sfp::Config c = config(static_cast<int>(state.range(2)), static_cast<int>(state.range(1)));
  const auto threads = static_cast<unsigned>(state.range(3));
  sfp::Encoded e;
  sfp::encode(c, v.data(), v.size(), &e);
  std::vector<uint32_t> out(v.size());
  for (auto _ : state) {
    if (sfp::decode(e, out.data(), threads) != sfp::Status::kOk) state.SkipWithError("decode");
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, sfp_bytes(e));
}

// Version 3 chunk by chunk with a table built beforehand (the part sfp::encode spends per chunk):
// range(2) 0 = the reference coder (encode_chunk_v3 / decode_chunk_v3, the readable mirror of the
// spec), 1 = the fast one that sfp::encode and sfp::decode use. One thread.
void BM_v3_chunk_encode(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const sfp::Config c = config(3, static_cast<int>(state.range(1)));
  sfp::Encoded e;
  sfp::encode(c, v.data(), v.size(), &e);  // quantized values and the table
  std::vector<uint32_t> q(v.size());
  sfp::decode(e, q.data());
  const bool fast = state.range(2) != 0;
  std::vector<sfp::ChunkV3> chunks(sfp::chunk_count(c, q.size()));
  for (auto _ : state) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, q.size() - first);
      const sfp::Status s =
          fast ? sfp::encode_chunk_v3_fast(c, e.table, q.data() + first, len, &chunks[i])
               : sfp::encode_chunk_v3(c, e.table, q.data() + first, len, &chunks[i]);
      if (s != sfp::Status::kOk) state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(chunks.data());
  }
  set_io(state, sfp_bytes(e));
}

void BM_v3_chunk_decode(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const sfp::Config c = config(3, static_cast<int>(state.range(1)));
  sfp::Encoded e;
  sfp::encode(c, v.data(), v.size(), &e);
  const bool fast = state.range(2) != 0;
  std::vector<uint32_t> out(v.size());
  for (auto _ : state) {
    size_t at = 0;
    for (size_t i = 0; i < e.chunk_words.size(); ++i) {
      const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, v.size() - first);
      const uint8_t* p = e.payload.data() + at;
      const sfp::Status s = fast ? sfp::decode_chunk_v3_fast(c, e.table, len, e.chunk_crc[i], p,
                                                             e.chunk_words[i], out.data() + first)
                                 : sfp::decode_chunk_v3(c, e.table, len, e.chunk_crc[i], p,
                                                        e.chunk_words[i], out.data() + first);
      if (s != sfp::Status::kOk) state.SkipWithError("decode");
      at += size_t{e.chunk_words[i]} * 4;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, sfp_bytes(e));
}

void v3_chunk_args(benchmark::internal::Benchmark* b) {
  for (int d : {0, 1}) {
    for (int m : {23, 4}) {
      for (int fast : {0, 1}) b->Args({d, m, fast});
    }
  }
  b->ArgNames({"data", "m", "fast"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

void BM_zstd1_compress(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  std::vector<char> out(ZSTD_compressBound(v.size() * 4));
  size_t n = 0;
  for (auto _ : state) {
    n = ZSTD_compress(out.data(), out.size(), v.data(), v.size() * 4, 1);
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, n);
}

void BM_zstd1_decompress(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  std::vector<char> comp(ZSTD_compressBound(v.size() * 4)), out(v.size() * 4);
  const size_t n = ZSTD_compress(comp.data(), comp.size(), v.data(), v.size() * 4, 1);
  for (auto _ : state) {
    ZSTD_decompress(out.data(), out.size(), comp.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, n);
}

void BM_lz4_compress(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const int src = static_cast<int>(v.size() * 4);
  std::vector<char> out(static_cast<size_t>(LZ4_compressBound(src)));
  int n = 0;
  for (auto _ : state) {
    n = LZ4_compress_default(reinterpret_cast<const char*>(v.data()), out.data(), src,
                             static_cast<int>(out.size()));
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, static_cast<size_t>(n));
}

void BM_lz4_decompress(benchmark::State& state) {
  const auto& v = data(static_cast<int>(state.range(0)));
  const int src = static_cast<int>(v.size() * 4);
  std::vector<char> comp(static_cast<size_t>(LZ4_compressBound(src))), out(v.size() * 4);
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(v.data()), comp.data(), src,
                                     static_cast<int>(comp.size()));
  for (auto _ : state) {
    LZ4_decompress_safe(comp.data(), out.data(), n, src);
    benchmark::DoNotOptimize(out.data());
  }
  set_io(state, static_cast<size_t>(n));
}

// ---- sfp version 3 beside zstd -1, one thread ------------------------------------------------

struct Case {
  const char* name;
  int data;  // 0 = post-ReLU activations, 1 = weights
  sfp::Fp fp;
  unsigned m;
};
constexpr Case kCases[] = {{"fp32_weights_lossless", 1, sfp::Fp::kFp32, 23},
                           {"fp32_weights_m7", 1, sfp::Fp::kFp32, 7},
                           {"bf16_weights_lossless", 1, sfp::Fp::kBf16, 7},
                           {"fp32_relu_lossless", 0, sfp::Fp::kFp32, 23},
                           {"fp32_relu_m7", 0, sfp::Fp::kFp32, 7}};

// The case's values (BF16: the top half of each FP32 value) and its configuration.
struct CaseData {
  sfp::Config config;
  std::vector<uint32_t> values, quantized;
  size_t bytes;  // the tensor's own size
};
const CaseData& case_data(int i) {
  static CaseData cached[std::size(kCases)];
  CaseData& d = cached[i];
  if (d.values.empty()) {
    const Case& k = kCases[i];
    d.config = sfp::Config::lossless(k.fp, 3);
    d.config.man_bits = k.m;
    d.values = data(k.data);
    if (k.fp == sfp::Fp::kBf16) {
      for (auto& x : d.values) x >>= 16;
    }
    d.quantized.resize(d.values.size());
    sfp::quantize(d.values.data(), d.quantized.data(), d.values.size(), k.fp, k.m,
                  sfp::Rounding::kTruncate);
    d.bytes = d.values.size() * (k.fp == sfp::Fp::kBf16 ? 2 : 4);
  }
  return d;
}

// The quantized values as the tensor's bytes (BF16: two bytes each).
std::vector<char> raw_bytes(const CaseData& d) {
  std::vector<char> raw(d.bytes);
  if (d.config.fp == sfp::Fp::kBf16) {
    for (size_t i = 0; i < d.quantized.size(); ++i) {
      const uint16_t h = static_cast<uint16_t>(d.quantized[i]);
      std::memcpy(raw.data() + 2 * i, &h, 2);
    }
  } else {
    std::memcpy(raw.data(), d.quantized.data(), d.bytes);
  }
  return raw;
}

void set_case_io(benchmark::State& state, const CaseData& d, size_t encoded_bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.bytes));
  state.counters["ratio"] = static_cast<double>(d.bytes) / static_cast<double>(encoded_bytes);
  state.SetLabel(kCases[state.range(0)].name);
}

// range(1): 1 = the SIMD kernels where the CPU has them, 0 = the portable loops alone.
void BM_case_sfp_encode(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  sfp::detail::set_v3_fast_simd(state.range(1) != 0);
  sfp::Encoded e;
  for (auto _ : state) {
    if (sfp::encode(d.config, d.values.data(), d.values.size(), &e, 1) != sfp::Status::kOk) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(e.payload.data());
  }
  sfp::detail::set_v3_fast_simd(true);
  set_case_io(state, d, sfp_bytes(e));
}

void BM_case_sfp_decode(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  sfp::detail::set_v3_fast_simd(state.range(1) != 0);
  sfp::Encoded e;
  sfp::encode(d.config, d.values.data(), d.values.size(), &e, 1);
  std::vector<uint32_t> out(d.values.size());
  for (auto _ : state) {
    if (sfp::decode(e, out.data(), 1) != sfp::Status::kOk) state.SkipWithError("decode");
    benchmark::DoNotOptimize(out.data());
  }
  sfp::detail::set_v3_fast_simd(true);
  if (out != d.quantized) state.SkipWithError("decoded values differ");
  set_case_io(state, d, sfp_bytes(e));
}

void BM_case_zstd1_compress(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  const std::vector<char> raw = raw_bytes(d);
  std::vector<char> out(ZSTD_compressBound(raw.size()));
  size_t n = 0;
  for (auto _ : state) {
    n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1);
    benchmark::DoNotOptimize(out.data());
  }
  set_case_io(state, d, n);
}

void BM_case_zstd1_decompress(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  const std::vector<char> raw = raw_bytes(d);
  std::vector<char> comp(ZSTD_compressBound(raw.size())), out(raw.size());
  const size_t n = ZSTD_compress(comp.data(), comp.size(), raw.data(), raw.size(), 1);
  for (auto _ : state) {
    ZSTD_decompress(out.data(), out.size(), comp.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != raw) state.SkipWithError("decompressed bytes differ");
  set_case_io(state, d, n);
}

void case_args(benchmark::internal::Benchmark* b) {
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i) b->Arg(i);
  b->ArgName("case")->Unit(benchmark::kMillisecond);
}
void sfp_case_args(benchmark::internal::Benchmark* b) {
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i) {
    for (int simd : {1, 0}) b->Args({i, simd});
  }
  b->ArgNames({"case", "simd"})->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_case_sfp_encode)->Apply(sfp_case_args);
BENCHMARK(BM_case_zstd1_compress)->Apply(case_args);
BENCHMARK(BM_case_sfp_decode)->Apply(sfp_case_args);
BENCHMARK(BM_case_zstd1_decompress)->Apply(case_args);

// ---- Small and medium tensors, one thread ----------------------------------------------------
// The first range(1) values of case range(0) as a tensor of their own (table, index and CRCs
// paid by each), encoded and decoded by sfp and compressed by zstd -1; GB/s of the tensor's
// bytes. Per-tensor costs (the table, allocations) show here, not in BM_case_*.

void set_size_io(benchmark::State& state, const CaseData& d, size_t n, size_t encoded_bytes) {
  const size_t bytes = n * (d.config.fp == sfp::Fp::kBf16 ? 2 : 4);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["ratio"] = static_cast<double>(bytes) / static_cast<double>(encoded_bytes);
  state.SetLabel(kCases[state.range(0)].name);
}

void BM_size_sfp_encode(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  const auto n = static_cast<size_t>(state.range(1));
  sfp::Encoded e;
  for (auto _ : state) {
    if (sfp::encode(d.config, d.values.data(), n, &e, 1) != sfp::Status::kOk) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(e.payload.data());
  }
  set_size_io(state, d, n, sfp_bytes(e));
}

void BM_size_sfp_decode(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  const auto n = static_cast<size_t>(state.range(1));
  sfp::Encoded e;
  sfp::encode(d.config, d.values.data(), n, &e, 1);
  std::vector<uint32_t> out(n);
  for (auto _ : state) {
    if (sfp::decode(e, out.data(), 1) != sfp::Status::kOk) state.SkipWithError("decode");
    benchmark::DoNotOptimize(out.data());
  }
  if (!std::equal(out.begin(), out.end(), d.quantized.begin())) {
    state.SkipWithError("decoded values differ");
  }
  set_size_io(state, d, n, sfp_bytes(e));
}

void BM_size_zstd1_compress(benchmark::State& state) {
  const CaseData& d = case_data(static_cast<int>(state.range(0)));
  const auto n = static_cast<size_t>(state.range(1));
  std::vector<char> raw = raw_bytes(d);
  raw.resize(n * (d.config.fp == sfp::Fp::kBf16 ? 2 : 4));
  std::vector<char> out(ZSTD_compressBound(raw.size()));
  size_t size = 0;
  for (auto _ : state) {
    size = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1);
    benchmark::DoNotOptimize(out.data());
  }
  set_size_io(state, d, n, size);
}

// FP32 and BF16 weights (lossless) of 2,560, 65,536 and 1,048,576 values: 10 KB, 256 KB and 4 MB
// of FP32.
void size_args(benchmark::internal::Benchmark* b) {
  for (int i : {0, 2}) {
    for (int n : {2560, 65536, 1048576}) b->Args({i, n});
  }
  b->ArgNames({"case", "values"})->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_size_sfp_encode)->Apply(size_args);
BENCHMARK(BM_size_zstd1_compress)->Apply(size_args);
BENCHMARK(BM_size_sfp_decode)->Apply(size_args);

// Args: data (0 = post-ReLU activations, 1 = weights), mantissa bits m, format version, threads
// (version 1 codes on one thread).
void sfp_args(benchmark::internal::Benchmark* b) {
  for (int d : {0, 1}) {
    for (int m : {23, 4}) {
      b->Args({d, m, 1, 1});
      b->Args({d, m, 2, 1});
      b->Args({d, m, 2, 2});
      b->Args({d, m, 3, 1});
      b->Args({d, m, 3, 2});
    }
  }
  b->ArgNames({"data", "m", "format", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_sfp_encode)->Apply(sfp_args);
BENCHMARK(BM_sfp_decode)->Apply(sfp_args);
BENCHMARK(BM_v3_chunk_encode)->Apply(v3_chunk_args);
BENCHMARK(BM_v3_chunk_decode)->Apply(v3_chunk_args);
BENCHMARK(BM_zstd1_compress)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_zstd1_decompress)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_lz4_compress)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_lz4_decompress)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
