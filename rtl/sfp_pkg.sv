// SPDX-License-Identifier: Apache-2.0
//
// Hand-written types and functions shared by the sfp encoder and decoder: the value formats, the
// per-tensor configuration, the mantissa quantizer Q_m and the worst-case sizes that set the
// widths of buffers and beats. Spec: docs/format.md ("Conventions", "Mantissa quantizer",
// "Tensor configuration word", "Worst-case size"). Constants of the format itself live in the
// generated sfp_fmt_pkg and are always written in full (sfp_fmt_pkg::ExpBits).
package sfp_pkg;

  // Value formats //

  // Inside the encoder and decoder every value is held in the FP32 layout sign[31] exp[30:23]
  // man[22:0]. A BF16 value is the top half of that layout (bf16 << 16): its 7 mantissa bits are
  // the top 7 of the 23, so "the top m mantissa bits" and Q_m mean the same bits in both formats,
  // and only the ports narrow or widen.
  typedef enum logic {
    FmtFp32 = 1'b0,
    FmtBf16 = 1'b1
  } fp_fmt_e;

  //
  // Yosys 0.23 cannot read a package-level declaration that names another package, so these
  // repeat the generated constants; the encoder and decoder tops check them against sfp_fmt_pkg
  // at elaboration (Layout_A).
  parameter int unsigned ValueBits = 32;  // 1 + sfp_fmt_pkg::ExpBits + sfp_fmt_pkg::ManBitsFp32
  parameter int unsigned ManBits = 23;  // sfp_fmt_pkg::ManBitsFp32: internal mantissa width
  parameter int unsigned ExpBits = 8;  // sfp_fmt_pkg::ExpBits
  parameter logic [7:0] ExpMax = 8'hFF;  // Inf and NaN exponent

  // True when the constants above agree with the generated package (elaboration only).
  /* verilator coverage_off */
  function automatic bit layout_ok();
    layout_ok = ValueBits == 1 + sfp_fmt_pkg::ExpBits + sfp_fmt_pkg::ManBitsFp32 &&
                ManBits == sfp_fmt_pkg::ManBitsFp32 && ExpBits == sfp_fmt_pkg::ExpBits;
  endfunction
  /* verilator coverage_on */

  // Mantissa width of a format (M in the spec).
  function automatic logic [4:0] man_bits(logic bf16);
    man_bits = bf16 ? 5'(sfp_fmt_pkg::ManBitsBf16) : 5'(sfp_fmt_pkg::ManBitsFp32);
  endfunction

  // One value in the internal layout.
  typedef struct packed {
    logic        sign;
    logic [7:0]  exp;
    logic [22:0] man;
  } fp_fields_t;

  // Tensor configuration //

  // The low byte of the tensor configuration word (Spec: "Tensor configuration word"): held for
  // a whole tensor. The group size, base code, zero code, chunk size and word width are
  // elaboration parameters of the encoder and decoder.
  typedef struct packed {
    logic       gecko;     // g: 1 = exponent deltas from the group base, 0 = raw exponents
    logic       rne;       // r: rounding of Q_m, 1 = nearest even, 0 = truncate
    logic [4:0] man_bits;  // m: mantissa bits kept, 0..23 (FP32) or 0..7 (BF16)
    logic       bf16;      // f: 1 = BF16, 0 = FP32
  } cfg_t;

  // Where a group sits in its chunk and tensor; travels with the group down each pipeline.
  typedef struct packed {
    logic last;         // last group of the tensor
    logic chunk_end;    // last group of its chunk
    logic chunk_first;  // first group of its chunk
  } grp_flags_t;
  parameter int unsigned GrpFlagsBits = 3;  // $bits(grp_flags_t), which Yosys 0.23 cannot read

  // Base codes and zero codes (values of the configuration word fields).
  parameter int unsigned BaseRaw = 0;
  parameter int unsigned BaseDelta = 1;
  parameter int unsigned BaseGamma = 2;
  parameter int unsigned ZeroNone = 0;
  parameter int unsigned ZeroMask = 1;
  parameter int unsigned ZeroMode = 2;

  // Decoder status codes (Spec: "Decoder errors").
  typedef enum logic [2:0] {
    StatOk          = 3'd0,
    StatBadConfig   = 3'd1,
    StatBadIndex    = 3'd2,
    StatTruncated   = 3'd3,
    StatBadBaseCode = 3'd4,
    StatExpRange    = 3'd5,
    StatBadPadding  = 3'd6,
    StatLength      = 3'd7
  } status_e;

  // The m a configuration really uses: m above the format's mantissa width is illegal (the
  // encoder and decoder assume it away) and is clamped so the logic stays defined.
  function automatic logic [4:0] eff_man_bits(logic [4:0] m, logic bf16);
    eff_man_bits = (m > man_bits(bf16)) ? man_bits(bf16) : m;
  endfunction

  // Q_m on a value in the internal layout. Spec: "Mantissa quantizer". Because BF16 is the top
  // half of the layout with zero low bits, Q_m of the widened value is the widened Q_m of the
  // BF16 value for every m <= 7, and Q_7 is the identity on it.
  function automatic logic [31:0] quantize(logic [31:0] v, logic [4:0] m, logic rne);
    logic [30:0] mag, keep, half, rounded;
    logic [4:0]  drop;
    logic [22:0] man;
    logic        odd;
    mag  = v[30:0];
    drop = (m >= 5'd23) ? 5'd0 : 5'd23 - m;
    keep = ~((31'd1 << drop) - 31'd1);
    half = (drop == 5'd0) ? 31'd0 : (31'd1 << (drop - 5'd1)) - 31'd1;
    odd  = mag[drop];
    man  = mag[22:0] & keep[22:0];
    rounded = (mag + half + {30'd0, odd}) & keep;  // at most Inf: no carry out of 31 bits
    if (drop == 5'd0) begin
      quantize = v;
    end else if (mag > {8'hFF, 23'd0}) begin  // NaN: truncate the payload, keep it a NaN
      quantize = {v[31], 8'hFF, (man == 23'd0) ? 23'h400000 : man};
    end else if (!rne || mag == {8'hFF, 23'd0}) begin  // truncate, or Inf
      quantize = {v[31], mag & keep};
    end else begin
      quantize = {v[31], rounded};
    end
  endfunction

  // Worst-case sizes (Spec: "Worst-case size") //
  // Elaboration-time functions: no simulation coverage points.
  /* verilator coverage_off */

  // Bits of the zero information of a group of `lanes` values, `zeros` of them zero.
  function automatic int unsigned zero_info_bits(int unsigned code, int unsigned lanes,
                                                 int unsigned zeros);
    if (code == ZeroNone) begin
      zero_info_bits = 0;
    end else if (code == ZeroMask) begin
      zero_info_bits = (zeros == 0) ? 1 : 1 + lanes;
    end else begin
      zero_info_bits = (zeros == 0) ? 1 : (zeros == lanes) ? 2 : 2 + lanes;
    end
  endfunction

  // Longest base code: raw 8, delta 11 (escape), gamma 17 (8 zeros, a one, 8 bits).
  function automatic int unsigned base_max_bits(int unsigned code);
    if (code == BaseRaw) begin
      base_max_bits = sfp_fmt_pkg::RawBaseBits;
    end else if (code == BaseDelta) begin
      base_max_bits = 3 + sfp_fmt_pkg::RawBaseBits;
    end else begin
      base_max_bits = 2 * sfp_fmt_pkg::GammaMaxZeros + 1;
    end
  endfunction

  // Longest group header (zero information, base code, width code).
  function automatic int unsigned hdr_max_bits(int unsigned lanes, int unsigned base_code,
                                               int unsigned zero_code);
    hdr_max_bits = zero_info_bits(zero_code, lanes, 1) + base_max_bits(base_code) +
                   sfp_fmt_pkg::WidthCodeBits;
  endfunction

  // Largest group record of `lanes` values over every number of zeros, for the widest
  // configuration (FP32, m = 23, Gecko on): record(g, z) of the spec.
  function automatic int unsigned rec_max_bits(int unsigned lanes, int unsigned base_code,
                                               int unsigned zero_code);
    int unsigned best, r;
    best = 0;
    for (int unsigned z = 0; z <= lanes; z++) begin
      r = zero_info_bits(zero_code, lanes, z);
      if (z < lanes) begin
        r = r + base_max_bits(base_code) + sfp_fmt_pkg::WidthCodeBits + (lanes - z) * ValueBits;
      end
      if ((zero_code != ZeroNone || z == 0) && r > best) best = r;
    end
    rec_max_bits = best;
  endfunction

  // Words in one encoder output beat (and one decoder input beat): enough for the largest
  // record on top of a partial word, so that a group is packed every cycle:
  // BeatWords * W >= RecMax + W - 1.
  function automatic int unsigned beat_words(int unsigned rec_max, int unsigned word_bits);
    beat_words = (rec_max + 2 * word_bits - 2) / word_bits;
  endfunction

  // Longest chunk in words: ceil(max_chunk_bits(C) / W).
  function automatic int unsigned chunk_words_max(int unsigned chunk, int unsigned lanes,
                                                  int unsigned rec_max, int unsigned word_bits);
    chunk_words_max = ((chunk / lanes) * rec_max + word_bits - 1) / word_bits;
  endfunction

  // True when v is a power of two in [lo, hi].
  function automatic bit pow2_in(int unsigned v, int unsigned lo, int unsigned hi);
    pow2_in = (v >= lo) && (v <= hi) && ((v & (v - 1)) == 0);
  endfunction

  /* verilator coverage_on */

endpackage
