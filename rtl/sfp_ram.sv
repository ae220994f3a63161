// SPDX-License-Identifier: Apache-2.0
//
// Simple dual-port RAM: one write port, one synchronous read port, Depth words of Width bits.
// A behavioural array, so that synthesis can map it to (or report it as) a memory macro; the
// v2 encoder stages its chunks in instances of it. The read data register loads only when
// re_i is high and holds otherwise; a read of the address written in the same cycle returns
// the old word. Neither the array nor the read register resets.
// Paths: none (rdata_o is a register).
`include "sfp_assert.svh"

module sfp_ram #(
  parameter  int unsigned Width = 32,
  parameter  int unsigned Depth = 16,
  localparam int unsigned AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,  // only for the assertions
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);
  logic [Width-1:0] mem_q [Depth];

  always_ff @(posedge clk_i) begin
    if (we_i) mem_q[waddr_i] <= wdata_i;
    if (re_i) rdata_o <= mem_q[raddr_i];
  end

  `SFP_ASSERT_INIT(ParamDepth_A, Depth >= 2 && Width >= 1)
  `SFP_ASSERT(WriteAddr_A, we_i |-> 32'(waddr_i) < Depth)
  `SFP_ASSERT(ReadAddr_A, re_i |-> 32'(raddr_i) < Depth)
endmodule
