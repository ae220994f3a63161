// SPDX-License-Identifier: Apache-2.0
//
// Encoder stages 7-9, record merge: packs the group header and the NumLanes variable-length value
// fields of a group into one contiguous record, header first, then lane 0, 1, ..., with a
// log2(NumLanes)-level tree of pairwise merges (each node: left | right << len(left)). The root
// node also places the header: pre | left << len(pre) | right << (len(pre) + len(left)). Flags
// pass through. Spec: "Group record". Latency 3 (the tree below the root is split over two
// register stages, the root has the third; all lengths are summed in the first, so the later
// ones shift by register outputs only), throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o through the three stage
//        registers (combinational).
`include "sfp_assert.svh"

module sfp_enc_merge #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned SideBits = 1,  // payload passed through unchanged
  parameter  int unsigned PreBits  = 1,  // longest prefix (the group header) of the record
  localparam int unsigned VW       = sfp_pkg::ValueBits,
  localparam int unsigned FLenW    = $clog2(VW + 1),
  localparam int unsigned Levels   = $clog2(NumLanes),
  localparam int unsigned ValsBits = NumLanes * VW,
  localparam int unsigned VLenW    = $clog2(ValsBits + 1),
  localparam int unsigned PreLenW  = $clog2(PreBits + 1),
  localparam int unsigned RecBits  = PreBits + ValsBits,
  localparam int unsigned RecLenW  = $clog2(RecBits + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,    // one field per lane, LSB-aligned in 32 bits
  output logic                      in_ready_o,
  input  logic [SideBits-1:0]       in_side_i,
  input  logic [PreBits-1:0]        in_pre_i,      // the header, 0 above in_pre_len_i
  input  logic [PreLenW-1:0]        in_pre_len_i,
  input  logic [NumLanes*VW-1:0]    in_fields_i,
  input  logic [NumLanes*FLenW-1:0] in_lens_i,
  output logic                      out_valid_o,   // the record, 0 above out_rec_len_o
  input  logic                      out_ready_i,
  output logic [SideBits-1:0]       out_side_o,
  output logic [RecBits-1:0]        out_rec_o,
  output logic [RecLenW-1:0]        out_rec_len_o
);
  // Stage 1 runs levels 1..Lvl1, stage 2 levels Lvl1+1..Levels-1 (none for NumLanes = 4: it
  // only holds the group), stage 3 the root.
  localparam int unsigned Lvl1 = Levels / 2;
  localparam int unsigned Part = NumLanes >> Lvl1;  // nodes after stage 1
  localparam int unsigned Half = ValsBits / 2;  // bits of each child of the root

  logic                  s1_ready, s1_ack, s1_valid_q;
  logic [SideBits-1:0]   s1_side_q;
  logic [PreBits-1:0]    s1_pre_q;
  logic [PreLenW-1:0]    s1_pre_len_q;
  logic [Part*VLenW-1:0] s1_lens_q;     // lengths of the stage 1 nodes
  logic [ValsBits-1:0]   s1_data_q;
  logic [RecLenW-1:0]    right_at_d, right_len_d;  // root: where the right child starts, its length
  logic                  s2_ready, s2_ack, s2_valid_q;
  logic [ValsBits-1:0]   top_data;       // the root's two children
  logic [SideBits-1:0]   s2_side_q;
  logic [PreBits-1:0]    s2_pre_q;
  logic [PreLenW-1:0]    s2_pre_len_q;
  logic [RecLenW-1:0]    s2_right_at_q, s2_rec_len_q;
  logic [ValsBits-1:0]   s2_top_q;
  logic                  s3_ready, s3_ack, valid_q;
  logic [RecBits-1:0]    rec_d, rec_q;
  logic [RecLenW-1:0]    rec_len_q;
  logic [SideBits-1:0]   side_q;

  assign s3_ready   = out_ready_i | ~valid_q;
  assign s2_ready   = s3_ready | ~s2_valid_q;
  assign s1_ready   = s2_ready | ~s1_valid_q;
  assign in_ready_o = s1_ready;
  assign s1_ack     = in_valid_i & s1_ready;
  assign s2_ack     = s1_valid_q & s2_ready;
  assign s3_ack     = s2_valid_q & s3_ready;

  // Length tree, all in stage 1: level s holds NumLanes >> s VLenW-bit lengths. The lengths that
  // stage 2 shifts by are registered (gen_reg.left_q: the left children of levels Lvl1 ..
  // Levels-2); stage 2 sums the registered level-Lvl1 lengths for the root.
  for (genvar s = 0; s <= Levels; s++) begin : gen_len
    logic [(NumLanes>>s)*VLenW-1:0] lens;
    if (s == 0) begin : gen_leaf
      for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
        assign lens[l*VLenW +: VLenW] = VLenW'(in_lens_i[l*FLenW +: FLenW]);
      end
    end else begin : gen_node
      for (genvar j = 0; j < (NumLanes >> s); j++) begin : gen_j
        assign lens[j*VLenW +: VLenW] = gen_len[s-1].lens[(2*j)*VLenW +: VLenW] +
                                        gen_len[s-1].lens[(2*j+1)*VLenW +: VLenW];
      end
    end
    if (s >= Lvl1 && s + 1 < Levels) begin : gen_reg
      logic [(NumLanes>>(s+1))*VLenW-1:0] left_d, left_q;
      for (genvar j = 0; j < (NumLanes >> (s + 1)); j++) begin : gen_j
        assign left_d[j*VLenW +: VLenW] = lens[(2*j)*VLenW +: VLenW];
      end
      always_ff @(posedge clk_i) begin
        if (s1_ack) left_q <= left_d;
      end
    end
  end

  // Merge tree below the root: level s holds NumLanes >> s nodes of VW << s bits. Level Lvl1 + 1
  // reads level Lvl1 from the stage 1 register.
  for (genvar s = 0; s < Levels; s++) begin : gen_lvl
    logic [ValsBits-1:0] data;
    if (s == 0) begin : gen_leaf
      assign data = in_fields_i;
    end else begin : gen_node
      localparam int unsigned HalfS = VW << (s - 1);  // bits of each child
      logic [ValsBits-1:0] src_data;
      if (s - 1 == Lvl1) begin : gen_reg
        assign src_data = s1_data_q;
      end else begin : gen_comb
        assign src_data = gen_lvl[s-1].data;
      end
      for (genvar j = 0; j < (NumLanes >> s); j++) begin : gen_j
        logic [VLenW-1:0] len_l;
        logic [HalfS-1:0] left, right;
        assign left  = src_data[(2*j)*HalfS +: HalfS];
        assign right = src_data[(2*j+1)*HalfS +: HalfS];
        if (s - 1 >= Lvl1) begin : gen_len_reg
          assign len_l = gen_len[s-1].gen_reg.left_q[j*VLenW +: VLenW];
        end else begin : gen_len_comb
          assign len_l = gen_len[s-1].lens[(2*j)*VLenW +: VLenW];
        end
        assign data[j*2*HalfS +: 2*HalfS] =
            {{HalfS{1'b0}}, left} | ({{HalfS{1'b0}}, right} << len_l);
      end
    end
  end

  // Root, in stage 3.
  if (Levels - 1 == Lvl1) begin : gen_top_reg
    assign top_data = s1_data_q;
  end else begin : gen_top_comb
    assign top_data = gen_lvl[Levels-1].data;
  end
  assign rec_d = RecBits'(s2_pre_q) | (RecBits'(s2_top_q[0 +: Half]) << s2_pre_len_q) |
                 (RecBits'(s2_top_q[Half +: Half]) << s2_right_at_q);

  logic unused_lens;  // the tree's total: the record length sums the leaves directly
  assign unused_lens = ^gen_len[Levels].lens;

  // Stage 2: the root's right offset (header and left half) and the length of its right half,
  // each one flat sum of the registered stage 1 node lengths.
  always_comb begin
    right_at_d  = RecLenW'(s1_pre_len_q);
    right_len_d = '0;
    for (int unsigned j = 0; j < Part / 2; j++) begin
      right_at_d  = right_at_d + RecLenW'(s1_lens_q[j*VLenW +: VLenW]);
      right_len_d = right_len_d + RecLenW'(s1_lens_q[(Part/2+j)*VLenW +: VLenW]);
    end
  end

  // Control: async reset. Payload: no reset, loads only on a handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      valid_q    <= 1'b0;
    end else begin
      if (s1_ready) s1_valid_q <= in_valid_i;
      if (s2_ready) s2_valid_q <= s1_valid_q;
      if (s3_ready) valid_q <= s2_valid_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (s1_ack) begin
      s1_side_q      <= in_side_i;
      s1_pre_q       <= in_pre_i;
      s1_pre_len_q   <= in_pre_len_i;
      s1_lens_q      <= gen_len[Lvl1].lens;
      s1_data_q      <= gen_lvl[Lvl1].data;
    end
    if (s2_ack) begin
      s2_side_q     <= s1_side_q;
      s2_pre_q      <= s1_pre_q;
      s2_pre_len_q  <= s1_pre_len_q;
      s2_right_at_q <= right_at_d;
      s2_rec_len_q  <= right_at_d + right_len_d;
      s2_top_q      <= top_data;
    end
    if (s3_ack) begin
      side_q    <= s2_side_q;
      rec_q     <= rec_d;
      rec_len_q <= s2_rec_len_q;
    end
  end

  assign out_valid_o   = valid_q;
  assign out_side_o    = side_q;
  assign out_rec_o     = rec_q;
  assign out_rec_len_o = rec_len_q;

  // Two levels at least (one per stage); the encoder has NumLanes >= 4.
  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 4, 1 << sfp_fmt_pkg::MaxGroupLog2))
  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i, {out_side_o, out_rec_o, out_rec_len_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_side_i, in_pre_i, in_pre_len_i, in_fields_i, in_lens_i})
  `SFP_ASSUME(PreLen_M, in_valid_i |-> in_pre_len_i <= PreLenW'(PreBits))
  `SFP_ASSERT(LenFits_A, out_valid_o |-> out_rec_len_o <= RecLenW'(RecBits))
endmodule
