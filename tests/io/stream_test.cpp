// SPDX-License-Identifier: Apache-2.0
//
// Streamed encoding and decoding (sfp/io/stream.hpp): the same bytes as the whole-file path for
// every format version, thread count and kind of output; a container measured chunk by chunk
// as the whole-file encoder counts it; and sfp decode and sfp stats of a decompression bomb in
// bounded memory (docs/cli.md, "Memory and threads").
#include "sfp/io/stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "io_test_util.hpp"
#include "sfp/io/container.hpp"
#include "sfp/io/file.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"
#include "test_data.hpp"

namespace sfp::test {
namespace {

using Catch::Matchers::Contains;

// Gaussian FP32 values with a fraction of +0, as bit patterns.
std::vector<uint32_t> normal_values(std::mt19937_64& rng, size_t n, double zeros) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<uint32_t> v(n);
  for (uint32_t& x : v) {
    const float f = u(rng) < zeros ? 0.0f : normal(rng);
    std::memcpy(&x, &f, 4);
  }
  return v;
}

// The files the streaming path must reproduce: many small tensors (F32 and BF16, empty ones,
// scalars, FP corners), one tensor of many chunks, and .npy arrays of both dtypes.
struct Case {
  std::string name;  // the file name (its extension says its kind)
  Bytes bytes;
};

std::vector<Case> cases() {
  std::mt19937_64 rng(Catch::rngSeed() + 11);
  std::vector<Case> out;
  {
    io::TensorFile f;
    f.metadata = {{"step", "7"}, {"note", "many small tensors"}};
    for (int i = 0; i < 150; ++i) {
      const size_t n = i % 17 == 0 ? 0 : rng() % 3000;
      if (i % 3 == 0) {
        std::vector<uint32_t> v = random_values(rng, Fp::kBf16, n);
        f.tensors.push_back(make_tensor(fmt::format("b{}", i), Fp::kBf16, {n}, v));
      } else {
        std::vector<uint32_t> v = normal_values(rng, n, i % 2 ? 0.5 : 0.0);
        f.tensors.push_back(make_tensor(fmt::format("w{}", i), Fp::kFp32, {n}, v));
      }
    }
    f.tensors.push_back(make_tensor("scalar", Fp::kFp32, {}, {0x3F800000}));
    f.tensors.push_back(make_tensor("corners", Fp::kFp32, {18}, corners(Fp::kFp32)));
    out.push_back({"many.safetensors", io::write_safetensors(f)});
  }
  {
    io::TensorFile f;
    const std::vector<uint32_t> v = normal_values(rng, 300000, 0.1);
    f.tensors.push_back(make_tensor("big", Fp::kFp32, {300, 1000}, v));
    f.tensors.push_back(make_tensor("empty", Fp::kFp32, {0, 4}, {}));
    out.push_back({"big.safetensors", io::write_safetensors(f)});
  }
  {
    io::TensorFile f;
    f.kind = io::SourceKind::kNpyF32;
    f.metadata = {{"fortran_order", "true"}};
    f.tensors.push_back(make_tensor("a", Fp::kFp32, {70, 33}, normal_values(rng, 2310, 0.2)));
    out.push_back({"a.npy", io::write_npy(f)});
  }
  {
    io::TensorFile f;
    f.kind = io::SourceKind::kNpyBf16;
    f.metadata = {{"fortran_order", "false"}};
    f.tensors.push_back(make_tensor("h", Fp::kBf16, {5000}, random_values(rng, Fp::kBf16, 5000)));
    out.push_back({"h.npy", io::write_npy(f)});
  }
  return out;
}

io::FileLayout layout_of(const Case& c, const io::InputFile& in) {
  if (c.name.size() > 4 && c.name.substr(c.name.size() - 4) == ".npy") {
    io::NpyOptions o;
    o.bf16 = true;
    o.name = c.name.substr(0, c.name.size() - 4);
    return io::npy_layout(in.size(), in.reader(), o);
  }
  return io::safetensors_layout(in.size(), in.reader());
}

io::TensorFile parse(const Case& c) {
  if (c.name.size() > 4 && c.name.substr(c.name.size() - 4) == ".npy") {
    io::NpyOptions o;
    o.bf16 = true;
    o.name = c.name.substr(0, c.name.size() - 4);
    return io::parse_npy(c.bytes.data(), c.bytes.size(), o);
  }
  return io::parse_safetensors(c.bytes.data(), c.bytes.size());
}

// A configuration per format version and a few options, as the command line makes them.
struct Setting {
  const char* name;
  std::function<Config(const io::Tensor&)> config;
};

std::vector<Setting> settings() {
  const auto with = [](unsigned version, auto change) {
    return [version, change](const io::Tensor& t) {
      Config c = Config::lossless(t.dtype, version);
      change(c);
      return c;
    };
  };
  const auto none = [](Config&) {};
  return {
      {"v3", with(3, none)},
      {"v3 -m 3 rne, C=1024, L=8", with(3,
                                        [](Config& c) {
                                          c.man_bits = 3;
                                          c.rounding = Rounding::kNearestEven;
                                          c.chunk = 1024;
                                          c.group = 8;
                                        })},
      {"v2", with(2, none)},
      {"v2 C=64", with(2, [](Config& c) { c.chunk = 64; })},
      {"v1", with(1, none)},
      {"v1 C=64 G=8 W=32 -m 0", with(1,
                                     [](Config& c) {
                                       c.chunk = 64;
                                       c.group = 8;
                                       c.word_bits = 32;
                                       c.man_bits = 0;
                                     })},
  };
}

// Reads a FIFO whole on its own thread.
class FifoReader {
 public:
  explicit FifoReader(const std::string& path)
      : thread_([this, path] {
          const int fd = ::open(path.c_str(), O_RDONLY);
          if (fd < 0) return;
          uint8_t buf[65536];
          ssize_t got;
          while ((got = ::read(fd, buf, sizeof buf)) > 0)
            bytes_.insert(bytes_.end(), buf, buf + got);
          ::close(fd);
        }) {}
  Bytes take() {
    thread_.join();
    return std::move(bytes_);
  }

 private:
  Bytes bytes_;
  std::thread thread_;
};

// Runs build/sfp with the arguments, stdout and stderr to files; returns the exit code and sets
// *max_rss_kib to its peak resident memory (getrusage of that child alone, via wait4).
int run_sfp(const ScratchDir& dir, const std::vector<std::string>& args, long* max_rss_kib,
            std::string* err) {
  std::vector<std::string> argv_s = {SFP_EXE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err_path = dir.file(".stderr");
  posix_spawn_file_actions_t fa;
  REQUIRE(posix_spawn_file_actions_init(&fa) == 0);
  REQUIRE(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0);
  REQUIRE(posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                           0644) == 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, SFP_EXE, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  int status = 0;
  struct rusage ru;
  REQUIRE(::wait4(pid, &status, 0, &ru) == pid);
  REQUIRE(WIFEXITED(status));
  *max_rss_kib = ru.ru_maxrss;
  const Bytes e = read_bytes(err_path);
  err->assign(e.begin(), e.end());
  std::filesystem::remove(err_path);
  return WEXITSTATUS(status);
}

TEST_CASE("sfp decode of a decompression bomb runs in bounded memory", "[stream][cli]") {
#ifdef SFP_SANITIZE
  WARN("not measured in the sanitizer build (its allocator keeps freed memory in quarantine)");
  return;
#endif
  // A legal version 2 file of 400 chunks of C = 2^20 values, each chunk one word (a lane word
  // count of 0: every lane reads zero bits, the codeword of ZERO): about 4.3 KB that decode to
  // 419 M zeros, 1.6 GiB of F32.
  Config cfg = Config::lossless(Fp::kFp32, 2);
  cfg.chunk = 1u << 20;
  const std::vector<uint32_t> zeros(cfg.chunk, 0u);
  Encoded one;  // the encoder's table for zeros: ZERO alone, codeword "0"
  REQUIRE(encode(cfg, zeros.data(), zeros.size(), &one) == Status::kOk);
  // The chunk: one word, the lane word count 0; its CRC-32C covers the mode byte (0) first.
  const uint8_t mode = 0;
  one.payload.assign(4, 0);
  one.chunk_words = {1};
  one.chunk_raw = {0};
  one.chunk_crc = {crc32c(one.payload.data(), 4, crc32c(&mode, 1))};
  const auto bomb_of = [&](uint64_t chunks) {
    io::Container c;
    io::EncodedTensor t;
    t.name = "zeros";
    t.shape = {chunks * cfg.chunk};
    t.stream = one;
    t.stream.values = chunks * cfg.chunk;
    t.stream.chunk_words.assign(chunks, 1);
    t.stream.chunk_raw.assign(chunks, one.chunk_raw[0]);
    t.stream.chunk_crc.assign(chunks, one.chunk_crc[0]);
    t.stream.payload.clear();
    for (uint64_t i = 0; i < chunks; ++i) {
      t.stream.payload.insert(t.stream.payload.end(), one.payload.begin(), one.payload.end());
    }
    c.tensors.push_back(t);
    return io::write_container(c);
  };
  constexpr uint64_t kChunks = 400;
  const Bytes bomb = bomb_of(kChunks);
  REQUIRE(bomb.size() < 4500);
  ScratchDir dir;
  const std::string path = dir.file("bomb.sfp");
  write_bytes(path, bomb);
  // The safetensors header the output starts with, padded to a multiple of 8 bytes.
  const std::string header =
      R"({"zeros":{"dtype":"F32","shape":[419430400],"data_offsets":[0,1677721600]}})";
  const uint64_t out_bytes = 8 + (header.size() + 7) / 8 * 8 + kChunks * cfg.chunk * 4;
  long rss = 0;
  std::string err;
  REQUIRE(run_sfp(dir, {"decode", path, "-o", "/dev/null", "-j", "2"}, &rss, &err) == 0);
  CHECK_THAT(err, Contains(fmt::format("{} -> {} bytes", bomb.size(), out_bytes)));
  // The whole-file decoder held the 1.6 GiB of values and the output; the streaming one holds
  // 2 N + 2 chunks of 4 MiB and the decoders' scratch (about 40 MiB at N = 2). The child's
  // peak as wait4 gives it also counts this process's memory, which it shared until exec.
  struct rusage self;
  REQUIRE(::getrusage(RUSAGE_SELF, &self) == 0);
  INFO("peak RSS " << rss << " KiB; this process " << self.ru_maxrss << " KiB");
  CHECK(rss < self.ru_maxrss + 64 * 1024);

  // sfp stats measures such a file chunk by chunk too (here 128 chunks: 512 MiB of F32, which
  // it codes again): the hand-made chunks are not what a conforming encoder writes for 2^20
  // zeros, so it says so and counts the conforming encoding.
  const std::string small = dir.file("bomb128.sfp");
  write_bytes(small, bomb_of(128));
  REQUIRE(run_sfp(dir, {"stats", "--json", small}, &rss, &err) == 0);
  INFO("sfp stats: peak RSS " << rss << " KiB");
  CHECK_THAT(err, Contains("tensor \"zeros\": stored stream is not the conforming encoding"));
  CHECK(rss < self.ru_maxrss + 64 * 1024);
}

TEST_CASE("streamed encode and decode give the bytes of the whole-file path", "[stream]") {
  ScratchDir dir;
  for (const Case& c : cases()) {
    const std::string in_path = dir.file(c.name);
    write_bytes(in_path, c.bytes);
    const io::TensorFile file = parse(c);
    for (const Setting& s : settings()) {
      INFO(c.name << ", " << s.name);
      const Bytes want = io::write_container(io::encode_tensor_file(file, s.config));
      const io::TensorFile back =
          io::decode_container(io::read_container(want.data(), want.size()));
      const Bytes want_back = back.kind == io::SourceKind::kSafetensors
                                  ? io::write_safetensors(back)
                                  : io::write_npy(back);
      for (const unsigned threads : {1u, 3u}) {
        INFO(threads << " threads");
        const std::string sfp_path = dir.file("out.sfp"), back_path = dir.file("back");
        {
          const io::InputFile in(in_path);
          io::OutputFile out(sfp_path);
          uint64_t values = 0;
          const io::StreamResult r = io::encode_stream(in, layout_of(c, in), out, s.config, threads,
                                                       [&](uint64_t n) { values += n; });
          out.commit();
          CHECK(r.bytes_written == want.size());
          CHECK(r.tensors.size() == file.tensors.size());
          uint64_t total = 0;
          for (const io::Tensor& t : file.tensors) total += t.values.size();
          CHECK(values == total);
        }
        REQUIRE(read_bytes(sfp_path) == want);
        {
          const io::InputFile in(sfp_path);
          io::OutputFile out(back_path);
          const io::StreamResult r = io::decode_stream(in, out, threads);
          out.commit();
          CHECK(r.bytes_written == want_back.size());
        }
        REQUIRE(read_bytes(back_path) == want_back);
      }
    }
  }
}

// The bits of every tensor as the whole-file encoder counts them, and the values that the
// whole-file decoder gives, for every format version and thread count.
TEST_CASE("a container measured chunk by chunk gives the encoder's bits and the values",
          "[stream]") {
  ScratchDir dir;
  for (const Case& c : cases()) {
    const io::TensorFile file = parse(c);
    for (const Setting& s : settings()) {
      INFO(c.name << ", " << s.name);
      const io::Container want = io::encode_tensor_file(file, s.config);
      const io::TensorFile back = io::decode_container(want);
      const std::string path = dir.file("m.sfp");
      write_bytes(path, io::write_container(want));
      for (const unsigned threads : {1u, 3u}) {
        INFO(threads << " threads");
        const io::InputFile in(path);
        std::vector<std::vector<uint32_t>> seen;
        size_t scanned = 0;
        const io::StreamResult r = io::measure_container(
            in, threads,
            [&](size_t i, const uint32_t* v, size_t n) {
              REQUIRE(i < seen.size());
              seen[i].insert(seen[i].end(), v, v + n);
            },
            [&](const io::StreamResult& found) {
              scanned = found.tensors.size();
              seen.resize(scanned);
            });
        CHECK(scanned == want.tensors.size());
        REQUIRE(r.tensors.size() == want.tensors.size());
        for (size_t i = 0; i < r.tensors.size(); ++i) {
          INFO("tensor " << i);
          const io::StreamedTensor& t = r.tensors[i];
          CHECK(t.name == want.tensors[i].name);
          CHECK(t.shape == want.tensors[i].shape);
          CHECK(t.config == want.tensors[i].stream.config);
          CHECK(t.values == want.tensors[i].stream.values);
          CHECK(t.conforming);
          for (const BitField& f : kBitFields) {
            INFO(f.name);
            CHECK(t.bits.*f.member == want.tensors[i].stream.bits.*f.member);
          }
          CHECK(seen[i] == back.tensors[i].values);
        }
      }
    }
  }
}

// A stream that a conforming encoder would not write (a version 3 tensor with its own table where
// the encoder shares an earlier tensor's, a version 2 table built for other values) is
// reported, and its bits are those of the conforming encoding.
TEST_CASE("a container measured chunk by chunk reports non-conforming tables", "[stream]") {
  std::mt19937_64 rng(Catch::rngSeed() + 5);
  io::TensorFile f;
  for (const char* name : {"a", "b"}) {
    f.tensors.push_back(make_tensor(name, Fp::kFp32, {4000}, normal_values(rng, 4000, 0.1)));
  }
  f.tensors.push_back(make_tensor("c", Fp::kFp32, {4000}, random_values(rng, Fp::kFp32, 4000)));
  ScratchDir dir;
  const std::string path = dir.file("n.sfp");
  for (const unsigned version : {2u, 3u}) {
    INFO("version " << version);
    Config cfg = Config::lossless(Fp::kFp32, version);
    cfg.chunk = 1024;
    const io::Container want = io::encode_tensor_file(f, [&](const io::Tensor&) { return cfg; });
    io::Container c = want;
    if (version == 3) {
      // Tensor "b" shares tensor "a"'s table; stored with its own, a legal stream.
      REQUIRE(want.tensors[1].stream.table_ref == 1);
      Encoded own;
      REQUIRE(encode(cfg, f.tensors[1].values.data(), 4000, &own) == Status::kOk);
      REQUIRE(own.table_ref == 0);
      c.tensors[1].stream = own;
    } else {
      // Tensor "b" coded with the table of all three tensors' values.
      std::vector<uint32_t> all;
      for (const io::Tensor& t : f.tensors) {
        all.insert(all.end(), t.values.begin(), t.values.end());
      }
      const CodeTable wide = build_table(cfg, all.data(), all.size());
      REQUIRE(!(wide == want.tensors[1].stream.table));
      Encoded other;
      REQUIRE(encode(cfg, f.tensors[1].values.data(), 4000, &other) == Status::kOk);
      other.table = wide;
      other.payload.clear();
      other.chunk_words.clear();
      other.chunk_raw.clear();
      other.chunk_crc.clear();
      other.bits = BitCounts{};
      for (size_t k = 0; k < 4000; k += cfg.chunk) {
        const size_t n = std::min<size_t>(cfg.chunk, 4000 - k);
        std::vector<uint32_t> scratch;
        StreamChunk chunk;
        REQUIRE(encode_stream_chunk(cfg, wide, f.tensors[1].values.data() + k, n, &chunk,
                                    &scratch) == Status::kOk);
        other.payload.insert(other.payload.end(), chunk.bytes.begin(), chunk.bytes.end());
        other.chunk_words.push_back(chunk.words);
        other.chunk_raw.push_back(chunk.raw ? 1 : 0);
        other.chunk_crc.push_back(chunk.crc);
      }
      c.tensors[1].stream = other;
    }
    write_bytes(path, io::write_container(c));
    const Bytes stored = read_bytes(path);
    REQUIRE(
        io::decode_container(io::read_container(stored.data(), stored.size())).tensors[1].values ==
        f.tensors[1].values);
    const io::InputFile in(path);
    const io::StreamResult r = io::measure_container(in, 2, nullptr);
    REQUIRE(r.tensors.size() == 3);
    CHECK(r.tensors[0].conforming);
    CHECK_FALSE(r.tensors[1].conforming);
    CHECK(r.tensors[2].conforming);
    for (size_t i = 0; i < 3; ++i) {
      INFO("tensor " << i);
      for (const BitField& b : kBitFields) {
        INFO(b.name);
        CHECK(r.tensors[i].bits.*b.member == want.tensors[i].stream.bits.*b.member);
      }
    }
  }
}

TEST_CASE("streamed output that cannot be overwritten (a FIFO) holds each tensor's chunks",
          "[stream]") {
  // Chunks of a tensor are held in memory up to 16 MiB, then in a temporary file: a tensor of 6
  // M values makes a stream of about 20 MB, held both ways.
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed() + 12);
  io::TensorFile f;
  f.tensors.push_back(make_tensor("small", Fp::kFp32, {1000}, normal_values(rng, 1000, 0.0)));
  f.tensors.push_back(make_tensor("large", Fp::kFp32, {6000000}, normal_values(rng, 6000000, 0.0)));
  const Bytes in_bytes = io::write_safetensors(f);
  const std::string in_path = dir.file("in.safetensors"), fifo = dir.file("fifo");
  write_bytes(in_path, in_bytes);
  const auto config = [](const io::Tensor& t) { return Config::lossless(t.dtype); };
  const Bytes want = io::write_container(io::encode_tensor_file(f, config));
  REQUIRE(want.size() > (20u << 20) - (2u << 20));
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const unsigned threads : {1u, 2u}) {
    FifoReader reader(fifo);
    {
      io::OutputFile out(fifo);
      REQUIRE_FALSE(out.seekable());
      const io::InputFile in(in_path);
      io::encode_stream(in, io::safetensors_layout(in.size(), in.reader()), out, config, threads);
      out.commit();
    }
    const Bytes got = reader.take();
    REQUIRE(got.size() == want.size());
    REQUIRE(got == want);
  }
}

TEST_CASE("streamed decode reports the first failing chunk whatever the thread count", "[stream]") {
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed() + 13);
  io::TensorFile f;
  for (int i = 0; i < 6; ++i) {
    f.tensors.push_back(
        make_tensor(fmt::format("t{}", i), Fp::kFp32, {40000}, normal_values(rng, 40000, 0.0)));
  }
  const auto config = [](const io::Tensor& t) { return Config::lossless(t.dtype); };
  io::Container c = io::encode_tensor_file(f, config);
  // Tensor 3's chunk 1 and tensor 4's chunk 0 are corrupted (a payload byte flipped).
  const size_t first_chunk = c.tensors[3].stream.chunk_words[0] * 4;
  c.tensors[3].stream.payload[first_chunk + 5] ^= 0x10;
  c.tensors[4].stream.payload[3] ^= 0x01;
  const std::string path = dir.file("bad.sfp"), out_path = dir.file("out.safetensors");
  write_bytes(path, io::write_container(c));
  for (const unsigned threads : {1u, 2u, 4u}) {
    const io::InputFile in(path);
    io::OutputFile out(out_path);
    CHECK_THROWS_WITH(io::decode_stream(in, out, threads),
                      "tensor 3 (\"t3\"): chunk 1 of 3 does not decode: crc (decoder status 9)");
  }
  CHECK_FALSE(std::filesystem::exists(out_path));
  CHECK(dir.entries() == std::vector<std::string>{"bad.sfp"});
}

TEST_CASE("an output file written past several write-out steps holds every byte", "[stream]") {
  // OutputFile starts the write-out every 8 MiB; pieces of many sizes, some larger than a step,
  // and overwrites of bytes written steps before must all land.
  ScratchDir dir;
  std::mt19937_64 rng(Catch::rngSeed() + 17);
  Bytes want(static_cast<size_t>(17u << 20) + 12345);
  for (uint8_t& b : want) b = static_cast<uint8_t>(rng());
  const std::string path = dir.file("big.bin");
  {
    io::OutputFile out(path);
    size_t at = 0;
    while (at < want.size()) {
      const size_t n =
          std::min<size_t>(want.size() - at, rng() % 3 == 0 ? 9u << 20 : rng() % 70000);
      out.write(want.data() + at, n);
      at += n;
    }
    for (const size_t offset : {size_t{100}, size_t{9u << 20} - 3, size_t{16u << 20}}) {
      for (size_t i = 0; i < 64; ++i) want[offset + i] ^= 0x5A;
      out.write_at(offset, want.data() + offset, 64);
    }
    out.commit();
  }
  CHECK(read_bytes(path) == want);
}

}  // namespace
}  // namespace sfp::test
