// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, per-tensor setup: the canonical codewords of both codes of the tensor's table.
// Spec: docs/format.md, "Canonical codewords". The codeword of symbol s of length n is
// first[n] + (number of symbols before s with length n), first[1] = 0 and
// first[n] = (first[n-1] + count[n-1]) << 1, which is the spec's loop written per length. The
// counts and first codewords are combinational from the held table; one symbol of each code is
// assigned per cycle, so the setup takes 3 + dist cycles (at most NumSyms) after start_i.
// Each codeword is kept bit-reversed in the low `length` bits (LSB first, the order the lanes
// append bits in): cw_o[(k * NumSyms + s) * 12 +: 12]. Symbols absent from a code get 0;
// symbols from 3 + dist on are left unwritten (a value's symbol is always below 3 + dist).
// Paths: none (cw_o, done_o registered).
`include "sfp_assert.svh"

module sfp2_enc_table (
  input  logic                                          clk_i,
  input  logic                                          rst_ni,
  input  logic                                          start_i,  // tab_i holds from here on
  input  sfp2_pkg::table_t                              tab_i,
  output logic [2*sfp2_pkg::NumSyms*sfp2_pkg::MaxCodeBits-1:0] cw_o,
  output logic                                          done_o
);
  localparam int unsigned NS = sfp2_pkg::NumSyms;
  localparam int unsigned MB = sfp2_pkg::MaxCodeBits;
  localparam int unsigned LB = sfp2_pkg::LenBits;

  // count[k][n] and first[k][n], n = 1 .. 12, flattened as [(k * 13 + n) * 13 +: 13].
  logic [2*13*13-1:0] first;
  logic [2*13*13-1:0] count;
  always_comb begin
    count = '0;
    first = '0;
    for (int k = 0; k < 2; k++) begin
      for (int s = 0; s < NS; s++) begin
        for (int n = 1; n <= MB; n++) begin
          if (s < 3 + 32'(tab_i.ndist) && 32'(tab_i.len[(k*NS+s)*LB+:LB]) == n) begin
            count[(k*13+n)*13+:13] = count[(k*13+n)*13+:13] + 13'd1;
          end
        end
      end
      for (int n = 2; n <= MB; n++) begin
        first[(k*13+n)*13+:13] =
            (first[(k*13+n-1)*13+:13] + count[(k*13+n-1)*13+:13]) << 1;
      end
    end
  end

  logic [5:0]         sym_q;     // symbol assigned this cycle
  logic               busy_q;
  logic [2*13*13-1:0] rank_q;    // symbols of each length assigned so far

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_o <= 1'b0;
      sym_q  <= '0;
    end else if (start_i) begin
      busy_q <= 1'b1;
      done_o <= 1'b0;
      sym_q  <= '0;
    end else if (busy_q) begin
      sym_q <= sym_q + 6'd1;
      // Symbols from 3 + dist on are never coded: their codewords are not needed.
      if (32'(sym_q) + 1 >= 3 + 32'(tab_i.ndist)) begin
        busy_q <= 1'b0;
        done_o <= 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (start_i) begin
      rank_q <= '0;
    end else if (busy_q) begin
      for (int k = 0; k < 2; k++) begin
        for (int n = 1; n <= MB; n++) begin
          if (32'(sym_q) < 3 + 32'(tab_i.ndist) &&
              32'(tab_i.len[(k*NS+32'(sym_q))*LB+:LB]) == n) begin
            rank_q[(k*13+n)*13+:13] <= rank_q[(k*13+n)*13+:13] + 13'd1;
          end
        end
      end
    end
  end

  // The codeword of symbol sym_q in code k, left-aligned to 12 bits, then reversed.
  logic [2*MB-1:0] cw_next;
  logic [LB-1:0]   n;
  logic [12:0]     code, aligned;
  always_comb begin
    cw_next = '0;
    n = '0;
    code = '0;
    aligned = '0;
    for (int k = 0; k < 2; k++) begin
      n = tab_i.len[(k*NS+32'(sym_q))*LB+:LB];
      code = '0;
      aligned = '0;
      if (n != '0 && 32'(sym_q) < 3 + 32'(tab_i.ndist) && n <= LB'(MB)) begin
        code = first[(k*13+32'(n))*13+:13] + rank_q[(k*13+32'(n))*13+:13];
        aligned = code << (MB - 32'(n));
      end
      for (int i = 0; i < MB; i++) cw_next[k*MB+i] = aligned[MB-1-i];
    end
  end

  always_ff @(posedge clk_i) begin
    if (busy_q) begin
      for (int k = 0; k < 2; k++) begin
        cw_o[(k*NS+32'(sym_q))*MB+:MB] <= cw_next[k*MB+:MB];
      end
    end
  end

  `SFP_ASSERT_INIT(Layout_A, sfp2_pkg::v2_layout_ok())
  `SFP_ASSERT(SymRange_A, busy_q |-> 32'(sym_q) < NS)
endmodule
