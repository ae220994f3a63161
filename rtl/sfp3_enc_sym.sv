// SPDX-License-Identifier: Apache-2.0
//
// v3 encoder, symbol stage: one step of up to L_c values per beat. Gives each value its symbol in
// its lane's code and forms its lane bits: the codeword (MSB first), for ESC the exponent and,
// when m = 0, mantissa bit M-1, then for D_d and ESC the entry (sign when the table's sign is
// mixed, in the LSB, then the top m mantissa bits), at most 44 bits, LSB first.
// Spec: docs/format.md, "Lane symbols", "Canonical codewords", "Version 3 lane bits".
// State: the chunk's previous value (REP) and per lane whether its previous value was +0 (the
// code), both reset at a chunk's first step and advanced when a beat is taken.
// The symbol logic (stage a) is the version 2 encoder's: d = base - e decoded from
// e's high bits against per-tensor constants and a 3-bit difference; the per-tensor constants
// are registers loaded every cycle from tab_i, so cfg_i, tab_i and cw_i must hold while a beat
// is at the input or in stage a and in the cycle before (TensorHeld_A). Stage b places the ESC
// field and the entry behind the codeword.
// Two pipeline stages (two cycles of latency, one beat per cycle).
// bad_o: a value of the step needs a symbol its lane's code lacks, or its sign does not fit the
// table's sign field (tables the encoder's own table rule never builds; asserted in the top).
// Paths: in_ready_o <- out_ready_i (through both plain stage registers).
`include "sfp_assert.svh"

module sfp3_enc_sym #(
  parameter  int unsigned NumLanes = 16,
  localparam int unsigned VW       = 32,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned BitsW    = sfp3_pkg::MaxValueBits,         // 44
  localparam int unsigned NbW      = $clog2(BitsW + 1),
  localparam int unsigned CwW      = sfp_code_pkg::NumCodes * sfp_code_pkg::NumSyms * sfp_code_pkg::MaxCodeBits
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  sfp_pkg::cfg_t                cfg_i,  // held for the tensor (see the header)
  input  sfp_code_pkg::table_t             tab_i,  // held for the tensor (see the header)
  input  logic [CwW-1:0]               cw_i,   // sfp_enc_table; held for the tensor
  input  logic                         in_valid_i,
  output logic                         in_ready_o,
  input  logic [NumLanes*VW-1:0]       in_data_i,
  input  logic [LaneCntW-1:0]          in_count_i,
  input  logic [LaneCntW-1:0]          in_lc_i,
  input  logic                         in_first_i,
  input  logic                         in_end_i,
  input  logic                         in_tlast_i,
  output logic                         out_valid_o,
  input  logic                         out_ready_i,
  output logic [NumLanes*BitsW-1:0]    out_bits_o,   // lane l's bits, LSB first, 0 above nb
  output logic [NumLanes*NbW-1:0]      out_nb_o,     // their number (0 past the count)
  output logic [LaneCntW-1:0]          out_count_o,
  output logic [LaneCntW-1:0]          out_lc_o,
  output logic                         out_bad_o,
  output logic                         out_first_o,
  output logic                         out_end_o,
  output logic                         out_tlast_o
);
  localparam int unsigned NS = sfp_code_pkg::NumSyms;
  localparam int unsigned MB = sfp_code_pkg::MaxCodeBits;
  localparam int unsigned LB = sfp_code_pkg::LenBits;
  localparam int unsigned ND = sfp_code_pkg::MaxDistSymbols;
  localparam int unsigned EW = sfp_code_pkg::EscExpBits + 1;  // the ESC field: exponent, m = 0 bit
  localparam int unsigned PE = 1 + 23;                     // an entry's field

  logic                in_ack;
  logic [31:0]         prev_q;   // the chunk's previous value (the last of the previous step)
  logic [NumLanes-1:0] pz_q;     // lane's previous value was +0

  // Per-tensor widths.
  logic       s_bits;   // the entry holds a sign
  logic [4:0] pw;       // entry bits s + m
  logic       m0;       // m = 0: ESC carries mantissa bit M-1
  assign s_bits = tab_i.sign == sfp_code_pkg::SignMixed;
  assign pw     = 5'(s_bits) + cfg_i.man_bits;
  assign m0     = cfg_i.man_bits == '0;

  // Per-tensor exponent high bits of the distance groups (see the header): with
  // base = 8 bh + bl and e = 8 eh + el, d = base - e lies in group j (d = 8 j .. 8 j + 7) when
  // eh = bh - j (el <= bl) or eh = bh - j - 1 (el > bl, a borrow from the low bits); gh_q[b][j]
  // is that eh, gv_q[b][j] whether it exists (no underflow). So d is decoded from two 5-bit
  // compares and a 3-bit difference, without an 8-bit subtraction on the beat's path.
  localparam int unsigned NG = ND / 8;
  logic [2*NG*5-1:0] gh_q;
  logic [2*NG-1:0]   gv_q;
  always_ff @(posedge clk_i) begin
    for (int b = 0; b < 2; b++) begin
      for (int j = 0; j < NG; j++) begin
        gh_q[(b*NG+j)*5+:5] <= tab_i.base[7:3] - 5'(j) - 5'(b);
        gv_q[b*NG+j]        <= 32'(tab_i.base[7:3]) >= j + b;
      end
    end
  end

  // Per-tensor distance symbols (see the header): okd_q[c * 48 + i] = code c has D_i (i < dist
  // and a codeword length) for an exponent e = base - i below 255 (only D_0 can meet e = 255,
  // when base = 255).
  logic [2*ND-1:0] okd_q;
  always_ff @(posedge clk_i) begin
    for (int c = 0; c < 2; c++) begin
      for (int i = 0; i < ND; i++) begin
        okd_q[c*ND+i] <= i < 32'(tab_i.ndist) &&
                         tab_i.len[(c*NS+sfp_code_pkg::SymDist0+i)*LB+:LB] != '0 &&
                         (i != 0 || tab_i.base != 8'hFF);
      end
    end
  end

  // Stage a: symbols, lane codewords and entries //

  logic [NumLanes*MB-1:0]       a_cw;     // the symbol's codeword
  logic [NumLanes*LB-1:0]       a_len;    // its length (0: the code lacks the symbol)
  logic [NumLanes-1:0]          a_esc;
  logic [NumLanes*EW-1:0]       a_escf;   // the ESC field
  logic [NumLanes-1:0]          a_act;    // lane within the count
  logic [NumLanes-1:0]          a_ent;    // lane has an entry
  logic [NumLanes-1:0]          a_sbad;   // its sign does not fit the table's sign field
  logic [NumLanes*PE-1:0]       a_pentry; // the entry (used when a_ent)

  // Working variables of the lane loop (plain, not per lane: assigned before use).
  logic [31:0]        v, pv;
  logic [7:0]         e;
  logic               borrow;         // el > bl
  logic [2:0]         dlo;            // d's low bits, (bl - el) mod 8
  logic [NG-1:0]      grp;            // d in group j
  logic [22:0]        man;
  logic               ctx, k, is_zero, is_rep, dist_ok, hit0, hit1;
  logic [ND-1:0]      doh;            // d one-hot (none from d = 48 on)
  logic [LB-1:0]      ld0, ld1;       // D_d's length in codes 0 and 1
  logic [MB-1:0]      cd0, cd1;       // D_d's codeword in codes 0 and 1
  logic [23:0]        pentry;

  always_comb begin
    a_cw = '0;
    a_len = '0;
    a_esc = '0;
    a_escf = '0;
    a_act = '0;
    a_ent = '0;
    a_sbad = '0;
    a_pentry = '0;
    {v, pv, e, borrow, dlo, grp, man, ctx, k, is_zero, is_rep, dist_ok, hit0, hit1} = '0;
    {doh, ld0, ld1, cd0, cd1, pentry} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      a_act[l] = l < 32'(in_count_i);
      v   = in_data_i[l*VW+:VW];
      if (l == 0) pv = in_first_i ? 32'd0 : prev_q;
      else pv = in_data_i[(l-1)*VW+:VW];
      e   = v[30:23];
      man = v[22:0];
      ctx = in_first_i || pz_q[l];
      k   = tab_i.two && ctx;
      // d = base - e decoded (each line drives a few gates); no line is set unless 0 <= d < 48.
      borrow = e[2:0] > tab_i.base[2:0];
      dlo    = tab_i.base[2:0] - e[2:0];
      for (int j = 0; j < NG; j++) begin
        grp[j] = borrow ? gv_q[NG+j] && e[7:3] == gh_q[(NG+j)*5+:5] :
                          gv_q[j] && e[7:3] == gh_q[j*5+:5];
      end
      for (int i = 0; i < ND; i++) doh[i] = grp[i/8] && dlo == 3'(i % 8);
      hit0 = |(doh & okd_q[0+:ND]);
      hit1 = |(doh & okd_q[ND+:ND]);
      ld0 = '0;
      ld1 = '0;
      cd0 = '0;
      cd1 = '0;
      for (int i = 0; i < ND; i++) begin
        ld0 = ld0 | (tab_i.len[(sfp_code_pkg::SymDist0+i)*LB+:LB] & {LB{doh[i]}});
        ld1 = ld1 | (tab_i.len[(NS+sfp_code_pkg::SymDist0+i)*LB+:LB] & {LB{doh[i]}});
        cd0 = cd0 | (cw_i[(sfp_code_pkg::SymDist0+i)*MB+:MB] & {MB{doh[i]}});
        cd1 = cd1 | (cw_i[(NS+sfp_code_pkg::SymDist0+i)*MB+:MB] & {MB{doh[i]}});
      end
      is_zero = v == 32'd0;
      is_rep  = v == pv && (k ? tab_i.len[(NS+sfp_code_pkg::SymRep)*LB+:LB] != '0 :
                                tab_i.len[sfp_code_pkg::SymRep*LB+:LB] != '0);
      dist_ok = k ? hit1 : hit0;
      // The first symbol that applies (Spec: "Lane symbols"), its codeword and length.
      if (is_zero) begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp_code_pkg::SymZero)*MB+:MB] :
                              cw_i[sfp_code_pkg::SymZero*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp_code_pkg::SymZero)*LB+:LB] :
                              tab_i.len[sfp_code_pkg::SymZero*LB+:LB];
      end else if (is_rep) begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp_code_pkg::SymRep)*MB+:MB] :
                              cw_i[sfp_code_pkg::SymRep*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp_code_pkg::SymRep)*LB+:LB] :
                              tab_i.len[sfp_code_pkg::SymRep*LB+:LB];
      end else if (dist_ok) begin
        a_cw[l*MB+:MB]  = k ? cd1 : cd0;
        a_len[l*LB+:LB] = k ? ld1 : ld0;
      end else begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp_code_pkg::SymEsc)*MB+:MB] :
                              cw_i[sfp_code_pkg::SymEsc*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp_code_pkg::SymEsc)*LB+:LB] :
                              tab_i.len[sfp_code_pkg::SymEsc*LB+:LB];
      end
      a_esc[l] = !is_zero && !is_rep && !dist_ok;
      a_escf[l*EW+:EW] = m0 ? {man[22], e} : {1'b0, e};
      // D_d and ESC (the symbols from ESC on) have an entry: not ZERO, not REP.
      a_ent[l] = a_act[l] && !is_zero && !is_rep;
      a_sbad[l] = a_ent[l] && !s_bits && (v[31] != (tab_i.sign == sfp_code_pkg::SignNeg));
      // Entry: sign in the LSB (when mixed), then the top m mantissa bits.
      pentry = 24'({man >> (5'd23 - cfg_i.man_bits), v[31] & s_bits}) >> !s_bits;
      a_pentry[l*PE+:PE] = pentry;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prev_q <= '0;
      pz_q   <= '0;
    end else if (in_ack) begin
      prev_q <= in_data_i[(32'(in_count_i)-1)*VW+:VW];
      for (int l = 0; l < NumLanes; l++) begin
        if (l < 32'(in_count_i)) pz_q[l] <= in_data_i[l*VW+:VW] == 32'd0;
      end
    end
  end
  assign in_ack = in_valid_i && in_ready_o;

  // Stage a register //
  localparam int unsigned AW = NumLanes * (MB + LB + 1 + EW + 1 + 1 + 1 + PE) + 2 * LaneCntW + 3;
  logic [AW-1:0] a_in, a_out;
  logic          a_valid, a_ready;
  logic [NumLanes*MB-1:0] b_cw;
  logic [NumLanes*LB-1:0] b_len;
  logic [NumLanes-1:0]    b_esc, b_act, b_ent, b_sbad;
  logic [NumLanes*EW-1:0] b_escf;
  logic [NumLanes*PE-1:0] b_pentry;
  logic [LaneCntW-1:0]    b_count, b_lc;
  logic                   b_first, b_end, b_tlast;
  assign a_in = {a_cw, a_len, a_esc, a_escf, a_act, a_ent, a_sbad, a_pentry, in_count_i, in_lc_i,
                 in_first_i, in_end_i, in_tlast_i};
  sfp_stage #(.Width(AW), .Spill(0)) u_a (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i(a_in),
    .out_valid_o(a_valid), .out_ready_i(a_ready), .out_data_o(a_out)
  );
  assign {b_cw, b_len, b_esc, b_escf, b_act, b_ent, b_sbad, b_pentry, b_count, b_lc, b_first, b_end,
          b_tlast} = a_out;

  // Stage b: lane bits //
  logic [NumLanes*BitsW-1:0] bits;
  logic [NumLanes*NbW-1:0]   nb;
  logic                      bad;
  logic [LB-1:0]             len;
  logic [NbW-1:0]            hl;   // codeword and ESC field bits
  logic [BitsW-1:0]          lb;
  always_comb begin
    bits = '0;
    nb = '0;
    bad = 1'b0;
    {len, hl, lb} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      len = b_len[l*LB+:LB];
      lb = BitsW'(b_cw[l*MB+:MB]) & ~({BitsW{1'b1}} << len);
      hl = NbW'(len);
      if (b_esc[l]) begin
        lb = lb | (BitsW'(b_escf[l*EW+:EW]) << len);
        hl = hl + (m0 ? NbW'(9) : NbW'(8));
      end
      if (b_ent[l]) lb = lb | (BitsW'(b_pentry[l*PE+:PE]) << hl);
      if (b_act[l]) begin
        bits[l*BitsW+:BitsW] = lb;
        nb[l*NbW+:NbW] = hl + (b_ent[l] ? NbW'(pw) : '0);
        bad = bad || len == '0 || b_sbad[l];
      end
    end
  end

  localparam int unsigned OW = NumLanes * (BitsW + NbW) + 2 * LaneCntW + 4;
  logic [OW-1:0] o_in, o_out;
  assign o_in = {bits, nb, b_count, b_lc, bad, b_first, b_end, b_tlast};
  sfp_stage #(.Width(OW), .Spill(0)) u_out (
    .clk_i, .rst_ni,
    .in_valid_i(a_valid), .in_ready_o(a_ready), .in_data_i(o_in),
    .out_valid_o, .out_ready_i, .out_data_o(o_out)
  );
  assign {out_bits_o, out_nb_o, out_count_o, out_lc_o, out_bad_o, out_first_o, out_end_o,
          out_tlast_o} = o_out;

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 2)
  `SFP_ASSERT_INIT(DistGroups_A, ND % 8 == 0)
  `SFP_ASSERT(Count_A, in_valid_i |-> in_count_i != '0)
  `SFP_ASSUME(TableDist_M, in_valid_i |-> 32'(tab_i.ndist) <= ND)
  // The per-tensor registers and the codewords belong to the beats at the input and in stage a.
  `SFP_ASSERT(TensorHeld_A, in_valid_i || a_valid |->
              $stable(cfg_i) && $stable(tab_i) && $stable(cw_i))
endmodule
