// SPDX-License-Identifier: Apache-2.0
//
// v3 encoder, front: cuts the tensor into chunks of ChunkValues values, gives each chunk its
// lane count L_c and hands it on as steps of L_c values (L / L_c steps per beat), quantized
// (Q_m, sfp_pkg::quantize, in the FP32 layout).
// Spec: docs/format.md, "Mantissa quantizer", "Version 3 configuration" (L_c).
// The tensor's value count comes with its first beat (in_values_i), so a chunk's length, and
// with it L_c, is known at the chunk's first beat: nothing is buffered.
// Latency: the input skid stage; one step per cycle.
// Paths: in_ready_o registered (skid stage); step_* from the skid register through the lane
//        select and the quantizer.
`include "sfp_assert.svh"

module sfp3_enc_front #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  localparam int unsigned VW          = 32,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  sfp_pkg::cfg_t          cfg_i,      // the tensor's, held
  input  logic                   step_en_i,  // the tensor's codewords are ready
  input  logic                   in_valid_i,
  output logic                   in_ready_o,
  input  logic [NumLanes*VW-1:0] in_data_i,
  input  logic [LaneCntW-1:0]    in_lanes_i,
  input  logic                   in_last_i,
  input  logic [31:0]            in_values_i,  // the tensor's value count (read at its first beat)
  output logic                   step_valid_o,
  input  logic                   step_ready_i,
  output logic [NumLanes*VW-1:0] step_data_o,   // lane l in [l*32 +: 32], 0 past the count
  output logic [LaneCntW-1:0]    step_count_o,  // values in the step, 1 .. L_c
  output logic [LaneCntW-1:0]    step_lc_o,     // L_c of the step's chunk
  output logic                   step_first_o,  // first step of a chunk
  output logic                   step_end_o,    // last step of a chunk
  output logic                   step_tlast_o   // the chunk is the tensor's last
);
  localparam int unsigned CposW = $clog2(ChunkValues + 1);
  localparam int unsigned SfW   = $clog2(NumLanes + 1);

  // Input skid stage //
  localparam int unsigned InW = 32 + 1 + LaneCntW + NumLanes * VW;
  logic [InW-1:0]          in_b, s0;
  logic                    s0_valid, s0_ready;
  logic [31:0]             s0_values;
  logic                    s0_last;
  logic [LaneCntW-1:0]     s0_lanes;
  logic [NumLanes*VW-1:0]  s0_data;
  assign in_b = {in_values_i, in_last_i, in_lanes_i, in_data_i};
  sfp_stage #(.Width(InW), .Spill(1)) u_in (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i(in_b),
    .out_valid_o(s0_valid), .out_ready_i(s0_ready), .out_data_o(s0)
  );
  assign {s0_values, s0_last, s0_lanes, s0_data} = s0;

  // Chunk state //
  logic             have_tl_q;  // tleft_q holds the tensor's values left at the chunk's start
  logic [31:0]      tleft_q, tl, cvals;
  logic [CposW-1:0] cpos_q;     // values of the chunk already stepped
  logic [SfW-1:0]   sf_q;       // the step's first value within the beat
  logic [5:0]       lc;
  logic [SfW-1:0]   left;
  logic             step_ack, beat_done, tchunk_last;

  assign tl          = have_tl_q ? tleft_q : s0_values;
  assign tchunk_last = tl <= 32'(ChunkValues);
  assign cvals       = tchunk_last ? tl : 32'(ChunkValues);
  assign lc          = sfp3_pkg::chunk_lanes(6'(NumLanes), cvals);
  assign left        = SfW'(s0_lanes) - sf_q;
  assign step_count_o = (32'(left) <= 32'(lc)) ? LaneCntW'(left) : LaneCntW'(lc);
  assign step_lc_o    = LaneCntW'(lc);
  assign step_first_o = cpos_q == '0;
  assign step_end_o   = 32'(cpos_q) + 32'(step_count_o) == cvals;
  assign step_tlast_o = tchunk_last;
  assign step_valid_o = s0_valid && step_en_i;
  assign step_ack     = step_valid_o && step_ready_i;
  assign beat_done    = step_ack && 32'(left) <= 32'(lc);
  assign s0_ready     = beat_done;

  // The step's values, quantized; zero past the count.
  logic [31:0] v;
  always_comb begin
    v = '0;
    for (int l = 0; l < NumLanes; l++) begin
      v = '0;
      if (l < 32'(step_count_o)) v = s0_data[(32'(sf_q)+l)*VW+:VW];
      if (cfg_i.bf16) v = {v[15:0], 16'd0};
      step_data_o[l*VW+:VW] = (l < 32'(step_count_o)) ?
                              sfp_pkg::quantize(v, cfg_i.man_bits, cfg_i.rne) : 32'd0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      have_tl_q <= 1'b0;
      tleft_q   <= '0;
      cpos_q    <= '0;
      sf_q      <= '0;
    end else if (step_ack) begin
      have_tl_q <= !(beat_done && s0_last);
      tleft_q   <= step_end_o ? tl - 32'(ChunkValues) : tl;
      cpos_q    <= step_end_o ? '0 : cpos_q + CposW'(step_count_o);
      sf_q      <= beat_done ? '0 : sf_q + SfW'(lc);
    end
  end

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32 &&
                                 (NumLanes & (NumLanes - 1)) == 0)
  `SFP_ASSERT_INIT(ParamChunk_A, ChunkValues >= NumLanes && ChunkValues <= 65536 &&
                                 (ChunkValues & (ChunkValues - 1)) == 0)
  // A beat lies in one chunk: every chunk but a tensor's last is whole beats, and a tensor's
  // last beat (the only short one) ends its last chunk.
  `SFP_ASSERT(BeatInChunk_A, step_valid_o && beat_done |-> step_end_o == (s0_last ||
              32'(cpos_q) + 32'(step_count_o) == 32'(ChunkValues)))
  `SFP_ASSERT(TensorEnd_A, step_valid_o && beat_done && s0_last |-> step_end_o && tchunk_last)
  `SFP_ASSUME(Lanes_M, in_valid_i |-> in_lanes_i != '0 && (in_lanes_i == LaneCntW'(NumLanes) ||
                                                           in_last_i))
  `SFP_ASSERT_STABLE(StepStable_A, step_valid_o, step_ready_i,
                     {step_data_o, step_count_o, step_lc_o, step_first_o, step_end_o,
                      step_tlast_o})
endmodule
