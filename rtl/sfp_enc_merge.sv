// SPDX-License-Identifier: Apache-2.0
//
// Encoder stages 7-8, field merge: packs the NumLanes variable-length value fields of a group into
// one contiguous bit string, lane 0 first, with a log2(NumLanes)-level tree of pairwise merges
// (each node: left | right << len(left)). Header and flags pass through.
// Spec: "Group record" (value fields in lane order). Latency 2 (the tree is split over two
// register stages), throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o through both stage registers
//        (combinational).
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
  // The tree is split over two register stages: stage 1 runs levels 1..Lvl1, stage 2 the rest.
  localparam int unsigned Lvl1 = (Levels + 1) / 2;
  localparam int unsigned Part = NumLanes >> Lvl1;  // nodes after stage 1

  logic                  s1_ready, s1_ack, s1_valid_q;
  logic [SideBits-1:0]   s1_side_q;
  logic [ValsBits-1:0]   s1_data_q;
  logic [Part*VLenW-1:0] s1_lens_q;
  logic                  s2_ready, s2_ack, valid_q;
  logic [ValsBits-1:0]   vals_d, vals_q;
  logic [VLenW-1:0]      len_d, len_q;
  logic [SideBits-1:0]   side_q;

  assign s2_ready   = out_ready_i | ~valid_q;
  assign s1_ready   = s2_ready | ~s1_valid_q;
  assign in_ready_o = s1_ready;
  assign s1_ack     = in_valid_i & s1_ready;
  assign s2_ack     = s1_valid_q & s2_ready;

  // Merge tree: level s holds NumLanes >> s nodes of VW << s bits and VLenW-bit lengths. Level
  // Lvl1 + 1 reads level Lvl1 from the stage 1 register.
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
      logic [ValsBits-1:0]                src_data;
      logic [(NumLanes>>(s-1))*VLenW-1:0] src_lens;
      if (s - 1 == Lvl1) begin : gen_reg
        assign src_data = s1_data_q;
        assign src_lens = s1_lens_q;
      end else begin : gen_comb
        assign src_data = gen_lvl[s-1].data;
        assign src_lens = gen_lvl[s-1].lens;
      end
      for (genvar j = 0; j < (NumLanes >> s); j++) begin : gen_j
        logic [VLenW-1:0] len_l, len_r;
        logic [Half-1:0]  left, right;
        assign left  = src_data[(2*j)*Half +: Half];
        assign right = src_data[(2*j+1)*Half +: Half];
        assign len_l = src_lens[(2*j)*VLenW +: VLenW];
        assign len_r = src_lens[(2*j+1)*VLenW +: VLenW];
        assign data[j*2*Half +: 2*Half] = {{Half{1'b0}}, left} | ({{Half{1'b0}}, right} << len_l);
        assign lens[j*VLenW +: VLenW]   = len_l + len_r;
      end
    end
  end

  if (Lvl1 == Levels) begin : gen_out_reg  // NumLanes = 2: stage 2 only passes the node on
    assign vals_d = s1_data_q;
    assign len_d  = s1_lens_q;
  end else begin : gen_out_comb
    assign vals_d = gen_lvl[Levels].data;
    assign len_d  = gen_lvl[Levels].lens;
  end

  // Control: async reset. Payload: no reset, loads only on a handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      valid_q    <= 1'b0;
    end else begin
      if (s1_ready) s1_valid_q <= in_valid_i;
      if (s2_ready) valid_q <= s1_valid_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (s1_ack) begin
      s1_side_q <= in_side_i;
      s1_data_q <= gen_lvl[Lvl1].data;
      s1_lens_q <= gen_lvl[Lvl1].lens;
    end
    if (s2_ack) begin
      side_q <= s1_side_q;
      vals_q <= vals_d;
      len_q  <= len_d;
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
