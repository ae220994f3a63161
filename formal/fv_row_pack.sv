// SPDX-License-Identifier: Apache-2.0
//
// Formal wrapper of sfp_row_pack. A reference bit count w_fill (the bits held, a flush's zero
// padding included) follows the handshakes alone; one tracked bit, picked by pick_i at offset
// pick_bit_i of an accepted beat (or of the padding a flush beat adds), must appear at its place
// in its row (FV_ORDER); rows are stable under backpressure (FV_STABLE); with a consumer never
// unready for more than Stall cycles, every complete row leaves and the input is ready again
// within a bound (FV_LIVE). f_* are the design's registers (formal/run.sh).
`include "fv_common.svh"

module fv_row_pack #(
  parameter  int unsigned InW   = 6,
  parameter  int unsigned RowW  = 4,  // a power of two
  parameter  int unsigned Stall = 2,
  localparam int unsigned BufW  = InW + 2 * RowW - 1,
  localparam int unsigned NW    = $clog2(InW + 1),
  localparam int unsigned FillW = $clog2(BufW + 1),
  localparam int unsigned RW    = $clog2(RowW),
  localparam int unsigned WW    = FillW + 1,                 // reference counts (padding)
  localparam int unsigned Rows  = (BufW + RowW - 1) / RowW   // most rows held at once
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic            in_valid_i,
  input logic [InW-1:0]  in_data_i,
  input logic [NW-1:0]   in_nbits_i,
  input logic            in_flush_i,
  input logic            out_ready_i,
  input logic            pick_i,
  input logic [WW-1:0]   pick_bit_i
);
  logic            in_ready_o, out_valid_o;
  logic [RowW-1:0] out_data_o;
  sfp_row_pack #(.InW(InW), .RowW(RowW)) dut (.*);

  // The design's registers (connected by formal/run.sh).
  (* keep *) logic [BufW-1:0]  f_buf;
  (* keep *) logic [FillW-1:0] f_fill;
  (* keep *) logic             f_flush;

  `FV_RESET

  logic in_ack, out_ack;
  assign in_ack  = in_valid_i && in_ready_o;
  assign out_ack = out_valid_o && out_ready_i;

  always @* if (rst_ni && in_valid_i) assume (in_nbits_i <= NW'(InW));
  `FV_ASSUME_STABLE(in_valid_i, in_ready_o, {in_flush_i, in_nbits_i, in_data_i})

  // Reference: bits held (w_fill, padding included, so always whole rows while a flush drains)
  // and whether a flush drains; w_kept, after this cycle's row leaves; w_after, after this
  // cycle's beat; w_pad, the padding of a flush beat.
  logic [WW-1:0] w_fill_q, w_kept, w_after, w_pad;
  logic          w_flush_q;
  assign w_kept  = out_ack ? w_fill_q - WW'(RowW) : w_fill_q;
  assign w_after = w_kept + WW'(in_nbits_i);
  assign w_pad   = in_flush_i ? WW'((RowW - w_after[RW-1:0]) & (RowW - 1)) : '0;

  // The tracked bit: its value and its index in the bits held (0: the next to leave).
  logic          trk_q, trk_bit_q;
  logic [WW-1:0] idx_q;
  logic          pick;
  assign pick = in_ack && pick_i && !trk_q && pick_bit_i < WW'(in_nbits_i) + w_pad;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      w_fill_q  <= '0;
      w_flush_q <= 1'b0;
      trk_q     <= 1'b0;
    end else begin
      w_fill_q  <= in_ack ? w_after + w_pad : w_kept;
      if (in_ack) w_flush_q <= in_flush_i && w_after != '0;
      else if (out_ack) w_flush_q <= w_flush_q && w_kept != '0;
      if (trk_q && out_ack) begin
        if (idx_q < WW'(RowW)) trk_q <= 1'b0;
        else idx_q <= idx_q - WW'(RowW);
      end
      if (pick) begin
        trk_q     <= 1'b1;
        idx_q     <= w_kept + pick_bit_i;
        trk_bit_q <= (pick_bit_i < WW'(in_nbits_i)) ? in_data_i[pick_bit_i] : 1'b0;
      end
    end
  end

  // Invariants every set needs for induction: the design holds the reference's bits (less the
  // padding while a flush drains).
  always @* begin
    if (rst_ni) begin
      assert (f_flush == w_flush_q);
      if (w_flush_q) begin
        assert (f_fill != '0 && WW'(f_fill) <= w_fill_q && w_fill_q - WW'(f_fill) < WW'(RowW));
        assert (w_fill_q[RW-1:0] == '0);
      end else begin
        assert (WW'(f_fill) == w_fill_q);
      end
      if (trk_q) assert (idx_q < w_fill_q);
    end
  end

`ifdef FV_ORDER
  // Nothing lost, duplicated or reordered: a row is offered exactly when the reference holds one,
  // and the tracked bit (a padding bit: zero) sits at its
  // index in the design's buffer and leaves at its place in its row.
  logic [BufW-1:0] f_buf_at;
  assign f_buf_at = f_buf >> idx_q;
  always @* begin
    if (rst_ni) begin
      assert (out_valid_o == (w_fill_q >= WW'(RowW)));
      if (w_flush_q) assert ((f_buf >> f_fill) == '0);
      if (trk_q) assert (f_buf_at[0] == trk_bit_q);
      if (trk_q && out_ack && idx_q < WW'(RowW)) assert (out_data_o[idx_q[RW-1:0]] == trk_bit_q);
    end
  end
`endif

`ifdef FV_STABLE
  `FV_ASSERT_STABLE(out_valid_o, out_ready_i, out_data_o)
`endif

`ifdef FV_LIVE
  // A consumer never unready for more than Stall cycles: the packer never waits on both sides
  // at once, its input is never unready for more than Rows * (Stall + 1) cycles, and the
  // tracked bit leaves within Rows * (Stall + 1) cycles of its row becoming complete.
  `FV_FAIR_COUNTER(nr_q, out_ready_i, 3)
  `FV_ASSUME_FAIR(nr_q, out_ready_i, Stall)
  `FV_FAIR_COUNTER(nir_q, in_ready_o, 5)
  `FV_ASSERT_FAIR(nir_q, in_ready_o, Rows * (Stall + 1))
  logic       complete;
  logic [4:0] age_q;
  assign complete = trk_q && w_fill_q - {idx_q[WW-1:RW], RW'(0)} >= WW'(RowW);
  always @(posedge clk_i) begin
    if (!rst_ni || !complete) age_q <= '0;
    else age_q <= age_q + 5'd1;
  end
  always @* begin
    if (rst_ni) begin
      assert (out_valid_o || in_ready_o);
      assert (age_q < 5'(Rows * (Stall + 1)));
    end
  end
`endif
endmodule
