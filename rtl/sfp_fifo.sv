// SPDX-License-Identifier: Apache-2.0
//
// Small stream FIFO (descriptor queue). Depth entries; a full FIFO still accepts nothing, so
// in_ready_o is a register output. Latency 1 (data written at an edge is readable after it).
// Paths: in_ready_o and out_valid_o registered; out_data_o from the storage (no comb path).
`include "sfp_assert.svh"

module sfp_fifo #(
  parameter  int unsigned Depth = 2,
  parameter  int unsigned Width = 8,
  localparam int unsigned PtrW  = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW  = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [Width-1:0] in_data_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [Width-1:0] out_data_o
);
  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  rd_q, wr_q;
  logic [CntW-1:0]  cnt_q;
  logic             in_ack, out_ack;

  assign in_ready_o  = cnt_q != CntW'(Depth);
  assign out_valid_o = cnt_q != '0;
  assign out_data_o  = mem_q[rd_q];
  assign in_ack      = in_valid_i & in_ready_o;
  assign out_ack     = out_valid_o & out_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q  <= '0;
      wr_q  <= '0;
      cnt_q <= '0;
    end else begin
      if (in_ack) wr_q <= (wr_q == PtrW'(Depth - 1)) ? '0 : wr_q + PtrW'(1);
      if (out_ack) rd_q <= (rd_q == PtrW'(Depth - 1)) ? '0 : rd_q + PtrW'(1);
      cnt_q <= cnt_q + CntW'(in_ack) - CntW'(out_ack);
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack) mem_q[wr_q] <= in_data_i;
  end

  `SFP_ASSERT_INIT(ParamDepth_A, Depth >= 1)
  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i, out_data_o)
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o, in_data_i)
  `SFP_ASSERT(CountRange_A, cnt_q <= CntW'(Depth))
endmodule
