// SPDX-License-Identifier: Apache-2.0
//
// Encoder stages 4-5, group analysis: zero mask, number of value fields, base B (the smallest
// exponent of the non-zero lanes) and width code wc. Spec: "Zero information", "Base code",
// "Width code"; the model's plan_group(). The lane mask and the +0 flags come from the
// quantizer. Latency 2 (the min/max trees are split over two register stages), throughput 1
// group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o through both stage registers
//        (combinational).
`include "sfp_assert.svh"

module sfp_enc_analyse #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned ZeroCode = sfp_fmt_pkg::DefaultZeroCode,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned VW       = sfp_pkg::ValueBits,
  localparam int unsigned EW       = sfp_fmt_pkg::ExpBits
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   in_valid_i,   // quantized group, internal layout
  output logic                   in_ready_o,
  input  logic [NumLanes*VW-1:0] in_data_i,
  input  logic [LaneCntW-1:0]    in_lanes_i,
  input  sfp_pkg::cfg_t          in_cfg_i,
  input  sfp_pkg::grp_flags_t    in_flags_i,
  input  logic [NumLanes-1:0]    in_mask_i,    // lane l holds a value
  input  logic [NumLanes-1:0]    in_zero_i,    // lane l is +0 (0 past the lane count)
  output logic                   out_valid_o,  // the group and its plan
  input  logic                   out_ready_i,
  output logic [NumLanes*VW-1:0] out_data_o,
  output logic [LaneCntW-1:0]    out_lanes_o,
  output sfp_pkg::cfg_t          out_cfg_o,
  output sfp_pkg::grp_flags_t    out_flags_o,
  output logic [NumLanes-1:0]    out_zero_mask_o,  // bit l: lane l is +0 (never with zero none)
  output logic [LaneCntW-1:0]    out_nonzero_o,    // lanes with a value field
  output logic [EW-1:0]          out_base_o,       // B (0 when no lane has a value field)
  output logic [2:0]             out_width_code_o  // wc: 0..6 = width, 7 = width 8
);
  // The min/max trees are split over the two stages: stage 1 runs the first Lvl1 levels (with
  // the zero mask and the value-field count), stage 2 the rest and the width code.
  localparam int unsigned Levels = $clog2(NumLanes);
  localparam int unsigned Lvl1   = (Levels + 1) / 2;
  localparam int unsigned Part   = NumLanes >> Lvl1;  // partial extremes after stage 1

  // Stage 1: zero mask, count, first tree levels //
  logic                   s1_ready, s1_ack, s1_valid_q;
  logic [NumLanes-1:0]    zero_d, live;
  logic [NumLanes*EW-1:0] lo_v, hi_v;
  logic [Part*EW-1:0]     lo_p, hi_p;
  logic [LaneCntW-1:0]    nonzero_d;
  logic [NumLanes*VW-1:0] s1_data_q;
  logic [LaneCntW-1:0]    s1_lanes_q, s1_nonzero_q;
  sfp_pkg::cfg_t          s1_cfg_q;
  sfp_pkg::grp_flags_t    s1_flags_q;
  logic [NumLanes-1:0]    s1_zero_q;
  logic                   s1_live_q;  // some lane has a value field
  logic [Part*EW-1:0]     s1_lo_q, s1_hi_q;

  // Stage 2: last tree levels, width code //
  logic                   s2_ready, s2_ack, valid_q;
  logic [Part*EW-1:0]     lo_w, hi_w;
  logic [EW-1:0]          lo;
  logic [2:0]             wc_d;
  logic [NumLanes*VW-1:0] data_q;
  logic [LaneCntW-1:0]    lanes_q, nonzero_q;
  sfp_pkg::cfg_t          cfg_q;
  sfp_pkg::grp_flags_t    flags_q;
  logic [NumLanes-1:0]    zero_q;
  logic [EW-1:0]          base_q;
  logic [2:0]             wc_q;

  assign in_ready_o = s1_ready;
  assign s2_ready   = out_ready_i | ~valid_q;
  assign s1_ready   = s2_ready | ~s1_valid_q;
  assign s1_ack     = in_valid_i & s1_ready;
  assign s2_ack     = s1_valid_q & s2_ready;

  always_comb begin
    nonzero_d = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      zero_d[l]    = (ZeroCode != sfp_pkg::ZeroNone) && in_zero_i[l];
      live[l]      = in_mask_i[l] & ~zero_d[l];
      nonzero_d    = nonzero_d + LaneCntW'(live[l]);
      // Lanes without a value field take no part in the extremes.
      lo_v[l*EW +: EW] = live[l] ? in_data_i[l*VW + sfp_pkg::ManBits +: EW] : '1;
      hi_v[l*EW +: EW] = live[l] ? in_data_i[l*VW + sfp_pkg::ManBits +: EW] : '0;
    end
    // Balanced min/max trees, levels 1..Lvl1.
    for (int unsigned s = 1; s < (1 << Lvl1); s = s * 2) begin
      for (int unsigned l = 0; l + s < NumLanes; l = l + 2 * s) begin
        lo_v[l*EW +: EW] = (lo_v[(l+s)*EW +: EW] < lo_v[l*EW +: EW]) ? lo_v[(l+s)*EW +: EW] :
                                                                        lo_v[l*EW +: EW];
        hi_v[l*EW +: EW] = (hi_v[(l+s)*EW +: EW] > hi_v[l*EW +: EW]) ? hi_v[(l+s)*EW +: EW] :
                                                                        hi_v[l*EW +: EW];
      end
    end
    for (int unsigned j = 0; j < Part; j++) begin
      lo_p[j*EW +: EW] = lo_v[(j << Lvl1)*EW +: EW];
      hi_p[j*EW +: EW] = hi_v[(j << Lvl1)*EW +: EW];
    end
  end

  // Smallest width that holds a spread; widths 7 and 8 share wc = 7.
  function automatic logic [2:0] width_code(logic [EW-1:0] spread);
    if (spread[7:6] != 2'b00)     width_code = 3'd7;
    else if (spread[5])           width_code = 3'd6;
    else if (spread[4])           width_code = 3'd5;
    else if (spread[3])           width_code = 3'd4;
    else if (spread[2])           width_code = 3'd3;
    else if (spread[1])           width_code = 3'd2;
    else if (spread[0])           width_code = 3'd1;
    else                          width_code = 3'd0;
  endfunction

  // The last level compares two candidates for each extreme; the spread and wc of all four
  // pairs are computed beside the comparisons and the compare results pick one of them.
  always_comb begin
    logic [EW-1:0] lo0, lo1, hi0, hi1;
    logic          lo_right, hi_right;
    logic [2:0]    wc00, wc01, wc10, wc11;  // wc<hi child><lo child>
    lo_w = s1_lo_q;
    hi_w = s1_hi_q;
    // Levels Lvl1+1..Levels-1.
    for (int unsigned s = 1; s < Part / 2; s = s * 2) begin
      for (int unsigned l = 0; l + s < Part; l = l + 2 * s) begin
        lo_w[l*EW +: EW] = (lo_w[(l+s)*EW +: EW] < lo_w[l*EW +: EW]) ? lo_w[(l+s)*EW +: EW] :
                                                                        lo_w[l*EW +: EW];
        hi_w[l*EW +: EW] = (hi_w[(l+s)*EW +: EW] > hi_w[l*EW +: EW]) ? hi_w[(l+s)*EW +: EW] :
                                                                        hi_w[l*EW +: EW];
      end
    end
    // Level Levels. With no value field at all both extremes are 0 (B = 0, wc = 0); a subtree
    // without one holds lo = 255, hi = 0 and never wins against one that has.
    lo0      = lo_w[0 +: EW];
    lo1      = lo_w[(Part/2)*EW +: EW];
    hi0      = hi_w[0 +: EW];
    hi1      = hi_w[(Part/2)*EW +: EW];
    lo_right = lo1 < lo0;
    hi_right = hi1 > hi0;
    wc00     = width_code(hi0 - lo0);
    wc01     = width_code(hi0 - lo1);
    wc10     = width_code(hi1 - lo0);
    wc11     = width_code(hi1 - lo1);
    lo       = !s1_live_q ? '0 : lo_right ? lo1 : lo0;
    unique case ({s1_live_q, hi_right, lo_right})
      3'b100:  wc_d = wc00;
      3'b101:  wc_d = wc01;
      3'b110:  wc_d = wc10;
      3'b111:  wc_d = wc11;
      default: wc_d = 3'd0;
    endcase
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
      s1_data_q    <= in_data_i;
      s1_lanes_q   <= in_lanes_i;
      s1_cfg_q     <= in_cfg_i;
      s1_flags_q   <= in_flags_i;
      s1_zero_q    <= zero_d;
      s1_nonzero_q <= nonzero_d;
      s1_live_q    <= live != '0;
      s1_lo_q      <= lo_p;
      s1_hi_q      <= hi_p;
    end
    if (s2_ack) begin
      data_q    <= s1_data_q;
      lanes_q   <= s1_lanes_q;
      cfg_q     <= s1_cfg_q;
      flags_q   <= s1_flags_q;
      zero_q    <= s1_zero_q;
      nonzero_q <= s1_nonzero_q;
      base_q    <= lo;
      wc_q      <= wc_d;
    end
  end

  assign out_valid_o      = valid_q;
  assign out_data_o       = data_q;
  assign out_lanes_o      = lanes_q;
  assign out_cfg_o        = cfg_q;
  assign out_flags_o      = flags_q;
  assign out_zero_mask_o  = zero_q;
  assign out_nonzero_o    = nonzero_q;
  assign out_base_o       = base_q;
  assign out_width_code_o = wc_q;

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_data_o, out_lanes_o, out_cfg_o, out_flags_o, out_zero_mask_o,
                      out_nonzero_o, out_base_o, out_width_code_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_data_i, in_lanes_i, in_cfg_i, in_flags_i, in_mask_i, in_zero_i})
  // Spec "Zero information": value fields never outnumber the lanes.
  `SFP_ASSERT(NonzeroLanes_A, out_valid_o |-> out_nonzero_o <= out_lanes_o)
endmodule
