// SPDX-License-Identifier: Apache-2.0
//
// Formal wrapper of sfp_stage (Spill 0 and 1) and sfp_fifo (Fifo = 1): one tracked item, picked
// by the free input pick_i among the accepted ones, must leave as the pos-th transfer after its
// acceptance with its payload (FV_ORDER); the output stream is stable (FV_STABLE); with a
// consumer never unready for more than Stall cycles, the tracked item leaves and the input is
// ready again within a bound (FV_LIVE). f_* are the design's registers (formal/run.sh).
`include "fv_common.svh"

module fv_stage #(
  parameter int unsigned Fifo  = 0,
  parameter int unsigned Spill = 0,
  parameter int unsigned Depth = 3,  // the FIFO's, 3 only (f_mem*)
  parameter int unsigned Width = 4,
  parameter int unsigned Stall = 2
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             in_valid_i,
  input logic [Width-1:0] in_data_i,
  input logic             out_ready_i,
  input logic             pick_i
);
  localparam int unsigned Cap = Fifo ? Depth : Spill ? 2 : 1;  // items the design holds
  localparam int unsigned CW  = 3;

  logic             in_ready_o, out_valid_o;
  logic [Width-1:0] out_data_o;
  if (Fifo) begin : g_fifo
    sfp_fifo #(.Depth(Depth), .Width(Width)) dut (.*);
  end else begin : g_stage
    sfp_stage #(.Width(Width), .Spill(Spill)) dut (.*);
  end

  // The design's registers (connected by formal/run.sh): valid bits and payloads of a stage
  // (entry a offered, entry b behind it), count, pointers and words of a FIFO.
  (* keep *) logic               f_a_valid, f_b_valid;
  (* keep *) logic [Width-1:0]   f_a_data, f_b_data;
  (* keep *) logic [1:0]         f_cnt, f_rd, f_wr;
  (* keep *) logic [Width-1:0]   f_mem0, f_mem1, f_mem2;
  // From them: the item count, the payload of the item at each position (0: the one offered)
  // and whether the FIFO's pointers agree with its count.
  logic [CW-1:0]      f_count;
  logic [Width-1:0]   f_item0, f_item1, f_item2;
  logic               f_ptr_ok;
  if (Fifo) begin : g_fifo_state
    logic [Width-1:0] mem [3];
    logic [1:0] p1, p2;
    assign mem[0]   = f_mem0;
    assign mem[1]   = f_mem1;
    assign mem[2]   = f_mem2;
    assign p1       = (f_rd == 2'd2) ? 2'd0 : f_rd + 2'd1;
    assign p2       = (p1 == 2'd2) ? 2'd0 : p1 + 2'd1;
    assign f_count  = CW'(f_cnt);
    assign f_item0  = mem[f_rd];
    assign f_item1  = mem[p1];
    assign f_item2  = mem[p2];
    assign f_ptr_ok = f_rd < 2'd3 && f_wr < 2'd3 &&
                      f_wr == ((f_cnt == 2'd0 || f_cnt == 2'd3) ? f_rd : (f_cnt == 2'd1) ? p1 : p2);
  end else begin : g_stage_state
    assign f_count  = CW'(f_a_valid) + CW'(f_b_valid);
    assign f_item0  = f_a_data;
    assign f_item1  = Spill ? f_b_data : '0;
    assign f_item2  = '0;
    assign f_ptr_ok = f_a_valid || !f_b_valid;
  end

  `FV_RESET

  logic in_ack, out_ack;
  assign in_ack  = in_valid_i && in_ready_o;
  assign out_ack = out_valid_o && out_ready_i;

  `FV_ASSUME_STABLE(in_valid_i, in_ready_o, in_data_i)

  // Reference count of the items held, from the handshakes alone.
  logic [CW-1:0] occ_q;
  // The tracked item: its payload, its position (items ahead of it) and its age in cycles.
  logic             trk_q;
  logic [CW-1:0]    pos_q;
  logic [Width-1:0] trk_data_q;
  logic [4:0]       age_q;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      occ_q <= '0;
      trk_q <= 1'b0;
      age_q <= '0;
    end else begin
      occ_q <= occ_q + CW'(in_ack) - CW'(out_ack);
      if (trk_q) begin
        age_q <= age_q + 5'd1;
        if (out_ack) begin
          if (pos_q == '0) trk_q <= 1'b0;
          else pos_q <= pos_q - CW'(1);
        end
      end else if (in_ack && pick_i) begin
        trk_q      <= 1'b1;
        trk_data_q <= in_data_i;
        pos_q      <= occ_q - CW'(out_ack);
        age_q      <= '0;
      end
    end
  end

  // Invariants every set needs for induction: the design holds as many items as were accepted
  // and not sent, within its capacity, and the tracked item sits at its position.
  always @* begin
    if (rst_ni) begin
      assert (occ_q <= CW'(Cap));
      assert (f_count == occ_q);
      assert (f_ptr_ok);
      assert (out_valid_o == (occ_q != '0));
      if (trk_q) assert (pos_q < occ_q);
    end
  end

`ifdef FV_ORDER
  // Nothing lost, duplicated or reordered: the tracked item leaves as the transfer its position
  // says, with its payload; the design holds its payload at that position meanwhile.
  always @* begin
    if (rst_ni && trk_q) begin
      if (pos_q == 0) assert (f_item0 == trk_data_q);
      if (pos_q == 1) assert (f_item1 == trk_data_q);
      if (pos_q == 2) assert (f_item2 == trk_data_q);
      if (out_ack && pos_q == '0) assert (out_data_o == trk_data_q);
    end
  end
`endif

`ifdef FV_STABLE
  `FV_ASSERT_STABLE(out_valid_o, out_ready_i, out_data_o)
`endif

`ifdef FV_LIVE
  // A consumer never unready for more than Stall cycles: the tracked item leaves within
  // Cap * (Stall + 1) cycles, and the input is never unready for more than Stall + 1 cycles.
  `FV_FAIR_COUNTER(nr_q, out_ready_i, 3)
  `FV_ASSUME_FAIR(nr_q, out_ready_i, Stall)
  `FV_FAIR_COUNTER(nir_q, in_ready_o, 3)
  `FV_ASSERT_FAIR(nir_q, in_ready_o, Stall + 1)
  always @* if (rst_ni && trk_q) assert (age_q < 5'(Cap * (Stall + 1)));
  // Induction invariants: the tracked item has waited no longer than the items ahead of the
  // ones still ahead of it allow, and the input no longer than the consumer.
  always @* begin
    if (rst_ni) begin
      if (trk_q) assert (age_q <= 5'(Cap - 1 - pos_q) * 5'(Stall + 1) + 5'(nr_q));
      assert (in_ready_o || nir_q <= nr_q);
    end
  end
`endif
endmodule
