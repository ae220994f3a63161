// SPDX-License-Identifier: Apache-2.0
//
// The .sfp container file. Spec: docs/format.md, "Container file".
#include "sfp/io/container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bytes.hpp"
#include "container_parts.hpp"
#include "json_util.hpp"

namespace sfp::io {
namespace {

unsigned bit_width(uint64_t v) {
  unsigned w = 0;
  for (; v; v >>= 1) ++w;
  return w;
}

// Written as text: a JSON library's insertion-ordered object is O(n^2) for n keys.
std::string metadata_json(const Metadata& metadata) {
  std::string m = "{";
  std::set<std::string> keys;
  for (const auto& [key, value] : metadata) {
    if (!keys.insert(key).second) throw Error(fmt::format("metadata has {} twice", quote(key)));
    if (m.size() > 1) m += ',';
    m += detail::json_string(key, "metadata: key");
    m += ':';
    m += detail::json_string(value, "metadata: value");
  }
  return m + '}';
}

// Checks what a source kind requires of the tensors and metadata.
void check_kind(SourceKind kind, const Metadata& metadata, size_t tensors,
                const std::function<Fp(size_t)>& dtype) {
  if (kind == SourceKind::kSafetensors) return;
  const Fp want = kind == SourceKind::kNpyF32 ? Fp::kFp32 : Fp::kBf16;
  if (tensors != 1) {
    throw Error(fmt::format("source kind {} needs exactly one tensor, not {}",
                            source_kind_name(kind), tensors));
  }
  if (dtype(0) != want) {
    throw Error(fmt::format("source kind {} needs a {} tensor, not {}", source_kind_name(kind),
                            dtype_name(want), dtype_name(dtype(0))));
  }
  if (metadata.size() != 1 || metadata[0].first != "fortran_order" ||
      (metadata[0].second != "true" && metadata[0].second != "false")) {
    throw Error(
        fmt::format("source kind {} needs the metadata {{\"fortran_order\": \"true\" | "
                    "\"false\"}}",
                    source_kind_name(kind)));
  }
}

}  // namespace

namespace detail {

IndexGeometry::Entry IndexGeometry::get(const Config& c, uint32_t word) {
  constexpr uint32_t kIgnored = 0x1u | (1u << 6) | (0xFu << 20);  // f, r, logW
  auto it = chunk_bits_.find(word & ~kIgnored);
  if (it == chunk_bits_.end()) {
    it = chunk_bits_.emplace(word & ~kIgnored, max_chunk_bits(c, c.chunk)).first;
  }
  const uint64_t words = (it->second + c.word_bits - 1) / c.word_bits;
  return {words, bit_width(words)};
}

std::string record_name(size_t i, const std::string& name) {
  return fmt::format("tensor {} ({})", i, quote(name));
}

std::vector<uint8_t> container_header(SourceKind kind, const Metadata& metadata, size_t tensors,
                                      unsigned file_version,
                                      const std::function<Fp(size_t)>& dtype) {
  if (tensors > 0xFFFFFFFFu) throw Error("more than 2^32-1 tensors");
  if (static_cast<unsigned>(kind) > 2) throw Error("unknown source kind");
  check_kind(kind, metadata, tensors, dtype);
  const std::string meta = metadata_json(metadata);
  if (meta.size() > 0xFFFFFFFFu) throw Error("metadata is larger than 4 GiB");
  std::vector<uint8_t> out;
  append_bytes(out, kContainerMagic, 4);
  append_le(out, file_version, 2);
  append_le(out, static_cast<uint64_t>(kind), 1);
  append_le(out, 0, 1);
  append_le(out, tensors, 4);
  append_le(out, meta.size(), 4);
  append_bytes(out, meta.data(), meta.size());
  if (file_version >= 2) append_le(out, crc32c(out.data(), out.size()), 4);
  return out;
}

void check_record(size_t i, const std::string& name, const std::vector<uint64_t>& shape,
                  const Config& c, uint64_t n) {
  const std::string where = record_name(i, name);
  if (name.empty() || name.size() > 0xFFFF) {
    throw Error(fmt::format("{}: name is {} bytes; it must be 1 to 65535", where, name.size()));
  }
  if (!valid_utf8(name)) throw Error(fmt::format("{}: name is not valid UTF-8", where));
  if (shape.size() > kContainerMaxDims) {
    throw Error(fmt::format("{}: {} dimensions; .sfp stores at most {}", where, shape.size(),
                            kContainerMaxDims));
  }
  std::string why;
  if (validate(c, &why) != Status::kOk) {
    throw Error(fmt::format("{}: invalid configuration: {}", where, why));
  }
  uint64_t product = 0;
  if (!element_count(shape, &product) || product != n) {
    throw Error(fmt::format("{}: {} values do not fill shape {}", where, n, shape_string(shape)));
  }
  if (chunk_count(c, n) > 0xFFFFFFFFu) {
    throw Error(fmt::format("{}: {} chunks; .sfp stores at most 2^32-1", where, chunk_count(c, n)));
  }
}

std::vector<uint8_t> record_head(size_t i, const std::string& name,
                                 const std::vector<uint64_t>& shape, const Config& c, uint64_t n,
                                 const CodeTable& table, uint32_t ref) {
  check_record(i, name, shape, c, n);
  std::vector<uint8_t> out;
  append_le(out, name.size(), 2);
  append_bytes(out, name.data(), name.size());
  append_le(out, static_cast<uint64_t>(c.fp), 1);
  append_le(out, shape.size(), 1);
  for (uint64_t d : shape) append_le(out, d, 8);
  append_le(out, pack_config(c), 4);
  append_le(out, n, 8);
  append_le(out, chunk_count(c, n), 4);
  if (c.version == 2) {
    const std::vector<uint8_t> t = pack_table(table);
    append_bytes(out, t.data(), t.size());
  }
  if (c.version == 3) {
    const std::vector<uint8_t> t = pack_table_section(table, ref);
    append_bytes(out, t.data(), t.size());
  }
  return out;
}

uint64_t index_bytes(const Config& c, uint64_t k) { return (k * index_entry_bits(c) + 7) / 8; }

std::vector<uint8_t> record_index(size_t i, const std::string& name, const Config& c,
                                  const uint32_t* words, const uint8_t* raw, const uint32_t* crc,
                                  uint64_t k, IndexGeometry& geometry) {
  const auto [max_words, bits] = geometry.get(c, pack_config(c));
  const unsigned entry = index_entry_bits(c);  // v2: length, mode bit, CRC
  std::vector<uint8_t> index(index_bytes(c, k), 0);
  const auto put = [&](uint64_t pos, uint64_t v, unsigned n) {
    for (unsigned b = 0; b < n; ++b, ++pos) {
      index[pos / 8] |= static_cast<uint8_t>(((v >> b) & 1u) << (pos % 8));
    }
  };
  for (uint64_t j = 0; j < k; ++j) {
    const uint64_t w = words[j];
    if (w == 0 || w > max_words) {
      throw Error(fmt::format("{}: chunk {} is {} words long", record_name(i, name), j, w));
    }
    put(j * entry, w, bits);
    if (c.version == 2) {
      put(j * entry + bits, raw[j] != 0, 1);
      put(j * entry + bits + 1, crc[j], 32);
    }
    if (c.version == 3) put(j * entry + bits, crc[j], 32);
  }
  return index;
}

}  // namespace detail

std::vector<uint8_t> write_container(const Container& c) {
  unsigned file_version = 1;  // the newest format version of its streams
  for (const EncodedTensor& t : c.tensors) {
    file_version = std::max(file_version, t.stream.config.version);
  }
  std::vector<uint8_t> out =
      detail::container_header(c.kind, c.metadata, c.tensors.size(), file_version,
                               [&](size_t i) { return c.tensors[i].stream.config.fp; });

  detail::IndexGeometry geometry;
  std::vector<const CodeTable*> tables;  // version 3: the file's own tables, numbered from 1
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const EncodedTensor& t = c.tensors[i];
    const Encoded& s = t.stream;
    const std::string where = detail::record_name(i, t.name);
    detail::check_record(i, t.name, t.shape, s.config, s.values);
    const uint64_t k = chunk_count(s.config, s.values);
    if (k != s.chunk_words.size()) {
      throw Error(
          fmt::format("{}: {} chunk index entries for {} chunks", where, s.chunk_words.size(), k));
    }
    const bool stream_v2 = s.config.version == 2, stream_v3 = s.config.version == 3;
    if (stream_v2 && (s.chunk_raw.size() != k || s.chunk_crc.size() != k)) {
      throw Error(fmt::format("{}: chunk modes and CRCs do not match the {} chunks", where, k));
    }
    if (stream_v3 && s.chunk_crc.size() != k) {
      throw Error(fmt::format("{}: chunk CRCs do not match the {} chunks", where, k));
    }
    if (stream_v3 && s.table_ref) {
      if (s.table_ref > tables.size() || !(*tables[s.table_ref - 1] == s.table)) {
        throw Error(
            fmt::format("{}: table reference {} does not name an earlier table equal to "
                        "the tensor's",
                        where, s.table_ref));
      }
    }
    const std::vector<uint8_t> index =
        detail::record_index(i, t.name, s.config, s.chunk_words.data(), s.chunk_raw.data(),
                             s.chunk_crc.data(), k, geometry);
    uint64_t sum = 0;
    for (const uint32_t w : s.chunk_words) sum += w;
    if (sum * (s.config.word_bits / 8) != s.payload.size()) {
      throw Error(fmt::format("{}: chunk index sums to {} words but the payload is {} bytes", where,
                              sum, s.payload.size()));
    }
    const std::vector<uint8_t> head =
        detail::record_head(i, t.name, t.shape, s.config, s.values, s.table, s.table_ref);
    if (stream_v3 && !s.table_ref) tables.push_back(&s.table);
    const size_t record_start = out.size();
    detail::append_bytes(out, head.data(), head.size());
    detail::append_bytes(out, index.data(), index.size());
    if (file_version >= 2) {
      detail::append_le(out, crc32c(out.data() + record_start, out.size() - record_start), 4);
    }
    detail::append_bytes(out, s.payload.data(), s.payload.size());
  }
  return out;
}

namespace detail {

ContainerScanner::ContainerScanner(const uint8_t* mem, uint64_t size, ReadAt read)
    : r_(std::make_unique<SourceReader>(mem, size, std::move(read))) {
  SourceReader& r = *r_;
  r.set_context("header");
  r.begin_crc();
  if (std::memcmp(r.take(4, "the magic"), kContainerMagic, 4) != 0) {
    r.fail("not an .sfp file (bad magic)");
  }
  const uint64_t version = r.le(2, "the file version");
  if (version < 1 || version > 3) {
    r.fail(fmt::format("file version {} is not supported (only 1, 2 and 3)", version));
  }
  version_ = static_cast<unsigned>(version);
  const uint64_t kind = r.le(1, "the source kind");
  if (kind > 2) r.fail(fmt::format("source kind {} is not 0, 1 or 2", kind));
  kind_ = static_cast<SourceKind>(kind);
  const uint64_t reserved = r.le(1, "the reserved byte");
  if (reserved != 0) r.fail(fmt::format("reserved byte is {}, not 0", reserved));
  count_ = r.le(4, "the tensor count");
  const uint64_t meta_len = r.le(4, "the metadata length");
  r.set_context("metadata");
  const auto* meta_text = reinterpret_cast<const char*>(r.take(meta_len, "the metadata"));
  detail::KeyOrder keys;
  nlohmann::json meta;
  try {
    meta = detail::parse_json_strict(meta_text, meta_len, 1, &keys);
  } catch (const Error& e) {
    r.fail(e.what());
  }
  if (!meta.is_object()) r.fail("not a JSON object");
  for (const std::string& key : keys.root) {
    const nlohmann::json& v = meta.at(key);
    if (!v.is_string()) {
      r.fail(fmt::format("{} must be a string, not {}", quote(key), detail::brief(v)));
    }
    metadata_.emplace_back(key, v.get<std::string>());
  }
  if (version_ >= 2) {
    r.set_context("header");
    const uint32_t got = r.crc();
    const uint32_t want = static_cast<uint32_t>(r.le(4, "the header CRC"));
    if (got != want) r.fail("the header CRC does not match (CRC-32C): the file is corrupted");
  }
}

ContainerScanner::~ContainerScanner() = default;

bool ContainerScanner::next(ScannedRecord* out) {
  SourceReader& r = *r_;
  if (done_) return false;
  if (i_ == count_) {
    r.set_context("");
    if (r.remaining() != 0) {
      r.fail(fmt::format("{} bytes after the last tensor record", r.remaining()));
    }
    try {
      check_kind(kind_, metadata_, dtypes_.size(), [&](size_t i) { return dtypes_[i]; });
    } catch (const Error& e) {
      throw Error(fmt::format("header: {}", e.what()));
    }
    done_ = true;
    return false;
  }
  const uint64_t i = i_++;
  *out = ScannedRecord{};
  EncodedTensor& t = out->tensor;
  r.set_context(fmt::format("tensor {}", i));
  r.begin_crc();
  const uint64_t name_len = r.le(2, "the name length");
  if (name_len == 0) r.fail("name length is 0");
  t.name.assign(reinterpret_cast<const char*>(r.take(name_len, "the name")), name_len);
  if (!valid_utf8(t.name)) r.fail(fmt::format("name {} is not valid UTF-8", quote(t.name)));
  r.set_context(record_name(i, t.name));
  if (const auto [it, fresh] = names_.emplace(t.name, i); !fresh) {
    r.fail(fmt::format("tensor {} has the same name", it->second));
  }
  const uint64_t dtype = r.le(1, "the dtype");
  if (dtype > 1) r.fail(fmt::format("dtype {} is not 0 (F32) or 1 (BF16)", dtype));
  const uint64_t ndim = r.le(1, "the number of dimensions");
  if (ndim > kContainerMaxDims) {
    r.fail(fmt::format("{} dimensions; at most {}", ndim, kContainerMaxDims));
  }
  for (uint64_t d = 0; d < ndim; ++d) t.shape.push_back(r.le(8, "the dimensions"));
  uint64_t product = 0;
  if (!element_count(t.shape, &product)) {
    r.fail(fmt::format("shape {} has too many values", shape_string(t.shape)));
  }
  const auto word = static_cast<uint32_t>(r.le(4, "the configuration word"));
  Config cfg;
  std::string why;
  if (const Status s = unpack_config(word, &cfg, &why); s != Status::kOk) {
    r.fail(
        fmt::format("configuration word 0x{:08x} is invalid ({}): {}", word, status_name(s), why));
  }
  if (cfg.version > version_) {
    r.fail(fmt::format("configuration word 0x{:08x} is format version {} in a version {} file",
                       word, cfg.version, version_));
  }
  if (static_cast<uint64_t>(cfg.fp) != dtype) {
    r.fail(fmt::format("dtype {} does not match the configuration word's format ({})",
                       dtype_name(static_cast<Fp>(dtype)), to_string(cfg)));
  }
  const uint64_t n = r.le(8, "the value count");
  if (n != product) {
    r.fail(fmt::format("value count {} is not the product of shape {}", n, shape_string(t.shape)));
  }
  const uint64_t k = r.le(4, "the chunk count");
  const uint64_t want_k = n / cfg.chunk + (n % cfg.chunk != 0);
  if (k != want_k) {
    r.fail(fmt::format("chunk count {} is not ceil({} / C={}) = {}", k, n, cfg.chunk, want_k));
  }
  // A table (section) is at most a few hundred bytes.
  constexpr size_t kTablePeek = 4096;
  if (cfg.version == 2) {
    size_t used = 0, avail = 0;
    const uint8_t* p = r.peek(kTablePeek, &avail);
    const Status s = unpack_table(p, avail, &t.stream.table, &used);
    if (s != Status::kOk) {
      r.fail(fmt::format("the code table does not parse ({}, decoder status {})", status_name(s),
                         static_cast<unsigned>(s)));
    }
    r.take(used, "the code table");
  }
  if (cfg.version == 3) {
    size_t used = 0, avail = 0;
    uint32_t ref = 0;
    const uint8_t* p = r.peek(kTablePeek, &avail);
    const Status s = unpack_table_section(p, avail, &t.stream.table, &ref, &used);
    if (s != Status::kOk) {
      r.fail(fmt::format("the code table does not parse ({}, decoder status {})", status_name(s),
                         static_cast<unsigned>(s)));
    }
    if (ref > tables_.size()) {
      r.fail(fmt::format("table reference {} names no earlier table (the file has {} so far)", ref,
                         tables_.size()));
    }
    r.take(used, "the code table");
    if (ref) {
      t.stream.table = tables_[ref - 1];
    } else {
      tables_.push_back(t.stream.table);
    }
    t.stream.table_ref = ref;
  }
  const auto [max_words, bits] = geometry_.get(cfg, word);
  const unsigned entry = index_entry_bits(cfg);
  const uint8_t* index = r.take((k * entry + 7) / 8, "the chunk index");
  const auto get = [&](uint64_t pos, unsigned n) {
    uint64_t v = 0;
    for (unsigned b = 0; b < n; ++b, ++pos) v |= uint64_t{(index[pos / 8] >> (pos % 8)) & 1u} << b;
    return v;
  };
  t.stream.chunk_words.resize(k);
  if (cfg.version == 2) t.stream.chunk_raw.resize(k);
  if (cfg.version >= 2) t.stream.chunk_crc.resize(k);
  uint64_t sum = 0;
  for (uint64_t j = 0; j < k; ++j) {
    const uint64_t w = get(j * entry, bits);
    if (cfg.version == 2) {
      t.stream.chunk_raw[j] = static_cast<uint8_t>(get(j * entry + bits, 1));
      t.stream.chunk_crc[j] = static_cast<uint32_t>(get(j * entry + bits + 1, 32));
    }
    if (cfg.version == 3) t.stream.chunk_crc[j] = static_cast<uint32_t>(get(j * entry + bits, 32));
    if (w == 0) r.fail(fmt::format("chunk index entry {} is 0", j));
    if (cfg.version == 3) {
      // Spec: "Version 3 size bounds": each value takes a lane bit, so a chunk's units bound
      // its values, and a decoder never makes more than 64 values of a unit.
      const uint64_t len = std::min<uint64_t>(cfg.chunk, n - j * uint64_t{cfg.chunk});
      const uint64_t least = min_chunk_units_v3(cfg, len), most = max_chunk_units_v3(cfg, len);
      if (w < least || w > most) {
        r.fail(fmt::format("chunk index entry {} is {} words; a chunk of {} values takes {} to {}",
                           j, w, len, least, most));
      }
    }
    if (w > max_words) {
      r.fail(fmt::format("chunk index entry {} is {} words, above the largest chunk length {}", j,
                         w, max_words));
    }
    t.stream.chunk_words[j] = static_cast<uint32_t>(w);
    sum += w;
  }
  if (const uint64_t pad = k * entry % 8; pad && (index[k * entry / 8] >> pad) != 0) {
    r.fail("chunk index pad bits are not zero");
  }
  if (version_ >= 2) {
    const uint32_t got = r.crc();
    const uint32_t want = static_cast<uint32_t>(r.le(4, "the record CRC"));
    if (got != want) r.fail("the record CRC does not match (CRC-32C): the file is corrupted");
  }
  // Version 1: every group record takes at least one bit: a cheap bound on n before anything
  // is allocated for the decoded values. Version 2 chunks take at least one word each, which
  // the chunk count already bounds.
  const uint64_t groups = n == 0 || cfg.version >= 2
                              ? 0
                              : (k - 1) * (cfg.chunk / cfg.group) +
                                    ((n - (k - 1) * cfg.chunk) + cfg.group - 1) / cfg.group;
  if (sum * cfg.word_bits < groups) {
    r.fail(
        fmt::format("the chunk index gives {} payload bits, fewer than the {} groups of {} "
                    "values need",
                    sum * cfg.word_bits, groups, n));
  }
  out->payload_at = r.pos();
  out->payload_bytes = sum * (cfg.word_bits / 8);
  r.skip(out->payload_bytes, "the payload");
  t.stream.config = cfg;
  t.stream.values = n;
  dtypes_.push_back(cfg.fp);
  return true;
}

}  // namespace detail

Container read_container(const uint8_t* data, size_t size) {
  detail::ContainerScanner scan(data, size, nullptr);
  Container c;
  c.kind = scan.kind();
  c.metadata = scan.metadata();
  detail::ScannedRecord rec;
  while (scan.next(&rec)) {
    const uint8_t* p = data + rec.payload_at;
    rec.tensor.stream.payload.assign(p, p + rec.payload_bytes);
    c.tensors.push_back(std::move(rec.tensor));
  }
  return c;
}

namespace {

// Values allocated per payload byte before any of them has decoded (4 bytes of values: more
// than lossless and most lossy encodings of real tensors need). A tensor that claims more is
// decoded in segments of doubling size, so memory only grows with what has decoded (docs/cli.md,
// "Limits").
constexpr uint64_t kTrustedValuesPerByte = 1;

// The stream of chunks [a, b) of e, with its own payload: decodes like those chunks of e.
Encoded slice_chunks(const Encoded& e, uint64_t a, uint64_t b, uint64_t byte_begin,
                     uint64_t byte_end) {
  Encoded s;
  s.config = e.config;
  s.values = std::min<uint64_t>(e.values, b * e.config.chunk) - a * e.config.chunk;
  s.chunk_words.assign(e.chunk_words.begin() + a, e.chunk_words.begin() + b);
  s.payload.assign(e.payload.begin() + byte_begin, e.payload.begin() + byte_end);
  s.table = e.table;
  if (e.config.version == 2) s.chunk_raw.assign(e.chunk_raw.begin() + a, e.chunk_raw.begin() + b);
  if (e.config.version >= 2) s.chunk_crc.assign(e.chunk_crc.begin() + a, e.chunk_crc.begin() + b);
  return s;
}

// Decodes e into t->values, allocating at first for kTrustedValuesPerByte values per payload
// byte (at least one chunk) and then for twice what has decoded. Returns the decoder status.
Status decode_bounded(const Encoded& e, std::vector<uint32_t>* values, unsigned threads) {
  const Config& cfg = e.config;
  const uint64_t n = e.values;
  const uint64_t k = e.chunk_words.size();
  const size_t word_bytes = cfg.word_bits / 8;
  uint64_t sum = 0;
  for (const uint32_t w : e.chunk_words) sum += w;
  // The checks sfp::decode makes first, which slicing relies on.
  if (validate(cfg) != Status::kOk) return Status::kBadConfig;
  if (k != chunk_count(cfg, n) || sum * word_bytes != e.payload.size() ||
      (cfg.version == 2 && (e.chunk_raw.size() != k || e.chunk_crc.size() != k)) ||
      (cfg.version == 3 && e.chunk_crc.size() != k)) {
    return Status::kBadIndex;
  }
  const uint64_t trusted = std::max<uint64_t>(cfg.chunk, e.payload.size() * kTrustedValuesPerByte);
  if (n <= trusted) {
    values->resize(n);
    return decode(e, values->data(), threads);
  }
  uint64_t chunk = 0, byte = 0;
  uint64_t step = std::max<uint64_t>(1, trusted / cfg.chunk);
  while (chunk < k) {
    const uint64_t end = std::min(k, chunk + step);
    uint64_t end_byte = byte;
    for (uint64_t j = chunk; j < end; ++j) end_byte += uint64_t{e.chunk_words[j]} * word_bytes;
    const uint64_t first = chunk * cfg.chunk;
    const Encoded part = slice_chunks(e, chunk, end, byte, end_byte);
    values->resize(first + part.values);
    const Status s = decode(part, values->data() + first, threads);
    if (s != Status::kOk) return s;
    chunk = end;
    byte = end_byte;
    step = end;  // doubles what has decoded
  }
  return Status::kOk;
}

}  // namespace

TensorFile decode_container(const Container& c, unsigned threads,
                            const std::function<void(size_t)>& decoded) {
  TensorFile file;
  file.kind = c.kind;
  file.metadata = c.metadata;
  file.tensors.resize(c.tensors.size());
  // A tensor of fewer chunks than threads cannot use them all: such tensors are decoded side by
  // side, one thread each, before the others are decoded one after another on all threads.
  threads = std::max(threads, 1u);
  std::vector<Status> status(c.tensors.size(), Status::kOk);
  std::vector<size_t> small;
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    if (threads > 1 && c.tensors[i].stream.chunk_words.size() < threads) small.push_back(i);
  }
  if (!small.empty()) {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < std::min<size_t>(threads, small.size()); ++t) {
      pool.emplace_back([&] {
        for (size_t j = next++; j < small.size(); j = next++) {
          status[small[j]] =
              decode_bounded(c.tensors[small[j]].stream, &file.tensors[small[j]].values, 1);
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  size_t s_next = 0;
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const EncodedTensor& e = c.tensors[i];
    Tensor& t = file.tensors[i];
    t.name = e.name;
    t.dtype = e.stream.config.fp;
    t.shape = e.shape;
    if (s_next < small.size() && small[s_next] == i) {
      ++s_next;
    } else {
      status[i] = decode_bounded(e.stream, &t.values, threads);
    }
    const Status s = status[i];
    if (s == Status::kBadConfig || s == Status::kBadIndex) {
      throw Error(fmt::format("{}: stream does not decode: {} (decoder status {})",
                              detail::record_name(i, e.name), status_name(s),
                              static_cast<unsigned>(s)));
    }
    if (s != Status::kOk) {
      // A chunk error: find the chunk for the message (chunks decode independently). It lies
      // within the values decoded so far.
      const Config& cfg = e.stream.config;
      const uint8_t* at = e.stream.payload.data();
      size_t chunk = 0;
      for (; chunk < e.stream.chunk_words.size(); ++chunk) {
        const uint64_t first = chunk * uint64_t{cfg.chunk};
        const uint64_t len = std::min<uint64_t>(cfg.chunk, e.stream.values - first);
        if (first + len > t.values.size()) break;
        const uint32_t words = e.stream.chunk_words[chunk];
        const Status cs =
            cfg.version == 3 ? decode_chunk_v3(cfg, e.stream.table, len, e.stream.chunk_crc[chunk],
                                               at, words, t.values.data() + first)
            : cfg.version == 2
                ? decode_chunk_v2(cfg, e.stream.table, len, e.stream.chunk_raw[chunk] != 0,
                                  e.stream.chunk_crc[chunk], at, words, t.values.data() + first)
                : decode_chunk(cfg, len, at, words, t.values.data() + first);
        if (cs != Status::kOk) break;
        at += uint64_t{words} * (cfg.word_bits / 8);
      }
      throw Error(fmt::format("{}: chunk {} of {} does not decode: {} (decoder status {})",
                              detail::record_name(i, e.name), chunk, e.stream.chunk_words.size(),
                              status_name(s), static_cast<unsigned>(s)));
    }
    if (decoded) decoded(i);
  }
  return file;
}

namespace {

// What encode_tensor and encode_tensor_file require of a tensor and its configuration.
void check_encodable(const Tensor& t, const Config& config) {
  uint64_t n = 0;
  if (!element_count(t.shape, &n) || n != t.values.size()) {
    throw Error(fmt::format("tensor {}: {} values do not fill shape {}", quote(t.name),
                            t.values.size(), shape_string(t.shape)));
  }
  std::string why;
  if (validate(config, &why) != Status::kOk) {
    throw Error(fmt::format("tensor {}: invalid configuration: {}", quote(t.name), why));
  }
  if (config.fp != t.dtype) {
    throw Error(fmt::format("tensor {} is {} but the configuration is {}", quote(t.name),
                            dtype_name(t.dtype), to_string(config)));
  }
}

}  // namespace

EncodedTensor encode_tensor(const Tensor& t, const Config& config, unsigned threads) {
  EncodedTensor e;
  e.name = t.name;
  e.shape = t.shape;
  check_encodable(t, config);
  const Status s = encode(config, t.values.data(), t.values.size(), &e.stream, threads);
  if (s != Status::kOk) {
    throw Error(fmt::format("tensor {}: encoder status {} ({})", quote(t.name), status_name(s),
                            static_cast<unsigned>(s)));
  }
  return e;
}

Container encode_tensor_file(const TensorFile& file,
                             const std::function<Config(const Tensor&)>& config_for,
                             unsigned threads) {
  Container c;
  c.kind = file.kind;
  c.metadata = file.metadata;
  c.tensors.reserve(file.tensors.size());
  std::vector<TensorInput> in;
  for (const Tensor& t : file.tensors) {
    // The checks and messages of encode_tensor, per tensor; the streams are made together so
    // that version 3 tensors can share tables (Spec: "Shared tables").
    const Config config = config_for(t);
    EncodedTensor e;
    e.name = t.name;
    e.shape = t.shape;
    check_encodable(t, config);
    in.push_back({config, t.values.data(), t.values.size()});
    c.tensors.push_back(std::move(e));
  }
  std::vector<Encoded> streams;
  if (const Status s = encode_tensors(in, &streams, threads); s != Status::kOk) {
    // The first tensor that fails alone names the cause.
    for (const Tensor& t : file.tensors) encode_tensor(t, config_for(t), threads);
    throw Error(fmt::format("encoder status {} ({})", status_name(s), static_cast<unsigned>(s)));
  }
  for (size_t i = 0; i < streams.size(); ++i) c.tensors[i].stream = std::move(streams[i]);
  return c;
}

}  // namespace sfp::io
