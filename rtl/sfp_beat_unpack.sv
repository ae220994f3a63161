// SPDX-License-Identifier: Apache-2.0
//
// Bit unpacker: appends the in_count_i (1 .. BW) WordW-bit words of each input beat (word 0 in
// the low bits) at the current fill and offers the next MaxTake bits as a window (win_o, bit 0
// the oldest). In a cycle where win_valid_o is high the consumer drops take_i (0 .. MaxTake) bits
// from the front; take_i must be 0 while win_valid_o is low. A beat with in_last_i set ends the
// stream (it may then carry 0 words): from then on the window reads zeros past the held bits,
// win_valid_o stays high and the input stays stalled until clear_i, which drops whatever is held
// (the rest of a stream) before this cycle's beat is appended. Words of a beat above
// in_count_i are ignored.
// Spec: docs/architecture.md, "Bit-stream primitives and their proofs" (the version 3 decoder
//       lanes read the words the refill rule hands them, docs/format.md "Version 3 refill rule").
// Latency 1: a beat accepted at an edge is in the window after it. Throughput: one beat and one
// take per cycle; the input stalls only while more than 2 * MaxTake - 1 bits are held or after
// the last beat.
// Paths: none (in_ready_o, win_valid_o, win_o, fill_o and end_o come from registers).
`include "sfp_assert.svh"

module sfp_beat_unpack #(
  parameter  int unsigned BW      = 4,
  parameter  int unsigned MaxTake = 44,
  parameter  int unsigned WordW   = 32,
  localparam int unsigned InW     = BW * WordW,
  localparam int unsigned BufW    = InW + 2 * MaxTake - 1,
  localparam int unsigned CntW    = $clog2(BW + 1),
  localparam int unsigned TakeW   = $clog2(MaxTake + 1),
  localparam int unsigned FillW   = $clog2(BufW + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               in_valid_i,
  output logic               in_ready_o,
  input  logic [InW-1:0]     in_data_i,
  input  logic [CntW-1:0]    in_count_i,
  input  logic               in_last_i,
  output logic               win_valid_o,
  output logic [MaxTake-1:0] win_o,
  output logic [FillW-1:0]   fill_o,
  output logic               end_o,
  input  logic [TakeW-1:0]   take_i,
  input  logic               clear_i
);
  // buf_q holds fill_q bits, the oldest in bit 0; the bits above fill_q are zero whenever they
  // can be seen (end_q: the zeros past the end of the stream).
  logic [BufW-1:0]  buf_q, buf_d, kept, fresh;
  logic [FillW-1:0] fill_q, fill_d, kept_fill, in_bits;
  logic             end_q, end_d;
  logic             in_ack;
  logic [InW-1:0]   in_used;  // the beat's bits, the ignored ones zero

  assign in_ready_o  = !end_q && (fill_q <= FillW'(BufW - InW));
  assign win_valid_o = end_q || (fill_q >= FillW'(MaxTake));
  assign win_o       = buf_q[MaxTake-1:0];
  assign fill_o      = fill_q;
  assign end_o       = end_q;
  assign in_used     = in_data_i & ~({InW{1'b1}} << in_bits);
  assign in_ack      = in_valid_i && in_ready_o;
  assign in_bits     = FillW'(in_count_i) * FillW'(WordW);

  always_comb begin
    kept      = buf_q >> take_i;
    kept_fill = (fill_q > FillW'(take_i)) ? fill_q - FillW'(take_i) : '0;
    end_d     = end_q;
    if (clear_i) begin
      kept_fill = '0;
      end_d     = 1'b0;
    end
    // Only the held bits are kept: whatever lies above them (reset contents) becomes zero.
    kept   = kept & ~({BufW{1'b1}} << kept_fill);
    fresh  = '0;
    fill_d = kept_fill;
    if (in_ack) begin
      fresh  = BufW'(in_used) << kept_fill;
      fill_d = kept_fill + in_bits;
      end_d  = end_d || in_last_i;
    end
    buf_d = kept | fresh;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fill_q <= '0;
      end_q  <= 1'b0;
    end else begin
      fill_q <= fill_d;
      end_q  <= end_d;
    end
  end
  // The bit buffer is payload (no reset); it loads every cycle so that the masking above clears
  // what it held before the reset.
  always_ff @(posedge clk_i) begin
    buf_q <= buf_d;
  end

  `SFP_ASSERT_INIT(Params_A, BW >= 1 && MaxTake >= 1 && WordW >= 1)
  `SFP_ASSUME(Count_M, in_valid_i |-> (in_count_i <= CntW'(BW) && (in_count_i != '0 || in_last_i)))
  `SFP_ASSUME(Take_M, take_i <= TakeW'(MaxTake) && (win_valid_o || take_i == '0))
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o, {in_last_i, in_count_i, in_data_i})
  // The window holds until the consumer takes bits or clears.
  `SFP_ASSERT(WinStable_A, (win_valid_o && take_i == '0 && !clear_i) |=>
                            (win_valid_o && $stable(win_o)))
  `SFP_ASSERT(Fill_A, fill_q <= FillW'(BufW))
  `SFP_ASSERT(EndPad_A, end_q |-> (buf_q >> fill_q) == '0)
  // No deadlock: the unpacker waits for the consumer only with a full window (or the end), and
  // takes input whenever its window is not full.
  `SFP_ASSERT(NoDeadlock_A, win_valid_o || in_ready_o)
endmodule
