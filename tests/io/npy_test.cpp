// SPDX-License-Identifier: Apache-2.0
//
// .npy reader and writer: round trips, NumPy's exact layout, and hostile headers.
#include "sfp/io/npy.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "io_test_util.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;
using io::Error;
using io::NpyOptions;
using io::parse_npy;
using io::write_npy;

io::TensorFile npy_file(io::SourceKind kind, Fp dtype, std::vector<uint64_t> shape,
                        std::vector<uint32_t> values, bool fortran = false) {
  io::TensorFile f;
  f.kind = kind;
  f.metadata = {{"fortran_order", fortran ? "true" : "false"}};
  f.tensors.push_back(make_tensor("arr", dtype, std::move(shape), std::move(values)));
  return f;
}

NpyOptions named(bool bf16 = false) {
  NpyOptions o;
  o.bf16 = bf16;
  o.name = "arr";
  return o;
}

TEST_CASE("npy written and parsed back gives the same array", "[npy]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const auto shape =
      GENERATE(std::vector<uint64_t>{}, std::vector<uint64_t>{0}, std::vector<uint64_t>{5},
               std::vector<uint64_t>{3, 7}, std::vector<uint64_t>{2, 1, 3, 2});
  const bool fortran = GENERATE(false, true);
  const bool bf16 = GENERATE(false, true);
  uint64_t n = 0;
  REQUIRE(io::element_count(shape, &n));
  const Fp fp = bf16 ? Fp::kBf16 : Fp::kFp32;
  const io::TensorFile f = npy_file(bf16 ? io::SourceKind::kNpyBf16 : io::SourceKind::kNpyF32, fp,
                                    shape, random_values(rng, fp, n), fortran);
  const Bytes b = write_npy(f);
  CAPTURE(io::shape_string(shape), fortran, bf16);
  CHECK((b.size() - n * io::dtype_bytes(fp)) % 64 == 0);  // data aligned to 64 bytes
  const io::TensorFile g = parse_npy(b.data(), b.size(), named(bf16));
  CHECK(g.kind == f.kind);
  CHECK(g.metadata == f.metadata);
  REQUIRE(g.tensors.size() == 1);
  CHECK(g.tensors[0].name == "arr");
  CHECK(g.tensors[0].dtype == fp);
  CHECK(g.tensors[0].shape == shape);
  CHECK(g.tensors[0].values == f.tensors[0].values);
  CHECK(write_npy(g) == b);
}

TEST_CASE("npy writer output matches NumPy's format byte for byte", "[npy]") {
  // np.save of np.array([[1, -0., 2], [inf, nan, 1e-45]], dtype='<f4') with NumPy >= 1.14.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string header = dict + std::string(118 - dict.size() - 1, ' ') + "\n";
  const std::vector<uint32_t> values = {0x3F800000, 0x80000000, 0x40000000,
                                        0x7F800000, 0x7FC00000, 0x00000001};
  Bytes data;
  for (uint32_t v : values) put_le(data, v, 4);
  const Bytes expected = npy_bytes(1, header, data);
  REQUIRE(expected.size() == 128 + 24);
  CHECK(write_npy(npy_file(io::SourceKind::kNpyF32, Fp::kFp32, {2, 3}, values)) == expected);
  const io::TensorFile g = parse_npy(expected.data(), expected.size(), named());
  CHECK(g.tensors[0].values == values);
  // A 1-tuple is written the Python way.
  const Bytes one = write_npy(npy_file(io::SourceKind::kNpyF32, Fp::kFp32, {3}, {1, 2, 3}));
  const std::string one_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  CHECK(std::string(one.begin() + 10, one.begin() + 10 + static_cast<long>(one_dict.size())) ==
        one_dict);
}

TEST_CASE("npy versions 2.0 and 3.0 and header spelling variants are read", "[npy]") {
  Bytes data;
  put_le(data, 0x3F800000, 4);
  put_le(data, 0xBF800000, 4);
  const std::string headers[] = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
      "{\"shape\": (2,), \"descr\": \"<f4\", \"fortran_order\": True}\n",
      "{'descr':'<f4','fortran_order':False,'shape':(2L,)}",
      "  { 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , ) , }  \n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n",
  };
  for (unsigned major : {1u, 2u, 3u}) {
    for (const std::string& h : headers) {
      INFO("version " << major << " header " << h);
      const Bytes b = npy_bytes(major, h, data);
      const io::TensorFile f = parse_npy(b.data(), b.size(), named());
      REQUIRE(f.tensors.size() == 1);
      CHECK(f.tensors[0].values == std::vector<uint32_t>{0x3F800000, 0xBF800000});
      CHECK(f.kind == io::SourceKind::kNpyF32);
    }
  }
  const Bytes fortran = npy_bytes(1, headers[1], data);
  CHECK(parse_npy(fortran.data(), fortran.size()).metadata ==
        io::Metadata{{"fortran_order", "true"}});
  CHECK(parse_npy(fortran.data(), fortran.size()).tensors[0].name == "array");
}

TEST_CASE("npy <u2 is BF16 only when asked for", "[npy]") {
  Bytes data;
  put_le(data, 0x3F80, 2);
  const Bytes b = npy_bytes(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", data);
  CHECK_THROWS_WITH(parse_npy(b.data(), b.size(), named(false)), Contains("'<u2'"));
  const io::TensorFile f = parse_npy(b.data(), b.size(), named(true));
  CHECK(f.kind == io::SourceKind::kNpyBf16);
  CHECK(f.tensors[0].dtype == Fp::kBf16);
  CHECK(f.tensors[0].values == std::vector<uint32_t>{0x3F80});
}

TEST_CASE("every truncation of an npy file is an error", "[npy]") {
  const Bytes b = write_npy(npy_file(io::SourceKind::kNpyF32, Fp::kFp32, {2, 2}, {1, 2, 3, 4}));
  for (size_t len = 0; len < b.size(); ++len) {
    INFO("length " << len);
    REQUIRE_THROWS_AS(parse_npy(b.data(), len, named()), Error);
  }
}

TEST_CASE("hostile npy headers are rejected with a message saying why", "[npy]") {
  const auto h = [](const std::string& descr, const std::string& rest) {
    return "{'descr': " + descr + ", " + rest + "}";
  };
  const std::string ok_rest = "'fortran_order': False, 'shape': (2,), ";
  struct Case {
    const char* what;
    std::string header;
    size_t data_bytes;
    const char* message;
  } cases[] = {
      {"f8", h("'<f8'", ok_rest), 16, "descr \"<f8\" is not supported"},
      {"big endian", h("'>f4'", ok_rest), 8, "descr \">f4\" is not supported"},
      {"f2", h("'<f2'", ok_rest), 4, "descr \"<f2\" is not supported"},
      {"structured", h("[('a', '<f4')]", ok_rest), 8, "structured dtypes are not supported"},
      {"data short", h("'<f4'", ok_rest), 7, "data is 7 bytes, but shape [2] of <f4 needs 8"},
      {"data long", h("'<f4'", ok_rest), 9, "data is 9 bytes"},
      {"missing shape", "{'descr': '<f4', 'fortran_order': False}", 8, "'shape' is missing"},
      {"missing descr", "{'fortran_order': False, 'shape': (2,)}", 8, "'descr' is missing"},
      {"duplicate key", h("'<f4'", ok_rest + "'shape': (2,)"), 8, "appears twice"},
      {"unknown key", h("'<f4'", ok_rest + "'x': 1"), 8, "unexpected key \"x\""},
      {"not a tuple", h("'<f4'", "'fortran_order': False, 'shape': (2)"), 8, "not a tuple"},
      {"negative dim", h("'<f4'", "'fortran_order': False, 'shape': (-2,)"), 8,
       "non-negative integer"},
      {"dim overflow", h("'<f4'", "'fortran_order': False, 'shape': (99999999999999999999,)"), 8,
       "does not fit"},
      {"product overflow", h("'<f4'", "'fortran_order': False, 'shape': (4294967296, 4294967296)"),
       8, "too many values"},
      {"bytes overflow", h("'<f4'", "'fortran_order': False, 'shape': (4611686018427387904,)"), 8,
       "too many values"},
      {"fortran_order word", h("'<f4'", "'fortran_order': 'no', 'shape': (2,)"), 8,
       "True or False"},
      {"unterminated", "{'descr': '<f4", 8, "unterminated"},
      {"no closing brace", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8,
       "expected ',' or '}'"},
      {"text after dict", h("'<f4'", ok_rest) + " x", 8, "after the dictionary"},
      {"not a dict", "['<f4']", 8, "expected '{'"},
      {"escape", h("'<f\\4'", ok_rest), 8, "escapes"},
  };
  for (const Case& c : cases) {
    INFO(c.what << ": " << c.header);
    const Bytes b = npy_bytes(1, c.header, Bytes(c.data_bytes, 0));
    REQUIRE_THROWS_WITH(parse_npy(b.data(), b.size(), named()), Contains(c.message));
  }
}

TEST_CASE("npy magic and version and header length are checked", "[npy]") {
  const Bytes good = write_npy(npy_file(io::SourceKind::kNpyF32, Fp::kFp32, {1}, {0x3F800000}));
  Bytes b = good;
  b[1] = 'n';
  CHECK_THROWS_WITH(parse_npy(b.data(), b.size()), Contains("bad magic"));
  b = good;
  b[6] = 4;
  CHECK_THROWS_WITH(parse_npy(b.data(), b.size()), Contains("version 4.0"));
  b = good;
  b[7] = 1;
  CHECK_THROWS_WITH(parse_npy(b.data(), b.size()), Contains("version 1.1"));
  b = good;
  b[8] = 0xFF;
  b[9] = 0xFF;
  CHECK_THROWS_WITH(parse_npy(b.data(), b.size()), Contains("file ends in the header"));
  Bytes v2 = npy_bytes(2, "{}", {});
  v2[8] = v2[9] = v2[10] = v2[11] = 0xFF;
  CHECK_THROWS_WITH(parse_npy(v2.data(), v2.size()), Contains("file ends in the header"));
}

TEST_CASE("npy writer refuses what .npy cannot hold", "[npy]") {
  io::TensorFile f = npy_file(io::SourceKind::kNpyF32, Fp::kFp32, {1}, {0});
  SECTION("two arrays") {
    f.tensors.push_back(f.tensors[0]);
    CHECK_THROWS_WITH(write_npy(f), Contains("one array"));
  }
  SECTION("dtype not matching the kind") {
    f.kind = io::SourceKind::kNpyBf16;
    CHECK_THROWS_WITH(write_npy(f), Contains("cannot write a F32 tensor"));
  }
  SECTION("safetensors kind") {
    f.kind = io::SourceKind::kSafetensors;
    CHECK_THROWS_AS(write_npy(f), Error);
  }
  SECTION("bad metadata") {
    f.metadata = {{"fortran_order", "maybe"}};
    CHECK_THROWS_WITH(write_npy(f), Contains("fortran_order"));
  }
  SECTION("values not filling the shape") {
    f.tensors[0].shape = {2};
    CHECK_THROWS_WITH(write_npy(f), Contains("do not fill"));
  }
}

}  // namespace
}  // namespace sfp::test
