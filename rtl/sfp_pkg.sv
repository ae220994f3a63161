// SPDX-License-Identifier: Apache-2.0
//
// Hand-written types and functions shared by the sfp encoder and decoder: the value formats, the
// per-tensor configuration and the mantissa quantizer Q_m. Spec: docs/format.md ("Conventions",
// "Mantissa quantizer", "Tensor configuration word"); the version 2 constants that version 3
// keeps are in sfp_code_pkg. Constants of the format itself live in the generated sfp_fmt_pkg and
// are always written in full (sfp_fmt_pkg::ExpBits).
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
  // a whole tensor. The lanes, chunk size and beat width are elaboration parameters of the
  // encoder and decoder.
  typedef struct packed {
    logic       gecko;     // g: a version 1 field, ignored by version 2
    logic       rne;       // r: rounding of Q_m, 1 = nearest even, 0 = truncate
    logic [4:0] man_bits;  // m: mantissa bits kept, 0..23 (FP32) or 0..7 (BF16)
    logic       bf16;      // f: 1 = BF16, 0 = FP32
  } cfg_t;

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

  // Elaboration-time function: no simulation coverage points.
  /* verilator coverage_off */

  // True when v is a power of two in [lo, hi].
  function automatic bit pow2_in(int unsigned v, int unsigned lo, int unsigned hi);
    pow2_in = (v >= lo) && (v <= hi) && ((v & (v - 1)) == 0);
  endfunction

  /* verilator coverage_on */

endpackage
