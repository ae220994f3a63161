// SPDX-License-Identifier: Apache-2.0
//
// Types, constants and functions of format version 2 that the version 3 blocks keep: the code
// table and its symbols, the decoder's table vectors, status codes, CRC-32C, the lanes of a
// chunk. Spec: docs/format.md ("Version 2 tensor stream", "Code table", "Lane symbols", "Refill
// rule", "Chunk index and CRC", "Version 2 decoder errors"). The values format, the
// configuration and Q_m are those of sfp_pkg; constants of the spec's field table are sfp_fmt_pkg's, repeated here
// where Yosys 0.23 needs them in a package of their own and checked at elaboration (v2_layout_ok).
package sfp_code_pkg;

  // Words and lanes //

  parameter int unsigned WordBits = 32;        // sfp_fmt_pkg::V2WordBits
  parameter int unsigned RefillBits = 32;      // sfp_fmt_pkg::V2LaneRefillBits
  parameter int unsigned LaneBufBits = 64;     // sfp_fmt_pkg::V2LaneBufferBits
  parameter int unsigned MinLaneValues = 32;   // sfp_fmt_pkg::V2MinLaneValues
  parameter int unsigned MaxCodeBits = 12;     // sfp_fmt_pkg::MaxCodeBits
  parameter int unsigned MaxDistSymbols = 48;  // sfp_fmt_pkg::MaxDistSymbols
  parameter int unsigned EscExpBits = 8;       // the escaped exponent
  // Longest lane read for one value: a codeword, the escaped exponent and the m = 0 bit.
  parameter int unsigned MaxValueBits = MaxCodeBits + EscExpBits + 1;  // 21

  // Symbols (Spec: "Code table"): ZERO, REP, ESC, then the distances D_d = DistSym0 + d.
  parameter int unsigned SymZero = 0;
  parameter int unsigned SymRep = 1;
  parameter int unsigned SymEsc = 2;
  parameter int unsigned SymDist0 = 3;
  parameter int unsigned NumSyms = SymDist0 + MaxDistSymbols;  // 51
  parameter int unsigned SymBits = 6;                          // holds 0 .. NumSyms - 1
  parameter int unsigned LenBits = 4;                          // a codeword length, 0 .. 12
  parameter int unsigned NumCodes = 2;                         // code 0, and code 1 after ZERO
  parameter int unsigned ExpBits = 8;                          // a value's exponent field
  parameter int unsigned StatusBits = 4;                       // a status code (status2_e)

  // The decoder's per-tensor tables (sfp_dec_table), flattened per code c and length k (1 ..
  // MaxCodeBits) or sorted symbol i: the canonical limit of length k left-aligned in
  // MaxCodeBits + 1 bits, the first codeword of length k, the offset of its symbols, the
  // symbols in canonical order.
  parameter int unsigned LimBits = MaxCodeBits + 1;
  parameter int unsigned LimVecBits = NumCodes * MaxCodeBits * LimBits;      // [(c*12+k-1)*13]
  parameter int unsigned FcVecBits = NumCodes * MaxCodeBits * MaxCodeBits;   // [(c*12+k-1)*12]
  parameter int unsigned OffVecBits = NumCodes * MaxCodeBits * SymBits;      // [(c*12+k-1)*6]
  parameter int unsigned SymVecBits = NumCodes * NumSyms * SymBits;          // [(c*51+i)*6]

  // Table sign field.
  parameter logic [1:0] SignMixed = 2'd0;  // the plane holds a sign bit per coded value
  parameter logic [1:0] SignPos = 2'd1;    // every non-zero value is positive
  parameter logic [1:0] SignNeg = 2'd2;    // every non-zero value is negative

  // The tensor's code table as the spec serializes it, lengths flattened: the length of symbol
  // s in code c is len[(c * NumSyms + s) * LenBits +: LenBits]. A table with
  // two = 0 has code 1 all zero.
  typedef struct packed {
    logic [2*NumSyms*LenBits-1:0] len;
    logic                         two;
    logic [5:0]                   ndist;  // the spec's dist: number of distance symbols
    logic [1:0]                   sign;
    logic [7:0]                   base;
  } table_t;
  parameter int unsigned TableBits = 2 * NumSyms * LenBits + 1 + 6 + 2 + 8;  // $bits(table_t)

  // Decoder status codes of version 2 (Spec: "Version 2 decoder errors"; 0 = ok).
  typedef enum logic [3:0] {
    St2Ok        = 4'd0,
    St2BadConfig = 4'd1,
    St2BadIndex  = 4'd2,
    St2Truncated = 4'd3,
    St2ExpRange  = 4'd5,
    St2BadPad    = 4'd6,
    St2Length    = 4'd7,
    St2Crc       = 4'd9,
    St2BadTable  = 4'd10,
    St2BadCode   = 4'd11
  } status2_e;

  // CRC-32C (Spec: "Chunk index and CRC") //
  // Castagnoli, reflected: the register shifts right and takes data bits least significant
  // first, which is the order of the bytes of a little-endian 32-bit word. The caller starts
  // from CrcInit and XORs the result with CrcInit.
  parameter logic [31:0] CrcPolyRefl = 32'h82F63B78;
  parameter logic [31:0] CrcInit = 32'hFFFFFFFF;

  // Elaboration-time functions: no simulation coverage points.
  /* verilator coverage_off */

  // True when the constants above agree with the generated package.
  function automatic bit v2_layout_ok();
    v2_layout_ok = WordBits == sfp_fmt_pkg::V2WordBits &&
                   RefillBits == sfp_fmt_pkg::V2LaneRefillBits &&
                   LaneBufBits == sfp_fmt_pkg::V2LaneBufferBits &&
                   MinLaneValues == sfp_fmt_pkg::V2MinLaneValues &&
                   MaxCodeBits == sfp_fmt_pkg::MaxCodeBits &&
                   MaxDistSymbols == sfp_fmt_pkg::MaxDistSymbols;
  endfunction

  /* verilator coverage_on */

endpackage
