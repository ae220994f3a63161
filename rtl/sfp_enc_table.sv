// SPDX-License-Identifier: Apache-2.0
//
// Encoder per-tensor setup: the canonical codewords of both codes of the tensor's table.
// Spec: docs/format.md, "Canonical codewords". The codeword of symbol s of length n is
// first[n] + (number of symbols before s with length n), first[1] = 0 and
// first[n] = (first[n-1] + count[n-1]) << 1, which is the spec's loop written per length.
// Two passes over the held table, each a short pipeline so that no cycle holds more than one
// count or one addition: a length pass (one length n = 1 .. 12 per cycle: the count of symbols
// of length n in each code: which symbols match, registered; their number as an adder tree,
// registered; then first[n] into a register and the running sum), then a symbol pass (one
// symbol of each code per cycle: its length, registered; then the next codeword of its length
// n, registered (a register per length, first[n] counted up); then left-aligned, reversed and
// written). The setup takes 12 + 2 + 3 + dist + 3 cycles after start_i (at most 17 + NumSyms).
// Each codeword is kept bit-reversed in the low `length` bits (LSB first, the order the lanes
// append bits in): cw_o[(k * NumSyms + s) * 12 +: 12]. Symbols absent from a code get 0;
// symbols from 3 + dist on are left unwritten (a value's symbol is always below 3 + dist).
// Paths: none (cw_o, done_o registered).
`include "sfp_assert.svh"

module sfp_enc_table (
  input  logic                                          clk_i,
  input  logic                                          rst_ni,
  input  logic                                          start_i,  // tab_i holds from here on
  input  sfp_code_pkg::table_t                              tab_i,
  output logic [2*sfp_code_pkg::NumSyms*sfp_code_pkg::MaxCodeBits-1:0] cw_o,
  output logic                                          done_o
);
  localparam int unsigned NS = sfp_code_pkg::NumSyms;
  localparam int unsigned MB = sfp_code_pkg::MaxCodeBits;
  localparam int unsigned LB = sfp_code_pkg::LenBits;
  localparam int unsigned NC = sfp_code_pkg::NumCodes;
  localparam int unsigned SB = sfp_code_pkg::SymBits;
  localparam int unsigned FW = MB + 1;  // first[n] and the running sum, up to 2^12

  // Symbols 0 .. last_sym are coded (3 + dist of them).
  logic [SB-1:0] last_sym;
  assign last_sym = SB'(32'(tab_i.ndist) + 2);

  // Length pass, first cycle: n_q = 1 .. 12; match_q: which symbols of each code have length
  // n_q. Second: cnt_q[k], their number in code k (a tree of additions).
  logic            lens_q, lens1_q, lens2_q;
  logic [LB-1:0]   n_q, n1l_q, n2_q;
  logic [NC*NS-1:0] match_q;
  logic [FW-1:0]   cnt_q [NC];
  logic [NC*FW-1:0] cnt_n;
  always_ff @(posedge clk_i) begin
    for (int k = 0; k < NC; k++) begin
      for (int s = 0; s < NS; s++) begin
        match_q[k*NS+s] <= SB'(s) <= last_sym && tab_i.len[(k*NS+s)*LB+:LB] == n_q;
      end
    end
  end
  for (genvar k = 0; k < NC; k++) begin : g_count
    sfp_popcount #(.N(NS), .W(FW)) u_count (
      .flags_i(match_q[k*NS+:NS]), .count_o(cnt_n[k*FW+:FW])
    );
  end

  // Third cycle: next_q[k][n-1] = first[n] of code k; run_q[k] = first[n2_q]. In the symbol
  // pass next_q[k][n-1] is the codeword of the next symbol of length n (first[n] + the symbols
  // of length n coded so far).
  logic [FW-1:0] run_q [NC];
  always_ff @(posedge clk_i) begin
    if (lens1_q) begin
      for (int k = 0; k < NC; k++) cnt_q[k] <= cnt_n[k*FW+:FW];
    end
    if (start_i) begin
      for (int k = 0; k < NC; k++) run_q[k] <= '0;
    end else if (lens2_q) begin
      for (int k = 0; k < NC; k++) run_q[k] <= (run_q[k] + cnt_q[k]) << 1;
    end
  end

  // Symbol pass: sym_q is looked up (s1: its length in each code), then coded (s2: the next
  // codeword of its length, which counts up), then written (s3).
  logic [SB-1:0]      sym_q, sym1_q, sym2_q;
  logic               busy_q, s1_q, s2_q;
  logic [NC*LB-1:0]   n1_q, n2s_q;
  logic [NC*FW-1:0]   code_q;
  logic [FW-1:0]      next_q [NC][MB];  // the next codeword of each length n: [k][n-1]

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lens_q  <= 1'b0;
      lens1_q <= 1'b0;
      lens2_q <= 1'b0;
      n_q     <= '0;
      n1l_q   <= '0;
      n2_q    <= '0;
      busy_q  <= 1'b0;
      s1_q    <= 1'b0;
      s2_q    <= 1'b0;
      done_o  <= 1'b0;
      sym_q   <= '0;
    end else if (start_i) begin
      lens_q  <= 1'b1;
      lens1_q <= 1'b0;
      lens2_q <= 1'b0;
      n_q     <= LB'(1);
      busy_q  <= 1'b0;
      s1_q    <= 1'b0;
      s2_q    <= 1'b0;
      done_o  <= 1'b0;
      sym_q   <= '0;
    end else begin
      lens1_q <= lens_q;
      n1l_q   <= n_q;
      lens2_q <= lens1_q;
      n2_q    <= n1l_q;
      if (lens_q) begin
        n_q <= n_q + LB'(1);
        if (n_q == LB'(MB)) lens_q <= 1'b0;
      end
      if (lens2_q && n2_q == LB'(MB)) busy_q <= 1'b1;
      if (busy_q) begin
        sym_q <= sym_q + SB'(1);
        // Symbols past 3 + dist are never coded: their codewords are not needed.
        if (sym_q == last_sym) busy_q <= 1'b0;
      end
      s1_q <= busy_q;
      s2_q <= s1_q;
      if (s2_q && sym2_q == last_sym) done_o <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    sym1_q <= sym_q;
    sym2_q <= sym1_q;
    for (int k = 0; k < NC; k++) begin
      n1_q[k*LB+:LB] <= tab_i.len[(k*NS+32'(sym_q))*LB+:LB];
    end
    n2s_q <= n1_q;
  end

  // The codeword: next_q of the symbol's length selected one-hot (no chain of selects).
  logic [NC*FW-1:0] code_n;
  always_comb begin
    code_n = '0;
    for (int k = 0; k < NC; k++) begin
      for (int i = 0; i < MB; i++) begin
        code_n[k*FW+:FW] = code_n[k*FW+:FW] |
                           (next_q[k][i] & {FW{32'(n1_q[k*LB+:LB]) == i + 1}});
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (lens2_q) begin
      for (int k = 0; k < NC; k++) next_q[k][n2_q-LB'(1)] <= run_q[k];
    end else if (s1_q) begin
      for (int k = 0; k < NC; k++) begin
        for (int i = 0; i < MB; i++) begin
          if (32'(n1_q[k*LB+:LB]) == i + 1) next_q[k][i] <= next_q[k][i] + FW'(1);
        end
      end
    end
    if (s1_q) code_q <= code_n;
  end

  // The codeword of symbol sym2_q in code k, left-aligned to 12 bits, then reversed.
  logic [NC*MB-1:0] cw_next;
  logic [LB-1:0]    n2;
  logic [FW-1:0]    aligned;
  always_comb begin
    cw_next = '0;
    n2 = '0;
    aligned = '0;
    for (int k = 0; k < NC; k++) begin
      n2 = n2s_q[k*LB+:LB];
      aligned = code_q[k*FW+:FW] << (MB - 32'(n2));
      if (n2 == '0 || n2 > LB'(MB)) aligned = '0;
      for (int i = 0; i < MB; i++) cw_next[k*MB+i] = aligned[MB-1-i];
    end
  end

  always_ff @(posedge clk_i) begin
    if (s2_q) begin
      for (int k = 0; k < NC; k++) begin
        cw_o[(k*NS+32'(sym2_q))*MB+:MB] <= cw_next[k*MB+:MB];
      end
    end
  end

  `SFP_ASSERT_INIT(Layout_A, sfp_code_pkg::v2_layout_ok())
  `SFP_ASSERT(SymRange_A, busy_q |-> 32'(sym_q) < NS)
  `SFP_ASSERT(LenRange_A, lens_q |-> n_q != '0 && n_q <= LB'(MB))
  `SFP_ASSERT(DistRange_A, busy_q |-> 32'(tab_i.ndist) + 3 <= NS)
endmodule
