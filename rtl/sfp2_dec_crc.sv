// SPDX-License-Identifier: Apache-2.0
//
// Decoder CRC-32C check (Spec: "Chunk index and CRC"): watches the transfers of both word
// streams and gives one ok bit per chunk, in chunk order. The CRC covers the mode byte, word 0,
// the lane words and the plane in stored order, but lanes and plane arrive concurrently, so:
//   lane side   register from CrcInit over the mode byte 0 and the lane stream's words
//               (1 + min(N, W-1)); it also tells the plane side the chunk's plane words P
//   plane side  register from 0 over the P plane words (a raw chunk: from CrcInit over the mode
//               byte 1, all of its words)
//   combine     T^(32 P) * lane XOR plane, advancing the lane register by up to BeatWords zero
//               words per cycle (ceil(P / BeatWords) cycles), overlapping the next chunk
// One beat (1..BeatWords words) per cycle on each side, through sfp2_crc_beat (one constant
// GF(2) matrix over a BeatWords-word window: an XOR tree per output bit).
// Paths: lane_ok_o, plane_ok_o, desc_ready_o registered (state and FIFO flags).
`include "sfp_assert.svh"

module sfp2_dec_crc #(
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned WordsW      = $clog2(ChunkValues + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    desc_valid_i,
  output logic                    desc_ready_o,
  input  logic                    desc_raw_i,
  input  logic [WordsW-1:0]       desc_words_i,
  input  logic [31:0]             desc_crc_i,
  input  logic                    lane_ack_i,    // a lane beat transfers
  input  logic [BeatWords*32-1:0] lane_data_i,
  input  logic [CountW-1:0]       lane_count_i,
  output logic                    lane_ok_o,     // a lane beat may transfer
  input  logic                    plane_ack_i,
  input  logic [BeatWords*32-1:0] plane_data_i,
  input  logic [CountW-1:0]       plane_count_i,
  output logic                    plane_ok_o,
  output logic                    ok_valid_o,    // one per chunk: the CRC matches the index
  input  logic                    ok_ready_i,
  output logic                    ok_o
);
  localparam int unsigned BW  = BeatWords;
  localparam logic [31:0] Init0 = sfp2_pkg::crc32c_byte(sfp2_pkg::CrcInit, 8'h00);
  localparam logic [31:0] Init1 = sfp2_pkg::crc32c_byte(sfp2_pkg::CrcInit, 8'h01);

  logic [31:0]       desc_crc_q;

  // Per-chunk FIFOs between the sides.
  logic              pf_in_v, pf_in_r, pf_out_v, pf_out_r, pf_raw;
  logic [WordsW-1:0] pf_in_p, pf_p;
  logic              pf_in_raw;
  logic              lr_in_v, lr_in_r, lr_out_v, lr_out_r, d_take;
  logic [31:0]       lr_in_s, lr_s, lr_crc;
  logic [WordsW-1:0] lr_in_p, lr_p;
  logic              pr_in_v, pr_in_r, pr_out_v, pr_out_r;
  logic [31:0]       pr_in_s, pr_s;

  sfp_fifo #(.Depth(4), .Width($bits(pf_in_raw) + $bits(pf_in_p))) u_pf (
    .clk_i, .rst_ni, .in_valid_i(pf_in_v), .in_ready_o(pf_in_r), .in_data_i({pf_in_raw, pf_in_p}),
    .out_valid_o(pf_out_v), .out_ready_i(pf_out_r), .out_data_o({pf_raw, pf_p})
  );
  sfp_fifo #(.Depth(4), .Width($bits(lr_in_s) + $bits(lr_crc) + $bits(lr_in_p))) u_lr (
    .clk_i, .rst_ni, .in_valid_i(lr_in_v), .in_ready_o(lr_in_r),
    .in_data_i({lr_in_s, d_take ? desc_crc_i : desc_crc_q, lr_in_p}),
    .out_valid_o(lr_out_v), .out_ready_i(lr_out_r), .out_data_o({lr_s, lr_crc, lr_p})
  );
  sfp_fifo #(.Depth(4), .Width($bits(pr_in_s))) u_pr (
    .clk_i, .rst_ni, .in_valid_i(pr_in_v), .in_ready_o(pr_in_r), .in_data_i(pr_in_s),
    .out_valid_o(pr_out_v), .out_ready_i(pr_out_r), .out_data_o(pr_s)
  );

  // Lane side //
  logic              l_run_q, l_hdr_q;
  logic [31:0]       l_s_q, l_s_d;
  logic [WordsW-1:0] l_words_q, l_p_q;
  logic [WordsW:0]   l_rcv_q, l_expect_q;
  logic [WordsW-1:0] hdr_nl;
  logic [WordsW:0]   l_expect;
  logic              l_done;

  assign hdr_nl   = (lane_data_i[31:0] >= 32'(l_words_q)) ? l_words_q - WordsW'(1) :
                                                            WordsW'(lane_data_i[31:0]);
  assign l_expect = l_hdr_q ? (WordsW + 1)'(hdr_nl) + (WordsW + 1)'(1) : l_expect_q;
  sfp2_crc_beat #(.BeatWords(BeatWords)) u_lane_crc (
    .s_i(l_s_q), .data_i(lane_data_i), .cnt_i(lane_count_i), .crc_o(l_s_d)
  );
  assign l_done   = lane_ack_i && l_rcv_q + (WordsW + 1)'(lane_count_i) == l_expect;
  assign lane_ok_o = l_run_q && lr_in_r && pf_in_r;
  assign d_take    = !l_run_q && desc_valid_i && lr_in_r && pf_in_r;
  assign desc_ready_o = d_take;

  assign pf_in_v   = (d_take && desc_raw_i) || (lane_ack_i && l_hdr_q);
  assign pf_in_raw = d_take && desc_raw_i;
  assign pf_in_p   = d_take ? desc_words_i : l_words_q - WordsW'(1) - hdr_nl;
  assign lr_in_v   = (d_take && desc_raw_i) || l_done;
  assign lr_in_s   = d_take ? 32'd0 : l_s_d;
  assign lr_in_p   = d_take ? '0 : (l_hdr_q ? l_words_q - WordsW'(1) - hdr_nl : l_p_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      l_run_q    <= 1'b0;
      l_hdr_q    <= 1'b0;
      l_words_q  <= '0;
      l_p_q      <= '0;
      l_rcv_q    <= '0;
      l_expect_q <= '0;
    end else if (d_take) begin
      l_run_q   <= !desc_raw_i;
      l_hdr_q   <= 1'b1;
      l_words_q <= desc_words_i;
      l_rcv_q   <= '0;
    end else if (lane_ack_i) begin
      l_hdr_q    <= 1'b0;
      l_rcv_q    <= l_rcv_q + (WordsW + 1)'(lane_count_i);
      l_expect_q <= l_expect;
      if (l_hdr_q) l_p_q <= l_words_q - WordsW'(1) - hdr_nl;
      if (l_done) l_run_q <= 1'b0;
    end
  end
  always_ff @(posedge clk_i) begin
    if (d_take) begin
      l_s_q      <= Init0;
      desc_crc_q <= desc_crc_i;
    end else if (lane_ack_i) begin
      l_s_q <= l_s_d;
    end
  end

  // Plane side //
  logic              p_run_q;
  logic [31:0]       p_s_q, p_s_d;
  logic [WordsW-1:0] p_rem_q;
  logic              p_take, p_done;
  assign p_take     = !p_run_q && pf_out_v && pr_in_r;
  assign pf_out_r   = p_take;
  assign plane_ok_o = p_run_q && pr_in_r;
  sfp2_crc_beat #(.BeatWords(BeatWords)) u_plane_crc (
    .s_i(p_s_q), .data_i(plane_data_i), .cnt_i(plane_count_i), .crc_o(p_s_d)
  );
  assign p_done     = plane_ack_i && p_rem_q == WordsW'(plane_count_i);
  assign pr_in_v    = (p_take && pf_p == '0) || p_done;
  assign pr_in_s    = p_take ? 32'd0 : p_s_d;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      p_run_q <= 1'b0;
      p_rem_q <= '0;
    end else if (p_take) begin
      p_run_q <= pf_p != '0;
      p_rem_q <= pf_p;
    end else if (plane_ack_i) begin
      p_rem_q <= p_rem_q - WordsW'(plane_count_i);
      if (p_done) p_run_q <= 1'b0;
    end
  end
  always_ff @(posedge clk_i) begin
    if (p_take) p_s_q <= pf_raw ? Init1 : 32'd0;
    else if (plane_ack_i) p_s_q <= p_s_d;
  end

  // Combine //
  logic              c_run_q;
  logic [31:0]       c_s_q, c_p_q, c_crc_q, c_adv;
  logic [WordsW-1:0] c_rem_q;
  logic [CountW-1:0] c_k;
  logic              c_take, c_push, c_ok, o_ready;
  assign c_take   = !c_run_q && lr_out_v && pr_out_v && o_ready;
  assign lr_out_r = c_take;
  assign pr_out_r = c_take;
  assign c_k      = (c_rem_q >= WordsW'(BW)) ? CountW'(BW) : CountW'(c_rem_q);
  // The lane register advanced over c_k zero words.
  sfp2_crc_beat #(.BeatWords(BeatWords)) u_adv (
    .s_i(c_s_q), .data_i('0), .cnt_i(c_k), .crc_o(c_adv)
  );
  always_comb begin
    c_push = 1'b0;
    c_ok   = 1'b0;
    if (c_take && lr_p == '0) begin
      c_push = 1'b1;
      c_ok   = ~(lr_s ^ pr_s) == lr_crc;
    end else if (c_run_q && c_rem_q == WordsW'(c_k)) begin
      c_push = 1'b1;
      c_ok   = ~(c_adv ^ c_p_q) == c_crc_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_run_q <= 1'b0;
      c_rem_q <= '0;
    end else if (c_take) begin
      c_run_q <= lr_p != '0;
      c_rem_q <= lr_p;
    end else if (c_run_q) begin
      c_rem_q <= c_rem_q - WordsW'(c_k);
      if (c_rem_q == WordsW'(c_k)) c_run_q <= 1'b0;
    end
  end
  always_ff @(posedge clk_i) begin
    if (c_take) begin
      c_s_q   <= lr_s;
      c_p_q   <= pr_s;
      c_crc_q <= lr_crc;
    end else if (c_run_q) begin
      c_s_q <= c_adv;
    end
  end

  logic ok_in_r;
  sfp_fifo #(.Depth(2), .Width(1)) u_ok (
    .clk_i, .rst_ni, .in_valid_i(c_push), .in_ready_o(ok_in_r), .in_data_i(c_ok),
    .out_valid_o(ok_valid_o), .out_ready_i(ok_ready_i), .out_data_o(ok_o)
  );
  // A chunk is taken only when its result has a place: the FIFO has one when not full.
  assign o_ready = ok_in_r;

  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1)
  `SFP_ASSERT(LaneOnlyRunning_A, !lane_ack_i || l_run_q)
  `SFP_ASSERT(PlaneOnlyRunning_A, !plane_ack_i || p_run_q)
  `SFP_ASSUME(PlaneInChunk_M, !plane_ack_i || WordsW'(plane_count_i) <= p_rem_q)
  `SFP_ASSERT(OkPush_A, !c_push || ok_in_r)
endmodule
