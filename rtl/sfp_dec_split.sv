// SPDX-License-Identifier: Apache-2.0
//
// Decoder stage 2, field split: cuts the value-field region of a group into one field per lane
// with a log2(NumLanes)-level tree (each node hands its low bits to the left half of its lanes
// and the rest, shifted by the left half's length, to the right half): the inverse of the
// encoder's merge. Also flags, per lane, a field whose head (sign and exponent) or whole field
// runs past the chunk's end. Other group information passes through.
// Spec: "Value fields". Latency 1, throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o (combinational).
`include "sfp_assert.svh"

module sfp_dec_split #(
  parameter  int unsigned NumLanes   = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned SideBits   = 1,  // payload passed through unchanged
  localparam int unsigned VW         = sfp_pkg::ValueBits,
  localparam int unsigned LaneCntW   = $clog2(NumLanes + 1),
  localparam int unsigned Levels     = $clog2(NumLanes),
  localparam int unsigned RegionBits = NumLanes * VW,
  localparam int unsigned BoundW     = $clog2(RegionBits + 2),
  localparam int unsigned CumW       = $clog2(RegionBits + VW + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  in_valid_i,   // a parsed group
  output logic                  in_ready_o,
  input  logic [SideBits-1:0]   in_side_i,
  input  logic [RegionBits-1:0] in_region_i,  // the value fields back to back
  input  logic [NumLanes-1:0]   in_zero_mask_i,
  input  logic [NumLanes-1:0]   in_special_i,
  input  logic [LaneCntW-1:0]   in_lanes_i,
  input  logic [3:0]            in_ew_i,
  input  logic [4:0]            in_man_i,     // m
  input  logic [BoundW-1:0]     in_bound_i,   // region bits inside the chunk
  output logic                  out_valid_o,  // lane l's field in [l*32 +: 32] (junk above it)
  input  logic                  out_ready_i,
  output logic [SideBits-1:0]   out_side_o,
  output logic [RegionBits-1:0] out_fields_o,
  output logic [NumLanes-1:0]   out_trunc_head_o,   // sign or exponent past the chunk's end
  output logic [NumLanes-1:0]   out_trunc_field_o   // some bit of the field past the chunk's end
);
  logic                  in_ack, valid_q;
  logic [NumLanes-1:0]   live;
  logic [(NumLanes+1)*CumW-1:0] cum;  // cum[l]: bits of the fields of lanes 0..l-1
  logic [NumLanes-1:0]   th_d, tf_d;

  logic [SideBits-1:0]   side_q;
  logic [RegionBits-1:0] fields_q;
  logic [NumLanes-1:0]   th_q, tf_q;

  assign in_ready_o = out_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;

  always_comb begin
    logic [CumW-1:0] f, len, start;
    f     = CumW'(1) + CumW'(in_ew_i) + CumW'(in_man_i);
    start = '0;
    cum   = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      live[l] = (LaneCntW'(l) < in_lanes_i) && !in_zero_mask_i[l];
      len     = live[l] ? f + CumW'(in_special_i[l]) : '0;
      cum[(l+1)*CumW +: CumW] = start + len;
      th_d[l] = live[l] && (start + CumW'(1) + CumW'(in_ew_i) > CumW'(in_bound_i));
      tf_d[l] = live[l] && (start + len > CumW'(in_bound_i));
      start   = start + len;
    end
  end

  // Split tree: level s holds 2^s nodes of RegionBits >> s bits; node j covers lanes
  // [j*Span, (j+1)*Span) with Span = NumLanes >> s.
  for (genvar s = 0; s <= Levels; s++) begin : gen_lvl
    logic [RegionBits-1:0] data;
    if (s == 0) begin : gen_root
      assign data = in_region_i;
    end else begin : gen_node
      localparam int unsigned Span  = NumLanes >> (s - 1);  // lanes of the parent
      localparam int unsigned Child = (RegionBits >> s);     // bits of a child
      for (genvar j = 0; j < (1 << (s - 1)); j++) begin : gen_j
        logic [2*Child-1:0] parent;
        logic [CumW-1:0]    len_left;
        assign parent   = gen_lvl[s-1].data[j*2*Child +: 2*Child];
        assign len_left = cum[(j*Span + Span/2)*CumW +: CumW] - cum[(j*Span)*CumW +: CumW];
        assign data[(2*j)*Child +: Child]   = parent[Child-1:0];
        assign data[(2*j+1)*Child +: Child] = Child'(parent >> len_left);
      end
    end
  end

  // Control: async reset. Payload: no reset, loads only on a handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
    end else if (in_ready_o) begin
      valid_q <= in_valid_i;
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack) begin
      side_q   <= in_side_i;
      fields_q <= gen_lvl[Levels].data;
      th_q     <= th_d;
      tf_q     <= tf_d;
    end
  end

  assign out_valid_o       = valid_q;
  assign out_side_o        = side_q;
  assign out_fields_o      = fields_q;
  assign out_trunc_head_o  = th_q;
  assign out_trunc_field_o = tf_q;

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_side_o, out_fields_o, out_trunc_head_o, out_trunc_field_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_side_i, in_region_i, in_zero_mask_i, in_special_i, in_lanes_i, in_ew_i,
                      in_man_i, in_bound_i})
  // Spec "Value fields": a field is at most 32 bits, so the fields fit the region.
  `SFP_ASSERT(FieldsFit_A, in_valid_i |-> cum[NumLanes*CumW +: CumW] <= CumW'(RegionBits))
endmodule
