// SPDX-License-Identifier: Apache-2.0
//
// sfp format version 3 encoder: takes NumLanes values per beat and emits every chunk's words in
// slot order (1 .. BeatWords words per beat) and one chunk index entry (length N in words,
// CRC-32C) per chunk: exactly the golden model's encode_chunk_v3
// for each chunk (sfp::encode with Config::lossless(fp, 3), lanes = NumLanes, chunk =
// ChunkValues, the tensor's own table).
// Spec: docs/format.md, "Version 3 tensor stream" through "Version 3 encoder obligations".
// One pass, bounded memory: every word is written once into a window of V3WindowWords words
// (one 512 x 32 memory, in Banks sfp_ram banks) as the values arrive; nothing grows with
// ChunkValues (docs/architecture.md, "Version 3 encoder").
// Blocks: table (canonical codewords, sfp_enc_table) -> front (chunks, L_c, Q_m) -> step
// register -> sym (symbols and lane bits) -> lanes (expiry, refill, slots, lane words, chunk
// close) -> out (window, slot-order emission, CRC-32C, index).
// Per tensor: cfg_i, table_i and tensor_values_i are sampled with the tensor's first beat; that
// beat waits until the previous tensor's last step has reached the lanes (then the codewords
// are built, 17 + dist cycles).
// Paths: tensor_ready_o, words_*, index_* registered; held_o registered.
`include "sfp_assert.svh"

module sfp3_encoder #(
  parameter  int unsigned NumLanes    /*verilator public*/ = 16,
  parameter  int unsigned ChunkValues /*verilator public*/ = 16384,
  parameter  int unsigned BeatWords   /*verilator public*/ = 16,
  localparam int unsigned VW          = 32,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned WordsW      = $clog2(2 * ChunkValues + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  sfp_pkg::cfg_t             cfg_i,     // gecko ignored
  // The tensor's own table (Spec: "Code lengths", with ESC): a table that lacks a codeword a
  // value needs, or whose sign field does not fit a value, is not detected in hardware
  // (TableCodes_A, simulation only); the model's encode_chunk_v3 refuses it (bad_table).
  input  sfp_code_pkg::table_t          table_i,
  // Values: lane l in [l*32 +: 32]; FP32, or BF16 in the low half of a lane.
  input  logic                      tensor_valid_i,
  output logic                      tensor_ready_o,
  input  logic [NumLanes*VW-1:0]    tensor_data_i,
  input  logic [LaneCntW-1:0]       tensor_lanes_i,  // NumLanes, fewer only with last
  input  logic                      tensor_last_i,
  input  logic [31:0]               tensor_values_i, // the tensor's value count, >= 1 (first beat)
  // Payload: word 0 in the LSBs, 1 .. BeatWords words per beat, a beat within one chunk.
  output logic                      words_valid_o,
  input  logic                      words_ready_i,
  output logic [BeatWords*32-1:0]   words_data_o,
  output logic [CountW-1:0]         words_count_o,
  // Chunk index: one entry per chunk, in chunk order (no order against words_*).
  output logic                      index_valid_o,
  input  logic                      index_ready_i,
  output logic [WordsW-1:0]         index_words_o,
  output logic [31:0]               index_crc_o,
  output logic                      index_last_o,     // the tensor's last chunk
  // Status: words taken and not yet sent from the window (at most V3WindowWords - 1).
  output logic [sfp3_pkg::SlotBits-1:0] held_o
);
  localparam int unsigned Banks  = (4 * NumLanes > BeatWords) ? 4 * NumLanes : BeatWords;
  localparam int unsigned RowW   = $clog2(sfp3_pkg::WindowWords / Banks);
  localparam int unsigned BitsW  = sfp3_pkg::MaxValueBits;
  localparam int unsigned NbW    = $clog2(BitsW + 1);
  localparam int unsigned SW     = sfp3_pkg::SlotBits;
  localparam int unsigned CwW    = 2 * sfp_code_pkg::NumSyms * sfp_code_pkg::MaxCodeBits;

  // Tensor gate and per-tensor configuration //
  logic             in_tensor_q, busy_q, gate, in_ack, start;
  sfp_pkg::cfg_t    cfg_q;
  sfp_code_pkg::table_t tab_q;
  logic             front_ready, tab_done, tensor_done;
  logic [CwW-1:0]   cw;

  assign gate           = in_tensor_q || !busy_q;
  assign tensor_ready_o = front_ready && gate;
  assign in_ack         = tensor_valid_i && tensor_ready_o;
  assign start          = in_ack && !in_tensor_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_tensor_q <= 1'b0;
      busy_q      <= 1'b0;
      cfg_q       <= '0;
    end else begin
      if (in_ack) in_tensor_q <= !tensor_last_i;
      if (start) busy_q <= 1'b1;
      else if (tensor_done) busy_q <= 1'b0;
      if (start) cfg_q <= cfg_i;
    end
  end
  always_ff @(posedge clk_i) begin
    if (start) tab_q <= table_i;
  end

  sfp_enc_table u_table (
    .clk_i, .rst_ni, .start_i(start), .tab_i(tab_q), .cw_o(cw), .done_o(tab_done)
  );

  // Front and step register //
  logic                   f_valid, f_ready, f_first, f_end, f_tlast;
  logic [NumLanes*VW-1:0] f_data;
  logic [LaneCntW-1:0]    f_count, f_lc;

  sfp3_enc_front #(.NumLanes(NumLanes), .ChunkValues(ChunkValues)) u_front (
    .clk_i, .rst_ni, .cfg_i(cfg_q), .step_en_i(tab_done && !start),
    .in_valid_i(tensor_valid_i && gate), .in_ready_o(front_ready), .in_data_i(tensor_data_i),
    .in_lanes_i(tensor_lanes_i), .in_last_i(tensor_last_i), .in_values_i(tensor_values_i),
    .step_valid_o(f_valid), .step_ready_i(f_ready), .step_data_o(f_data),
    .step_count_o(f_count), .step_lc_o(f_lc), .step_first_o(f_first), .step_end_o(f_end),
    .step_tlast_o(f_tlast)
  );

  localparam int unsigned GW = NumLanes * VW + 2 * LaneCntW + 3;
  logic [GW-1:0]          g_out;
  logic                   g_valid, g_ready, g_first, g_end, g_tlast;
  logic [NumLanes*VW-1:0] g_data;
  logic [LaneCntW-1:0]    g_count, g_lc;
  sfp_stage #(.Width(GW), .Spill(1)) u_step (
    .clk_i, .rst_ni,
    .in_valid_i(f_valid), .in_ready_o(f_ready),
    .in_data_i({f_data, f_count, f_lc, f_first, f_end, f_tlast}),
    .out_valid_o(g_valid), .out_ready_i(g_ready), .out_data_o(g_out)
  );
  assign {g_data, g_count, g_lc, g_first, g_end, g_tlast} = g_out;

  // Symbols and lane bits //
  logic                      y_valid, y_ready, y_bad, y_first, y_end, y_tlast;
  logic [NumLanes*BitsW-1:0] y_bits;
  logic [NumLanes*NbW-1:0]   y_nb;
  logic [LaneCntW-1:0]       y_count, y_lc;

  sfp3_enc_sym #(.NumLanes(NumLanes)) u_sym (
    .clk_i, .rst_ni, .cfg_i(cfg_q), .tab_i(tab_q), .cw_i(cw),
    .in_valid_i(g_valid), .in_ready_o(g_ready), .in_data_i(g_data),
    .in_count_i(g_count), .in_lc_i(g_lc), .in_first_i(g_first), .in_end_i(g_end),
    .in_tlast_i(g_tlast),
    .out_valid_o(y_valid), .out_ready_i(y_ready), .out_bits_o(y_bits), .out_nb_o(y_nb),
    .out_count_o(y_count), .out_lc_o(y_lc), .out_bad_o(y_bad), .out_first_o(y_first),
    .out_end_o(y_end), .out_tlast_o(y_tlast)
  );

  // Lanes //
  logic [Banks-1:0]      w_we;
  logic [Banks*RowW-1:0] w_row;
  logic [Banks*32-1:0]   w_data;
  logic [SW-1:0]         emitted, next;
  logic                  c_valid, c_ready, c_tlast;
  logic [SW-1:0]         c_end;
  logic [WordsW-1:0]     c_words;

  sfp3_enc_lanes #(.NumLanes(NumLanes), .ChunkValues(ChunkValues), .Banks(Banks)) u_lanes (
    .clk_i, .rst_ni,
    .step_valid_i(y_valid), .step_ready_o(y_ready), .step_bits_i(y_bits), .step_nb_i(y_nb),
    .step_count_i(y_count), .step_lc_i(y_lc), .step_first_i(y_first), .step_end_i(y_end),
    .step_tlast_i(y_tlast),
    .w_we_o(w_we), .w_row_o(w_row), .w_data_o(w_data), .emitted_i(emitted), .next_o(next),
    .chunk_valid_o(c_valid), .chunk_ready_i(c_ready), .chunk_end_o(c_end),
    .chunk_words_o(c_words), .chunk_tlast_o(c_tlast), .tensor_done_o(tensor_done)
  );

  // Window and output //
  sfp3_enc_out #(.ChunkValues(ChunkValues), .BeatWords(BeatWords), .Banks(Banks)) u_out (
    .clk_i, .rst_ni,
    .w_we_i(w_we), .w_row_i(w_row), .w_data_i(w_data), .emitted_o(emitted),
    .chunk_valid_i(c_valid), .chunk_ready_o(c_ready), .chunk_end_i(c_end),
    .chunk_words_i(c_words), .chunk_tlast_i(c_tlast),
    .words_valid_o, .words_ready_i, .words_data_o, .words_count_o,
    .index_valid_o, .index_ready_i, .index_words_o, .index_crc_o, .index_last_o
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) held_o <= '0;
    else held_o <= next - emitted;
  end

  // Assertions //
  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32 &&
                                 (NumLanes & (NumLanes - 1)) == 0)
  `SFP_ASSERT_INIT(ParamChunk_A, ChunkValues >= NumLanes && ChunkValues <= 65536 &&
                                 (ChunkValues & (ChunkValues - 1)) == 0)
  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1 && BeatWords <= 64 &&
                                (BeatWords & (BeatWords - 1)) == 0)
  `SFP_ASSERT_INIT(Layout_A, sfp_pkg::layout_ok() && sfp3_pkg::v3_layout_ok())
  `SFP_ASSERT(TableCodes_A, y_valid |-> !y_bad)
  `SFP_ASSUME_STABLE(TensorStable_M, tensor_valid_i, tensor_ready_o,
                     {tensor_data_i, tensor_lanes_i, tensor_last_i})
  `SFP_ASSUME(TensorLanes_M, tensor_valid_i |-> tensor_lanes_i != '0 &&
              (tensor_lanes_i == LaneCntW'(NumLanes) ||
               (tensor_lanes_i < LaneCntW'(NumLanes) && tensor_last_i)))
  `SFP_ASSUME(TensorValues_M, tensor_valid_i && !in_tensor_q |-> tensor_values_i != '0)
  `SFP_ASSUME(CfgMan_M, tensor_valid_i && !in_tensor_q |->
              cfg_i.man_bits <= sfp_pkg::man_bits(cfg_i.bf16))
  `SFP_ASSUME(TableFields_M, tensor_valid_i && !in_tensor_q |->
              table_i.sign != 2'd3 && 32'(table_i.ndist) <= sfp_code_pkg::MaxDistSymbols)
endmodule
