// SPDX-License-Identifier: Apache-2.0
//
// sfp stats: per-tensor value statistics and where the bits of the encoding go.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.hpp"
#include "sfp/codec.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/snapshot.hpp"
#include "sfp/io/stream.hpp"
#include "sfp/quantize.hpp"

namespace sfp::cli {
namespace {

struct StatsOptions {
  std::vector<std::string> files;
  bool json = false;
  bool bf16_npy = false;
  bool stored_bits = false;
  ConfigFlags flags;
};

// Statistics of one tensor, or of several added together.
struct Row {
  std::string file, name, dtype;
  std::vector<uint64_t> shape;
  uint64_t values = 0;
  uint64_t zeros = 0;                       // exact +0 bit patterns
  std::array<uint64_t, 256> exp_hist = {};  // exponent field histogram
  std::optional<Config> config;             // absent in the total row
  BitCounts bits;
  Fp fp = Fp::kFp32;  // of the values added (.sfp rows: set before they are)

  void add_values(const uint32_t* v, size_t n, Fp fp) {
    values += n;
    for (size_t i = 0; i < n; ++i) {
      zeros += v[i] == 0;
      ++exp_hist[split(v[i], fp).exp];
    }
  }
  void add_values(const std::vector<uint32_t>& v, Fp fp) { add_values(v.data(), v.size(), fp); }
  Row& operator+=(const Row& o) {
    values += o.values;
    zeros += o.zeros;
    for (size_t i = 0; i < exp_hist.size(); ++i) exp_hist[i] += o.exp_hist[i];
    bits += o.bits;
    return *this;
  }
  // Order-0 entropy of the exponent field in bits.
  double exp_entropy() const {
    double h = 0;
    for (uint64_t c : exp_hist) {
      if (c == 0) continue;
      const double p = static_cast<double>(c) / static_cast<double>(values);
      h -= p * std::log2(p);
    }
    return h;
  }
  double per_value(uint64_t bits_total) const {
    return static_cast<double>(bits_total) / static_cast<double>(values);
  }
  double zero_fraction() const {
    return values ? static_cast<double>(zeros) / static_cast<double>(values) : 0.0;
  }
};

// The mantissa bits a training snapshot stored each tensor with: the "man_bits" of each entry of
// the "tensors" metadata that sfp train writes. Throws io::Error if the file has none.
std::map<std::string, unsigned> stored_man_bits(const io::Metadata& metadata) {
  const std::optional<io::TensorInfoMap> info = io::parse_tensor_info(metadata);
  if (!info) {
    throw io::Error("no 'tensors' metadata (--stored-bits needs a snapshot written by sfp train)");
  }
  std::map<std::string, unsigned> bits;
  for (const auto& [name, t] : *info) {
    if (!t.man_bits || *t.man_bits > kManBitsFp32) {
      throw io::Error("metadata 'tensors': " + io::quote(name) + " has no valid man_bits");
    }
    bits[name] = static_cast<unsigned>(*t.man_bits);
  }
  return bits;
}

// Rows of one tensor file: each tensor encoded with the flags' configuration, or with the
// mantissa bits stored in the snapshot's metadata (--stored-bits). The file is read a chunk at a
// time and encoded as sfp encode writes it (version 3 tensors share tables), without an output.
void tensor_file_rows(const std::string& path, const io::InputFile& in, const StatsOptions& o,
                      std::vector<Row>* rows) {
  const io::FileLayout layout = tensor_file_layout(path, in, o.bf16_npy);
  std::map<std::string, unsigned> stored;
  if (o.stored_bits) stored = stored_man_bits(layout.metadata);
  const auto config_for = [&](const io::Tensor& t) {
    Config config = o.flags.config_for(t);
    if (o.stored_bits) {
      const auto m = stored.find(t.name);
      if (m == stored.end()) {
        throw io::Error("tensor " + io::quote(t.name) + " has no entry in the 'tensors' metadata");
      }
      if (m->second > fp_format(t.dtype).man_bits) {
        throw io::Error("tensor " + io::quote(t.name) + ": stored man_bits " +
                        std::to_string(m->second) + " exceeds its format");
      }
      config.man_bits = m->second;
    }
    return config;
  };
  std::vector<Row> found(layout.tensors.size());
  const io::StreamResult r =
      io::measure_stream(in, layout, config_for, 1, [&](size_t i, const uint32_t* v, size_t n) {
        found[i].add_values(v, n, layout.tensors[i].dtype);
      });
  for (size_t i = 0; i < layout.tensors.size(); ++i) {
    const io::TensorLayout& t = layout.tensors[i];
    Row& row = found[i];
    row.file = path;
    row.name = t.name;
    row.dtype = io::dtype_name(t.dtype);
    row.shape = t.shape;
    row.config = r.tensors[i].config;
    row.bits = r.tensors[i].bits;
    rows->push_back(std::move(row));
  }
}

// Rows of an .sfp file: the stored encoding, read a chunk at a time. The decoder does not count
// bits, so each chunk's decoded values are coded again with the stored configuration; a
// conforming stream comes out the same, and anything else is reported.
void sfp_file_rows(const std::string& path, const io::InputFile& in, std::vector<Row>* rows) {
  std::vector<Row> found;
  const io::StreamResult r = io::measure_container(
      in, 1, [&](size_t i, const uint32_t* v, size_t n) { found[i].add_values(v, n, found[i].fp); },
      [&](const io::StreamResult& scanned) {
        found.resize(scanned.tensors.size());
        for (size_t i = 0; i < found.size(); ++i) found[i].fp = scanned.tensors[i].dtype;
      });
  for (size_t i = 0; i < r.tensors.size(); ++i) {
    const io::StreamedTensor& t = r.tensors[i];
    if (!t.conforming) {
      fmt::print(stderr,
                 "sfp: {}: tensor {}: stored stream is not the conforming encoding; bit counts "
                 "are those of the conforming one\n",
                 path, io::quote(t.name));
    }
    Row& row = found[i];
    row.file = path;
    row.name = t.name;
    row.dtype = io::dtype_name(t.dtype);
    row.shape = t.shape;
    row.config = t.config;
    row.bits = t.bits;
    rows->push_back(std::move(row));
  }
}

std::string fixed(const Row& r, uint64_t bits, int digits = 3) {
  if (r.values == 0) return "-";
  return fmt::format("{:.{}f}", r.per_value(bits), digits);
}

std::string ratio(const Row& r, double width) {
  if (r.values == 0 || r.bits.total() == 0) return "-";
  return fmt::format("{:.2f}", width / r.per_value(r.bits.total()));
}

void print_table(const std::vector<Row>& rows, const Row& total, bool with_file) {
  const auto label = [&](const Row& r) {
    return with_file && r.config ? fmt::format("{}:{}", r.file, r.name) : r.name;
  };
  size_t width = 5;
  for (const Row& r : rows) width = std::max(width, label(r).size());
  const auto line = [&](const Row& r) {
    fmt::print("{:<{}}  {:<5} {:>12} {:>6.4f} {:>6.3f} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6}\n",
               label(r), width, r.dtype, r.values, r.zero_fraction(), r.exp_entropy(),
               fixed(r, r.bits.sign), fixed(r, r.bits.exponent()), fixed(r, r.bits.mantissa),
               fixed(r, r.bits.overhead()), fixed(r, r.bits.total()), ratio(r, 32), ratio(r, 16));
  };
  fmt::print("{:<{}}  {:<5} {:>12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6}\n", "name",
             width, "dtype", "values", "zeros", "exp_H", "sign", "exp", "mant", "index", "total",
             "xFP32", "xBF16");
  for (const Row& r : rows) line(r);
  line(total);
}

nlohmann::ordered_json row_json(const Row& r) {
  using Json = nlohmann::ordered_json;
  Json j = Json::object();
  if (r.config) {
    j["file"] = r.file;
    j["name"] = r.name;
    j["dtype"] = r.dtype;
    j["shape"] = r.shape;
  }
  j["values"] = r.values;
  j["zero_fraction"] = r.zero_fraction();
  j["exponent_entropy"] = r.exp_entropy();
  if (r.config) {
    j["config"] = to_string(*r.config);
    j["config_word"] = fmt::format("0x{:08x}", pack_config(*r.config));
  }
  j["bits"] = Json::object();
  for (const BitField& f : kBitFields) j["bits"][f.name] = r.bits.*f.member;
  j["bits"]["exponent"] = r.bits.exponent();
  j["bits"]["overhead"] = r.bits.overhead();
  j["bits"]["total"] = r.bits.total();
  const auto per = [&](uint64_t b) { return r.values ? Json(r.per_value(b)) : Json(nullptr); };
  j["bits_per_value"] = {{"sign", per(r.bits.sign)},
                         {"exponent", per(r.bits.exponent())},
                         {"mantissa", per(r.bits.mantissa)},
                         {"index", per(r.bits.overhead())},
                         {"total", per(r.bits.total())}};
  const bool some = r.values && r.bits.total();
  j["ratio_fp32"] = some ? Json(32.0 / r.per_value(r.bits.total())) : Json(nullptr);
  j["ratio_bf16"] = some ? Json(16.0 / r.per_value(r.bits.total())) : Json(nullptr);
  return j;
}

int run_stats(const StatsOptions& o) {
  o.flags.check();
  if (o.stored_bits && o.flags.man_bits_given()) {
    throw UsageError("--stored-bits and -m both set the mantissa bits; give one");
  }
  std::vector<Row> rows;
  for (const std::string& path : o.files) {
    try {
      // A file is read by offset; standard input is read into memory whole, as before.
      const std::unique_ptr<io::InputFile> in =
          path == "-" ? std::make_unique<io::InputFile>(read_input(path)) : open_input(path);
      uint8_t magic[6] = {};
      const size_t got = static_cast<size_t>(std::min<uint64_t>(in->size(), sizeof magic));
      in->read(0, magic, got);
      if (io::detect_kind(magic, got) == io::FileKind::kSfp) {
        if (o.flags.any() || o.stored_bits) {
          fmt::print(stderr,
                     "sfp: {}: the stored encoding is used; configuration flags do "
                     "not apply\n",
                     path);
        }
        sfp_file_rows(path, *in, &rows);
      } else {
        tensor_file_rows(path, *in, o, &rows);
      }
    } catch (const std::exception& e) {
      return fail(path, e);
    }
  }
  Row total;
  total.name = "total";
  total.dtype = "-";
  for (const Row& r : rows) total += r;

  if (!o.json) {
    print_table(rows, total, o.files.size() > 1);
    return 0;
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["tensors"] = nlohmann::ordered_json::array();
  for (const Row& r : rows) doc["tensors"].push_back(row_json(r));
  doc["total"] = row_json(total);
  fmt::print("{}\n", doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  return 0;
}

}  // namespace

Command add_stats(CLI::App& app) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* sub = app.add_subcommand(
      "stats", "Per-tensor statistics and bits per value of safetensors, .npy or .sfp files");
  sub->add_option("files", o->files, "safetensors, .npy or .sfp files (- for standard input)")
      ->required();
  sub->add_flag("--json", o->json, "One JSON document instead of a table");
  sub->add_flag("--bf16-npy", o->bf16_npy, "Read a .npy array of dtype <u2 as BF16 bit patterns");
  sub->add_flag("--stored-bits", o->stored_bits,
                "Mantissa bits per tensor from a training snapshot's metadata (sfp train)");
  o->flags.add_to(sub);
  sub->footer(
      "Columns: values, zeros (fraction of exact +0), exp_H (order-0 entropy of the exponent "
      "field, bits), then bits per value: sign, exp (all exponent metadata), mant, index "
      "(chunk padding and index), total; and the ratio to FP32 and BF16. Safetensors and .npy "
      "tensors are encoded with the configuration flags; .sfp files use their stored "
      "encoding.");
  return {sub, [o] { return run_stats(*o); }};
}

}  // namespace sfp::cli
