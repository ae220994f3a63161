// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, symbol stage: one step of L_c values per beat. Gives each value its symbol in its
// lane's code and forms, per value, the lane bits (the codeword MSB first, then for ESC the
// exponent and, when m = 0, mantissa bit M-1), the plane entry of a D_d / ESC value and the raw
// field; the step's plane entries are packed in value order and its raw fields side by side.
// Spec: docs/format.md, "Lane symbols", "Canonical codewords", "Coded chunk" (plane), "Raw
// chunk". State: the chunk's previous value (REP) and per lane whether its previous value was
// +0 (the code), both reset at a chunk's first step. The lane's code depends only on its own
// previous value, not on a symbol, so this stage has no loop beyond those registers.
// bad_o: a value of the step needs a symbol its lane's code lacks (the chunk is stored raw).
// Paths: in_ready_o <- out_ready_i (plain stage register).
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
  input  sfp_pkg::cfg_t                cfg_i,  // held for the tensor
  input  sfp2_pkg::table_t             tab_i,  // held for the tensor
  input  logic [CwW-1:0]               cw_i,   // sfp2_enc_table
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
  output logic [LaneCntW-1:0]          out_count_o,
  output logic                         out_bad_o,
  output logic                         out_first_o,
  output logic                         out_end_o,
  output logic                         out_tlast_o
);
  localparam int unsigned NS = sfp2_pkg::NumSyms;
  localparam int unsigned MB = sfp2_pkg::MaxCodeBits;
  localparam int unsigned LB = sfp2_pkg::LenBits;

  logic                in_ack;
  logic [31:0]         prev_q;   // the chunk's previous value (the last of the previous step)
  logic [NumLanes-1:0] pz_q;     // lane's previous value was +0

  logic [NumLanes*BitsW-1:0] bits;
  logic [NumLanes*NbW-1:0]   nb;
  logic [PlaneW-1:0]         plane;
  logic [PLenW-1:0]          plen;
  logic [RawW-1:0]           raw;
  logic [RLenW-1:0]          rlen;
  logic                      bad;

  // Per-tensor widths.
  logic       s_bits;   // the plane holds a sign
  logic [4:0] pw;       // plane entry bits s + m
  logic [4:0] mm;       // raw mantissa bits max(m, 1)
  logic [5:0] rb;       // raw field bits 9 + mm
  assign s_bits = tab_i.sign == sfp2_pkg::SignMixed;
  assign pw     = 5'(s_bits) + cfg_i.man_bits;
  assign mm     = (cfg_i.man_bits == '0) ? 5'd1 : cfg_i.man_bits;
  assign rb     = 6'd9 + 6'(mm);

  // Working variables of the lane loop (plain, not per lane: assigned before use).
  logic [31:0]    v, pv;
  logic [7:0]     e, d;
  logic [22:0]    man;
  logic           ctx, dist_ok, esc, act, member, k;
  logic [5:0]     sym;
  logic [LB-1:0]  len, len_rep, len_dist;
  logic [MB-1:0]  cwr;
  logic [8:0]     esc_field;
  logic [BitsW-1:0] lb;
  logic [23:0]    pentry;
  logic [31:0]    rentry;

  always_comb begin
    bits = '0;
    nb = '0;
    plane = '0;
    plen = '0;
    raw = '0;
    bad = 1'b0;
    {v, pv, e, d, man, ctx, dist_ok, esc, act, member, k, sym} = '0;
    {len, len_rep, len_dist, cwr, esc_field, lb, pentry, rentry} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      act = l < 32'(in_count_i);
      v   = in_data_i[l*VW+:VW];
      if (l == 0) pv = in_first_i ? 32'd0 : prev_q;
      else pv = in_data_i[(l-1)*VW+:VW];
      e   = v[30:23];
      man = v[22:0];
      ctx = in_first_i || pz_q[l];
      k   = tab_i.two && ctx;
      d   = tab_i.base - e;
      len_rep = tab_i.len[(32'(k)*NS+sfp2_pkg::SymRep)*LB+:LB];
      len_dist = '0;
      if (e != 8'hFF && e <= tab_i.base && d < 8'(tab_i.ndist)) begin
        len_dist = tab_i.len[(32'(k)*NS+sfp2_pkg::SymDist0+32'(d))*LB+:LB];
      end
      dist_ok = len_dist != '0;
      // The first symbol that applies (Spec: "Lane symbols").
      if (v == 32'd0) sym = 6'(sfp2_pkg::SymZero);
      else if (v == pv && len_rep != '0) sym = 6'(sfp2_pkg::SymRep);
      else if (dist_ok) sym = 6'(sfp2_pkg::SymDist0) + 6'(d);
      else sym = 6'(sfp2_pkg::SymEsc);
      len = tab_i.len[(32'(k)*NS+32'(sym))*LB+:LB];
      cwr = cw_i[(32'(k)*NS+32'(sym))*MB+:MB];
      esc = sym == 6'(sfp2_pkg::SymEsc);
      member = sym >= 6'(sfp2_pkg::SymEsc);
      esc_field = (cfg_i.man_bits == '0) ? {man[22], e} : {1'b0, e};
      lb = BitsW'(cwr) & ((BitsW'(1) << len) - BitsW'(1));
      if (esc) lb = lb | (BitsW'(esc_field) << len);
      if (act) begin
        bits[l*BitsW+:BitsW] = lb;
        nb[l*NbW+:NbW] = NbW'(len) + (esc ? ((cfg_i.man_bits == '0) ? NbW'(9) : NbW'(8)) : '0);
        bad = bad || len == '0;
      end
      // Plane entry: sign in the LSB (when mixed), then the top m mantissa bits.
      pentry = 24'({man >> (5'd23 - cfg_i.man_bits), v[31] & s_bits}) >> !s_bits;
      if (act && member && pw != '0) begin
        plane = plane | (PlaneW'(pentry) << plen);
        plen  = plen + PLenW'(pw);
      end
      // Raw field: sign, exponent, top max(m, 1) mantissa bits.
      rentry = {9'd0, man >> (5'd23 - mm)} << 9 | {23'd0, e, v[31]};
      if (act) raw = raw | (RawW'(rentry) << (l * 32'(rb)));
    end
    rlen = RLenW'(in_count_i) * RLenW'(rb);
  end

  assign in_ack = in_valid_i && in_ready_o;
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

  typedef struct packed {
    logic [NumLanes*BitsW-1:0] bits;
    logic [NumLanes*NbW-1:0]   nb;
    logic [PlaneW-1:0]         plane;
    logic [PLenW-1:0]          plen;
    logic [RawW-1:0]           raw;
    logic [RLenW-1:0]          rlen;
    logic [LaneCntW-1:0]       count;
    logic                      bad, first, chunk_end, tlast;
  } sym_beat_t;
  sym_beat_t o_in, o_out;
  always_comb begin
    o_in.bits      = bits;
    o_in.nb        = nb;
    o_in.plane     = plane;
    o_in.plen      = plen;
    o_in.raw       = raw;
    o_in.rlen      = rlen;
    o_in.count     = in_count_i;
    o_in.bad       = bad;
    o_in.first     = in_first_i;
    o_in.chunk_end = in_end_i;
    o_in.tlast     = in_tlast_i;
  end
  sfp_stage #(.Width($bits(o_in)), .Spill(0)) u_out (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i(o_in),
    .out_valid_o, .out_ready_i, .out_data_o(o_out)
  );
  assign out_bits_o  = o_out.bits;
  assign out_nb_o    = o_out.nb;
  assign out_plane_o = o_out.plane;
  assign out_plen_o  = o_out.plen;
  assign out_raw_o   = o_out.raw;
  assign out_rlen_o  = o_out.rlen;
  assign out_count_o = o_out.count;
  assign out_bad_o   = o_out.bad;
  assign out_first_o = o_out.first;
  assign out_end_o   = o_out.chunk_end;
  assign out_tlast_o = o_out.tlast;

  `SFP_ASSERT(Count_A, in_valid_i |-> in_count_i != '0)
  `SFP_ASSERT(PlaneLen_A, in_valid_i |-> 32'(plen) <= PlaneW)
endmodule
