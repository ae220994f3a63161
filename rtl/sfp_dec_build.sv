// SPDX-License-Identifier: Apache-2.0
//
// Decoder stage 3, value build: rebuilds each lane's value from its field (sign, B + delta or
// the raw exponent, mantissa bits shifted back to the top), finds the group's error in stream
// order (header error, else the first lane whose head runs past the chunk, whose exponent
// exceeds 255, or whose field runs past the chunk), and applies the error rule: the failing
// group and the rest of its chunk are +0; the chunk's status leaves with its last group.
// Spec: "Value fields", "Decoder errors". Latency 1, throughput 1 group/cycle.
// Paths: values_* registered; in_ready_o = values_ready_i | ~values_valid_o (combinational).
`include "sfp_assert.svh"

module sfp_dec_build #(
  parameter  int unsigned NumLanes   = sfp_fmt_pkg::DefaultGroupLanes,
  localparam int unsigned VW         = sfp_pkg::ValueBits,
  localparam int unsigned LaneCntW   = $clog2(NumLanes + 1),
  localparam int unsigned RegionBits = NumLanes * VW
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  in_valid_i,
  output logic                  in_ready_o,
  input  logic [RegionBits-1:0] in_fields_i,       // lane l's field in [l*32 +: 32]
  input  logic [NumLanes-1:0]   in_trunc_head_i,
  input  logic [NumLanes-1:0]   in_trunc_field_i,
  input  logic [NumLanes-1:0]   in_zero_mask_i,
  input  logic [NumLanes-1:0]   in_special_i,
  input  logic [LaneCntW-1:0]   in_lanes_i,
  input  sfp_pkg::cfg_t         in_cfg_i,
  input  logic [7:0]            in_base_i,
  input  logic [3:0]            in_ew_i,
  input  logic [2:0]            in_hdr_err_i,
  input  logic                  in_trunc_i,
  input  logic [2:0]            in_end_status_i,
  input  sfp_pkg::grp_flags_t   in_flags_i,
  input  logic                  in_dead_i,
  output logic                  values_valid_o,    // one group, lane 0 in the LSBs
  input  logic                  values_ready_i,
  output logic [RegionBits-1:0] values_data_o,     // FP32, or BF16 in the low half of a lane
  output logic [LaneCntW-1:0]   values_lanes_o,
  output logic                  values_last_o,     // the tensor's last group
  output logic                  values_chunk_end_o,  // the chunk's last group
  output logic [2:0]            values_status_o    // with chunk_end: the chunk's status
);
  logic                  in_ack, valid_q;
  logic [4:0]            man;
  logic [NumLanes-1:0]   live, bad_exp, fail;
  logic [RegionBits-1:0] vals;
  logic [2:0]            lane_err, grp_err, prior, err, status;
  logic [2:0]            cerr_q;             // first error of the current chunk
  logic [RegionBits-1:0] data_q;
  logic [LaneCntW-1:0]   lanes_q;
  logic                  last_q, chunk_end_q;
  logic [2:0]            status_q;

  assign in_ready_o = values_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;
  assign man        = sfp_pkg::eff_man_bits(in_cfg_i.man_bits, in_cfg_i.bf16);

  always_comb begin
    logic [VW-1:0]  fld, v;
    logic [7:0]     emask, delta;
    logic [8:0]     exp9;
    logic [22:0]    mfield, mant;
    emask = (in_ew_i >= 4'd8) ? 8'hFF : ~(8'hFF << in_ew_i);
    for (int unsigned l = 0; l < NumLanes; l++) begin
      fld     = in_fields_i[l*VW +: VW];
      live[l] = (LaneCntW'(l) < in_lanes_i) && !in_zero_mask_i[l];
      delta   = 8'(fld >> 1) & emask;
      exp9    = in_cfg_i.gecko ? {1'b0, in_base_i} + {1'b0, delta} : {1'b0, delta};
      mfield  = 23'(fld >> (in_ew_i + 4'd1));
      if (man == 5'd0) begin
        // Spec "Value fields": the extra bit of an Inf/NaN lane is mantissa bit M-1.
        mant = in_special_i[l] ? {mfield[0], 22'd0} : '0;
      end else begin
        mant = (mfield & ~(23'h7FFFFF << man)) << (5'd23 - man);
      end
      v = {fld[0], exp9[7:0], mant};
      bad_exp[l] = live[l] && exp9[8];
      fail[l]    = live[l] && (in_trunc_head_i[l] || bad_exp[l] || in_trunc_field_i[l]);
      vals[l*VW +: VW] = !live[l] ? '0 : in_cfg_i.bf16 ? {16'd0, v[31:16]} : v;
    end
    // The first failing lane in stream order decides the group's error.
    lane_err = '0;
    for (int unsigned k = 0; k < NumLanes; k++) begin  // highest lane first: the lowest wins
      if (fail[NumLanes-1-k]) begin
        lane_err = in_trunc_head_i[NumLanes-1-k] ? 3'(sfp_pkg::StatTruncated) :
                   bad_exp[NumLanes-1-k]         ? 3'(sfp_pkg::StatExpRange) :
                                                   3'(sfp_pkg::StatTruncated);
      end
    end
    grp_err = in_dead_i ? '0 : (in_hdr_err_i != '0) ? in_hdr_err_i : lane_err;
    prior   = in_flags_i.chunk_first ? '0 : cerr_q;
    err     = (prior != '0) ? prior : grp_err;
    status  = !in_flags_i.chunk_end ? '0 : (err != '0) ? err : in_end_status_i;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
      cerr_q  <= '0;
    end else begin
      if (in_ready_o) valid_q <= in_valid_i;
      if (in_ack) cerr_q <= err;
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack) begin
      data_q      <= (err != '0 || in_dead_i) ? '0 : vals;
      lanes_q     <= in_lanes_i;
      last_q      <= in_flags_i.last;
      chunk_end_q <= in_flags_i.chunk_end;
      status_q    <= status;
    end
  end

  assign values_valid_o     = valid_q;
  assign values_data_o      = data_q;
  assign values_lanes_o     = lanes_q;
  assign values_last_o      = last_q;
  assign values_chunk_end_o = chunk_end_q;
  assign values_status_o    = status_q;

  `SFP_ASSERT_STABLE(OutStable_A, values_valid_o, values_ready_i,
                     {values_data_o, values_lanes_o, values_last_o, values_chunk_end_o,
                      values_status_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_fields_i, in_trunc_head_i, in_trunc_field_i, in_zero_mask_i,
                      in_special_i, in_lanes_i, in_cfg_i, in_base_i, in_ew_i, in_hdr_err_i,
                      in_trunc_i, in_end_status_i, in_flags_i, in_dead_i})
  // The parser's "fields run past the chunk" always names a lane here.
  `SFP_ASSERT(TruncLane_A, in_valid_i && in_trunc_i && in_hdr_err_i == '0 && !in_dead_i |->
              fail != '0)
  // Dead groups only follow an error of their chunk.
  `SFP_ASSERT(DeadAfterError_A, in_valid_i && in_dead_i |-> prior != '0)
  `SFP_ASSERT(StatusOnEnd_A, values_valid_o && !values_chunk_end_o |-> values_status_o == '0)
endmodule
