// SPDX-License-Identifier: Apache-2.0
//
// Constants and functions of format version 3 shared by the v3 encoder and decoder.
// Spec: docs/format.md ("Version 3 tensor stream" through "Version 3 size bounds"). Version 3
// keeps version 2's code table, symbols and canonical codewords (sfp_code_pkg: table_t, the symbol
// numbers, the CRC-32C step); the layout constants below are sfp_fmt_pkg's V3 fields, repeated
// here where Yosys 0.23 needs them in a package of their own and checked at elaboration
// (v3_layout_ok).
package sfp3_pkg;

  parameter int unsigned WordBits = 32;        // sfp_fmt_pkg::V3WordBits
  parameter int unsigned RefillBits = 44;      // sfp_fmt_pkg::V3LaneRefillBits
  parameter int unsigned MaxRefillWords = 2;   // sfp_fmt_pkg::V3MaxRefillWords
  parameter int unsigned LaneBufBits = 128;    // sfp_fmt_pkg::V3LaneBufferBits
  parameter int unsigned WindowWords = 512;    // sfp_fmt_pkg::V3WindowWords
  parameter int unsigned MaxValueBits = 44;    // sfp_fmt_pkg::V3MaxValueBits
  parameter int unsigned MinLaneValues = 64;   // sfp_fmt_pkg::V3MinLaneValues
  // Slots are compared modulo 2 * WindowWords (Spec: "Version 3 encoder working set").
  parameter int unsigned SlotBits = 10;

  // Elaboration-time functions: no simulation coverage points.
  /* verilator coverage_off */

  // True when the constants above agree with the generated package.
  function automatic bit v3_layout_ok();
    v3_layout_ok = WordBits == sfp_fmt_pkg::V3WordBits &&
                   RefillBits == sfp_fmt_pkg::V3LaneRefillBits &&
                   MaxRefillWords == sfp_fmt_pkg::V3MaxRefillWords &&
                   LaneBufBits == sfp_fmt_pkg::V3LaneBufferBits &&
                   WindowWords == sfp_fmt_pkg::V3WindowWords &&
                   MaxValueBits == sfp_fmt_pkg::V3MaxValueBits &&
                   MinLaneValues == sfp_fmt_pkg::V3MinLaneValues &&
                   (1 << SlotBits) == 2 * WindowWords;
  endfunction

  // Bits of a chunk length in the index: the bit width of 2 * C (Spec: "Version 3 chunk index
  // and CRC").
  function automatic int unsigned index_len_bits(int unsigned chunk);
    index_len_bits = $clog2(2 * chunk + 1);
  endfunction

  /* verilator coverage_on */

  // Lanes of a chunk of `values` values with `lanes` lanes (Spec: "Version 3 configuration"):
  // the largest power of two up to `lanes` with values >= MinLaneValues * L_c, at least 1.
  function automatic logic [5:0] chunk_lanes(logic [5:0] lanes, logic [31:0] values);
    logic [5:0] l;
    l = lanes;
    for (int i = 0; i < 6; i++) begin
      if (l > 6'd1 && values < 32'(MinLaneValues) * 32'(l)) l = l >> 1;
    end
    chunk_lanes = l;
  endfunction

endpackage
