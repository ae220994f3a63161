// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, front: quantizes each beat (Q_m, sfp_pkg::quantize, in the FP32 layout), cuts the
// tensor into chunks of ChunkValues values, decides each chunk's lane count L_c and hands the
// chunk on as steps of L_c values, one step per beat.
// Spec: docs/format.md, "Mantissa quantizer", "Version 2 tensor stream", "Lanes of a chunk".
// L_c needs the chunk's length, which a short chunk (only a tensor's last) shows at its end:
// the beats wait in a FIFO (sfp_ram, FifoRows rows) until L_c is known, which is at the chunk's
// beat min(32, C/L) (then L_c is L, or set by C alone) or at the tensor's last beat. A chunk
// with L_c < L leaves L / L_c steps per beat. The FIFO adds latency only: in steady state one
// beat goes in and one goes out per cycle.
// Paths: in_ready_o registered (skid stage); step_* from registers (step_data_o through a
//        mux of the FIFO's read register).
`include "sfp_assert.svh"

module sfp2_enc_front #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  localparam int unsigned VW          = 32,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  sfp_pkg::cfg_t            cfg_i,      // the tensor's, held
  input  logic                     step_en_i,  // the tensor's codewords are ready
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [NumLanes*VW-1:0]   in_data_i,
  input  logic [LaneCntW-1:0]      in_lanes_i,
  input  logic                     in_last_i,
  output logic                     step_valid_o,
  input  logic                     step_ready_i,
  output logic [NumLanes*VW-1:0]   step_data_o,   // lane l in [l*32 +: 32], 0 past the count
  output logic [LaneCntW-1:0]      step_count_o,  // values in the step, 1 .. L_c
  output logic                     step_first_o,  // first step of a chunk
  output logic                     step_end_o,    // last step of a chunk
  output logic                     step_tlast_o   // the chunk is the tensor's last
);
  localparam int unsigned FifoRows = 64;
  localparam int unsigned PtrW = $clog2(FifoRows);
  localparam int unsigned Beats = ChunkValues / NumLanes;  // beats of a full chunk
  localparam int unsigned DecBeats = (Beats < sfp2_pkg::MinLaneValues) ? Beats :
                                     sfp2_pkg::MinLaneValues;
  localparam int unsigned BeatW = (Beats > 1) ? $clog2(Beats) : 1;
  localparam int unsigned LLog = $clog2(NumLanes);

  // Input skid stage //
  typedef struct packed {
    logic                   last;
    logic [LaneCntW-1:0]    lanes;
    logic [NumLanes*VW-1:0] data;
  } in_beat_t;
  in_beat_t in_b, s0;
  always_comb begin
    in_b.last  = in_last_i;
    in_b.lanes = in_lanes_i;
    in_b.data  = in_data_i;
  end
  logic s0_valid, s0_ready;
  sfp_stage #(.Width($bits(in_b)), .Spill(1)) u_in (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i(in_b),
    .out_valid_o(s0_valid), .out_ready_i(s0_ready), .out_data_o(s0)
  );

  // Quantize and write //
  logic [NumLanes*VW-1:0] q_data;
  logic [31:0]            q_in;
  always_comb begin
    q_in = '0;
    for (int l = 0; l < NumLanes; l++) begin
      q_in = cfg_i.bf16 ? {s0.data[l*VW+:16], 16'd0} : s0.data[l*VW+:VW];
      q_data[l*VW+:VW] = (l < 32'(s0.lanes)) ? sfp_pkg::quantize(q_in, cfg_i.man_bits, cfg_i.rne) :
                                                 32'd0;
    end
  end

  // Pointers with a wrap bit: equal when empty, equal but for the wrap bit when full. No row
  // count: a count updated by both sides put the read enable in front of an adder.
  logic [PtrW:0]     wptr_q, rptr_q;
  logic              f_empty, f_full;
  logic [BeatW-1:0]  wbeat_q;               // beat of the chunk being written
  logic              decided_q;             // its L_c is in the info FIFO
  logic              w_ack, w_end, w_push;
  logic [31:0]       w_vals;
  logic [5:0]        w_lc;
  logic [2:0]        w_lcl;
  logic              info_ready, info_valid, info_pop;
  logic [2:0]        info_lcl;
  logic              re;

  assign w_end  = s0.last || wbeat_q == BeatW'(Beats - 1);
  assign w_push = !decided_q && (s0.last || wbeat_q == BeatW'(DecBeats - 1));
  assign w_vals = 32'(wbeat_q) * NumLanes + 32'(s0.lanes);
  assign w_lc   = sfp2_pkg::chunk_lanes(6'(NumLanes), w_vals);
  always_comb begin
    w_lcl = '0;
    for (int i = 0; i < 6; i++) if (w_lc == 6'(1 << i)) w_lcl = 3'(i);
  end
  assign f_empty  = wptr_q == rptr_q;
  assign f_full   = wptr_q == {!rptr_q[PtrW], rptr_q[PtrW-1:0]};
  assign s0_ready = !f_full && info_ready;
  assign w_ack    = s0_valid && s0_ready;

  sfp_fifo #(.Depth(4), .Width($bits(w_lcl))) u_info (
    .clk_i, .rst_ni,
    .in_valid_i(w_ack && w_push), .in_ready_o(info_ready), .in_data_i(w_lcl),
    .out_valid_o(info_valid), .out_ready_i(info_pop), .out_data_o(info_lcl)
  );

  // A FIFO row: a quantized beat, whether it ends its chunk and its tensor.
  typedef struct packed {
    logic                   tlast, chunk_end;
    logic [LaneCntW-1:0]    lanes;
    logic [NumLanes*VW-1:0] data;
  } row_t;
  row_t wrow, row;
  always_comb begin
    wrow.tlast     = s0.last;
    wrow.chunk_end = w_end;
    wrow.lanes     = s0.lanes;
    wrow.data      = q_data;
  end
  sfp_ram #(.Width($bits(wrow)), .Depth(FifoRows)) u_fifo (
    .clk_i, .rst_ni,
    .we_i(w_ack), .waddr_i(wptr_q[PtrW-1:0]), .wdata_i(wrow),
    .re_i(re), .raddr_i(rptr_q[PtrW-1:0]), .rdata_o(row)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q    <= '0;
      wbeat_q   <= '0;
      decided_q <= 1'b0;
    end else if (w_ack) begin
      wptr_q    <= wptr_q + (PtrW + 1)'(1);
      wbeat_q   <= w_end ? '0 : wbeat_q + BeatW'(1);
      decided_q <= !w_end && (decided_q || w_push);
    end
  end

  // Read: the row in the RAM's read register, cut into steps //
  logic                   rv_q;       // a row is in the read register
  logic                   inch_q;     // inside a chunk: the last consumed row did not end it
  logic                   first_q;    // the next step is its chunk's first
  logic [LLog+1:0]        sf_q;       // the step's first value within the row
  logic [LLog+1:0]        lcv_q;      // L_c of the chunk being read
  logic [NumLanes*VW-1:0] r_data;
  logic [LaneCntW-1:0]    r_lanes;
  logic                   r_end, r_tlast;
  logic                   step_ack, last_sub, row_done, next_new;
  logic [LLog+1:0]        sub_first, sub_left;

  assign r_tlast = row.tlast;
  assign r_end   = row.chunk_end;
  assign r_lanes = row.lanes;
  assign r_data  = row.data;
  assign sub_first = sf_q;                                   // first value of this step
  assign sub_left  = (LLog + 2)'(r_lanes) - sub_first;       // values left in the row
  assign last_sub  = sub_left <= lcv_q;
  assign step_ack  = step_valid_o && step_ready_i;
  assign row_done  = step_ack && last_sub;
  assign next_new  = rv_q ? r_end : !inch_q;
  assign re        = !f_empty && (!rv_q || row_done) && step_en_i && (!next_new || info_valid);
  assign info_pop  = re && next_new;

  assign step_valid_o = rv_q;
  assign step_count_o = last_sub ? LaneCntW'(sub_left) : LaneCntW'(lcv_q);
  assign step_first_o = first_q;
  assign step_end_o   = r_end && last_sub;
  assign step_tlast_o = r_tlast;
  // The step's lanes, l < count: within L_c (a register per chunk) and within the row's values
  // from the step's first on (the row's values as a thermometer, shifted as the data are), with
  // no subtraction in front of the lanes' selects.
  logic [NumLanes-1:0]   lmask_q, s_act;
  logic [2*NumLanes-1:0] thr;
  always_comb begin
    for (int i = 0; i < 2 * NumLanes; i++) thr[i] = i < 32'(r_lanes);
    s_act = NumLanes'(thr >> sub_first) & lmask_q;
    for (int l = 0; l < NumLanes; l++) begin
      step_data_o[l*VW+:VW] = '0;
      if (s_act[l]) step_data_o[l*VW+:VW] = r_data[(32'(sub_first)+l)*VW+:VW];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rptr_q  <= '0;
      rv_q    <= 1'b0;
      inch_q  <= 1'b0;
      first_q <= 1'b0;
      lcv_q   <= '0;
      lmask_q <= '0;
      sf_q    <= '0;
    end else begin
      if (re) rptr_q <= rptr_q + (PtrW + 1)'(1);
      if (re) rv_q <= 1'b1;
      else if (row_done) rv_q <= 1'b0;
      if (re) inch_q <= 1'b1;
      else if (row_done) inch_q <= !r_end;
      if (info_pop) lcv_q <= (LLog + 2)'(1) << info_lcl;
      if (info_pop) lmask_q <= ~({NumLanes{1'b1}} << ((LLog + 2)'(1) << info_lcl));
      if (info_pop) first_q <= 1'b1;
      else if (step_ack) first_q <= 1'b0;
      if (row_done) sf_q <= '0;
      else if (step_ack) sf_q <= sf_q + lcv_q;
    end
  end

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32 &&
                                 (NumLanes & (NumLanes - 1)) == 0)
  `SFP_ASSERT_INIT(ParamChunk_A, ChunkValues >= NumLanes && ChunkValues <= 65536 &&
                                 (ChunkValues & (ChunkValues - 1)) == 0)
  `SFP_ASSERT_INIT(FifoRows_A, (FifoRows & (FifoRows - 1)) == 0)
  `SFP_ASSERT(StepCount_A, step_valid_o |-> step_count_o != '0 &&
                                            32'(step_count_o) <= 32'(lcv_q))
  // Every beat but a tensor's last is full.
  `SFP_ASSUME(Lanes_M, in_valid_i |-> in_lanes_i != '0 && (in_lanes_i == LaneCntW'(NumLanes) ||
                                                           in_last_i))
  `SFP_ASSERT(StepLanes_A, step_valid_o |-> s_act == ~({NumLanes{1'b1}} << step_count_o))
  `SFP_ASSERT_STABLE(StepStable_A, step_valid_o, step_ready_i,
                     {step_data_o, step_count_o, step_first_o, step_end_o, step_tlast_o})
endmodule
