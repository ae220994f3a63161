// SPDX-License-Identifier: Apache-2.0
//
// Baselines for sfp eval. Method notes: docs/eval.md.
#include "sfp/baselines.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

#include "sfp/quantize.hpp"

namespace sfp {
namespace {

unsigned exponent_of(uint32_t b, Fp fp) { return split(b, fp).exp; }

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Huffman code lengths by the textbook merge of the two lightest trees.
std::vector<unsigned> huffman_once(const std::vector<uint64_t>& w) {
  const size_t k = w.size();
  std::vector<unsigned> len(k, 0);
  std::vector<size_t> parent(2 * k, 0);
  using Node = std::pair<uint64_t, size_t>;
  std::priority_queue<Node, std::vector<Node>, std::greater<Node>> heap;
  for (size_t i = 0; i < k; ++i) {
    if (w[i]) heap.push({w[i], i});
  }
  if (heap.size() == 1) {
    len[heap.top().second] = 1;
    return len;
  }
  size_t next = k;
  while (heap.size() > 1) {
    const Node a = heap.top();
    heap.pop();
    const Node b = heap.top();
    heap.pop();
    parent[a.second] = parent[b.second] = next;
    heap.push({a.first + b.first, next++});
  }
  const size_t root = next - 1;
  for (size_t i = 0; i < k; ++i) {
    if (!w[i]) continue;
    unsigned d = 0;
    for (size_t j = i; j != root; j = parent[j]) ++d;
    len[i] = d;
  }
  return len;
}

double rel_l2(const uint32_t* v, const std::vector<float>& q) {
  double num = 0, den = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    const double x = as_float(v[i]);
    if (!std::isfinite(x)) continue;
    num += (x - q[i]) * (x - q[i]);
    den += x * x;
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

double finite_amax(const uint32_t* v, size_t n) {
  double amax = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = as_float(v[i]);
    if (std::isfinite(x)) amax = std::max(amax, std::fabs(x));
  }
  return amax;
}

// Power-of-two scaled block formats: OCP MX (E8M0 scale) over blocks of `block` values.
LowPrecision mx(const std::string& name, const MiniFloat& f, unsigned elem_bits, const uint32_t* v,
                size_t n) {
  LowPrecision r{name, 0, 0, std::vector<float>(n)};
  const size_t block = 32;
  size_t blocks = 0;
  for (size_t b0 = 0; b0 < n; b0 += block, ++blocks) {
    const size_t b1 = std::min(n, b0 + block);
    const double amax = finite_amax(v + b0, b1 - b0);
    int shared = amax > 0 ? std::ilogb(amax) - max_exponent(f) : 0;
    shared = std::clamp(shared, -127, 127);  // E8M0 range
    const double scale = std::ldexp(1.0, shared);
    for (size_t i = b0; i < b1; ++i) {
      const double x = as_float(v[i]);
      r.dequantized[i] = std::isfinite(x) ? static_cast<float>(round_to(f, x / scale) * scale)
                                          : static_cast<float>(x);
    }
  }
  r.bits_per_value = n ? (static_cast<double>(n) * elem_bits + 8.0 * blocks) / n : 0;
  r.rel_l2_error = rel_l2(v, r.dequantized);
  return r;
}

LowPrecision fp8_per_tensor(const MiniFloat& f, const uint32_t* v, size_t n) {
  LowPrecision r{std::string("FP8 ") + f.name, n ? 8.0 + 32.0 / n : 0, 0, std::vector<float>(n)};
  const double amax = finite_amax(v, n);
  const double scale =
      amax > 0 ? std::ldexp(1.0, static_cast<int>(std::floor(std::log2(f.max / amax)))) : 1.0;
  for (size_t i = 0; i < n; ++i) {
    const double x = as_float(v[i]);
    r.dequantized[i] = std::isfinite(x) ? static_cast<float>(round_to(f, x * scale) / scale)
                                        : static_cast<float>(x);
  }
  r.rel_l2_error = rel_l2(v, r.dequantized);
  return r;
}

LowPrecision nvfp4(const uint32_t* v, size_t n) {
  LowPrecision r{"NVFP4", 0, 0, std::vector<float>(n)};
  const size_t block = 16;
  const double tensor_scale = finite_amax(v, n) / (kE2M1.max * kE4M3.max);
  size_t blocks = 0;
  for (size_t b0 = 0; b0 < n; b0 += block, ++blocks) {
    const size_t b1 = std::min(n, b0 + block);
    const double amax = finite_amax(v + b0, b1 - b0);
    const double s = tensor_scale > 0 ? round_to(kE4M3, amax / kE2M1.max / tensor_scale) : 0;
    const double eff = s * tensor_scale;
    for (size_t i = b0; i < b1; ++i) {
      const double x = as_float(v[i]);
      if (!std::isfinite(x)) {
        r.dequantized[i] = static_cast<float>(x);
      } else {
        r.dequantized[i] = eff > 0 ? static_cast<float>(round_to(kE2M1, x / eff) * eff) : 0.0f;
      }
    }
  }
  r.bits_per_value = n ? (4.0 * n + 8.0 * blocks + 32.0) / n : 0;
  r.rel_l2_error = rel_l2(v, r.dequantized);
  return r;
}

}  // namespace

std::vector<uint64_t> exponent_histogram(const uint32_t* v, size_t n, Fp fp) {
  std::vector<uint64_t> h(256, 0);
  for (size_t i = 0; i < n; ++i) ++h[exponent_of(v[i], fp)];
  return h;
}

double entropy_bits(const std::vector<uint64_t>& hist) {
  uint64_t total = 0;
  for (uint64_t c : hist) total += c;
  double h = 0;
  for (uint64_t c : hist) {
    if (c) h -= static_cast<double>(c) / total * std::log2(static_cast<double>(c) / total);
  }
  return h;
}

double conditional_exponent_entropy(const uint32_t* v, size_t n, Fp fp) {
  if (n < 2) return 0;
  std::vector<uint64_t> joint(256 * 256, 0), prev(256, 0);
  for (size_t i = 1; i < n; ++i) {
    const unsigned a = exponent_of(v[i - 1], fp), b = exponent_of(v[i], fp);
    ++joint[a * 256 + b];
    ++prev[a];
  }
  double h = 0;
  const double pairs = static_cast<double>(n - 1);
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const uint64_t c = joint[a * 256 + b];
      if (c) h -= c / pairs * std::log2(static_cast<double>(c) / prev[a]);
    }
  }
  return h;
}

std::vector<unsigned> huffman_lengths(const std::vector<uint64_t>& hist, unsigned max_len) {
  std::vector<uint64_t> w = hist;
  for (;;) {
    const std::vector<unsigned> len = huffman_once(w);
    if (*std::max_element(len.begin(), len.end()) <= max_len) return len;
    for (auto& x : w) {  // flatten the distribution until the longest code fits
      if (x) x = (x + 1) / 2;
    }
  }
}

uint64_t huffman_exponent_bits(const uint32_t* v, size_t n, Fp fp) {
  if (n == 0) return 0;
  const auto hist = exponent_histogram(v, n, fp);
  const auto len = huffman_lengths(hist);
  uint64_t bits = 256 * 5;  // the code table: one 5-bit length per exponent value
  for (size_t s = 0; s < hist.size(); ++s) bits += hist[s] * len[s];
  return bits;
}

uint64_t zero_value_bits(const uint32_t* v, size_t n, Fp fp, bool exponent_only) {
  uint64_t nonzero = 0;
  for (size_t i = 0; i < n; ++i) nonzero += v[i] != 0;
  const unsigned per = exponent_only ? kExpBits : fp_format(fp).width();
  return n + nonzero * per;
}

std::vector<std::vector<uint8_t>> byte_planes(const uint32_t* v, size_t n, Fp fp) {
  const unsigned bytes = fp_format(fp).width() / 8;
  std::vector<std::vector<uint8_t>> planes(bytes, std::vector<uint8_t>(n));
  for (size_t i = 0; i < n; ++i) {
    for (unsigned k = 0; k < bytes; ++k) planes[k][i] = static_cast<uint8_t>(v[i] >> (8 * k));
  }
  return planes;
}

double round_to(const MiniFloat& f, double x) {
  if (x == 0 || !std::isfinite(x)) return x;
  const double a = std::fabs(x);
  const int emin = 1 - f.bias;
  const int e = std::max(std::ilogb(a), emin);
  const double quantum = std::ldexp(1.0, e - static_cast<int>(f.man_bits));
  const double q = std::min(std::nearbyint(a / quantum) * quantum, f.max);  // ties to even
  return std::copysign(q, x);
}

int max_exponent(const MiniFloat& f) { return std::ilogb(f.max); }

std::vector<LowPrecision> low_precision_baselines(const uint32_t* v, size_t n) {
  std::vector<LowPrecision> out;
  LowPrecision bf{"BF16", 16, 0, std::vector<float>(n)};
  for (size_t i = 0; i < n; ++i) {
    bf.dequantized[i] = as_float(quantize(v[i], Fp::kFp32, 7, Rounding::kNearestEven));
  }
  bf.rel_l2_error = rel_l2(v, bf.dequantized);
  out.push_back(std::move(bf));
  out.push_back(fp8_per_tensor(kE4M3, v, n));
  out.push_back(fp8_per_tensor(kE5M2, v, n));
  out.push_back(mx("MXFP8 (E4M3)", kE4M3, 8, v, n));
  out.push_back(mx("MXFP6 (E2M3)", kE2M3, 6, v, n));
  out.push_back(mx("MXFP4 (E2M1)", kE2M1, 4, v, n));
  out.push_back(nvfp4(v, n));
  return out;
}

}  // namespace sfp
