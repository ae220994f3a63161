// SPDX-License-Identifier: Apache-2.0
//
// Encoder stage 1, quantizer: widens BF16 lanes to the internal FP32 layout, clears the lanes
// past the group's lane count and applies Q_m (truncate or round to nearest even) to every lane.
// Spec: "Mantissa quantizer". Latency 1, throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o (combinational).
`include "sfp_assert.svh"

module sfp_enc_quant #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned VW       = sfp_pkg::ValueBits
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
  output sfp_pkg::grp_flags_t      out_flags_o
);
  logic                   in_ack, valid_q;
  logic [NumLanes*VW-1:0] data_d, data_q;
  logic [LaneCntW-1:0]    lanes_q;
  sfp_pkg::cfg_t          cfg_q;
  sfp_pkg::grp_flags_t    flags_q;
  logic [4:0]             man;

  assign in_ready_o = out_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;
  assign man        = sfp_pkg::eff_man_bits(in_cfg_i.man_bits, in_cfg_i.bf16);

  always_comb begin
    data_d = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      if (LaneCntW'(l) < in_lanes_i) begin
        data_d[l*VW +: VW] = sfp_pkg::quantize(
            in_cfg_i.bf16 ? {in_data_i[l*VW +: 16], 16'h0000} : in_data_i[l*VW +: VW], man,
            in_cfg_i.rne);
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
      data_q  <= data_d;
      lanes_q <= in_lanes_i;
      cfg_q   <= in_cfg_i;
      flags_q <= in_flags_i;
    end
  end

  assign out_valid_o = valid_q;
  assign out_data_o  = data_q;
  assign out_lanes_o = lanes_q;
  assign out_cfg_o   = cfg_q;
  assign out_flags_o = flags_q;

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_data_o, out_lanes_o, out_cfg_o, out_flags_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_data_i, in_lanes_i, in_cfg_i, in_flags_i})
  `SFP_ASSUME(InLanes_M, in_valid_i |-> (in_lanes_i != '0 && in_lanes_i <= LaneCntW'(NumLanes)))
endmodule
