// SPDX-License-Identifier: Apache-2.0
//
// One pipeline stage of a valid/ready stream: the register every stage of the v2 encoder and
// decoder is built from, so the handshake and its checks live in one place.
//   Spill = 0: a plain register; in_ready_o = out_ready_i | ~out_valid_o (combinational from
//              out_ready_i).
//   Spill = 1: a two-entry skid buffer; in_ready_o is a register, which cuts the ready path.
// The valid bits reset; the payload registers do not and load only on a transfer.
// Paths: in_ready_o <- out_ready_i (Spill = 0 only).
`include "sfp_assert.svh"

module sfp_stage #(
    parameter int unsigned Width = 32,
    parameter int unsigned Spill = 0
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

  logic in_ack;
  assign in_ack = in_valid_i && in_ready_o;

  if (Spill == 0) begin : g_reg
    logic             valid_q;
    logic [Width-1:0] data_q;
    assign in_ready_o  = out_ready_i || !valid_q;
    assign out_valid_o = valid_q;
    assign out_data_o  = data_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) valid_q <= 1'b0;
      else if (in_ready_o) valid_q <= in_valid_i;
    end
    always_ff @(posedge clk_i) begin
      if (in_ack) data_q <= in_data_i;
    end
  end else begin : g_spill
    // Entry a is the output register; entry b catches the transfer of the cycle in which the
    // output stalled, so in_ready_o only looks at b.
    logic             a_valid_q, b_valid_q;
    logic [Width-1:0] a_data_q, b_data_q;
    logic             out_ack;
    assign out_ack     = a_valid_q && out_ready_i;
    assign in_ready_o  = !b_valid_q;
    assign out_valid_o = a_valid_q;
    assign out_data_o  = a_data_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        a_valid_q <= 1'b0;
        b_valid_q <= 1'b0;
      end else begin
        if (!a_valid_q || out_ack) a_valid_q <= b_valid_q || in_ack;
        if (b_valid_q) b_valid_q <= !out_ack;
        else b_valid_q <= in_ack && a_valid_q && !out_ack;
      end
    end
    always_ff @(posedge clk_i) begin
      if (!a_valid_q || out_ack) a_data_q <= b_valid_q ? b_data_q : in_data_i;
      if (in_ack && a_valid_q && !out_ack) b_data_q <= in_data_i;
    end
  end

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i, out_data_o)
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o, in_data_i)

endmodule
