// SPDX-License-Identifier: Apache-2.0
//
// Streamed encoding and decoding of whole tensor files. Spec: docs/format.md, "Container file".
#include "sfp/io/stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "bytes.hpp"
#include "container_parts.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/io/safetensors.hpp"

namespace sfp::io {
namespace {

// ---- Ordered jobs ----------------------------------------------------------------------------

// Runs jobs on `threads` worker threads and hands their results to `consume` on the calling
// thread, in job order. next(Job*) makes the next job or returns false at the end; it runs under
// a lock, so jobs are made one at a time, in order. work(Job&, Slot&) runs on a worker;
// consume(Job&, Slot&) on the caller. At most 2 * threads + 2 jobs are made and not yet
// consumed, so that many slots bound the memory. An exception from next() or work() reaches the
// caller when the consumer comes to that job (after every earlier job is consumed); one from
// consume() stops the workers. With one thread, everything runs on the caller.
template <class Job, class Slot, class Next, class Work, class Consume>
void run_ordered(unsigned threads, Next next, Work work, Consume consume) {
  if (threads <= 1) {
    Job job;
    Slot slot;
    while (next(&job)) {
      work(job, slot);
      consume(job, slot);
    }
    return;
  }
  const size_t window = 2 * size_t{threads} + 2;
  std::vector<Job> jobs(window);
  std::vector<Slot> slots(window);
  std::vector<std::exception_ptr> errors(window);
  std::vector<char> ready(window, 0);
  std::mutex m;
  std::condition_variable to_workers, to_consumer;
  uint64_t issued = 0, consumed = 0;
  bool ended = false, stop = false;
  std::exception_ptr end_error;  // from next(), after the jobs made before it
  const auto worker = [&] {
    std::unique_lock<std::mutex> lock(m);
    while (true) {
      to_workers.wait(lock, [&] { return stop || ended || issued - consumed < window; });
      if (stop || ended) return;
      const size_t at = issued % window;
      bool more = false;
      try {
        more = next(&jobs[at]);
      } catch (...) {
        end_error = std::current_exception();
      }
      if (!more) {
        ended = true;
        to_consumer.notify_all();
        to_workers.notify_all();
        return;
      }
      ++issued;
      lock.unlock();
      std::exception_ptr error;
      try {
        work(jobs[at], slots[at]);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      errors[at] = error;
      ready[at] = 1;
      to_consumer.notify_one();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  const auto join = [&] {
    {
      const std::lock_guard<std::mutex> lock(m);
      stop = true;
    }
    to_workers.notify_all();
    for (std::thread& th : pool) th.join();
  };
  try {
    while (true) {
      std::unique_lock<std::mutex> lock(m);
      const size_t at = consumed % window;
      to_consumer.wait(lock, [&] { return ready[at] || (ended && consumed == issued); });
      if (!ready[at]) {
        if (end_error) std::rethrow_exception(end_error);
        break;
      }
      lock.unlock();
      if (errors[at]) std::rethrow_exception(errors[at]);
      consume(jobs[at], slots[at]);
      lock.lock();
      ready[at] = 0;
      ++consumed;
      to_workers.notify_one();
    }
  } catch (...) {
    join();
    throw;
  }
  join();
}

// Jobs of several units: run_ordered over batches of consecutive units (chunks), each batch
// up to kBatchValues values or kBatchUnits units, so that small chunks (many small tensors) cost
// one handoff between threads per batch rather than per chunk. next_unit(Unit*) makes the next
// unit (false at the end), weight(unit) is its value count, work_unit and consume_unit take a
// unit and its slot. An exception from next_unit after some units of a batch is thrown when the
// consumer has taken those units.
constexpr uint64_t kBatchValues = 1u << 16;
constexpr size_t kBatchUnits = 256;

template <class Unit>
struct Batch {
  std::vector<Unit> units;
  std::exception_ptr error;  // thrown after the units are consumed
};

template <class Unit, class UnitSlot, class NextUnit, class Weight, class WorkUnit,
          class ConsumeUnit>
void run_batched(unsigned threads, NextUnit next_unit, Weight weight, WorkUnit work_unit,
                 ConsumeUnit consume_unit) {
  bool failed = false;
  run_ordered<Batch<Unit>, std::vector<UnitSlot>>(
      threads,
      [&](Batch<Unit>* b) {
        b->units.clear();
        b->error = nullptr;
        if (failed) return false;
        uint64_t values = 0;
        Unit u;
        while (b->units.size() < kBatchUnits && values < kBatchValues) {
          try {
            if (!next_unit(&u)) break;
          } catch (...) {
            failed = true;
            if (b->units.empty()) throw;
            b->error = std::current_exception();
            break;
          }
          values += weight(u);
          b->units.push_back(u);
        }
        return !b->units.empty();
      },
      [&](Batch<Unit>& b, std::vector<UnitSlot>& slots) {
        if (slots.size() < b.units.size()) slots.resize(b.units.size());
        for (size_t i = 0; i < b.units.size(); ++i) work_unit(b.units[i], slots[i]);
      },
      [&](Batch<Unit>& b, std::vector<UnitSlot>& slots) {
        for (size_t i = 0; i < b.units.size(); ++i) consume_unit(b.units[i], slots[i]);
        if (b.error) std::rethrow_exception(b.error);
      });
}

// ---- Output ----------------------------------------------------------------------------------

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, const uint8_t* p, size_t n, const char* what) {
  size_t done = 0;
  while (done < n) {
    const ssize_t put = ::write(fd, p + done, n - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw OutputError(fmt::format("{}: {}", what, errno_text()));
    }
    done += static_cast<size_t>(put);
  }
}

// The output through a buffer of kBuffer bytes, with bytes already written overwritten in the
// buffer or, once flushed, with OutputFile::write_at.
class Sink {
 public:
  static constexpr size_t kBuffer = 1u << 20;
  // With no output, bytes are only counted.
  explicit Sink(OutputFile* out) : out_(out) {
    if (out_) buf_.reserve(kBuffer);
  }
  uint64_t pos() const { return flushed_ + buf_.size(); }
  void write(const uint8_t* p, size_t n) {
    if (!out_) {
      flushed_ += n;
      return;
    }
    if (buf_.size() + n > kBuffer) flush();
    if (n >= kBuffer) {
      out_->write(p, n);
      flushed_ += n;
      return;
    }
    buf_.insert(buf_.end(), p, p + n);
  }
  void write(const std::vector<uint8_t>& b) { write(b.data(), b.size()); }
  void patch(uint64_t at, const uint8_t* p, size_t n) {
    if (!out_) return;
    if (at < flushed_) {
      const size_t early = static_cast<size_t>(std::min<uint64_t>(n, flushed_ - at));
      out_->write_at(at, p, early);
      at += early;
      p += early;
      n -= early;
    }
    if (n) std::memcpy(buf_.data() + (at - flushed_), p, n);
  }
  void flush() {
    if (!out_) return;
    out_->write(buf_.data(), buf_.size());
    flushed_ += buf_.size();
    buf_.clear();
  }

 private:
  OutputFile* out_;
  std::vector<uint8_t> buf_;
  uint64_t flushed_ = 0;
};

// Bytes held until they can be written: in memory up to kMemory, then in an unnamed temporary
// file.
class Spool {
 public:
  static constexpr size_t kMemory = 16u << 20;
  Spool() = default;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const uint8_t* p, size_t n) {
    if (fd_ < 0 && mem_.size() + n <= kMemory) {
      mem_.insert(mem_.end(), p, p + n);
      return;
    }
    if (fd_ < 0) open();
    write_all(fd_, mem_.data(), mem_.size(), "cannot write a temporary file");
    file_bytes_ += mem_.size();
    mem_.clear();
    write_all(fd_, p, n, "cannot write a temporary file");
    file_bytes_ += n;
  }
  // Writes everything held to `sink` and empties the spool.
  void drain(Sink& sink) {
    if (file_bytes_) {
      std::vector<uint8_t> buf(1u << 20);
      uint64_t at = 0;
      while (at < file_bytes_) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), file_bytes_ - at));
        const ssize_t got = ::pread(fd_, buf.data(), want, static_cast<off_t>(at));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw OutputError("cannot read a temporary file: " + errno_text());
        sink.write(buf.data(), static_cast<size_t>(got));
        at += static_cast<uint64_t>(got);
      }
      if (::ftruncate(fd_, 0) != 0)
        throw OutputError("cannot truncate a temporary file: " + errno_text());
      file_bytes_ = 0;
    }
    sink.write(mem_);
    mem_.clear();
  }

 private:
  void open() {
    const char* dir = std::getenv("TMPDIR");
    std::string temp = std::string(dir && *dir ? dir : "/tmp") + "/sfp-spool.XXXXXX";
    fd_ = ::mkstemp(temp.data());
    if (fd_ < 0) throw OutputError("cannot create a temporary file: " + errno_text());
    ::unlink(temp.c_str());
    // Written with write() at the end, read with pread().
  }
  std::vector<uint8_t> mem_;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
};

// ---- Encoding --------------------------------------------------------------------------------

// Reads values [first, first + n) of tensor l into values (bit patterns; BF16 in the low half).
void read_values(const InputFile& in, const TensorLayout& l, uint64_t first, size_t n,
                 std::vector<uint32_t>* values, std::vector<uint8_t>* raw) {
  values->resize(n);
  if (l.dtype == Fp::kFp32) {
    in.read(l.offset + first * 4, reinterpret_cast<uint8_t*>(values->data()), n * 4);
    return;
  }
  raw->resize(n * 2);
  in.read(l.offset + first * 2, raw->data(), n * 2);
  for (size_t i = 0; i < n; ++i) {
    (*values)[i] = uint32_t{(*raw)[2 * i]} | (uint32_t{(*raw)[2 * i + 1]} << 8);
  }
}

struct EncTensor {
  Config config;
  uint64_t chunks = 0;
  CodeTable table;
  uint32_t ref = 0;
};

// A chunk of a tensor (chunk 0 of a tensor without values stands for the tensor).
struct ChunkJob {
  size_t tensor = 0;
  uint64_t chunk = 0;
};

// Makes the jobs of every chunk of the tensors `want` accepts, in file order.
class ChunkJobs {
 public:
  ChunkJobs(const std::vector<EncTensor>& t, std::function<bool(size_t)> want)
      : t_(t), want_(std::move(want)) {}
  bool next(ChunkJob* job) {
    while (i_ < t_.size() && (!want_(i_) || j_ >= std::max<uint64_t>(t_[i_].chunks, 1))) {
      ++i_;
      j_ = 0;
    }
    if (i_ == t_.size()) return false;
    *job = {i_, j_++};
    return true;
  }

 private:
  const std::vector<EncTensor>& t_;
  std::function<bool(size_t)> want_;
  size_t i_ = 0;
  uint64_t j_ = 0;
};

struct CountSlot {
  std::vector<uint32_t> values, scratch;
  std::vector<uint8_t> raw;
  ValueCounts counts;
  bool own_made = false;  // own holds the table of a tensor of one chunk (made on the worker)
  CodeTable own;
};

struct CodeSlot {
  std::vector<uint32_t> values, scratch;
  std::vector<uint8_t> raw;
  StreamChunk chunk;
  Status status = Status::kOk;
};

}  // namespace

namespace {

// encode_stream into `out`, or with no output only measured; observe, if given, sees every
// chunk's values in file order.
StreamResult encode_impl(const InputFile& in, const FileLayout& layout, OutputFile* out,
                         const std::function<Config(const Tensor&)>& config_for, unsigned threads,
                         const TensorDone& done, const ChunkValues& observe) {
  threads = std::max(threads, 1u);
  StreamResult result;
  result.kind = layout.kind;
  std::vector<EncTensor> tensors(layout.tensors.size());
  unsigned file_version = 1;
  // The configurations and the checks of encode_tensor_file, in file order.
  for (size_t i = 0; i < layout.tensors.size(); ++i) {
    const TensorLayout& l = layout.tensors[i];
    Tensor t;
    t.name = l.name;
    t.dtype = l.dtype;
    t.shape = l.shape;
    const Config c = config_for(t);
    std::string why;
    if (validate(c, &why) != Status::kOk) {
      throw Error(fmt::format("tensor {}: invalid configuration: {}", quote(l.name), why));
    }
    if (c.fp != l.dtype) {
      throw Error(fmt::format("tensor {} is {} but the configuration is {}", quote(l.name),
                              dtype_name(l.dtype), to_string(c)));
    }
    tensors[i].config = c;
    tensors[i].chunks = chunk_count(c, l.values);
    file_version = std::max(file_version, c.version);
  }
  // The checks of write_container, before any work.
  const std::vector<uint8_t> header =
      detail::container_header(layout.kind, layout.metadata, layout.tensors.size(), file_version,
                               [&](size_t i) { return layout.tensors[i].dtype; });
  for (size_t i = 0; i < layout.tensors.size(); ++i) {
    const TensorLayout& l = layout.tensors[i];
    detail::check_record(i, l.name, l.shape, tensors[i].config, l.values);
  }
  const auto len_of = [&](const ChunkJob& j) {
    const uint64_t c = tensors[j.tensor].config.chunk, n = layout.tensors[j.tensor].values;
    return static_cast<size_t>(n == 0 ? 0 : std::min<uint64_t>(c, n - j.chunk * c));
  };

  // Pass 1: the tables of versions 2 and 3 (Spec: "Code lengths", "Shared tables").
  {
    ChunkJobs jobs(tensors, [&](size_t i) { return tensors[i].config.version >= 2; });
    ValueCounts sum;
    std::vector<CodeTable> file_tables;  // version 3 tensors' own tables, numbered from 1
    run_batched<ChunkJob, CountSlot>(
        threads, [&](ChunkJob* j) { return jobs.next(j); }, len_of,
        [&](const ChunkJob& j, CountSlot& s) {
          const size_t n = len_of(j);
          s.counts = ValueCounts{};
          s.own_made = false;
          if (n == 0) return;
          const Config& c = tensors[j.tensor].config;
          read_values(in, layout.tensors[j.tensor], j.chunk * uint64_t{c.chunk}, n, &s.values,
                      &s.raw);
          s.counts = count_chunk_values(c, s.values.data(), n, &s.scratch);
          // A tensor of one chunk: its table too, so that many small tensors build their tables
          // on all threads.
          s.own_made = tensors[j.tensor].chunks == 1;
          if (s.own_made) s.own = table_for_counts(c, s.counts);
        },
        [&](const ChunkJob& j, CountSlot& s) {
          EncTensor& t = tensors[j.tensor];
          if (j.chunk == 0) {
            sum = s.counts;
          } else {
            sum += s.counts;
          }
          if (j.chunk + 1 < t.chunks) return;
          const CodeTable own =
              j.chunk == 0 && s.own_made ? s.own : table_for_counts(t.config, sum);
          t.ref = t.config.version == 3 ? shared_table_ref(t.config, own, sum, file_tables) : 0;
          t.table = t.ref ? file_tables[t.ref - 1] : own;
          if (t.config.version == 3 && !t.ref) file_tables.push_back(own);
        });
  }

  // Pass 2: every chunk coded and written in order.
  Sink sink(out);
  sink.write(header);
  const bool seekable = !out || out->seekable();
  Spool spool;
  detail::IndexGeometry geometry;
  std::vector<uint8_t> head;
  uint64_t index_at = 0;
  std::vector<uint32_t> words, crcs;
  std::vector<uint8_t> raws;
  BitCounts bits;
  ChunkJobs jobs(tensors, [](size_t) { return true; });
  run_batched<ChunkJob, CodeSlot>(
      threads, [&](ChunkJob* j) { return jobs.next(j); }, len_of,
      [&](const ChunkJob& j, CodeSlot& s) {
        const size_t n = len_of(j);
        s.status = Status::kOk;
        if (n == 0) return;
        const EncTensor& t = tensors[j.tensor];
        read_values(in, layout.tensors[j.tensor], j.chunk * uint64_t{t.config.chunk}, n, &s.values,
                    &s.raw);
        s.status = encode_stream_chunk(t.config, t.table, s.values.data(), n, &s.chunk, &s.scratch);
      },
      [&](const ChunkJob& j, CodeSlot& s) {
        const TensorLayout& l = layout.tensors[j.tensor];
        const EncTensor& t = tensors[j.tensor];
        if (s.status != Status::kOk) {
          throw Error(fmt::format("tensor {}: encoder status {} ({})", quote(l.name),
                                  status_name(s.status), static_cast<unsigned>(s.status)));
        }
        const uint64_t index_size = detail::index_bytes(t.config, t.chunks);
        const size_t crc_size = file_version >= 2 ? 4 : 0;
        if (j.chunk == 0) {
          head = detail::record_head(j.tensor, l.name, l.shape, t.config, l.values, t.table, t.ref);
          words.clear();
          crcs.clear();
          raws.clear();
          bits = BitCounts{};
          if (seekable) {
            // The index and the record CRC are written as zeros, then overwritten.
            sink.write(head);
            index_at = sink.pos();
            const std::vector<uint8_t> zeros(static_cast<size_t>(index_size) + crc_size, 0);
            sink.write(zeros);
          }
        }
        if (t.chunks) {
          if (seekable) {
            sink.write(s.chunk.bytes);
          } else {
            spool.write(s.chunk.bytes.data(), s.chunk.bytes.size());
          }
          words.push_back(s.chunk.words);
          crcs.push_back(s.chunk.crc);
          raws.push_back(s.chunk.raw ? 1 : 0);
          bits += s.chunk.bits;
          if (observe) observe(j.tensor, s.values.data(), len_of(j));
        }
        if (j.chunk + 1 < t.chunks) return;
        std::vector<uint8_t> tail = detail::record_index(
            j.tensor, l.name, t.config, words.data(), raws.data(), crcs.data(), t.chunks, geometry);
        if (crc_size) {
          const uint32_t crc = crc32c(tail.data(), tail.size(), crc32c(head.data(), head.size()));
          detail::append_le(tail, crc, 4);
        }
        if (seekable) {
          sink.patch(index_at, tail.data(), tail.size());
        } else {
          sink.write(head);
          sink.write(tail);
          spool.drain(sink);
        }
        bits += stream_overhead_bits(t.config, t.chunks, t.table, t.ref);
        result.tensors.push_back({l.name, l.dtype, l.shape, l.values, t.config, bits});
        if (done) done(l.values);
      });
  sink.flush();
  in.check_size();
  result.bytes_written = sink.pos();
  return result;
}

}  // namespace

StreamResult encode_stream(const InputFile& in, const FileLayout& layout, OutputFile& out,
                           const std::function<Config(const Tensor&)>& config_for, unsigned threads,
                           const TensorDone& done) {
  return encode_impl(in, layout, &out, config_for, threads, done, nullptr);
}

StreamResult measure_stream(const InputFile& in, const FileLayout& layout,
                            const std::function<Config(const Tensor&)>& config_for,
                            unsigned threads, const ChunkValues& observe) {
  return encode_impl(in, layout, nullptr, config_for, threads, nullptr, observe);
}

// ---- Decoding --------------------------------------------------------------------------------

namespace {

struct DecodeJob {
  size_t tensor = 0;
  uint64_t chunk = 0, chunks = 0;
  uint64_t values = 0;  // in this chunk (0: a tensor without values)
  Config config;
  CodeTable table;
  uint32_t ref = 0;  // version 3: the stored shared-table reference
  bool raw = false;
  uint32_t crc = 0, words = 0;
  uint64_t at = 0;  // the chunk's words in the file
  bool last = false;
};

struct DecodeSlot {
  std::vector<uint8_t> payload, bytes;
  std::vector<uint32_t> values;
  Status status = Status::kOk;
};

// The chunks of every record of a container, in order, read by a second scan.
class DecodeJobs {
 public:
  explicit DecodeJobs(const InputFile& in) : scan_(nullptr, in.size(), in.reader()) {}
  bool next(DecodeJob* job) {
    while (!open_ || j_ >= std::max<uint64_t>(k_, 1)) {
      if (!scan_.next(&rec_)) return false;
      open_ = true;
      ++i_;
      j_ = 0;
      k_ = rec_.tensor.stream.chunk_words.size();
      at_ = rec_.payload_at;
    }
    const Encoded& e = rec_.tensor.stream;
    job->tensor = i_ - 1;
    job->chunk = j_;
    job->chunks = k_;
    job->config = e.config;
    job->table = e.table;
    job->ref = e.table_ref;
    job->last = j_ + 1 >= k_;
    if (k_ == 0) {
      job->values = 0;
      ++j_;
      return true;
    }
    const uint64_t c = e.config.chunk;
    job->values = std::min<uint64_t>(c, e.values - j_ * c);
    job->words = e.chunk_words[j_];
    job->raw = e.config.version == 2 && e.chunk_raw[j_] != 0;
    job->crc = e.config.version >= 2 ? e.chunk_crc[j_] : 0;
    job->at = at_;
    at_ += uint64_t{job->words} * (e.config.word_bits / 8);
    ++j_;
    return true;
  }

 private:
  detail::ContainerScanner scan_;
  detail::ScannedRecord rec_;
  bool open_ = false;
  size_t i_ = 0;
  uint64_t j_ = 0, k_ = 0, at_ = 0;
};

// Reads and checks every record of `in` as read_container does, the payloads skipped: the
// tensors into result->tensors and, if `file` is given, the file's kind, metadata and tensors
// without values into *file.
void scan_records(const InputFile& in, StreamResult* result, TensorFile* file) {
  detail::ContainerScanner scan(nullptr, in.size(), in.reader());
  result->kind = scan.kind();
  if (file) {
    file->kind = scan.kind();
    file->metadata = scan.metadata();
  }
  detail::ScannedRecord rec;
  while (scan.next(&rec)) {
    const Encoded& e = rec.tensor.stream;
    result->tensors.push_back(
        {rec.tensor.name, e.config.fp, rec.tensor.shape, e.values, e.config, {}});
    if (file) {
      Tensor t;
      t.name = std::move(rec.tensor.name);
      t.dtype = e.config.fp;
      t.shape = std::move(rec.tensor.shape);
      file->tensors.push_back(std::move(t));
    }
  }
}

// Reads chunk j's words into s->payload and decodes them into s->values; s->status tells how.
template <class Slot>
void decode_job(const InputFile& in, const DecodeJob& j, Slot* s) {
  // A slot's buffers are reused from job to job: resizing them zero-fills only growth.
  s->status = Status::kOk;
  if (j.values == 0) {
    s->values.clear();
    return;
  }
  const size_t payload = size_t{j.words} * (j.config.word_bits / 8);
  s->payload.resize(payload);
  in.read(j.at, s->payload.data(), payload);
  const size_t n = static_cast<size_t>(j.values);
  s->values.resize(n);
  s->status = decode_stream_chunk(j.config, j.table, n, j.raw, j.crc, s->payload.data(), j.words,
                                  s->values.data());
}

void check_decoded(const DecodeJob& j, Status status, const StreamedTensor& t) {
  if (status != Status::kOk) {
    throw Error(fmt::format("{}: chunk {} of {} does not decode: {} (decoder status {})",
                            detail::record_name(j.tensor, t.name), j.chunk, j.chunks,
                            status_name(status), static_cast<unsigned>(status)));
  }
}

}  // namespace

StreamResult decode_stream(const InputFile& in, OutputFile& out, unsigned threads,
                           const TensorDone& done,
                           const std::function<void(const StreamResult&)>& scanned) {
  threads = std::max(threads, 1u);
  StreamResult result;
  // Pass 1: every record checked, and the output's header.
  TensorFile file;
  scan_records(in, &result, &file);
  result.kind = file.kind;
  if (scanned) scanned(result);
  const std::vector<uint8_t> header =
      file.kind == SourceKind::kSafetensors ? safetensors_header(file) : npy_header(file);
  file.tensors.clear();
  file.tensors.shrink_to_fit();

  // Pass 2: the chunks decoded and written in order.
  Sink sink(&out);
  sink.write(header);
  DecodeJobs jobs(in);
  run_batched<DecodeJob, DecodeSlot>(
      threads, [&](DecodeJob* j) { return jobs.next(j); },
      [](const DecodeJob& j) { return j.values; },
      [&](const DecodeJob& j, DecodeSlot& s) {
        decode_job(in, j, &s);
        if (s.status != Status::kOk || j.values == 0) {
          s.bytes.clear();
          return;
        }
        if (j.config.fp == Fp::kBf16) {
          const size_t n = s.values.size();
          s.bytes.resize(n * 2);
          for (size_t i = 0; i < n; ++i) {
            s.bytes[2 * i] = static_cast<uint8_t>(s.values[i]);
            s.bytes[2 * i + 1] = static_cast<uint8_t>(s.values[i] >> 8);
          }
        }
      },
      [&](const DecodeJob& j, DecodeSlot& s) {
        const StreamedTensor& t = result.tensors[j.tensor];
        check_decoded(j, s.status, t);
        if (j.config.fp == Fp::kFp32) {  // little-endian: the values are the file's bytes
          sink.write(reinterpret_cast<const uint8_t*>(s.values.data()), s.values.size() * 4);
        } else {
          sink.write(s.bytes);
        }
        if (j.last && done) done(t.values);
      });
  sink.flush();
  in.check_size();
  result.bytes_written = sink.pos();
  return result;
}

// ---- Measuring a container -------------------------------------------------------------------

namespace {

struct MeasureSlot {
  std::vector<uint8_t> payload;
  std::vector<uint32_t> values, scratch;
  Status status = Status::kOk;
  StreamChunk chunk;  // the chunk coded again (pass 1: with the stored table)
  Status coded = Status::kOk;
  ValueCounts counts;
  bool same = true;  // the stored chunk's words, version 2 mode, CRC and bytes
};

// What a conforming encoder picks for one tensor: its table and shared-table reference.
struct ConformingTable {
  CodeTable table;
  uint32_t ref = 0;
};

}  // namespace

StreamResult measure_container(const InputFile& in, unsigned threads, const ChunkValues& observe,
                               const std::function<void(const StreamResult&)>& scanned) {
  threads = std::max(threads, 1u);
  StreamResult result;
  scan_records(in, &result, nullptr);
  if (scanned) scanned(result);

  // Pass 1: each chunk decoded and coded again with its stored table. A version 2 or 3 tensor's
  // counts give the table a conforming encoder builds (and, in version 3, the shared table it
  // picks among the file's own tables so far: Spec "Shared tables").
  std::vector<ConformingTable> conforming(result.tensors.size());
  std::vector<bool> recode(result.tensors.size(), false);
  std::vector<CodeTable> file_tables;
  ValueCounts sum;
  bool chunks_same = true, chunks_coded = true;
  BitCounts bits;
  const auto code_again = [](const DecodeJob& j, const CodeTable& t, MeasureSlot& s) {
    s.coded =
        encode_stream_chunk(j.config, t, s.values.data(), s.values.size(), &s.chunk, &s.scratch);
  };
  {
    DecodeJobs jobs(in);
    run_batched<DecodeJob, MeasureSlot>(
        threads, [&](DecodeJob* j) { return jobs.next(j); },
        [](const DecodeJob& j) { return j.values; },
        [&](const DecodeJob& j, MeasureSlot& s) {
          s.counts = ValueCounts{};
          s.same = true;
          decode_job(in, j, &s);
          if (s.status != Status::kOk || j.values == 0) return;
          if (j.config.version >= 2) {
            s.counts = count_chunk_values(j.config, s.values.data(), s.values.size(), &s.scratch);
          }
          // A stored table that cannot code the values (not a conforming one) leaves the
          // tensor to pass 2.
          code_again(j, j.table, s);
          s.same = s.coded == Status::kOk && s.chunk.words == j.words && s.chunk.raw == j.raw &&
                   s.chunk.crc == j.crc && s.chunk.bytes == s.payload;
        },
        [&](const DecodeJob& j, MeasureSlot& s) {
          StreamedTensor& t = result.tensors[j.tensor];
          check_decoded(j, s.status, t);
          if (j.chunk == 0) {
            sum = ValueCounts{};
            chunks_same = chunks_coded = true;
            bits = BitCounts{};
          }
          if (j.values) {
            sum += s.counts;
            chunks_same = chunks_same && s.same;
            chunks_coded = chunks_coded && s.coded == Status::kOk;
            bits += s.chunk.bits;
            if (observe) observe(j.tensor, s.values.data(), s.values.size());
          }
          if (!j.last) return;
          ConformingTable& c = conforming[j.tensor];
          if (j.config.version >= 2) {
            const CodeTable own = table_for_counts(j.config, sum);
            c.ref = j.config.version == 3 ? shared_table_ref(j.config, own, sum, file_tables) : 0;
            c.table = c.ref ? file_tables[c.ref - 1] : own;
            if (j.config.version == 3 && !c.ref) file_tables.push_back(own);
          }
          const bool table_same = j.config.version < 2 || (c.ref == j.ref && c.table == j.table);
          t.conforming = chunks_same && table_same;
          recode[j.tensor] = !(table_same && chunks_coded);
          t.bits = bits;
          t.bits += stream_overhead_bits(j.config, j.chunks, c.table, c.ref);
        });
  }
  in.check_size();
  if (std::find(recode.begin(), recode.end(), true) == recode.end()) return result;

  // Pass 2, for the tensors whose stored table is not the conforming one: their chunks decoded
  // again and coded with the conforming table.
  DecodeJobs jobs(in);
  run_batched<DecodeJob, MeasureSlot>(
      threads, [&](DecodeJob* j) { return jobs.next(j); },
      [&](const DecodeJob& j) { return recode[j.tensor] ? j.values : 0; },
      [&](const DecodeJob& j, MeasureSlot& s) {
        s.status = s.coded = Status::kOk;
        s.chunk.bits = BitCounts{};
        if (!recode[j.tensor] || j.values == 0) return;
        decode_job(in, j, &s);
        if (s.status == Status::kOk) code_again(j, conforming[j.tensor].table, s);
      },
      [&](const DecodeJob& j, MeasureSlot& s) {
        if (!recode[j.tensor]) return;
        StreamedTensor& t = result.tensors[j.tensor];
        check_decoded(j, s.status, t);
        if (s.coded != Status::kOk) {
          throw Error(fmt::format("{}: chunk {} of {}: encoder status {} ({})",
                                  detail::record_name(j.tensor, t.name), j.chunk, j.chunks,
                                  status_name(s.coded), static_cast<unsigned>(s.coded)));
        }
        if (j.chunk == 0) bits = BitCounts{};
        bits += s.chunk.bits;
        if (j.last) {
          const ConformingTable& c = conforming[j.tensor];
          t.bits = bits;
          t.bits += stream_overhead_bits(j.config, j.chunks, c.table, c.ref);
        }
      });
  in.check_size();
  return result;
}

}  // namespace sfp::io
