// SPDX-License-Identifier: Apache-2.0
//
// Encoder stage 2, group analysis: zero mask, number of value fields, base B (the smallest
// exponent of the non-zero lanes) and width code wc. Spec: "Zero information", "Base code",
// "Width code"; the model's plan_group(). Latency 1, throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o (combinational).
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
  logic                   in_ack, valid_q;
  logic [NumLanes-1:0]    lane_mask, zero_d, live;
  logic [NumLanes*EW-1:0] lo_v, hi_v;
  logic [EW-1:0]          lo, hi, spread;
  logic [LaneCntW-1:0]    nonzero_d;
  logic [2:0]             wc_d;

  logic [NumLanes*VW-1:0] data_q;
  logic [LaneCntW-1:0]    lanes_q, nonzero_q;
  sfp_pkg::cfg_t          cfg_q;
  sfp_pkg::grp_flags_t    flags_q;
  logic [NumLanes-1:0]    zero_q;
  logic [EW-1:0]          base_q;
  logic [2:0]             wc_q;

  assign in_ready_o = out_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;

  always_comb begin
    nonzero_d = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      lane_mask[l] = LaneCntW'(l) < in_lanes_i;
      zero_d[l]    = lane_mask[l] && (ZeroCode != sfp_pkg::ZeroNone) &&
                     (in_data_i[l*VW +: VW] == '0);
      live[l]      = lane_mask[l] & ~zero_d[l];
      nonzero_d    = nonzero_d + LaneCntW'(live[l]);
      // Lanes without a value field take no part in the extremes.
      lo_v[l*EW +: EW] = live[l] ? in_data_i[l*VW + sfp_pkg::ManBits +: EW] : '1;
      hi_v[l*EW +: EW] = live[l] ? in_data_i[l*VW + sfp_pkg::ManBits +: EW] : '0;
    end
    // Balanced min/max trees: log2(NumLanes) levels.
    for (int unsigned s = 1; s < NumLanes; s = s * 2) begin
      for (int unsigned l = 0; l + s < NumLanes; l = l + 2 * s) begin
        lo_v[l*EW +: EW] = (lo_v[(l+s)*EW +: EW] < lo_v[l*EW +: EW]) ? lo_v[(l+s)*EW +: EW] :
                                                                        lo_v[l*EW +: EW];
        hi_v[l*EW +: EW] = (hi_v[(l+s)*EW +: EW] > hi_v[l*EW +: EW]) ? hi_v[(l+s)*EW +: EW] :
                                                                        hi_v[l*EW +: EW];
      end
    end
    lo     = (nonzero_d == '0) ? '0 : lo_v[0 +: EW];
    hi     = (nonzero_d == '0) ? '0 : hi_v[0 +: EW];
    spread = hi - lo;
    // Smallest width that holds the spread; widths 7 and 8 share wc = 7.
    if (spread[7:6] != 2'b00)     wc_d = 3'd7;
    else if (spread[5])           wc_d = 3'd6;
    else if (spread[4])           wc_d = 3'd5;
    else if (spread[3])           wc_d = 3'd4;
    else if (spread[2])           wc_d = 3'd3;
    else if (spread[1])           wc_d = 3'd2;
    else if (spread[0])           wc_d = 3'd1;
    else                          wc_d = 3'd0;
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
      data_q    <= in_data_i;
      lanes_q   <= in_lanes_i;
      cfg_q     <= in_cfg_i;
      flags_q   <= in_flags_i;
      zero_q    <= zero_d;
      nonzero_q <= nonzero_d;
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
                     {in_data_i, in_lanes_i, in_cfg_i, in_flags_i})
  // Spec "Zero information": value fields never outnumber the lanes.
  `SFP_ASSERT(NonzeroLanes_A, out_valid_o |-> out_nonzero_o <= out_lanes_o)
endmodule
