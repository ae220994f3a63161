// SPDX-License-Identifier: Apache-2.0
//
// Formal wrapper of sfp_beat_unpack. A reference bit count w_fill and end flag follow the
// handshakes, takes and clears alone; one tracked bit, picked by pick_i at offset pick_bit_i of
// an accepted beat, must show at its place in the window until it is taken, and the window
// reads zeros past the end (FV_ORDER); the window holds while nothing is taken (FV_STABLE); with
// a producer that offers a beat at least every Stall + 1 cycles until its last one, the window
// is never invalid for long and the unpacker never waits on both sides (FV_LIVE). f_* are the
// design's registers (formal/run.sh).
`include "fv_common.svh"

module fv_beat_unpack #(
  parameter  int unsigned BW      = 3,
  parameter  int unsigned MaxTake = 7,
  parameter  int unsigned WordW   = 4,
  parameter  int unsigned Stall   = 2,
  localparam int unsigned InW     = BW * WordW,
  localparam int unsigned BufW    = InW + 2 * MaxTake - 1,
  localparam int unsigned CntW    = $clog2(BW + 1),
  localparam int unsigned TakeW   = $clog2(MaxTake + 1),
  localparam int unsigned FillW   = $clog2(BufW + 1),
  localparam int unsigned Beats   = (MaxTake + WordW - 1) / WordW  // beats that fill a window
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             in_valid_i,
  input logic [InW-1:0]   in_data_i,
  input logic [CntW-1:0]  in_count_i,
  input logic             in_last_i,
  input logic [TakeW-1:0] take_i,
  input logic             clear_i,
  input logic             pick_i,
  input logic [FillW-1:0] pick_bit_i
);
  logic               in_ready_o, win_valid_o, end_o;
  logic [MaxTake-1:0] win_o;
  logic [FillW-1:0]   fill_o;
  sfp_beat_unpack #(.BW(BW), .MaxTake(MaxTake), .WordW(WordW)) dut (.*);

  // The design's registers (connected by formal/run.sh).
  (* keep *) logic [BufW-1:0]  f_buf;
  (* keep *) logic [FillW-1:0] f_fill;
  (* keep *) logic             f_end;

  `FV_RESET

  logic in_ack;
  assign in_ack = in_valid_i && in_ready_o;

  always @* begin
    if (rst_ni) begin
      if (in_valid_i) assume (in_count_i <= CntW'(BW) && (in_count_i != '0 || in_last_i));
      assume (take_i <= TakeW'(MaxTake));
      if (!win_valid_o) assume (take_i == '0);
    end
  end
  `FV_ASSUME_STABLE(in_valid_i, in_ready_o, {in_last_i, in_count_i, in_data_i})

  // Reference: bits held and the end flag; w_kept, after this cycle's take or clear.
  logic [FillW-1:0] w_fill_q, w_kept, w_bits;
  logic             w_end_q, w_end_kept;
  assign w_kept     = clear_i ? '0 : (w_fill_q > FillW'(take_i)) ? w_fill_q - FillW'(take_i) : '0;
  assign w_end_kept = w_end_q && !clear_i;
  assign w_bits     = FillW'(in_count_i) * FillW'(WordW);

  // The tracked bit: its value and its index in the bits held (0: the oldest).
  logic             trk_q, trk_bit_q;
  logic [FillW-1:0] idx_q;
  logic             pick;
  assign pick = in_ack && pick_i && !trk_q && pick_bit_i < w_bits;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      w_fill_q <= '0;
      w_end_q  <= 1'b0;
      trk_q    <= 1'b0;
    end else begin
      w_fill_q <= w_kept + (in_ack ? w_bits : '0);
      w_end_q  <= w_end_kept || (in_ack && in_last_i);
      if (trk_q) begin
        if (clear_i || idx_q < FillW'(take_i)) trk_q <= 1'b0;
        else idx_q <= idx_q - FillW'(take_i);
      end
      if (pick) begin
        trk_q     <= 1'b1;
        idx_q     <= w_kept + pick_bit_i;
        trk_bit_q <= in_data_i[pick_bit_i];
      end
    end
  end

  // Invariants every set needs for induction: the design holds the reference's bits.
  always @* begin
    if (rst_ni) begin
      assert (f_fill == w_fill_q);
      assert (f_end == w_end_q);
      if (trk_q) assert (idx_q < w_fill_q);
    end
  end

`ifdef FV_ORDER
  // Nothing lost, duplicated or reordered: the window is valid exactly when the reference holds
  // MaxTake bits or has seen the end, the tracked bit sits at its index in the design's buffer
  // and shows at its place in a valid window, and past the end the window reads zeros.
  logic [BufW-1:0]    f_buf_at;
  logic [MaxTake-1:0] win_at;
  assign f_buf_at = f_buf >> idx_q;
  assign win_at   = win_o >> idx_q;
  always @* begin
    if (rst_ni) begin
      assert (win_valid_o == (w_end_q || w_fill_q >= FillW'(MaxTake)));
      assert (fill_o == w_fill_q && end_o == w_end_q);
      if (w_end_q) assert ((f_buf >> f_fill) == '0);
      if (w_end_q && w_fill_q < FillW'(MaxTake)) assert ((win_o >> w_fill_q) == '0);
      if (trk_q) assert (f_buf_at[0] == trk_bit_q);
      if (trk_q && win_valid_o && idx_q < FillW'(MaxTake)) assert (win_at[0] == trk_bit_q);
    end
  end
`endif

`ifdef FV_STABLE
  // The window and its valid bit hold while the consumer takes nothing (the end may arrive
  // meanwhile: it changes nothing the window shows).
  always @(posedge clk_i) begin
    if (f_past && rst_ni && $past(win_valid_o && take_i == '0 && !clear_i)) begin
      assert (win_valid_o);
      assert (win_o == $past(win_o));
    end
  end
`endif

`ifdef FV_LIVE
  // A producer that offers a beat at least every Stall + 1 cycles until its last one: the
  // unpacker never waits on both sides, and its window is never invalid for more than
  // Beats * (Stall + 1) cycles after a clear or its last valid cycle.
  `FV_FAIR_COUNTER(niv_q, in_valid_i || w_end_q, 3)
  `FV_ASSUME_FAIR(niv_q, in_valid_i || w_end_q, Stall)
  `FV_FAIR_COUNTER(nwv_q, win_valid_o || clear_i, 4)
  `FV_ASSERT_FAIR(nwv_q, win_valid_o || clear_i, Beats * (Stall + 1))
  always @* if (rst_ni) assert (win_valid_o || in_ready_o);
`endif
endmodule
