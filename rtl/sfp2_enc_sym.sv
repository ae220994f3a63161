// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, symbol stage: one step of L_c values per beat. Gives each value its symbol in its
// lane's code and forms, per value, the lane bits (the codeword MSB first, then for ESC the
// exponent and, when m = 0, mantissa bit M-1), the plane entry of a D_d / ESC value and the raw
// field; the step's plane entries are packed in value order and its raw fields side by side.
// Spec: docs/format.md, "Lane symbols", "Canonical codewords", "Coded chunk" (plane), "Raw
// chunk". State: the chunk's previous value (REP) and per lane whether its previous value was
// +0 (the code), both reset at a chunk's first step and advanced when a beat is taken. The
// lane's code depends only on its own previous value, not on a symbol, so this block has no
// loop beyond those registers.
// Two pipeline stages (two cycles of latency, one beat per cycle):
//   a (from the input beat): per lane the symbol, its codeword and length (the distance symbols'
//     entries selected by d = base - e decoded from e's high bits compared with per-tensor
//     constants and a 3-bit difference of its low bits, both codes side by side, then the
//     code), the ESC field, the plane entry and the raw field; per lane the number of plane
//     entries (D_d / ESC values within the count) of the lanes below it, a parallel prefix
//     count (ceil(log2 L) levels of small adders).
//   b (from stage a's register): the lane bits and their number; the plane as the OR (a tree
//     over the lanes) of the entries, each shifted to its start pw * (entries below), and the
//     raw fields side by side (lane l's at l * rb: for each rb a fixed wiring, selected).
// Per-tensor constants: the multiples c * pw (c = 0 .. L) and l * rb (l = 0 .. L), rb one-hot,
// which distance symbols each code has and the exponents' high bits of each group of eight
// distances are registers loaded every cycle from cfg_i and tab_i, so no multiplication or
// subtraction wider than 3 bits is on a beat's path (the multiples and rb one-hot from widths
// registered a cycle before them). Therefore cfg_i, tab_i and cw_i must not change while a beat
// is at the input or in stage a, nor in the two cycles before (TensorHeld_A, Widths_A).
// The encoder changes them only while phase 1 is empty, and a tensor's first beat comes after
// its codeword setup (12 + cycles).
// bad_o: a value of the step needs a symbol its lane's code lacks (the chunk is stored raw).
// Paths: in_ready_o <- out_ready_i (through both plain stage registers).
`include "sfp_assert.svh"

module sfp2_enc_sym #(
  parameter  int unsigned NumLanes = 16,
  localparam int unsigned VW       = 32,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned BitsW    = sfp2_pkg::MaxValueBits,        // 21
  localparam int unsigned NbW      = $clog2(BitsW + 1),
  localparam int unsigned PlaneW   = NumLanes * (1 + 23),           // s + m <= 24 per entry
  localparam int unsigned PLenW    = $clog2(PlaneW + 1),
  localparam int unsigned RawW     = NumLanes * VW,
  localparam int unsigned RLenW    = $clog2(RawW + 1),
  localparam int unsigned CwW      = sfp2_pkg::NumCodes * sfp2_pkg::NumSyms * sfp2_pkg::MaxCodeBits
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  sfp_pkg::cfg_t                cfg_i,  // held for the tensor (see the header)
  input  sfp2_pkg::table_t             tab_i,  // held for the tensor (see the header)
  input  logic [CwW-1:0]               cw_i,   // sfp2_enc_table; held for the tensor
  input  logic                         in_valid_i,
  output logic                         in_ready_o,
  input  logic [NumLanes*VW-1:0]       in_data_i,
  input  logic [LaneCntW-1:0]          in_count_i,
  input  logic                         in_first_i,
  input  logic                         in_end_i,
  input  logic                         in_tlast_i,
  output logic                         out_valid_o,
  input  logic                         out_ready_i,
  output logic [NumLanes*BitsW-1:0]    out_bits_o,   // lane l's bits, LSB first
  output logic [NumLanes*NbW-1:0]      out_nb_o,     // their number (0 past the count)
  output logic [PlaneW-1:0]            out_plane_o,  // the step's plane entries, packed
  output logic [PLenW-1:0]             out_plen_o,
  output logic [RawW-1:0]              out_raw_o,    // the step's raw fields, packed
  output logic [RLenW-1:0]             out_rlen_o,
  output logic [NumLanes-1:0]          out_act_o,    // lanes within the step's count
  output logic                         out_bad_o,
  output logic                         out_first_o,
  output logic                         out_end_o,
  output logic                         out_tlast_o
);
  localparam int unsigned NS = sfp2_pkg::NumSyms;
  localparam int unsigned MB = sfp2_pkg::MaxCodeBits;
  localparam int unsigned LB = sfp2_pkg::LenBits;
  localparam int unsigned ND = sfp2_pkg::MaxDistSymbols;
  localparam int unsigned EW = sfp2_pkg::EscExpBits + 1;  // the ESC field: exponent, m = 0 bit
  localparam int unsigned PE = 1 + 23;                     // a plane entry's field

  logic                in_ack;
  logic [31:0]         prev_q;   // the chunk's previous value (the last of the previous step)
  logic [NumLanes-1:0] pz_q;     // lane's previous value was +0

  // Per-tensor widths.
  logic       s_bits;   // the plane holds a sign
  logic [4:0] pw;       // plane entry bits s + m
  logic [4:0] mm;       // raw mantissa bits max(m, 1)
  logic [5:0] rb;       // raw field bits 9 + mm
  logic       m0;       // m = 0: ESC carries mantissa bit M-1
  assign s_bits = tab_i.sign == sfp2_pkg::SignMixed;
  assign pw     = 5'(s_bits) + cfg_i.man_bits;
  assign mm     = (cfg_i.man_bits == '0) ? 5'd1 : cfg_i.man_bits;
  assign rb     = 6'd9 + 6'(mm);
  assign m0     = cfg_i.man_bits == '0;

  // Per-tensor multiples, loaded every cycle (see the header) from the widths registered a
  // cycle before: kpw_q[c] = c * pw, the start of the plane entry that has c entries before
  // it; lrb_q[l] = l * rb, the start of lane l's raw field (lrb_q[count] is the step's raw
  // length).
  logic [4:0] pw_q;
  logic [5:0] rb_q;
  logic [(NumLanes+1)*PLenW-1:0] kpw_q;
  logic [(NumLanes+1)*RLenW-1:0] lrb_q;
  always_ff @(posedge clk_i) begin
    pw_q <= pw;
    rb_q <= rb;
    for (int c = 0; c <= NumLanes; c++) begin
      kpw_q[c*PLenW+:PLenW] <= PLenW'(c) * PLenW'(pw_q);
      lrb_q[c*RLenW+:RLenW] <= RLenW'(c) * RLenW'(rb_q);
    end
  end
  // rb (10 .. 32) one-hot, for the raw fields' placement.
  localparam int unsigned RbMin = 10;
  localparam int unsigned RbN = 23;
  logic [RbN-1:0] rbsel_q;
  always_ff @(posedge clk_i) begin
    for (int r = 0; r < RbN; r++) rbsel_q[r] <= 32'(rb_q) == RbMin + r;
  end

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
                         tab_i.len[(c*NS+sfp2_pkg::SymDist0+i)*LB+:LB] != '0 &&
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
  logic [NumLanes-1:0]          a_ent;    // lane has a plane entry
  logic [NumLanes*PE-1:0]       a_pentry; // the plane entry (used when a_ent)
  logic [NumLanes*VW-1:0]       a_rentry; // the raw field (0 unless a_act)

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
  logic [31:0]        rentry;

  always_comb begin
    a_cw = '0;
    a_len = '0;
    a_esc = '0;
    a_escf = '0;
    a_act = '0;
    a_ent = '0;
    a_pentry = '0;
    a_rentry = '0;
    {v, pv, e, borrow, dlo, grp, man, ctx, k, is_zero, is_rep, dist_ok, hit0, hit1} = '0;
    {doh, ld0, ld1, cd0, cd1, pentry, rentry} = '0;
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
        ld0 = ld0 | (tab_i.len[(sfp2_pkg::SymDist0+i)*LB+:LB] & {LB{doh[i]}});
        ld1 = ld1 | (tab_i.len[(NS+sfp2_pkg::SymDist0+i)*LB+:LB] & {LB{doh[i]}});
        cd0 = cd0 | (cw_i[(sfp2_pkg::SymDist0+i)*MB+:MB] & {MB{doh[i]}});
        cd1 = cd1 | (cw_i[(NS+sfp2_pkg::SymDist0+i)*MB+:MB] & {MB{doh[i]}});
      end
      is_zero = v == 32'd0;
      is_rep  = v == pv && (k ? tab_i.len[(NS+sfp2_pkg::SymRep)*LB+:LB] != '0 :
                                tab_i.len[sfp2_pkg::SymRep*LB+:LB] != '0);
      dist_ok = k ? hit1 : hit0;
      // The first symbol that applies (Spec: "Lane symbols"), its codeword and length.
      if (is_zero) begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp2_pkg::SymZero)*MB+:MB] :
                              cw_i[sfp2_pkg::SymZero*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp2_pkg::SymZero)*LB+:LB] :
                              tab_i.len[sfp2_pkg::SymZero*LB+:LB];
      end else if (is_rep) begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp2_pkg::SymRep)*MB+:MB] :
                              cw_i[sfp2_pkg::SymRep*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp2_pkg::SymRep)*LB+:LB] :
                              tab_i.len[sfp2_pkg::SymRep*LB+:LB];
      end else if (dist_ok) begin
        a_cw[l*MB+:MB]  = k ? cd1 : cd0;
        a_len[l*LB+:LB] = k ? ld1 : ld0;
      end else begin
        a_cw[l*MB+:MB]  = k ? cw_i[(NS+sfp2_pkg::SymEsc)*MB+:MB] :
                              cw_i[sfp2_pkg::SymEsc*MB+:MB];
        a_len[l*LB+:LB] = k ? tab_i.len[(NS+sfp2_pkg::SymEsc)*LB+:LB] :
                              tab_i.len[sfp2_pkg::SymEsc*LB+:LB];
      end
      a_esc[l] = !is_zero && !is_rep && !dist_ok;
      a_escf[l*EW+:EW] = m0 ? {man[22], e} : {1'b0, e};
      // D_d and ESC (the symbols from ESC on) have a plane entry: not ZERO, not REP.
      a_ent[l] = a_act[l] && !is_zero && !is_rep;
      // Plane entry: sign in the LSB (when mixed), then the top m mantissa bits.
      pentry = 24'({man >> (5'd23 - cfg_i.man_bits), v[31] & s_bits}) >> !s_bits;
      a_pentry[l*PE+:PE] = pentry;
      // Raw field: sign, exponent, top max(m, 1) mantissa bits.
      rentry = {9'd0, man >> (5'd23 - mm)} << 9 | {23'd0, e, v[31]};
      if (a_act[l]) a_rentry[l*VW+:VW] = rentry;
    end
  end

  // Plane entries below each lane: lane l's entry has cnt[l-1] entries before it, cnt[l] the
  // number of entries of lanes 0 .. l (an inclusive prefix count). Stage b turns the count into
  // the entry's start.
  logic [NumLanes*LaneCntW-1:0]     cnt;
  logic [(NumLanes-1)*LaneCntW-1:0] a_below;  // lane l >= 1's cnt[l-1], at [(l-1)*LaneCntW]
  sfp_prefix_count #(.N(NumLanes), .W(LaneCntW)) u_ent_count (.flags_i(a_ent), .count_o(cnt));
  assign a_below = cnt[0+:(NumLanes-1)*LaneCntW];

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

  typedef struct packed {
    logic [NumLanes*MB-1:0]           cw;
    logic [NumLanes*LB-1:0]           len;
    logic [NumLanes-1:0]              esc;
    logic [NumLanes*EW-1:0]           escf;
    logic [NumLanes-1:0]              act;
    logic [NumLanes-1:0]              ent;
    logic [NumLanes*PE-1:0]           pentry;
    logic [(NumLanes-1)*LaneCntW-1:0] below;
    logic [NumLanes*VW-1:0]           rentry;
    logic [LaneCntW-1:0]              nent;    // plane entries of the step
    logic [LaneCntW-1:0]              count;
    logic                             first, chunk_end, tlast;
  } sym_a_t;
  sym_a_t a_in, a_out;
  logic   a_valid, a_ready;
  always_comb begin
    a_in.cw        = a_cw;
    a_in.len       = a_len;
    a_in.esc       = a_esc;
    a_in.escf      = a_escf;
    a_in.act       = a_act;
    a_in.ent       = a_ent;
    a_in.pentry    = a_pentry;
    a_in.below     = a_below;
    a_in.rentry    = a_rentry;
    a_in.nent      = cnt[(NumLanes-1)*LaneCntW+:LaneCntW];
    a_in.count     = in_count_i;
    a_in.first     = in_first_i;
    a_in.chunk_end = in_end_i;
    a_in.tlast     = in_tlast_i;
  end
  sfp_stage #(.Width($bits(a_in)), .Spill(0)) u_a (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i(a_in),
    .out_valid_o(a_valid), .out_ready_i(a_ready), .out_data_o(a_out)
  );

  // Stage b: lane bits, plane and raw //

  logic [NumLanes*MB-1:0]           b_cw;
  logic [NumLanes*LB-1:0]           b_len;
  logic [NumLanes-1:0]              b_esc, b_act, b_ent;
  logic [NumLanes*EW-1:0]           b_escf;
  logic [NumLanes*PE-1:0]           b_pentry;
  logic [(NumLanes-1)*LaneCntW-1:0] b_below;
  logic [NumLanes*VW-1:0]           b_rentry;
  assign b_cw     = a_out.cw;
  assign b_len    = a_out.len;
  assign b_esc    = a_out.esc;
  assign b_escf   = a_out.escf;
  assign b_act    = a_out.act;
  assign b_ent    = a_out.ent;
  assign b_pentry = a_out.pentry;
  assign b_below  = a_out.below;
  assign b_rentry = a_out.rentry;

  logic [NumLanes*BitsW-1:0] bits;
  logic [NumLanes*NbW-1:0]   nb;
  logic                      bad;

  logic [LB-1:0]     len;
  logic [BitsW-1:0]  lb;
  always_comb begin
    bits = '0;
    nb = '0;
    bad = 1'b0;
    {len, lb} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      len = b_len[l*LB+:LB];
      lb = BitsW'(b_cw[l*MB+:MB]) & ~({BitsW{1'b1}} << len);
      if (b_esc[l]) lb = lb | (BitsW'(b_escf[l*EW+:EW]) << len);
      if (b_act[l]) begin
        bits[l*BitsW+:BitsW] = lb;
        nb[l*NbW+:NbW] = NbW'(len) + (b_esc[l] ? (m0 ? NbW'(9) : NbW'(8)) : '0);
        bad = bad || len == '0;
      end
    end
  end

  // Each lane's plane entry at its start, in a field as wide as it can reach (lane l: l + 1
  // entries), then ORed over the lanes in a tree.
  logic [NumLanes*PlaneW-1:0] pl_lane, pl_acc, pl_nx;
  logic [NumLanes*PE-1:0]     b_pe;   // the plane entries of the lanes that have one
  always_comb begin
    for (int l = 0; l < NumLanes; l++) b_pe[l*PE+:PE] = b_ent[l] ? b_pentry[l*PE+:PE] : '0;
  end
  for (genvar l = 0; l < NumLanes; l++) begin : g_place
    localparam int unsigned PlW = (l + 1) * PE;
    if (l == 0) begin : g_lane0
      assign pl_lane[0+:PlaneW] = PlaneW'(b_pe[0+:PE]);
    end else begin : g_lane
      logic [PlW-1:0] pl;
      logic [PLenW-1:0] pos;  // the entry's start: pw times the entries below
      assign pos = kpw_q[32'(b_below[(l-1)*LaneCntW+:LaneCntW])*PLenW+:PLenW];
      assign pl = PlW'(b_pe[l*PE+:PE]) << pos;
      assign pl_lane[l*PlaneW+:PlaneW] = PlaneW'(pl);
    end
  end
  always_comb begin
    pl_acc = pl_lane;
    pl_nx = pl_lane;
    for (int j = 0; (1 << j) < NumLanes; j++) begin
      pl_nx = pl_acc;
      for (int l = 0; l + (1 << j) < NumLanes; l = l + (2 << j)) begin
        pl_nx[l*PlaneW+:PlaneW] = pl_acc[l*PlaneW+:PlaneW] | pl_acc[(l+(1<<j))*PlaneW+:PlaneW];
      end
      pl_acc = pl_nx;
    end
  end

  // The raw fields side by side: the field width rb is a per-tensor constant, so bit i of the
  // step's raw bits is bit i % rb of lane i / rb's field, a fixed wiring for each rb, selected
  // by the one-hot rbsel_q (a select of RbN candidates per bit instead of a shifter per lane).
  // A lane's field is zero above its rb bits and in lanes past the count.
  logic [RawW-1:0] raw_b;
  logic [RbN-1:0]  rcand;
  always_comb begin
    raw_b = '0;
    rcand = '0;
    for (int i = 0; i < RawW; i++) begin
      rcand = '0;
      for (int r = RbMin; r < RbMin + RbN; r++) begin
        if (i / r < NumLanes) rcand[r-RbMin] = b_rentry[(i/r)*VW+i%r];
      end
      raw_b[i] = |(rcand & rbsel_q);
    end
  end

  typedef struct packed {
    logic [NumLanes*BitsW-1:0] bits;
    logic [NumLanes*NbW-1:0]   nb;
    logic [PlaneW-1:0]         plane;
    logic [PLenW-1:0]          plen;
    logic [RawW-1:0]           raw;
    logic [RLenW-1:0]          rlen;
    logic [NumLanes-1:0]       act;
    logic                      bad, first, chunk_end, tlast;
  } sym_beat_t;
  sym_beat_t o_in, o_out;
  always_comb begin
    o_in.bits      = bits;
    o_in.nb        = nb;
    o_in.plane     = pl_acc[0+:PlaneW];
    o_in.plen      = kpw_q[32'(a_out.nent)*PLenW+:PLenW];
    o_in.raw       = raw_b;
    o_in.rlen      = lrb_q[32'(a_out.count)*RLenW+:RLenW];
    o_in.act       = b_act;
    o_in.bad       = bad;
    o_in.first     = a_out.first;
    o_in.chunk_end = a_out.chunk_end;
    o_in.tlast     = a_out.tlast;
  end
  sfp_stage #(.Width($bits(o_in)), .Spill(0)) u_out (
    .clk_i, .rst_ni,
    .in_valid_i(a_valid), .in_ready_o(a_ready), .in_data_i(o_in),
    .out_valid_o, .out_ready_i, .out_data_o(o_out)
  );
  assign out_bits_o  = o_out.bits;
  assign out_nb_o    = o_out.nb;
  assign out_plane_o = o_out.plane;
  assign out_plen_o  = o_out.plen;
  assign out_raw_o   = o_out.raw;
  assign out_rlen_o  = o_out.rlen;
  assign out_act_o   = o_out.act;
  assign out_bad_o   = o_out.bad;
  assign out_first_o = o_out.first;
  assign out_end_o   = o_out.chunk_end;
  assign out_tlast_o = o_out.tlast;

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 2)
  `SFP_ASSERT_INIT(DistGroups_A, ND % 8 == 0)
  `SFP_ASSERT(Count_A, in_valid_i |-> in_count_i != '0)
  `SFP_ASSERT(PlaneLen_A, a_valid |-> 32'(o_in.plen) <= PlaneW)
  `SFP_ASSUME(TableDist_M, in_valid_i |-> 32'(tab_i.ndist) <= ND)
  // The per-tensor registers and the codewords belong to the beats at the input and in stage a.
  `SFP_ASSERT(TensorHeld_A, in_valid_i || a_valid |->
              $stable(cfg_i) && $stable(tab_i) && $stable(cw_i))
  `SFP_ASSERT(Widths_A, in_valid_i || a_valid |-> pw_q == pw && rb_q == rb)
endmodule
