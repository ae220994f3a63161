// SPDX-License-Identifier: Apache-2.0
//
// Decoder table setup, once per tensor: from the code lengths of the table it derives, per code,
// what the lanes and the symbol lookup need (Spec: "Code table", "Canonical codewords"):
//   lim[c][k]   (first codeword of length k + count of length k) << (12 - k): a lane's next 12
//               bits X (first bit most significant) have a codeword of length k when X < lim[k]
//               and X >= lim[k-1]; X >= lim[12] matches no codeword (bad_code)
//   fc[c][k]    first codeword of length k;  off[c][k]  symbols of length < k
//   sym[c][i]   the i-th present symbol in canonical order (length, then symbol number)
//   ZERO's and ESC's codewords and lengths (the lane loop compares them in parallel)
// and checks the table (bad_table: sign 3, dist > 48, a length > 12, a length of an absent
// symbol or of code 1 when two = 0, Kraft sum over 2^12). Sequential: 14 cycles over the
// lengths (which symbols have each length is registered, then their count, then used), then
// 51 cycles over the symbols; start_i must not rise while busy_o.
// The symbol pass keeps its paths short: the lengths rotate by one symbol per cycle (symbol k
// is always at position 0; 51 rotations restore them), and each length has a register holding
// the next free position of its symbols (its offset, then + 1 per symbol), so a cycle is a
// 12-way select and a 51-way write decode.
// Paths: none (all outputs registered).
`include "sfp_assert.svh"

module sfp_dec_table (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                start_i,     // the tensor's table is on table_i
  input  sfp_code_pkg::table_t    table_i,
  output logic                busy_o,
  output logic                bad_o,       // the table is illegal (valid when !busy_o)
  output logic                two_o,
  output logic [sfp_code_pkg::ExpBits-1:0]    base_o,
  output logic [1:0]                      sign_o,
  output logic [sfp_code_pkg::LimVecBits-1:0] lim_o,  // [(c*12 + k-1)*13 +: 13]
  output logic [sfp_code_pkg::FcVecBits-1:0]  fc_o,   // [(c*12 + k-1)*12 +: 12]
  output logic [sfp_code_pkg::OffVecBits-1:0] off_o,  // [(c*12 + k-1)*6 +: 6]
  output logic [sfp_code_pkg::SymVecBits-1:0] sym_o,  // [(c*51 + i)*6 +: 6]
  // [c*12 +: 12], right-aligned codeword; [c*4 +: 4], 0 = ZERO absent.
  output logic [sfp_code_pkg::NumCodes*sfp_code_pkg::MaxCodeBits-1:0] zero_cw_o,
  output logic [sfp_code_pkg::NumCodes*sfp_code_pkg::LenBits-1:0]     zero_len_o,
  output logic [sfp_code_pkg::NumCodes*sfp_code_pkg::MaxCodeBits-1:0] esc_cw_o,
  output logic [sfp_code_pkg::NumCodes*sfp_code_pkg::LenBits-1:0]     esc_len_o
);
  localparam int unsigned NS   = sfp_code_pkg::NumSyms;
  localparam int unsigned NC   = sfp_code_pkg::NumCodes;
  localparam int unsigned CB   = sfp_code_pkg::MaxCodeBits;  // 12
  localparam int unsigned LimW = sfp_code_pkg::LimBits;      // 13
  localparam int unsigned LB   = sfp_code_pkg::LenBits;      // 4
  localparam int unsigned SB   = sfp_code_pkg::SymBits;      // 6: k_q, counts, offsets, symbols
  localparam int unsigned KW   = 2 * CB - 6;             // Kraft sums: 51 * 2^11 at most

  typedef enum logic [1:0] {
    SIdle,
    SLens,
    SSyms
  } state_e;
  state_e state_q;
  logic [SB-1:0] k_q;  // length 1..14 (SLens), symbol 0..50 (SSyms)
  logic [SB-1:0] kd_q;  // the length whose count is in cnt_q (0: none yet)
  logic [SB-1:0] cnt_q [NC];

  sfp_code_pkg::table_t tab_q;
  logic [LimW-1:0] fc_run_q [NC];
  logic [SB-1:0]   off_run_q [NC];
  logic [SB-1:0]   cnt_prev_q [NC];
  logic [KW-1:0]   kraft_q [NC];
  logic [SB-1:0]   next_q [NC][CB];  // next position of a symbol of length k + 1 in sym_o
  logic        bad_q, range_bad_q;

  assign busy_o = state_q != SIdle;
  assign bad_o  = bad_q;
  assign two_o  = tab_q.two;
  assign base_o = tab_q.base;
  assign sign_o = tab_q.sign;

  // Which symbols have length k_q (registered, for length kd1_q), then their number in each
  // code (an adder tree, registered into cnt_q for length kd_q).
  logic [NC*NS-1:0] match_q;
  logic [SB-1:0]    kd1_q;
  logic [NC*SB-1:0] cnt;
  for (genvar c = 0; c < NC; c++) begin : g_count
    sfp_popcount #(.N(NS), .W(SB)) u_count (
      .flags_i(match_q[c*NS+:NS]), .count_o(cnt[c*SB+:SB])
    );
  end

  // Static legality (ranges); the Kraft sums come from the length pass.
  logic range_bad;
  always_comb begin
    range_bad = tab_q.sign == 2'd3 || tab_q.ndist > 6'(sfp_code_pkg::MaxDistSymbols);
    for (int c = 0; c < NC; c++) begin
      for (int s = 0; s < NS; s++) begin
        if (tab_q.len[(c*NS+s)*LB+:LB] > LB'(CB)) range_bad = 1'b1;
        if (tab_q.len[(c*NS+s)*LB+:LB] != '0 &&
            (s >= sfp_code_pkg::SymDist0 + 32'(tab_q.ndist) || (c == 1 && !tab_q.two))) begin
          range_bad = 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SIdle;
      k_q     <= '0;
    end else begin
      case (state_q)
        SIdle: if (start_i) begin
          state_q <= SLens;
          k_q     <= SB'(1);
        end
        SLens: begin
          k_q     <= (k_q == SB'(CB + 2)) ? '0 : k_q + SB'(1);
          state_q <= (k_q == SB'(CB + 2)) ? SSyms : SLens;
        end
        default: begin
          k_q     <= k_q + SB'(1);
          state_q <= (k_q == SB'(NS - 1)) ? SIdle : SSyms;
        end
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (state_q == SIdle && start_i) begin
      tab_q <= table_i;
      for (int c = 0; c < NC; c++) begin
        fc_run_q[c]   <= '0;
        off_run_q[c]  <= '0;
        cnt_prev_q[c] <= '0;
        kraft_q[c]    <= '0;
      end
    end
    if (state_q == SLens) range_bad_q <= range_bad;  // tab_q.len still in place
    for (int c = 0; c < NC; c++) begin
      for (int s = 0; s < NS; s++) match_q[c*NS+s] <= tab_q.len[(c*NS+s)*LB+:LB] == k_q[LB-1:0];
    end
    kd1_q <= (state_q == SLens && k_q <= SB'(CB)) ? k_q : '0;
    kd_q  <= kd1_q;
    for (int c = 0; c < NC; c++) cnt_q[c] <= cnt[c*SB+:SB];
    if (state_q == SLens && kd_q != '0) begin
      for (int c = 0; c < NC; c++) begin
        logic [LimW-1:0] fc;
        logic [SB-1:0]   off;
        fc  = (kd_q == SB'(1)) ? '0 : (fc_run_q[c] + LimW'(cnt_prev_q[c])) << 1;
        off = off_run_q[c] + cnt_prev_q[c];
        fc_run_q[c]   <= fc;
        off_run_q[c]  <= off;
        cnt_prev_q[c] <= cnt_q[c];
        kraft_q[c]    <= kraft_q[c] + (KW'(cnt_q[c]) << (SB'(CB) - kd_q));
        fc_o[(c*CB+32'(kd_q)-1)*CB+:CB]       <= fc[CB-1:0];
        off_o[(c*CB+32'(kd_q)-1)*SB+:SB]      <= off;
        next_q[c][LB'(kd_q-SB'(1))]           <= off;
        lim_o[(c*CB+32'(kd_q)-1)*LimW+:LimW] <= LimW'((fc + LimW'(cnt_q[c])) << (SB'(CB) - kd_q));
      end
    end
    if (state_q == SSyms) begin
      for (int c = 0; c < NC; c++) begin
        logic [LB-1:0] l;
        logic [SB-1:0] pos;
        l = tab_q.len[c*NS*LB+:LB];  // symbol k_q's length (position 0 after k_q rotations)
        tab_q.len[c*NS*LB+:NS*LB] <= {l, tab_q.len[c*NS*LB+LB+:(NS-1)*LB]};
        if (l != '0 && l <= LB'(CB)) begin
          pos = next_q[c][l-LB'(1)];
          if (pos < SB'(NS)) sym_o[(c*NS+32'(pos))*SB+:SB] <= k_q;
          next_q[c][l-LB'(1)] <= pos + SB'(1);
        end
      end
      if (k_q == 6'(NS - 1)) begin
        // Codewords of ZERO (rank 0 of its length) and ESC (after ZERO and REP of its length).
        // After 50 rotations symbols 0, 1, 2 sit at positions 1, 2, 3.
        for (int c = 0; c < NC; c++) begin
          logic [LB-1:0] lz, lr, le;
          lz = tab_q.len[(c*NS+1)*LB+:LB];
          lr = tab_q.len[(c*NS+2)*LB+:LB];
          le = tab_q.len[(c*NS+3)*LB+:LB];
          zero_len_o[c*LB+:LB] <= (lz <= LB'(CB)) ? lz : '0;
          esc_len_o[c*LB+:LB]  <= (le <= LB'(CB)) ? le : '0;
          zero_cw_o[c*CB+:CB]  <= (lz != 0 && lz <= LB'(CB)) ? fc_o[(c*CB+32'(lz)-1)*CB+:CB] : '0;
          esc_cw_o[c*CB+:CB]   <= (le != 0 && le <= LB'(CB)) ?
              fc_o[(c*CB+32'(le)-1)*CB+:CB] + CB'(lz == le) + CB'(lr == le) : '0;
        end
        bad_q <= range_bad_q || kraft_q[0] > KW'(1 << CB) || kraft_q[1] > KW'(1 << CB);
      end
    end
  end

  `SFP_ASSERT(NoRestart_A, !(busy_o && start_i))
endmodule
