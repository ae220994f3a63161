// SPDX-License-Identifier: Apache-2.0
//
// Encoder stages 1-3, quantizer: registers the group with the per-tensor configuration turned
// into per-lane format controls and the mantissa keep mask (stage 1), widens BF16 lanes to the
// internal FP32 layout, clears the lanes past the group's lane count and decides each lane's
// round increment (stage 2), then adds it and flags the +0 lanes (stage 3): Q_m (truncate or
// round to nearest even), as sfp_pkg::quantize. Spec: "Mantissa quantizer". Latency 3,
// throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o through the three stage
//        registers (combinational).
`include "sfp_assert.svh"

module sfp_enc_quant #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned VW       = sfp_pkg::ValueBits,
  localparam int unsigned MW       = sfp_pkg::ManBits
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,   // one group; lane 0 in the LSBs
  output logic                     in_ready_o,
  input  logic [NumLanes*VW-1:0]   in_data_i,    // FP32, or BF16 in the low 16 bits of a lane
  input  logic [LaneCntW-1:0]      in_lanes_i,   // values in the group, 1..NumLanes
  input  sfp_pkg::cfg_t            in_cfg_i,
  input  sfp_pkg::grp_flags_t      in_flags_i,
  output logic                     out_valid_o,  // Q_m of each lane, internal layout, 0 past lanes
  input  logic                     out_ready_i,
  output logic [NumLanes*VW-1:0]   out_data_o,
  output logic [LaneCntW-1:0]      out_lanes_o,
  output sfp_pkg::cfg_t            out_cfg_o,
  output sfp_pkg::grp_flags_t      out_flags_o,
  output logic [NumLanes-1:0]      out_mask_o,   // lane l holds a value (l < out_lanes_o)
  output logic [NumLanes-1:0]      out_zero_o    // lane l's Q_m is +0 (0 past the lane count)
);
  // Stage 1: input register //
  // Per lane: s1_fp32_q / s1_bf16_q = the lane holds a value of that format (both 0 past the
  // lane count). s1_keep_q = mantissa bits Q_m keeps (bit i set for i >= 23 - m). These are
  // decoded from the configuration before the register, so no configuration select or decoder
  // sits in front of the per-lane logic.
  logic                   s1_ready, s1_ack, s1_valid_q;
  logic [4:0]             man;
  logic [MW-1:0]          keep_d;
  logic [NumLanes-1:0]    fp32_d, bf16_d;
  logic [NumLanes*VW-1:0] s1_data_q;
  logic [LaneCntW-1:0]    s1_lanes_q;
  sfp_pkg::cfg_t          s1_cfg_q;
  sfp_pkg::grp_flags_t    s1_flags_q;
  logic [NumLanes-1:0]    s1_fp32_q, s1_bf16_q;
  logic [MW-1:0]          s1_keep_q;

  // Stage 2: round decision //
  logic                   s2_ready, s2_ack, s2_valid_q;
  logic [MW:0]            keep24, lowm24;  // keep mask with the exponent LSB (always kept)
  logic [MW-1:0]          lowm, half_m, sticky_m;
  logic [MW:0]            ulp_m;
  logic [NumLanes*VW-1:0] y_d, s2_y_q;    // sign, then the truncated magnitude (see below)
  logic [NumLanes-1:0]    inc_d, s2_inc_q, s2_mask_q;
  logic [LaneCntW-1:0]    s2_lanes_q;
  sfp_pkg::cfg_t          s2_cfg_q;
  sfp_pkg::grp_flags_t    s2_flags_q;

  // Stage 3: round increment //
  logic                   s3_ready, s3_ack, s3_valid_q;
  logic [NumLanes*VW-1:0] q_d, s3_data_q;
  logic [NumLanes-1:0]    zero_d, s3_mask_q, s3_zero_q;
  logic [LaneCntW-1:0]    s3_lanes_q;
  sfp_pkg::cfg_t          s3_cfg_q;
  sfp_pkg::grp_flags_t    s3_flags_q;

  assign s3_ready   = out_ready_i | ~s3_valid_q;
  assign s2_ready   = s3_ready | ~s2_valid_q;
  assign s1_ready   = s2_ready | ~s1_valid_q;
  assign in_ready_o = s1_ready;
  assign s1_ack     = in_valid_i & s1_ready;
  assign s2_ack     = s1_valid_q & s2_ready;
  assign s3_ack     = s2_valid_q & s3_ready;

  // Stage 1 //
  assign man = sfp_pkg::eff_man_bits(in_cfg_i.man_bits, in_cfg_i.bf16);
  always_comb begin
    keep_d = ~((MW'(1) << (5'(MW) - man)) - MW'(1));  // bits 23 - m and up
    for (int unsigned l = 0; l < NumLanes; l++) begin
      fp32_d[l] = (LaneCntW'(l) < in_lanes_i) & ~in_cfg_i.bf16;
      bf16_d[l] = (LaneCntW'(l) < in_lanes_i) & in_cfg_i.bf16;
    end
  end

  // Stage 2 //
  // With drop = 23 - m: lowm = the dropped bits, half_m = bit drop - 1 (the round bit),
  // sticky_m = the bits below it, ulp_m = bit drop (the kept LSB; bit 23 = exponent LSB).
  // RNE adds one ulp when round & (sticky | lsb). Lane value y: for a NaN the truncated payload
  // (0x400000 if that is zero) and no increment; otherwise the truncated magnitude, with the
  // dropped bits set to ones when the increment is due, so that stage 3's y + inc carries into
  // bit drop and clears them.
  assign keep24   = {1'b1, s1_keep_q};
  assign lowm24   = ~keep24;
  assign lowm     = lowm24[MW-1:0];
  assign half_m   = lowm & ~lowm24[MW:1];
  assign sticky_m = {1'b0, lowm[MW-1:1]};
  assign ulp_m    = keep24 & ~{keep24[MW-1:0], 1'b0};
  always_comb begin
    logic [VW-1:0] v;
    logic [MW-1:0] t_man;
    logic          nan, rnd, sticky, lsb;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      v = ({VW{s1_fp32_q[l]}} & s1_data_q[l*VW +: VW]) |
          ({VW{s1_bf16_q[l]}} & {s1_data_q[l*VW +: 16], 16'h0000});
      t_man  = v[MW-1:0] & s1_keep_q;
      nan    = (v[30:MW] == sfp_pkg::ExpMax) && (v[MW-1:0] != '0);
      rnd    = |(v[MW-1:0] & half_m);
      sticky = |(v[MW-1:0] & sticky_m);
      lsb    = |(v[MW:0] & ulp_m);
      inc_d[l] = s1_cfg_q.rne & ~nan & rnd & (sticky | lsb);
      if (nan) begin
        y_d[l*VW +: VW] = {v[31], sfp_pkg::ExpMax, (t_man == '0) ? 23'h400000 : t_man};
      end else begin
        y_d[l*VW +: VW] = {v[31], v[30:MW], t_man | ({MW{inc_d[l]}} & lowm)};
      end
    end
  end

  // Stage 3 //
  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) begin
      // At most Inf: no carry out of the 31-bit magnitude.
      q_d[l*VW +: VW] = {s2_y_q[l*VW + VW - 1], s2_y_q[l*VW +: VW-1] + (VW-1)'(s2_inc_q[l])};
      // +0: beside the increment, not after it.
      zero_d[l] = s2_mask_q[l] & (s2_y_q[l*VW +: VW] == '0) & ~s2_inc_q[l];
    end
  end

  // Control: async reset. Payload: no reset, loads only on a handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
    end else begin
      if (s1_ready) s1_valid_q <= in_valid_i;
      if (s2_ready) s2_valid_q <= s1_valid_q;
      if (s3_ready) s3_valid_q <= s2_valid_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (s1_ack) begin
      s1_data_q  <= in_data_i;
      s1_lanes_q <= in_lanes_i;
      s1_cfg_q   <= in_cfg_i;
      s1_flags_q <= in_flags_i;
      s1_fp32_q  <= fp32_d;
      s1_bf16_q  <= bf16_d;
      s1_keep_q  <= keep_d;
    end
    if (s2_ack) begin
      s2_y_q     <= y_d;
      s2_inc_q   <= inc_d;
      s2_mask_q  <= s1_fp32_q | s1_bf16_q;
      s2_lanes_q <= s1_lanes_q;
      s2_cfg_q   <= s1_cfg_q;
      s2_flags_q <= s1_flags_q;
    end
    if (s3_ack) begin
      s3_data_q  <= q_d;
      s3_mask_q  <= s2_mask_q;
      s3_zero_q  <= zero_d;
      s3_lanes_q <= s2_lanes_q;
      s3_cfg_q   <= s2_cfg_q;
      s3_flags_q <= s2_flags_q;
    end
  end

  assign out_valid_o = s3_valid_q;
  assign out_data_o  = s3_data_q;
  assign out_lanes_o = s3_lanes_q;
  assign out_cfg_o   = s3_cfg_q;
  assign out_flags_o = s3_flags_q;
  assign out_mask_o  = s3_mask_q;
  assign out_zero_o  = s3_zero_q;

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_data_o, out_lanes_o, out_cfg_o, out_flags_o, out_mask_o, out_zero_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_data_i, in_lanes_i, in_cfg_i, in_flags_i})
  `SFP_ASSUME(InLanes_M, in_valid_i |-> (in_lanes_i != '0 && in_lanes_i <= LaneCntW'(NumLanes)))
  // Stage 3 matches Q_m of the widened value, lane by lane (sfp_pkg::quantize).
`ifndef SYNTHESIS
  logic [NumLanes*VW-1:0] ref_d, ref_q;
  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) begin
      ref_d[l*VW +: VW] = '0;
      if (LaneCntW'(l) < in_lanes_i) begin
        ref_d[l*VW +: VW] = sfp_pkg::quantize(
            in_cfg_i.bf16 ? {in_data_i[l*VW +: 16], 16'h0000} : in_data_i[l*VW +: VW], man,
            in_cfg_i.rne);
      end
    end
  end
  // The reference travels beside the pipeline (same enables), so it lines up with out_data_o.
  logic [NumLanes*VW-1:0] ref_s1_q, ref_s2_q;
  always_ff @(posedge clk_i) begin
    if (s1_ack) ref_s1_q <= ref_d;
    if (s2_ack) ref_s2_q <= ref_s1_q;
    if (s3_ack) ref_q <= ref_s2_q;
  end
  `SFP_ASSERT(QuantRef_A, out_valid_o |-> out_data_o == ref_q)
  for (genvar l = 0; l < NumLanes; l++) begin : gen_flag_a
    `SFP_ASSERT(LaneFlags_A, out_valid_o |-> out_mask_o[l] == (LaneCntW'(l) < out_lanes_o) &&
                out_zero_o[l] == (out_mask_o[l] && out_data_o[l*VW +: VW] == '0))
  end
`endif
endmodule
