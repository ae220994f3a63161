// SPDX-License-Identifier: Apache-2.0
//
// sfp eval: exponent bits per value on training snapshots, against the information limits and
// the usual compressors; the Gecko parameter sweep; and the whole container next to BF16, FP8,
// MX and NVFP4. Method: docs/eval.md.
#include <fmt/format.h>
#include <lz4.h>
#include <unistd.h>
#include <zstd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli.hpp"
#include "sfp/baselines.hpp"
#include "sfp/codec.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/snapshot.hpp"
#include "sfp/quantize.hpp"

namespace sfp::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct EvalOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string markdown;
  int zstd_level = 3;
};

// One snapshot tensor with what the trainer recorded about it.
struct Item {
  std::string network, policy, kind, name;
  unsigned man_bits = kManBitsFp32;
  Rounding rounding = Rounding::kTruncate;  // the snapshot's "rounding" metadata
  const io::Tensor* tensor = nullptr;
  const io::Tensor* master = nullptr;  // FP32 master copy of a quantized weight, if stored
};

size_t zstd_size(const void* p, size_t n, int level) {
  std::vector<char> out(ZSTD_compressBound(n));
  const size_t r = ZSTD_compress(out.data(), out.size(), p, n, level);
  if (ZSTD_isError(r)) throw io::Error(std::string("zstd: ") + ZSTD_getErrorName(r));
  return r;
}

size_t lz4_size(const void* p, size_t n) {
  if (n > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) throw io::Error("lz4: tensor too large");
  std::vector<char> out(static_cast<size_t>(LZ4_compressBound(static_cast<int>(n))));
  return static_cast<size_t>(LZ4_compress_default(
      static_cast<const char*>(p), out.data(), static_cast<int>(n), static_cast<int>(out.size())));
}

// Sums of bits over the tensors of one (network, kind) group; all figures per value at the end.
struct Group {
  uint64_t values = 0, zeros = 0;
  double h0 = 0, h1 = 0;  // value-weighted sums of per-tensor entropies
  uint64_t gecko_exp = 0, gecko_total = 0, huffman = 0, zvc_exp = 0, zvc_total = 0;
  uint64_t v2_exp = 0, v2_total = 0, v2_sign = 0;
  uint64_t v3_exp = 0, v3_total = 0, v3_sign = 0;
  uint64_t v3_held = 0, v3_expired = 0;  // most units held by the one-pass encoder; expiries
  uint64_t zstd_exp = 0, lz4_exp = 0, zstd_raw = 0, lz4_raw = 0, zstd_planes = 0, lz4_planes = 0;
  std::map<std::string, uint64_t> sweep;     // config label -> exponent bits incl. metadata
  std::map<std::string, uint64_t> v2_sweep;  // version 2 candidate -> exponent bits, same
  double per(uint64_t bits) const { return values ? static_cast<double>(bits) / values : 0; }
};

// Exponent bits with every metadata bit of the container: zero information, bases, widths,
// deltas, chunk padding and the chunk index.
uint64_t exponent_with_metadata(const BitCounts& b) { return b.exponent() + b.overhead(); }

Encoded must_encode(const Config& c, const io::Tensor& t) {
  Encoded e;
  const Status s = encode(c, t.values.data(), t.values.size(), &e);
  if (s != Status::kOk) throw io::Error(t.name + ": encode failed: " + status_name(s));
  return e;
}

Encoded must_encode_candidate(const Config& c, const TableOptions& o, const io::Tensor& t) {
  Encoded e;
  const Status s = encode_candidate(c, o, t.values.data(), t.values.size(), &e);
  if (s != Status::kOk) throw io::Error(t.name + ": encode failed: " + status_name(s));
  return e;
}

// Version 2 candidates (docs/format_choice.md, "Version 2"): the default and one change each.
std::map<std::string, uint64_t> v2_candidates(const io::Tensor& t) {
  std::map<std::string, uint64_t> out;
  const Config d = Config::lossless(t.dtype, 2);
  const auto add = [&](const std::string& label, const Config& c, const TableOptions& o) {
    out[label] = exponent_with_metadata(must_encode_candidate(c, o, t).bits);
  };
  add("v2 default", d, {});
  TableOptions no_rep;
  no_rep.rep = false;
  add("v2 without REP", d, no_rep);
  TableOptions one_code;
  one_code.contexts = false;
  add("v2 one code (no lane context)", d, one_code);
  for (unsigned bits : {8u, 10u, 11u}) {
    TableOptions limit;
    limit.max_code_bits = bits;
    add(fmt::format("v2 codes <= {} bits", bits), d, limit);
  }
  for (unsigned chunk : {1024u, 4096u, 65536u}) {
    Config c = d;
    c.chunk = chunk;
    add(fmt::format("v2 C={}", chunk), c, {});
  }
  for (unsigned lanes : {8u, 32u}) {
    Config c = d;
    c.group = lanes;
    add(fmt::format("v2 L={}", lanes), c, {});
  }
  // A table per chunk: each chunk coded as a tensor of its own.
  uint64_t per_chunk = 0;
  for (size_t first = 0; first < t.values.size(); first += d.chunk) {
    const size_t len = std::min<size_t>(d.chunk, t.values.size() - first);
    Encoded e;
    if (encode(d, t.values.data() + first, len, &e) != Status::kOk) {
      throw io::Error(t.name + ": encode failed");
    }
    per_chunk += exponent_with_metadata(e.bits);
  }
  out["v2 table per chunk"] = per_chunk;
  return out;
}

std::vector<std::pair<std::string, Config>> sweep_configs(Fp fp) {
  std::vector<std::pair<std::string, Config>> out;
  static const char* const kBase[] = {"raw", "delta", "gamma"};
  static const char* const kZero[] = {"none", "mask", "mode"};
  for (unsigned g : {4u, 8u, 16u, 32u}) {
    for (unsigned b = 0; b < 3; ++b) {
      for (unsigned z = 0; z < 3; ++z) {
        Config c = Config::lossless(fp, 1);
        c.group = g;
        c.base = static_cast<BaseCode>(b);
        c.zero = static_cast<ZeroCode>(z);
        out.push_back({fmt::format("G={} base={} zero={}", g, kBase[b], kZero[z]), c});
      }
    }
  }
  for (unsigned chunk : {1024u, 16384u}) {
    Config c = Config::lossless(fp, 1);
    c.chunk = chunk;
    out.push_back({fmt::format("default, C={}", chunk), c});
  }
  for (unsigned w : {64u, 512u}) {
    Config c = Config::lossless(fp, 1);
    c.word_bits = w;
    out.push_back({fmt::format("default, W={}", w), c});
  }
  return out;
}

// v3: the tensor's version 3 stream as part of its file (tables shared, Spec: "Shared tables").
void add_to_group(const Item& it, const Encoded& v3, int zstd_level, Group* g) {
  const io::Tensor& t = *it.tensor;
  const uint32_t* v = t.values.data();
  const size_t n = t.values.size();
  if (n == 0) return;
  g->values += n;
  for (uint32_t x : t.values) g->zeros += x == 0;
  g->h0 += entropy_bits(exponent_histogram(v, n, t.dtype)) * n;
  g->h1 += conditional_exponent_entropy(v, n, t.dtype) * n;
  const Encoded e = must_encode(Config::lossless(t.dtype, 1), t);
  g->gecko_exp += exponent_with_metadata(e.bits);
  g->gecko_total += e.bits.total();
  const Encoded e2 = must_encode(Config::lossless(t.dtype, 2), t);
  g->v2_exp += exponent_with_metadata(e2.bits);
  g->v2_total += e2.bits.total();
  g->v2_sign += e2.bits.sign;
  g->v3_exp += exponent_with_metadata(v3.bits);
  g->v3_total += v3.bits.total();
  g->v3_sign += v3.bits.sign;
  g->v3_held = std::max(g->v3_held, v3.held_units);
  g->v3_expired += v3.expired_units;
  for (const auto& [label, bits] : v2_candidates(t)) g->v2_sweep[label] += bits;
  g->huffman += huffman_exponent_bits(v, n, t.dtype);
  g->zvc_exp += zero_value_bits(v, n, t.dtype, true);
  g->zvc_total += zero_value_bits(v, n, t.dtype, false);
  std::vector<uint8_t> exps(n);
  for (size_t i = 0; i < n; ++i) exps[i] = static_cast<uint8_t>(split(v[i], t.dtype).exp);
  g->zstd_exp += 8 * zstd_size(exps.data(), n, zstd_level);
  g->lz4_exp += 8 * lz4_size(exps.data(), n);
  const unsigned bytes = io::dtype_bytes(t.dtype);
  std::vector<uint8_t> raw(n * bytes);
  for (size_t i = 0; i < n; ++i) {
    for (unsigned k = 0; k < bytes; ++k) raw[i * bytes + k] = static_cast<uint8_t>(v[i] >> 8 * k);
  }
  g->zstd_raw += 8 * zstd_size(raw.data(), raw.size(), zstd_level);
  g->lz4_raw += 8 * lz4_size(raw.data(), raw.size());
  for (const auto& plane : byte_planes(v, n, t.dtype)) {
    g->zstd_planes += 8 * zstd_size(plane.data(), n, zstd_level);
    g->lz4_planes += 8 * lz4_size(plane.data(), n);
  }
  for (const auto& [label, c] : sweep_configs(t.dtype)) {
    g->sweep[label] += exponent_with_metadata(must_encode(c, t).bits);
  }
}

// The whole container with the mantissa bits in force, beside the low-precision formats.
struct Container {
  uint64_t values = 0;
  BitCounts bits;                           // version 1
  BitCounts bits_v2;                        // version 2, same mantissa bits
  BitCounts bits_v3;                        // version 3, same mantissa bits, tables shared
  double sfp_err_num = 0, sfp_err_den = 0;  // against the master copy where one is stored
  bool has_master = true;
  std::map<std::string, std::pair<double, double>> formats;  // name -> (bits, err^2 * |x|^2)
  std::map<std::string, double> format_den;
};

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

void add_to_container(const Item& it, const Encoded& v3, Container* c) {
  const io::Tensor& t = *it.tensor;
  if (t.dtype != Fp::kFp32 || t.values.empty()) return;
  Config cfg = Config::lossless(Fp::kFp32, 1);
  cfg.man_bits = std::min(it.man_bits, kManBitsFp32);
  const Encoded e = must_encode(cfg, t);
  c->values += t.values.size();
  c->bits += e.bits;
  Config cfg2 = Config::lossless(Fp::kFp32, 2);
  cfg2.man_bits = cfg.man_bits;
  c->bits_v2 += must_encode(cfg2, t).bits;
  c->bits_v3 += v3.bits;
  if (it.master && it.master->values.size() == t.values.size()) {
    for (size_t i = 0; i < t.values.size(); ++i) {
      const double x = as_float(it.master->values[i]);
      const double q =
          as_float(quantize(it.master->values[i], Fp::kFp32, cfg.man_bits, it.rounding));
      if (!std::isfinite(x)) continue;
      c->sfp_err_num += (x - q) * (x - q);
      c->sfp_err_den += x * x;
    }
  } else {
    c->has_master = false;
  }
  double den = 0;
  for (uint32_t b : t.values) {
    const double x = as_float(b);
    if (std::isfinite(x)) den += x * x;
  }
  for (const LowPrecision& lp : low_precision_baselines(t.values.data(), t.values.size())) {
    auto& [bits, err] = c->formats[lp.name];
    bits += lp.bits_per_value * t.values.size();
    err += lp.rel_l2_error * lp.rel_l2_error * den;
    c->format_den[lp.name] += den;
  }
}

std::string pct(double x) { return fmt::format("{:.1f} %", 100 * x); }
std::string f2(double x) { return fmt::format("{:.2f}", x); }

// A Markdown table (also readable on a terminal).
struct Table {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
  std::string str() const {
    std::vector<size_t> w(head.size());
    for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
    }
    const auto line = [&](const std::vector<std::string>& r) {
      std::string s = "|";
      for (size_t i = 0; i < w.size(); ++i) {
        s += " " + fmt::format("{:<{}}", i < r.size() ? r[i] : "", w[i]) + " |";
      }
      return s + "\n";
    };
    std::string s = line(head) + "|";
    for (size_t i = 0; i < w.size(); ++i) s += std::string(w[i] + 2, '-') + "|";
    s += "\n";
    for (const auto& r : rows) s += line(r);
    return s;
  }
};

// A snapshot file's tensors with what the trainer recorded about them; the items point into
// *file, read from `path`. Throws what reading and parsing it throws.
std::vector<Item> load_items(const std::string& path, io::TensorFile* file) {
  *file = parse_tensor_file(path, read_input(path), false);
  const io::TensorFile& f = *file;
  std::string network = "unknown", policy = "unknown";
  Rounding rounding = Rounding::kTruncate;
  for (const auto& [k, v] : f.metadata) {
    if (k == "network") network = v;
    if (k == "policy") policy = v;
    if (k == "rounding") rounding = v == "rne" ? Rounding::kNearestEven : Rounding::kTruncate;
  }
  io::TensorInfoMap info;  // none when the metadata has no valid "tensors"
  try {
    info = io::parse_tensor_info(f.metadata).value_or(io::TensorInfoMap{});
  } catch (const io::Error&) {
  }
  std::map<std::string, const io::Tensor*> by_name;
  for (const io::Tensor& t : f.tensors) by_name[t.name] = &t;
  std::vector<Item> items;
  for (const io::Tensor& t : f.tensors) {
    Item it;
    it.network = network;
    it.policy = policy;
    it.rounding = rounding;
    it.name = t.name;
    it.tensor = &t;
    const size_t slash = t.name.find('/');
    it.kind = slash == std::string::npos ? "tensor" : t.name.substr(0, slash);
    if (const auto ti = info.find(t.name); ti != info.end()) {
      if (!ti->second.kind.empty()) it.kind = ti->second.kind;
      if (ti->second.man_bits) it.man_bits = static_cast<unsigned>(*ti->second.man_bits);
    }
    if (it.kind == "weight" && slash != std::string::npos) {
      const auto m = by_name.find("master/" + t.name.substr(slash + 1));
      if (m != by_name.end()) it.master = m->second;
    }
    items.push_back(it);
  }
  return items;
}

// What sfp eval measures: exponent and lossless figures per (network, kind) over snapshots of
// lossless runs (or all runs when none is lossless), and the whole container per (network,
// policy, kind).
struct Measured {
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::map<std::tuple<std::string, std::string, std::string>, Container> containers;
  // The formats beside the container (those of the first container; every container has them).
  std::vector<std::string> format_names() const {
    std::vector<std::string> names;
    for (const auto& c : containers) {
      for (const auto& f : c.second.formats) names.push_back(f.first);
      break;
    }
    return names;
  }
};

// Returns 0, or fail()'s status for a tensor that cannot be measured.
// Version 3 streams of a snapshot file's tensors as sfp encode writes them (tables shared between
// the tensors of the file): lossless for the exponent tables, and at the trained mantissa bits
// for the stashed FP32 tensors. Master copies are left out, as they are not stashed.
void encode_file_v3(const std::vector<Item>& items, std::vector<Encoded>* lossless,
                    std::vector<Encoded>* trained) {
  lossless->assign(items.size(), Encoded{});
  trained->assign(items.size(), Encoded{});
  std::vector<TensorInput> in_l, in_t;
  std::vector<size_t> at_l, at_t;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const io::Tensor& t = *it.tensor;
    if (it.kind == "master") continue;
    in_l.push_back({Config::lossless(t.dtype, 3), t.values.data(), t.values.size()});
    at_l.push_back(i);
    if ((it.kind == "act" || it.kind == "weight") && t.dtype == Fp::kFp32) {
      Config c = Config::lossless(Fp::kFp32, 3);
      c.man_bits = std::min(it.man_bits, kManBitsFp32);
      in_t.push_back({c, t.values.data(), t.values.size()});
      at_t.push_back(i);
    }
  }
  std::vector<Encoded> out;
  if (encode_tensors(in_l, &out) != Status::kOk) throw io::Error("version 3 encode failed");
  for (size_t k = 0; k < out.size(); ++k) (*lossless)[at_l[k]] = std::move(out[k]);
  if (encode_tensors(in_t, &out) != Status::kOk) throw io::Error("version 3 encode failed");
  for (size_t k = 0; k < out.size(); ++k) (*trained)[at_t[k]] = std::move(out[k]);
}

// Adds the tensors of one snapshot file to *m. Returns 0, or fail()'s status for a tensor that
// cannot be measured.
int measure(const std::vector<Item>& items, int zstd_level, Measured* m) {
  std::vector<Encoded> v3_lossless, v3_trained;
  try {
    encode_file_v3(items, &v3_lossless, &v3_trained);
  } catch (const std::exception& e) {
    return fail("version 3", e);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (it.kind == "master") continue;
    try {
      if (it.policy == "fp32" || it.policy == "unknown") {
        add_to_group(it, v3_lossless[i], zstd_level, &m->groups[{it.network, it.kind}]);
      }
      if ((it.kind == "act" || it.kind == "weight") && it.policy != "fp32") {
        add_to_container(it, v3_trained[i], &m->containers[{it.network, it.policy, it.kind}]);
      }
    } catch (const std::exception& e) {
      return fail(it.name, e);
    }
  }
  return 0;
}

// The configuration of the v1 sweep with the fewest exponent bits (the first of equals).
std::pair<std::string, uint64_t> best_config(const Group& g) {
  std::string best_label;
  uint64_t best = ~0ull;
  for (const auto& [label, bits] : g.sweep) {
    if (bits < best) best = bits, best_label = label;
  }
  return {best_label, best};
}

double container_bits(const Container& c, const BitCounts& b) {
  return c.values ? static_cast<double>(b.total()) / c.values : 0;
}

// Per-format bits per value and relative L2 error of a container.
std::pair<double, double> format_figures(const Container& c, const std::string& name) {
  const auto& [fb, fe] = c.formats.at(name);
  const double den = c.format_den.at(name);
  return {fb / c.values, den > 0 ? std::sqrt(fe / den) : 0};
}

ojson eval_json(const Measured& m) {
  ojson doc = ojson::object();
  doc["groups"] = ojson::array();
  for (const auto& [key, g] : m.groups) {
    const auto [best_label, best] = best_config(g);
    const double zf = g.values ? static_cast<double>(g.zeros) / g.values : 0;
    ojson j = {{"network", key.first},
               {"kind", key.second},
               {"values", g.values},
               {"zero_fraction", zf},
               {"exp_entropy_order0", g.h0 / g.values},
               {"exp_entropy_conditional", g.h1 / g.values},
               {"gecko_exp_bits", g.per(g.gecko_exp)},
               {"huffman_exp_bits", g.per(g.huffman)},
               {"zvc_exp_bits", g.per(g.zvc_exp)},
               {"zstd_exp_bits", g.per(g.zstd_exp)},
               {"lz4_exp_bits", g.per(g.lz4_exp)},
               {"sfp_lossless_bits", g.per(g.gecko_total)},
               {"zstd_bits", g.per(g.zstd_raw)},
               {"lz4_bits", g.per(g.lz4_raw)},
               {"zstd_planes_bits", g.per(g.zstd_planes)},
               {"lz4_planes_bits", g.per(g.lz4_planes)},
               {"zvc_bits", g.per(g.zvc_total)},
               {"best_config", best_label},
               {"best_exp_bits", g.per(best)},
               {"v2_exp_bits", g.per(g.v2_exp)},
               {"v2_lossless_bits", g.per(g.v2_total)},
               {"v2_sign_bits", g.per(g.v2_sign)},
               {"v3_exp_bits", g.per(g.v3_exp)},
               {"v3_lossless_bits", g.per(g.v3_total)},
               {"v3_sign_bits", g.per(g.v3_sign)},
               {"v3_max_held_units", g.v3_held},
               {"v3_expired_units", g.v3_expired}};
    ojson v2sw = ojson::object();
    for (const auto& [label, bits] : g.v2_sweep) v2sw[label] = g.per(bits);
    j["v2_candidates"] = v2sw;
    ojson sw = ojson::object();
    for (const auto& [label, bits] : g.sweep) sw[label] = g.per(bits);
    j["sweep"] = sw;
    doc["groups"].push_back(j);
  }
  const std::vector<std::string> fmt_names = m.format_names();
  doc["containers"] = ojson::array();
  for (const auto& [key, c] : m.containers) {
    const auto& [net, pol, kind] = key;
    ojson j = {{"network", net},
               {"policy", pol},
               {"kind", kind},
               {"values", c.values},
               {"sfp_bits", container_bits(c, c.bits)},
               {"sfp_sign_bits", static_cast<double>(c.bits.sign) / c.values},
               {"sfp_exp_bits", static_cast<double>(c.bits.exponent()) / c.values},
               {"sfp_man_bits", static_cast<double>(c.bits.mantissa) / c.values},
               {"sfp_overhead_bits", static_cast<double>(c.bits.overhead()) / c.values},
               {"sfp_v2_bits", container_bits(c, c.bits_v2)},
               {"sfp_v2_sign_bits", static_cast<double>(c.bits_v2.sign) / c.values},
               {"sfp_v2_exp_bits", static_cast<double>(c.bits_v2.exponent()) / c.values},
               {"sfp_v2_man_bits", static_cast<double>(c.bits_v2.mantissa) / c.values},
               {"sfp_v2_overhead_bits", static_cast<double>(c.bits_v2.overhead()) / c.values},
               {"sfp_v3_bits", container_bits(c, c.bits_v3)},
               {"sfp_v3_exp_bits", static_cast<double>(c.bits_v3.exponent()) / c.values},
               {"sfp_v3_overhead_bits", static_cast<double>(c.bits_v3.overhead()) / c.values}};
    for (const auto& n : fmt_names) {
      const auto [bits, rel] = format_figures(c, n);
      j["formats"][n] = {{"bits", bits}, {"rel_l2_error", rel}};
    }
    doc["containers"].push_back(j);
  }
  return doc;
}

// One row per label, one column per group.
Table label_table(std::vector<std::string> head,
                  const std::map<std::string, std::vector<std::string>>& cells) {
  Table t{std::move(head), {}};
  for (const auto& [label, row] : cells) {
    std::vector<std::string> r{label};
    r.insert(r.end(), row.begin(), row.end());
    t.rows.push_back(r);
  }
  return t;
}

std::string eval_markdown(const Measured& m, int zstd_level) {
  Table exp{{"network", "kind", "values", "zeros", "H0", "H1", "v3", "v3 - H0", "v2", "v2 - H0",
             "v1 Gecko", "best v1 sweep", "Huffman", "ZVC", "zstd exp", "lz4 exp", "v3 held",
             "v3 expired"},
            {}};
  Table whole{{"network", "kind", "sfp v3", "sfp v2", "sfp v1", "zstd", "lz4", "zstd planes",
               "lz4 planes", "ZVC", "v2 sign"},
              {}};
  std::map<std::string, std::vector<std::string>> sweep_cells, v2_cells;
  std::vector<std::string> sweep_head{"configuration"};
  std::vector<std::string> v2_head{"candidate"};
  for (const auto& [key, g] : m.groups) {
    const auto [best_label, best] = best_config(g);
    for (const auto& [label, bits] : g.sweep) sweep_cells[label].push_back(f2(g.per(bits)));
    sweep_head.push_back(key.first + " " + key.second);
    v2_head.push_back(key.first + " " + key.second);
    for (const auto& [label, bits] : g.v2_sweep) v2_cells[label].push_back(f2(g.per(bits)));
    const double zf = g.values ? static_cast<double>(g.zeros) / g.values : 0;
    const double h0 = g.values ? g.h0 / g.values : 0;
    exp.rows.push_back({key.first, key.second, std::to_string(g.values), pct(zf), f2(h0),
                        f2(g.values ? g.h1 / g.values : 0), f2(g.per(g.v3_exp)),
                        fmt::format("{:+.2f}", g.per(g.v3_exp) - h0), f2(g.per(g.v2_exp)),
                        fmt::format("{:+.2f}", g.per(g.v2_exp) - h0), f2(g.per(g.gecko_exp)),
                        f2(g.per(best)) + " (" + best_label + ")", f2(g.per(g.huffman)),
                        f2(g.per(g.zvc_exp)), f2(g.per(g.zstd_exp)), f2(g.per(g.lz4_exp)),
                        std::to_string(g.v3_held), std::to_string(g.v3_expired)});
    whole.rows.push_back({key.first, key.second, f2(g.per(g.v3_total)), f2(g.per(g.v2_total)),
                          f2(g.per(g.gecko_total)), f2(g.per(g.zstd_raw)), f2(g.per(g.lz4_raw)),
                          f2(g.per(g.zstd_planes)), f2(g.per(g.lz4_planes)), f2(g.per(g.zvc_total)),
                          f2(g.per(g.v2_sign))});
  }

  const std::vector<std::string> fmt_names = m.format_names();
  std::vector<std::string> head{"network",     "policy",      "kind",        "values",
                                "sfp v3 bits", "sfp v2 bits", "sfp v1 bits", "sfp error"};
  for (const auto& n : fmt_names) head.push_back(n);
  Table cont{head, {}};
  for (const auto& [key, c] : m.containers) {
    const auto& [net, pol, kind] = key;
    const std::string err = c.has_master && c.sfp_err_den > 0
                                ? fmt::format("{:.2e}", std::sqrt(c.sfp_err_num / c.sfp_err_den))
                                : "0 (stashed)";
    std::vector<std::string> r{net,
                               pol,
                               kind,
                               std::to_string(c.values),
                               f2(container_bits(c, c.bits_v3)),
                               f2(container_bits(c, c.bits_v2)),
                               f2(container_bits(c, c.bits)),
                               err};
    for (const auto& n : fmt_names) {
      const auto [bits, rel] = format_figures(c, n);
      r.push_back(fmt::format("{:.2f} b, {:.1e}", bits, rel));
    }
    cont.rows.push_back(r);
  }

  std::ostringstream md;
  md << "## Exponent bits per value, all metadata counted\n\n"
     << "H0: order-0 entropy of the exponent field; H1: conditioned on the previous value's "
        "exponent. v3: format version 3 ("
     << to_string(Config::lossless(Fp::kFp32, 3))
     << "), each snapshot file encoded as sfp encode writes it (small tensors share tables): "
        "exponent codewords, escapes, table sections, lane padding, chunk index and CRCs; v3 "
        "held: the most 32-bit words its one-pass encoder held at once (the format bounds it "
        "by 511), v3 expired: words closed by expiry. v2: format version 2 ("
     << to_string(Config::lossless(Fp::kFp32, 2))
     << "): exponent codewords, escapes, code table, chunk headers, lane and plane padding, "
        "chunk index and CRCs. v1 Gecko: version 1 ("
     << to_string(Config::lossless(Fp::kFp32, 1))
     << "), exponent fields plus zero information, bases, widths, chunk padding and index. "
        "Huffman: per-tensor code with its table. ZVC: zero bitmask plus 8-bit exponents. "
        "zstd/lz4 exp: the exponent byte plane compressed (zstd level "
     << zstd_level << ").\n\n"
     << exp.str() << "\n## Lossless, whole values: bits per value\n\n"
     << "v2 sign: sign bits per value in the v2 streams (0 on tensors of one sign).\n\n"
     << whole.str() << "\n## Version 2 candidates: exponent bits per value incl. metadata\n\n"
     << label_table(v2_head, v2_cells).str()
     << "\n## Gecko sweep: exponent bits per value incl. metadata\n\n"
     << label_table(sweep_head, sweep_cells).str()
     << "\n## Whole container with the trained mantissa bits\n\n"
     << "sfp bits: sign + exponent + mantissa + metadata with each tensor's mantissa bits from "
        "the snapshot, in format version 3, 2 and 1; sfp error: relative L2 error of Q_m on the "
        "FP32 "
        "master weights (the "
        "stashed activations are Q_m already). Other formats: bits per value, relative L2 error "
        "on the stashed tensors.\n\n"
     << cont.str();
  return md.str();
}

int run_eval(const EvalOptions& o) {
  if (o.markdown == "-") {
    throw UsageError("--markdown -: the tables already go to standard output; name a file");
  }
  // The output first: a target that cannot be written (or is an input) fails before the work.
  std::optional<io::OutputFile> md_out;
  if (!o.markdown.empty()) {
    try {
      md_out.emplace(o.markdown, o.files);
    } catch (const std::exception& e) {
      return fail_output(o.markdown, e);
    }
  }
  // One snapshot file in memory at a time: its tensors, their streams and the baselines'.
  Measured m;
  const bool progress = isatty(STDERR_FILENO);
  for (size_t k = 0; k < o.files.size(); ++k) {
    const std::string& path = o.files[k];
    io::TensorFile file;
    std::vector<Item> items;
    try {
      items = load_items(path, &file);
    } catch (const std::exception& e) {
      return fail(path, e);
    }
    if (const int rc = measure(items, o.zstd_level, &m)) return rc;
    if (progress) {
      fmt::print(stderr, "\rsfp eval: {}/{} files", k + 1, o.files.size());
      if (k + 1 == o.files.size()) fmt::print(stderr, "\n");
    }
  }

  const std::string md = eval_markdown(m, o.zstd_level);
  if (md_out) {
    try {
      md_out->write(reinterpret_cast<const uint8_t*>(md.data()), md.size());
      md_out->commit();
    } catch (const std::exception& e) {
      return fail_output(o.markdown, e);
    }
  }
  if (o.json) {
    fmt::print("{}\n", eval_json(m).dump(2));
  } else {
    fmt::print("{}", md);
  }
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Exponent and container bits on training snapshots against baselines and a sweep");
  sub->add_option("files", o->files,
                  "snapshot safetensors files written by sfp train (- for standard input)")
      ->required();
  sub->add_flag("--json", o->json, "One JSON document instead of tables");
  sub->add_option("--markdown", o->markdown, "Also write the tables to this Markdown file");
  sub->add_option("--zstd-level", o->zstd_level, "zstd level of the baselines")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  return {sub, [o] { return run_eval(*o); }};
}

}  // namespace sfp::cli
