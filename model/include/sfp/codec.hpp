// SPDX-License-Identifier: Apache-2.0
//
// The tensor encoder and decoder: Q_m, Gecko groups, chunks, the chunk index and per-field bit
// accounting. Spec: docs/format.md, "Tensor stream".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sfp/format.hpp"

namespace sfp {

// Where every bit of an encoded tensor went. exponent() counts all exponent metadata (zero
// information, bases, widths, deltas; in version 2 the codewords, escapes, the code table and
// the chunk headers); overhead() is padding, the chunk index and the chunk CRCs.
struct BitCounts {
  uint64_t sign = 0;
  uint64_t zero = 0;    // v1: zero information; v2: ZERO codewords
  uint64_t repeat = 0;  // v2: REP codewords (a whole value repeated)
  uint64_t base = 0;
  uint64_t width = 0;
  uint64_t delta = 0;   // v1: deltas, or raw exponents without Gecko; v2: distance and ESC
                        // codewords, escaped exponents, raw chunks' exponents
  uint64_t table = 0;   // v2: the tensor's code table
  uint64_t header = 0;  // v2: chunk header words
  uint64_t mantissa = 0;
  uint64_t pad = 0;    // zero bits that fill words (chunks, lanes, planes)
  uint64_t index = 0;  // chunk index entries (v2: length and mode)
  uint64_t crc = 0;    // v2: the chunk CRCs in the index
  uint64_t exponent() const { return zero + repeat + base + width + delta + table + header; }
  uint64_t overhead() const { return pad + index + crc; }
  uint64_t total() const { return sign + exponent() + mantissa + overhead(); }
  BitCounts& operator+=(const BitCounts& o);
};

// Every stored field of BitCounts with its name, in order: the one list that sums, JSON
// output and the Python module walk.
struct BitField {
  const char* name;
  uint64_t BitCounts::*member;
};
inline constexpr std::array<BitField, 12> kBitFields = {{{"sign", &BitCounts::sign},
                                                         {"zero", &BitCounts::zero},
                                                         {"repeat", &BitCounts::repeat},
                                                         {"base", &BitCounts::base},
                                                         {"width", &BitCounts::width},
                                                         {"delta", &BitCounts::delta},
                                                         {"table", &BitCounts::table},
                                                         {"header", &BitCounts::header},
                                                         {"mantissa", &BitCounts::mantissa},
                                                         {"pad", &BitCounts::pad},
                                                         {"index", &BitCounts::index},
                                                         {"crc", &BitCounts::crc}}};

// Version 2: the tensor's exponent code. Spec: "Version 2", "Code table".
enum class SignMode : uint8_t { kMixed = 0, kPositive = 1, kNegative = 2 };
// Symbols of the exponent code: ZERO (+0), REP (the previous value of the chunk), ESC (a raw
// exponent follows), then distance d = base - exp for d = 0 .. dist-1.
inline constexpr unsigned kSymZero = 0, kSymRep = 1, kSymEsc = 2, kSymDist0 = 3;
inline constexpr unsigned kMaxSymbols = kSymDist0 + kMaxDistSymbols;

struct CodeTable {
  unsigned base = 0;                 // the reference exponent of the distances
  SignMode sign = SignMode::kMixed;  // kMixed: the plane holds a sign bit per coded value
  unsigned dist = 0;                 // number of distance symbols (0 .. kMaxDistSymbols)
  bool two = false;                  // two codes: lengths[1] when the lane's previous value is +0
  uint8_t lengths[2][kMaxSymbols] = {};  // codeword length per symbol, 0 = absent
  unsigned symbols() const { return kSymDist0 + dist; }
  unsigned codes() const { return two ? 2 : 1; }
  // The code a lane uses when its previous value is (prev_zero) or is not +0.
  const uint8_t* code(bool prev_zero) const { return lengths[two && prev_zero ? 1 : 0]; }
  bool operator==(const CodeTable& o) const;
};
// Spec: "Code table". Bits of a serialized table, and the table as bytes (pad bits zero).
unsigned table_bits(const CodeTable& t);
std::vector<uint8_t> pack_table(const CodeTable& t);
// Parses a table from data[0..size); *used is set to the bytes it takes. kBadTable if a field
// is out of range or the lengths are over-subscribed; kTruncated if size is too small.
Status unpack_table(const uint8_t* data, size_t size, CodeTable* t, size_t* used);
// kOk if the table is legal (ranges, Kraft sum at most 1).
Status check_table(const CodeTable& t);

// Version 2 code lengths: package-merge limited to max_bits over the histogram (one count per
// symbol), with the tie rules of the spec ("Code lengths"). A single present symbol gets length 1.
std::vector<unsigned> limited_code_lengths(const std::vector<uint64_t>& hist, unsigned max_bits);

// CRC-32C (Castagnoli, reflected, initial value and final XOR 0xFFFFFFFF) of data, continuing
// from a previous result crc (0 to start).
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

// One group after analysis: the fields written before its value fields.
// Spec: "Group record". Mirrors the RTL's group analysis stage.
struct GroupPlan {
  unsigned lanes = 0;       // values in the group (G, or fewer at the end of a chunk)
  uint32_t zero_mask = 0;   // bit i set: lane i is +0 (always 0 with zero code none)
  unsigned nonzero = 0;     // lanes with a value field
  unsigned base = 0;        // B: smallest exponent of the non-zero lanes
  unsigned width_code = 0;  // wc: 0..6 = delta width, 7 = width 8
  unsigned width() const { return width_code == 7 ? 8 : width_code; }
};

// Analyses `lanes` quantized values (Gecko on; with Gecko off only the zero fields are used).
GroupPlan plan_group(const Config& c, const uint32_t* q, unsigned lanes);

struct Encoded {
  Config config;
  uint64_t values = 0;
  std::vector<uint32_t> chunk_words;  // the chunk index: length of each chunk in W-bit words
  std::vector<uint8_t> payload;       // the chunks back to back, W/8 bytes per word
  // Version 2 only: the code table, and per chunk its mode (1 = raw) and CRC-32C.
  CodeTable table;
  std::vector<uint8_t> chunk_raw;
  std::vector<uint32_t> chunk_crc;
  BitCounts bits;
  // Version 3 only (chunk_words in 32-bit words, chunk_crc as in version 2, chunk_raw empty):
  // 0 when the tensor carries its own table, else the number (from 1) of the earlier table of
  // its file that it uses (Spec: "Shared tables"); and what the one-pass encoder held at most,
  // in units, and how many units expired (Spec: "Encoder working set").
  uint32_t table_ref = 0;
  uint64_t held_units = 0;
  uint64_t expired_units = 0;
};

// Encodes n values (bit patterns; BF16 in the low 16 bits). Returns kBadConfig for an invalid
// config and kBadInput for a BF16 value with high bits set; *out is then left empty. Version 2
// codes its chunks on up to `threads` threads (the output does not depend on the count).
Status encode(const Config& c, const uint32_t* values, size_t n, Encoded* out,
              unsigned threads = 1);

// Decodes a whole tensor into out[0..values). Every value written is Q_m of the encoder's input.
// Version 2 decodes its chunks on up to `threads` threads and reports the error of the first
// failing chunk.
Status decode(const Encoded& e, uint32_t* out, unsigned threads = 1);

// Decodes chunk `chunk` alone (random access): writes its values to out (at most c.chunk).
// `data` holds exactly that chunk's words. Version 1 only.
Status decode_chunk(const Config& c, uint64_t chunk_values, const uint8_t* data, size_t words,
                    uint32_t* out);

// Version 2: decodes one chunk of `chunk_values` values given the tensor's table, the chunk's
// mode and CRC from the index, and its words. On an error the chunk's values are all +0.
Status decode_chunk_v2(const Config& c, const CodeTable& t, uint64_t chunk_values, bool raw,
                       uint32_t crc, const uint8_t* data, size_t words, uint32_t* out);

// Version 2: the lanes of a chunk of `values` values when the configuration has `lanes`: the
// largest power of two up to `lanes` that leaves every lane kV2MinLaneValues values, at least 1.
// Spec: "Lanes of a chunk".
unsigned chunk_lanes(unsigned lanes, uint64_t values);
// The lanes of a chunk of `values` values under configuration c (version 2 or 3, whose
// V2MinLaneValues and V3MinLaneValues differ).
unsigned chunk_lanes(const Config& c, uint64_t values);

// Version 3: one chunk's coded form, as the one-pass encoder emits it, and what it held.
struct ChunkV3 {
  uint32_t crc = 0;
  std::vector<uint8_t> bytes;  // the chunk's units
  BitCounts bits;
  uint64_t held_units = 0;     // the most units reserved and not yet emitted after a step
  uint64_t expired_units = 0;  // units closed by expiry before the lane filled them
  uint64_t expired_bits = 0;   // lane bits skipped by those expiries (zero padding)
};
// Codes chunk values q[0..n) (already quantized) with table t. kBadTable if t lacks a symbol
// one of the values needs (a table built from values that include these never does).
Status encode_chunk_v3(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                       ChunkV3* out);
// Decodes one version 3 chunk of `chunk_values` values from its `units` 32-bit words, given the
// tensor's table and the CRC from the index. On an error the chunk's values are all +0.
Status decode_chunk_v3(const Config& c, const CodeTable& t, uint64_t chunk_values, uint32_t crc,
                       const uint8_t* data, size_t units, uint32_t* out);
// The same two functions, fast: the same bytes, CRC, bit counts, working set and status, and
// on an error the same all-zero output (codec_v3_fast.cpp). sfp::encode and sfp::decode use them.
Status encode_chunk_v3_fast(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                            ChunkV3* out);
Status decode_chunk_v3_fast(const Config& c, const CodeTable& t, uint64_t chunk_values,
                            uint32_t crc, const uint8_t* data, size_t units, uint32_t* out);
// Version 3: the fewest and the most units a chunk of `values` values can take (Spec: "Chunk
// index"): every value takes a lane bit, and a lane takes at most one unit per value.
uint64_t min_chunk_units_v3(const Config& c, uint64_t values);
uint64_t max_chunk_units_v3(const Config& c, uint64_t values);
// Version 3: encodes with a given table (a file's shared table, Spec: "Shared tables");
// kBadTable if the table cannot code the values. out->table_ref is left 0 for the caller.
Status encode_with_table(const Config& c, const CodeTable& t, const uint32_t* values, size_t n,
                         Encoded* out, unsigned threads = 1);

// Version 3: a tensor's table section (Spec: "Version 3 table section"): a flag bit, then the
// table (ref 0) or a V3TableRefBits-bit reference to the file's ref-th table; padded to a byte.
unsigned table_section_bits(const CodeTable& t, uint32_t ref);
std::vector<uint8_t> pack_table_section(const CodeTable& t, uint32_t ref);
// Parses a section: *ref is 0 and *t the table, or *ref the reference (t untouched).
Status unpack_table_section(const uint8_t* data, size_t size, CodeTable* t, uint32_t* ref,
                            size_t* used);
// Version 3: encodes the tensors of one file in order, each with its own table or with one of
// the last V3TableCandidates tables of the file, whichever codes it in fewer bits (Spec:
// "Shared tables"). Tensors whose configuration is not version 3 are encoded alone.
struct TensorInput {
  Config config;
  const uint32_t* values = nullptr;
  size_t n = 0;
};
Status encode_tensors(const std::vector<TensorInput>& in, std::vector<Encoded>* out,
                      unsigned threads = 1);

// Version 2: one chunk's coded form, as the encoder builds it (for tests and the RTL benches).
struct ChunkV2 {
  bool raw = false;
  uint32_t crc = 0;
  std::vector<uint8_t> bytes;  // the chunk's words
  BitCounts bits;
};
// Codes chunk values q[0..n) (already quantized) with the tensor's table.
ChunkV2 encode_chunk_v2(const Config& c, const CodeTable& t, const uint32_t* q, size_t n);
// The table a conforming encoder builds for quantized values q[0..n). TableOptions other than
// the defaults give streams that every decoder reads but no conforming encoder writes; sfp eval
// measures them as candidates.
struct TableOptions {
  bool rep = true;                        // false: never use REP
  bool contexts = true;                   // false: never use two codes
  unsigned max_code_bits = kMaxCodeBits;  // length limit, at most kMaxCodeBits
};
CodeTable build_table(const Config& c, const uint32_t* q, size_t n, const TableOptions& o = {});
// Encodes a version 2 tensor with a candidate table rule (single-threaded).
Status encode_candidate(const Config& c, const TableOptions& o, const uint32_t* values, size_t n,
                        Encoded* out);

// Number of chunks for n values: ceil(n / C).
uint64_t chunk_count(const Config& c, uint64_t n);
// Bits of one chunk index entry: enough to hold the largest chunk length in words.
unsigned index_entry_bits(const Config& c);
// Worst-case encoded size of one chunk of `values` values, before padding.
uint64_t max_chunk_bits(const Config& c, uint64_t values);
// Worst-case size in bits of a whole tensor of n values: chunks padded to words, plus the index.
uint64_t max_encoded_bits(const Config& c, uint64_t n);

// ---- A tensor stream chunk by chunk --------------------------------------------------------
// What sfp::encode and encode_tensors do in one call, in pieces, so that a tensor can be coded
// while its values are read: count each chunk, sum the counts in chunk order, make the table
// (and, in version 3, pick a shared one), then code each chunk on its own. The pieces give the
// same bytes, index entries and bit counts as the whole-tensor calls.

// Symbol counts of a tensor's values for the version 2 and 3 table rule (Spec: "Code lengths"):
// per code context and exponent (256: +0, 257: a repeat), with repeats counted apart (with) or
// as their coded symbol (without), and the signs of the non-zero values. The counts of a tensor
// are the sum of its chunks' counts.
struct ValueCounts {
  uint64_t with[2][258] = {}, without[2][258] = {};
  uint32_t sign_or = 0, sign_and = 1;
  ValueCounts& operator+=(const ValueCounts& o);
};
// Counts chunk values[0..n) (before Q_m) of a tensor with configuration c (version 2 or 3).
// *scratch holds Q_m of the values when Q_m is not the identity.
ValueCounts count_chunk_values(const Config& c, const uint32_t* values, size_t n,
                               std::vector<uint32_t>* scratch);
// The table a conforming encoder builds for a tensor whose counts are `counts`.
CodeTable table_for_counts(const Config& c, const ValueCounts& counts);
// Version 3 (Spec: "Shared tables"): the table a tensor uses, given its own table and counts and
// the file's own tables so far (numbered from 1): 0 for its own table, else that number.
uint32_t shared_table_ref(const Config& c, const CodeTable& own, const ValueCounts& counts,
                          const std::vector<CodeTable>& tables);

// One coded chunk and its chunk index entry.
struct StreamChunk {
  std::vector<uint8_t> bytes;  // the chunk's words
  uint32_t words = 0;          // its length in words (W bits in version 1, 32 bits after)
  bool raw = false;            // version 2: the chunk's mode
  uint32_t crc = 0;            // versions 2 and 3: the chunk's CRC-32C
  BitCounts bits;              // the chunk's bits (no table, index or CRC)
};
// Codes chunk values[0..n) (before Q_m; n >= 1, at most C) of a tensor with configuration c
// and, in versions 2 and 3, table t. kBadConfig for an invalid config, kBadInput for a BF16
// value with high bits set, kBadTable if t cannot code the values. *scratch is working memory.
Status encode_stream_chunk(const Config& c, const CodeTable& t, const uint32_t* values, size_t n,
                           StreamChunk* out, std::vector<uint32_t>* scratch);
// Decodes one chunk of n values of any version from its index entry (words, version 2 mode,
// CRC) and its words. On an error the chunk's values are all +0 (version 1: from the failing
// group on).
Status decode_stream_chunk(const Config& c, const CodeTable& t, uint64_t n, bool raw, uint32_t crc,
                           const uint8_t* data, size_t words, uint32_t* out);
// The bits of a tensor stream outside its chunks: the table (a version 3 table section with
// reference ref), the chunk index entries and CRCs of `chunks` chunks.
BitCounts stream_overhead_bits(const Config& c, uint64_t chunks, const CodeTable& t, uint32_t ref);

}  // namespace sfp
