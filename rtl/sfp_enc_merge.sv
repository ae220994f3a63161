// SPDX-License-Identifier: Apache-2.0
//
// Encoder stage 4, field merge: packs the NumLanes variable-length value fields of a group into
// one contiguous bit string, lane 0 first, with a log2(NumLanes)-level tree of pairwise merges
// (each node: left | right << len(left)). Header and flags pass through.
// Spec: "Group record" (value fields in lane order). Latency 1, throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o (combinational).
`include "sfp_assert.svh"

module sfp_enc_merge #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned SideBits = 1,  // payload passed through unchanged
  localparam int unsigned VW       = sfp_pkg::ValueBits,
  localparam int unsigned FLenW    = $clog2(VW + 1),
  localparam int unsigned Levels   = $clog2(NumLanes),
  localparam int unsigned ValsBits = NumLanes * VW,
  localparam int unsigned VLenW    = $clog2(ValsBits + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,   // one field per lane, LSB-aligned in 32 bits
  output logic                      in_ready_o,
  input  logic [SideBits-1:0]       in_side_i,
  input  logic [NumLanes*VW-1:0]    in_fields_i,
  input  logic [NumLanes*FLenW-1:0] in_lens_i,
  output logic                      out_valid_o,  // the fields back to back, 0 above out_len_o
  input  logic                      out_ready_i,
  output logic [SideBits-1:0]       out_side_o,
  output logic [ValsBits-1:0]       out_vals_o,
  output logic [VLenW-1:0]          out_len_o
);
  logic                in_ack, valid_q;
  logic [SideBits-1:0] side_q;
  logic [ValsBits-1:0] vals_q;
  logic [VLenW-1:0]    len_q;

  assign in_ready_o = out_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;

  // Merge tree: level s holds NumLanes >> s nodes of VW << s bits and VLenW-bit lengths.
  for (genvar s = 0; s <= Levels; s++) begin : gen_lvl
    logic [ValsBits-1:0]              data;
    logic [(NumLanes>>s)*VLenW-1:0]   lens;
    if (s == 0) begin : gen_leaf
      assign data = in_fields_i;
      for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
        assign lens[l*VLenW +: VLenW] = VLenW'(in_lens_i[l*FLenW +: FLenW]);
      end
    end else begin : gen_node
      localparam int unsigned Half = VW << (s - 1);  // bits of each child
      for (genvar j = 0; j < (NumLanes >> s); j++) begin : gen_j
        logic [VLenW-1:0] len_l, len_r;
        logic [Half-1:0]  left, right;
        assign left  = gen_lvl[s-1].data[(2*j)*Half +: Half];
        assign right = gen_lvl[s-1].data[(2*j+1)*Half +: Half];
        assign len_l = gen_lvl[s-1].lens[(2*j)*VLenW +: VLenW];
        assign len_r = gen_lvl[s-1].lens[(2*j+1)*VLenW +: VLenW];
        assign data[j*2*Half +: 2*Half] = {{Half{1'b0}}, left} | ({{Half{1'b0}}, right} << len_l);
        assign lens[j*VLenW +: VLenW]   = len_l + len_r;
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
      side_q <= in_side_i;
      vals_q <= gen_lvl[Levels].data;
      len_q  <= gen_lvl[Levels].lens;
    end
  end

  assign out_valid_o = valid_q;
  assign out_side_o  = side_q;
  assign out_vals_o  = vals_q;
  assign out_len_o   = len_q;

  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 2, 1 << sfp_fmt_pkg::MaxGroupLog2))
  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i, {out_side_o, out_vals_o, out_len_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o, {in_side_i, in_fields_i, in_lens_i})
  `SFP_ASSERT(LenFits_A, out_valid_o |-> out_len_o <= VLenW'(ValsBits))
endmodule
