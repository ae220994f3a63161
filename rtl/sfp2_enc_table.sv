// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, per-tensor setup: the canonical codewords of both codes of the tensor's table.
// Spec: docs/format.md, "Canonical codewords". The codeword of symbol s of length n is
// first[n] + (number of symbols before s with length n), first[1] = 0 and
// first[n] = (first[n-1] + count[n-1]) << 1, which is the spec's loop written per length.
// Two passes over the held table: a length pass (one length n = 1 .. 12 per cycle: the count of
// symbols of length n in each code, and first[n] into a register), then a symbol pass (one
// symbol of each code per cycle), so no cycle holds more than one count or one addition of the
// chain; the setup takes 12 + 3 + dist cycles after start_i (at most 12 + NumSyms).
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
  localparam int unsigned NC = sfp2_pkg::NumCodes;
  localparam int unsigned FW = MB + 1;  // first[n] and the running sum, up to 2^12

  // Length pass: n_q = 1 .. 12. first_q[k][n-1] = first[n] of code k; run_q[k] = first[n_q].
  logic          lens_q;
  logic [LB-1:0] n_q;
  logic [FW-1:0] first_q [NC][MB];
  logic [FW-1:0] run_q [NC];
  logic [FW-1:0] cnt_n [NC];
  always_comb begin
    for (int k = 0; k < NC; k++) begin
      cnt_n[k] = '0;
      for (int s = 0; s < NS; s++) begin
        if (s < 3 + 32'(tab_i.ndist) && tab_i.len[(k*NS+s)*LB+:LB] == n_q) begin
          cnt_n[k] = cnt_n[k] + FW'(1);
        end
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (start_i) begin
      for (int k = 0; k < NC; k++) run_q[k] <= '0;
    end else if (lens_q) begin
      for (int k = 0; k < NC; k++) begin
        first_q[k][n_q-LB'(1)] <= run_q[k];
        run_q[k]               <= (run_q[k] + cnt_n[k]) << 1;
      end
    end
  end

  logic [5:0]         sym_q;     // symbol assigned this cycle
  logic               busy_q;
  logic [FW-1:0]      rank_q [NC][MB];  // symbols of each length n assigned so far: [k][n-1]

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lens_q <= 1'b0;
      n_q    <= '0;
      busy_q <= 1'b0;
      done_o <= 1'b0;
      sym_q  <= '0;
    end else if (start_i) begin
      lens_q <= 1'b1;
      n_q    <= LB'(1);
      busy_q <= 1'b0;
      done_o <= 1'b0;
      sym_q  <= '0;
    end else if (lens_q) begin
      n_q <= n_q + LB'(1);
      if (n_q == LB'(MB)) begin
        lens_q <= 1'b0;
        busy_q <= 1'b1;
      end
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
      for (int k = 0; k < NC; k++) begin
        for (int n = 0; n < MB; n++) rank_q[k][n] <= '0;
      end
    end else if (busy_q) begin
      for (int k = 0; k < NC; k++) begin
        for (int n = 1; n <= MB; n++) begin
          if (32'(sym_q) < 3 + 32'(tab_i.ndist) &&
              32'(tab_i.len[(k*NS+32'(sym_q))*LB+:LB]) == n) begin
            rank_q[k][n-1] <= rank_q[k][n-1] + FW'(1);
          end
        end
      end
    end
  end

  // The codeword of symbol sym_q in code k, left-aligned to 12 bits, then reversed.
  logic [NC*MB-1:0] cw_next;
  logic [LB-1:0]    n;
  logic [FW-1:0]    code, aligned;
  always_comb begin
    cw_next = '0;
    n = '0;
    code = '0;
    aligned = '0;
    for (int k = 0; k < NC; k++) begin
      n = tab_i.len[(k*NS+32'(sym_q))*LB+:LB];
      code = '0;
      aligned = '0;
      if (n != '0 && 32'(sym_q) < 3 + 32'(tab_i.ndist) && n <= LB'(MB)) begin
        code = first_q[k][n-LB'(1)] + rank_q[k][n-LB'(1)];
        aligned = code << (MB - 32'(n));
      end
      for (int i = 0; i < MB; i++) cw_next[k*MB+i] = aligned[MB-1-i];
    end
  end

  always_ff @(posedge clk_i) begin
    if (busy_q) begin
      for (int k = 0; k < NC; k++) begin
        cw_o[(k*NS+32'(sym_q))*MB+:MB] <= cw_next[k*MB+:MB];
      end
    end
  end

  `SFP_ASSERT_INIT(Layout_A, sfp2_pkg::v2_layout_ok())
  `SFP_ASSERT(SymRange_A, busy_q |-> 32'(sym_q) < NS)
  `SFP_ASSERT(LenRange_A, lens_q |-> n_q != '0 && n_q <= LB'(MB))
endmodule
