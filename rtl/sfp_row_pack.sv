// SPDX-License-Identifier: Apache-2.0
//
// Bit packer: appends the low in_nbits_i (0 .. InW) bits of each input beat at the current fill
// (LSB first: bit 0 of a row is its oldest bit) and emits a fixed RowW-bit row as soon as one is
// full. A beat with in_flush_i set ends a stream: after its bits, the partial last row, if any,
// is emitted padded with zeros and the next stream starts at bit 0 of a new row. (A flush marks
// no row as last: a full row may already wait when the flush arrives, and its payload must not
// change; the producer knows how many bits, so how many rows, it sent.) Bits of in_data_i above in_nbits_i are ignored.
// Spec: docs/architecture.md, "Bit-stream primitives and their proofs" (the version 3 encoder
//       lanes pack each lane's bits into 32-bit words, docs/format.md "Version 3 refill rule").
// Latency 1: a row is offered the cycle after the beat that completes it. Throughput: one beat
// and one row per cycle; the input stalls only while more than 2 * RowW - 1 bits are held (two
// full rows: the output is slower than the input) or while a flush drains.
// Paths: none (in_ready_o, out_valid_o and out_data_o come from registers).
`include "sfp_assert.svh"

module sfp_row_pack #(
  parameter  int unsigned InW   = 64,
  parameter  int unsigned RowW  = 32,
  localparam int unsigned BufW  = InW + 2 * RowW - 1,
  localparam int unsigned NW    = $clog2(InW + 1),
  localparam int unsigned FillW = $clog2(BufW + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            in_valid_i,
  output logic            in_ready_o,
  input  logic [InW-1:0]  in_data_i,
  input  logic [NW-1:0]   in_nbits_i,
  input  logic            in_flush_i,
  output logic            out_valid_o,
  input  logic            out_ready_i,
  output logic [RowW-1:0] out_data_o
);
  // buf_q holds fill_q bits, the oldest in bit 0; the bits above fill_q are zero whenever they
  // can be seen (flush_q: the padding of the last row). flush_q: a flush is draining.
  logic [BufW-1:0]  buf_q, buf_d, kept, fresh;
  logic [FillW-1:0] fill_q, fill_d, kept_fill;
  logic             flush_q, flush_d;
  logic             in_ack, out_ack;
  logic [InW-1:0]   in_used;  // the beat's bits, the ignored ones zero

  assign in_ready_o  = !flush_q && (fill_q <= FillW'(BufW - InW));
  assign out_valid_o = flush_q || (fill_q >= FillW'(RowW));
  assign out_data_o  = buf_q[RowW-1:0];
  assign in_used     = in_data_i & ~({InW{1'b1}} << in_nbits_i);
  assign in_ack      = in_valid_i && in_ready_o;
  assign out_ack     = out_valid_o && out_ready_i;

  always_comb begin
    kept      = buf_q;
    kept_fill = fill_q;
    if (out_ack) begin
      kept      = buf_q >> RowW;
      kept_fill = (fill_q > FillW'(RowW)) ? fill_q - FillW'(RowW) : '0;
    end
    // Only the held bits are kept: whatever lies above them (reset contents) becomes zero.
    kept    = kept & ~({BufW{1'b1}} << kept_fill);
    fresh   = '0;
    fill_d  = kept_fill;
    flush_d = flush_q && (kept_fill != '0);
    if (in_ack) begin
      fresh   = BufW'(in_used) << kept_fill;
      fill_d  = kept_fill + FillW'(in_nbits_i);
      flush_d = in_flush_i && (fill_d != '0);
    end
    buf_d = kept | fresh;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fill_q  <= '0;
      flush_q <= 1'b0;
    end else begin
      fill_q  <= fill_d;
      flush_q <= flush_d;
    end
  end
  // The bit buffer is payload (no reset); it loads every cycle so that the masking above clears
  // what it held before the reset.
  always_ff @(posedge clk_i) begin
    buf_q <= buf_d;
  end

  `SFP_ASSERT_INIT(Params_A, InW >= 1 && RowW >= 1)
  `SFP_ASSUME(NBits_M, in_valid_i |-> in_nbits_i <= NW'(InW))
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o, {in_flush_i, in_nbits_i, in_data_i})
  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i, out_data_o)
  `SFP_ASSERT(Fill_A, fill_q <= FillW'(BufW))
  `SFP_ASSERT(FlushPad_A, flush_q |-> (fill_q != '0 && (buf_q >> fill_q) == '0))
  // No deadlock: the packer holds no full row without offering it, and waits for input only
  // when it offers nothing.
  `SFP_ASSERT(NoDeadlock_A, out_valid_o || in_ready_o)
endmodule
