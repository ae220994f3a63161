// SPDX-License-Identifier: Apache-2.0
//
// The .sfp container: round trips over configurations, the byte layout of the spec's
// "Container file" section, and every kind of corruption.
#include "sfp/io/container.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "io_test_util.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;
using io::Error;

struct Variant {
  const char* name;
  int man_bits;  // -1: all (lossless)
  Rounding rounding;
  bool gecko;
  unsigned group;
  BaseCode base;
  ZeroCode zero;
  unsigned chunk;
  unsigned word_bits;

  Config config(Fp fp) const {
    Config c = Config::lossless(fp, 1);
    if (man_bits >= 0) c.man_bits = std::min<unsigned>(man_bits, c.man_bits);
    c.rounding = rounding;
    c.gecko = gecko;
    c.group = group;
    c.base = base;
    c.zero = zero;
    c.chunk = chunk;
    c.word_bits = word_bits;
    return c;
  }
};

const Variant kVariants[] = {
    {"default lossless", -1, Rounding::kTruncate, true, 16, BaseCode::kDelta, ZeroCode::kMode, 4096,
     256},
    {"m=3 rne gamma mask", 3, Rounding::kNearestEven, true, 4, BaseCode::kGamma, ZeroCode::kMask, 4,
     32},
    {"m=0 raw exponents", 0, Rounding::kTruncate, false, 8, BaseCode::kRaw, ZeroCode::kNone, 64,
     64},
    {"lossless G=32", -1, Rounding::kTruncate, true, 32, BaseCode::kDelta, ZeroCode::kMode, 32,
     512},
    {"m=5 rne raw base", 5, Rounding::kNearestEven, true, 8, BaseCode::kRaw, ZeroCode::kMode, 16,
     128},
};

io::TensorFile mixed_file(std::mt19937_64& rng) {
  io::TensorFile f;
  f.metadata = {{"format", "pt"}, {"origin", "test"}};
  std::vector<uint32_t> w = corners(Fp::kFp32);
  const std::vector<uint32_t> more = random_values(rng, Fp::kFp32, 65 - w.size());
  w.insert(w.end(), more.begin(), more.end());
  std::vector<uint32_t> b = corners(Fp::kBf16);
  const std::vector<uint32_t> more_b = random_values(rng, Fp::kBf16, 37 - b.size());
  b.insert(b.end(), more_b.begin(), more_b.end());
  f.tensors.push_back(make_tensor("w", Fp::kFp32, {5, 13}, w));
  f.tensors.push_back(make_tensor("b", Fp::kBf16, {37}, b));
  f.tensors.push_back(make_tensor("scalar", Fp::kFp32, {}, {0xC0490FDB}));
  f.tensors.push_back(make_tensor("empty", Fp::kBf16, {0, 3}, {}));
  f.tensors.push_back(make_tensor("zeros", Fp::kFp32, {70}, std::vector<uint32_t>(70, 0)));
  return f;
}

uint64_t expected_size(const io::Container& c, size_t metadata_bytes) {
  uint64_t size = 16 + metadata_bytes;
  for (const io::EncodedTensor& t : c.tensors) {
    const Config& cfg = t.stream.config;
    const uint64_t k = chunk_count(cfg, t.stream.values);
    size += 2 + t.name.size() + 1 + 1 + 8 * t.shape.size() + 4 + 8 + 4;
    size += (k * index_entry_bits(cfg) + 7) / 8 + t.stream.payload.size();
  }
  return size;
}

TEST_CASE("container written and read back decodes to Q_m of the input", "[container]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Variant& v = GENERATE(from_range(std::begin(kVariants), std::end(kVariants)));
  INFO(v.name);
  const io::TensorFile f = mixed_file(rng);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return v.config(t.dtype); });
  const Bytes bytes = io::write_container(c);
  CHECK(bytes.size() == expected_size(c, std::string(R"({"format":"pt","origin":"test"})").size()));

  const io::Container r = io::read_container(bytes.data(), bytes.size());
  CHECK(r.kind == io::SourceKind::kSafetensors);
  CHECK(r.metadata == f.metadata);
  REQUIRE(r.tensors.size() == c.tensors.size());
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    INFO(c.tensors[i].name);
    CHECK(r.tensors[i].name == c.tensors[i].name);
    CHECK(r.tensors[i].shape == c.tensors[i].shape);
    CHECK(r.tensors[i].stream.config == c.tensors[i].stream.config);
    CHECK(r.tensors[i].stream.values == c.tensors[i].stream.values);
    CHECK(r.tensors[i].stream.chunk_words == c.tensors[i].stream.chunk_words);
    CHECK(r.tensors[i].stream.payload == c.tensors[i].stream.payload);
  }
  CHECK(io::write_container(r) == bytes);

  const io::TensorFile g = io::decode_container(r);
  REQUIRE(g.tensors.size() == f.tensors.size());
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const io::Tensor& in = f.tensors[i];
    const Config cfg = v.config(in.dtype);
    std::vector<uint32_t> want(in.values.size());
    quantize(in.values.data(), want.data(), want.size(), in.dtype, cfg.man_bits, cfg.rounding);
    INFO(in.name);
    CHECK(g.tensors[i].name == in.name);
    CHECK(g.tensors[i].dtype == in.dtype);
    CHECK(g.tensors[i].shape == in.shape);
    CHECK(g.tensors[i].values == want);
    if (v.man_bits < 0) CHECK(g.tensors[i].values == in.values);
  }
}

// A one-tensor container: 13 FP32 values in 4 chunks of C = 4 (G = 4, W = 32), so the index
// has 4 entries of L bits with L not a multiple of 8.
struct Small {
  Config config;
  io::Container container;
  Bytes bytes;
  // Byte offsets of the record fields (metadata "{}", so the record starts at 18).
  static constexpr size_t kName = 18, kDtype = 21, kNdim = 22, kDim = 23, kConfig = 31,
                          kValues = 35, kChunks = 43, kIndex = 47;
  unsigned entry_bits;
  size_t payload;  // offset of the payload

  Small() {
    config = Config::lossless(Fp::kFp32, 1);
    config.group = 4;
    config.chunk = 4;
    config.word_bits = 32;
    io::Tensor t = make_tensor("t", Fp::kFp32, {13}, {});
    for (uint32_t i = 0; i < 13; ++i) t.values.push_back(0x3F800000 + i * 0x00812345);
    container.tensors.push_back(io::encode_tensor(t, config));
    bytes = io::write_container(container);
    entry_bits = index_entry_bits(config);
    payload = kIndex + (4 * entry_bits + 7) / 8;
  }
  uint64_t entry(const Bytes& b, unsigned i) const {
    uint64_t v = 0;
    for (unsigned k = 0; k < entry_bits; ++k) {
      const size_t bit = (kIndex * 8) + i * entry_bits + k;
      v |= uint64_t{(b[bit / 8] >> (bit % 8)) & 1u} << k;
    }
    return v;
  }
  void set_entry(Bytes& b, unsigned i, uint64_t v) const {
    for (unsigned k = 0; k < entry_bits; ++k) {
      const size_t bit = (kIndex * 8) + i * entry_bits + k;
      b[bit / 8] =
          static_cast<uint8_t>((b[bit / 8] & ~(1u << (bit % 8))) | (((v >> k) & 1u) << (bit % 8)));
    }
  }
};

TEST_CASE("container bytes follow the spec's Container file layout", "[container][spec]") {
  const Small s;
  const Bytes& b = s.bytes;
  const Encoded& e = s.container.tensors[0].stream;
  CHECK(std::string(b.begin(), b.begin() + 4) == "SFPF");
  CHECK(get_le(b, 4, 2) == 1);  // file version
  CHECK(b[6] == 0);             // source kind safetensors
  CHECK(b[7] == 0);             // reserved
  CHECK(get_le(b, 8, 4) == 1);  // tensor count
  CHECK(get_le(b, 12, 4) == 2);
  CHECK(std::string(b.begin() + 16, b.begin() + 18) == "{}");
  CHECK(get_le(b, Small::kName, 2) == 1);  // name length, right after the metadata
  CHECK(b[Small::kName + 2] == 't');
  CHECK(b[Small::kDtype] == 0);
  CHECK(b[Small::kNdim] == 1);
  CHECK(get_le(b, Small::kDim, 8) == 13);
  CHECK(get_le(b, Small::kConfig, 4) == pack_config(s.config));
  CHECK(get_le(b, Small::kValues, 8) == 13);
  CHECK(get_le(b, Small::kChunks, 4) == 4);
  REQUIRE(e.chunk_words.size() == 4);
  REQUIRE(s.entry_bits % 8 != 0);
  uint64_t sum = 0;
  for (unsigned i = 0; i < 4; ++i) {
    CHECK(s.entry(b, i) == e.chunk_words[i]);  // LSB first, entry i at bits i*L
    sum += e.chunk_words[i];
  }
  // Pad bits of the index are zero.
  const unsigned used = 4 * s.entry_bits;
  if (used % 8) CHECK((b[Small::kIndex + used / 8] >> (used % 8)) == 0);
  CHECK(b.size() == s.payload + sum * 4);
  CHECK(Bytes(b.begin() + static_cast<long>(s.payload), b.end()) == e.payload);
}

TEST_CASE("container records hold BF16 and npy sources", "[container]") {
  io::TensorFile f;
  f.kind = io::SourceKind::kNpyBf16;
  f.metadata = {{"fortran_order", "true"}};
  f.tensors.push_back(make_tensor("a", Fp::kBf16, {2, 2}, {0x3F80, 0x0000, 0x8000, 0x7FC1}));
  const Bytes b = io::write_container(
      io::encode_tensor_file(f, [](const io::Tensor& t) { return Config::lossless(t.dtype, 1); }));
  CHECK(b[6] == 2);
  const size_t rec = 16 + get_le(b, 12, 4);
  CHECK(b[rec + 2 + 1] == 1);  // dtype BF16
  const io::TensorFile g = io::decode_container(io::read_container(b.data(), b.size()));
  CHECK(g.kind == io::SourceKind::kNpyBf16);
  CHECK(g.metadata == f.metadata);
  CHECK(g.tensors[0].values == f.tensors[0].values);
}

TEST_CASE("every truncation of an .sfp file is an error", "[container]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Bytes b = io::write_container(io::encode_tensor_file(
      mixed_file(rng), [](const io::Tensor& t) { return kVariants[1].config(t.dtype); }));
  for (size_t len = 0; len < b.size(); ++len) {
    INFO("length " << len << " of " << b.size());
    REQUIRE_THROWS_AS(io::read_container(b.data(), len), Error);
  }
}

TEST_CASE("a corrupted .sfp field is an error naming the field", "[container]") {
  const Small s;
  struct Case {
    const char* what;
    std::function<void(Bytes&)> corrupt;
    const char* message;
  };
  const auto set = [](size_t at, uint64_t v, unsigned n) {
    return [=](Bytes& b) {
      for (unsigned i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
    };
  };
  Config wider = s.config;
  wider.chunk = 8;
  const uint32_t word = pack_config(s.config);
  const Case cases[] = {
      {"magic", set(0, 'X', 1), "header: not an .sfp file (bad magic)"},
      {"version", set(4, 4, 2), "header: file version 4 is not supported"},
      {"source kind", set(6, 3, 1), "header: source kind 3 is not 0, 1 or 2"},
      {"npy kind without its metadata", set(6, 1, 1), "needs the metadata"},
      {"reserved", set(7, 1, 1), "header: reserved byte is 1, not 0"},
      {"tensor count too high", set(8, 2, 4), "tensor 1: file ends in the name length"},
      {"tensor count too low", set(8, 0, 4), "bytes after the last tensor record"},
      {"metadata length short", set(12, 1, 4), "metadata: invalid JSON"},
      {"metadata length huge", set(12, 0xFFFFFFFF, 4), "metadata: file ends in the metadata"},
      {"name length 0", set(Small::kName, 0, 2), "tensor 0: name length is 0"},
      {"name length huge", set(Small::kName, 0xFFFF, 2), "tensor 0: file ends in the name"},
      {"dtype 2", set(Small::kDtype, 2, 1), "tensor 0 (\"t\"): dtype 2 is not 0 (F32) or 1"},
      {"dtype vs config", set(Small::kDtype, 1, 1),
       "dtype BF16 does not match the configuration word"},
      {"ndim 9", set(Small::kNdim, 9, 1), "9 dimensions; at most 8"},
      {"dimension", set(Small::kDim, 14, 8), "value count 13 is not the product of shape [14]"},
      {"dimension overflow", set(Small::kDim, ~0ull, 8), "value count"},
      {"config reserved bit", set(Small::kConfig, word | 0x80000000u, 4), "configuration word 0x"},
      {"config m=24", set(Small::kConfig, (word & ~0x3Eu) | (24u << 1), 4),
       "is invalid (bad_config)"},
      {"config chunk size", set(Small::kConfig, pack_config(wider), 4),
       "chunk count 4 is not ceil(13 / C=8) = 2"},
      {"value count", set(Small::kValues, 12, 8), "value count 12 is not the product"},
      {"chunk count", set(Small::kChunks, 5, 4), "chunk count 5 is not ceil(13 / C=4) = 4"},
      {"chunk count huge", set(Small::kChunks, 0xFFFFFFFF, 4), "chunk count"},
      {"index entry 0", [&](Bytes& b) { s.set_entry(b, 2, 0); }, "chunk index entry 2 is 0"},
      {"index entry too large", [&](Bytes& b) { s.set_entry(b, 1, (1u << s.entry_bits) - 1); },
       "above the largest chunk length"},
      {"index sum beyond the file", [&](Bytes& b) { s.set_entry(b, 3, s.entry(b, 3) + 1); },
       "file ends in the payload"},
      {"index pad bits", [&](Bytes& b) { b[Small::kIndex + (4 * s.entry_bits) / 8] |= 0x80; },
       "chunk index pad bits are not zero"},
      {"trailing bytes", [](Bytes& b) { b.push_back(0); }, "1 bytes after the last tensor record"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Bytes b = s.bytes;
    c.corrupt(b);
    REQUIRE(b != s.bytes);
    REQUIRE_THROWS_WITH(io::decode_container(io::read_container(b.data(), b.size())),
                        Contains(c.message));
  }
}

TEST_CASE("container reader rejects records no writer should produce", "[container]") {
  const Small s;
  io::Container c = s.container;
  SECTION("duplicate names") {
    c.tensors.push_back(c.tensors[0]);
    const Bytes b = io::write_container(c);
    CHECK_THROWS_WITH(io::read_container(b.data(), b.size()),
                      Contains("tensor 1 (\"t\"): tensor 0 has the same name"));
  }
  SECTION("a value count its payload cannot hold") {
    Encoded& e = c.tensors[0].stream;
    e.config.chunk = 1u << 20;
    e.values = 4ull << 20;
    e.chunk_words = {1, 1, 1, 1};
    e.payload.assign(16, 0);
    c.tensors[0].shape = {4ull << 20};
    const Bytes b = io::write_container(c);
    CHECK_THROWS_WITH(io::read_container(b.data(), b.size()), Contains("groups of"));
  }
  SECTION("an npy source with two tensors") {
    c.tensors.push_back(c.tensors[0]);
    c.tensors[1].name = "u";
    Bytes b = io::write_container(c);
    b[6] = 1;
    CHECK_THROWS_WITH(io::read_container(b.data(), b.size()), Contains("needs exactly one"));
  }
}

TEST_CASE("a payload error names the tensor and the chunk and the decoder status", "[container]") {
  Config cfg = Config::lossless(Fp::kFp32, 1);
  cfg.chunk = 16;
  io::Tensor t = make_tensor("t", Fp::kFp32, {17}, std::vector<uint32_t>(17, 0x3F800000));
  io::Container c;
  c.tensors.push_back(io::encode_tensor(t, cfg));
  Bytes b = io::write_container(c);
  b.back() |= 0x80;  // the last chunk holds one value: the top of its word is padding
  const io::Container r = io::read_container(b.data(), b.size());
  CHECK_THROWS_WITH(io::decode_container(r),
                    Contains("tensor 0 (\"t\"): chunk 1 of 2 does not decode: bad_padding "
                             "(decoder status 6)"));
}

// A flipped payload bit either fails to decode or decodes to other values, except where the
// flipped stream is a non-conforming encoding of the same tensor (the spec's decoder accepts
// those, "Encoder obligations"): e.g. a zero-mask bit cleared for a +0 lane whose value field,
// read from the padding, is +0 again.
TEST_CASE("flipping any payload bit never crashes the decoder", "[container]") {
  std::mt19937_64 rng(Catch::rngSeed());
  io::TensorFile f;
  f.tensors.push_back(make_tensor("w", Fp::kFp32, {200}, random_values(rng, Fp::kFp32, 200)));
  f.tensors.push_back(make_tensor("b", Fp::kBf16, {90}, random_values(rng, Fp::kBf16, 90)));
  const Variant& v = GENERATE(from_range(std::begin(kVariants), std::end(kVariants)));
  INFO(v.name);
  const io::Container c =
      io::encode_tensor_file(f, [&](const io::Tensor& t) { return v.config(t.dtype); });
  const io::TensorFile clean = io::decode_container(c);
  size_t errors = 0, changed = 0, same = 0;
  for (size_t ti = 0; ti < c.tensors.size(); ++ti) {
    const size_t bits = c.tensors[ti].stream.payload.size() * 8;
    for (size_t bit = 0; bit < bits; ++bit) {
      INFO("tensor " << ti << " bit " << bit);
      io::Container d = c;
      d.tensors[ti].stream.payload[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      const Bytes b = io::write_container(d);
      const io::Container r = io::read_container(b.data(), b.size());  // structure intact
      try {
        const io::TensorFile g = io::decode_container(r);
        REQUIRE(g.tensors[ti].values.size() == clean.tensors[ti].values.size());
        if (g.tensors[ti].values != clean.tensors[ti].values) {
          ++changed;
        } else {
          ++same;
        }
      } catch (const Error& e) {
        REQUIRE_THAT(e.what(), Contains("does not decode"));
        ++errors;
      }
    }
  }
  CHECK(errors > 0);
  CHECK(changed > 0);
  CHECK(same < (errors + changed) / 10);
}

TEST_CASE("flipping any bit or random bytes of an .sfp file never crashes the reader",
          "[container]") {
  std::mt19937_64 rng(Catch::rngSeed());
  io::TensorFile f;
  f.metadata = {{"k", "v"}};
  f.tensors.push_back(make_tensor("w", Fp::kFp32, {3, 7}, random_values(rng, Fp::kFp32, 21)));
  f.tensors.push_back(make_tensor("b", Fp::kBf16, {9}, random_values(rng, Fp::kBf16, 9)));
  const Bytes good = io::write_container(
      io::encode_tensor_file(f, [](const io::Tensor& t) { return kVariants[1].config(t.dtype); }));
  const auto attempt = [](const Bytes& b) {
    try {
      const io::TensorFile g = io::decode_container(io::read_container(b.data(), b.size()));
      for (const io::Tensor& t : g.tensors) {
        uint64_t n = 0;
        REQUIRE(io::element_count(t.shape, &n));
        REQUIRE(n == t.values.size());
      }
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  size_t rejected = 0;
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    Bytes b = good;
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    rejected += !attempt(b);
  }
  std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255), count(1, 6);
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = good;
    for (int k = count(rng); k > 0; --k) b[pos(rng)] = static_cast<uint8_t>(byte(rng));
    rejected += !attempt(b);
  }
  CHECK(rejected > good.size());  // most header and index flips are caught
}

}  // namespace
}  // namespace sfp::test
