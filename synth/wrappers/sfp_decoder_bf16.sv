// SPDX-License-Identifier: Apache-2.0
//
// BF16-only decoder for synthesis only: sfp_decoder with the configuration's format bit tied to
// BF16 and only the low half of every output lane (where BF16 values come out) kept, so
// synthesis removes what only FP32 needs. The word side keeps sfp_decoder's widths (sized for
// FP32 records), so the area is an upper bound for a dedicated BF16-only design
// (docs/architecture.md, "Area and timing"). Not simulated: the logic is sfp_decoder's.
// Paths: as sfp_decoder.
module sfp_decoder_bf16 #(
  parameter  int unsigned NumLanes    = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned ChunkValues = sfp_fmt_pkg::DefaultChunkValues,
  parameter  int unsigned WordBits    = sfp_fmt_pkg::DefaultWordBits,
  parameter  int unsigned BaseCode    = sfp_fmt_pkg::DefaultBaseCode,
  parameter  int unsigned ZeroCode    = sfp_fmt_pkg::DefaultZeroCode,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned RecMax      = sfp_pkg::rec_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned BeatWords   = sfp_pkg::beat_words(RecMax, WordBits),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned ChunkWordsW =
      $clog2(sfp_pkg::chunk_words_max(ChunkValues, NumLanes, RecMax, WordBits) + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic [6:0]                    cfg_i,  // {gecko, rne, man_bits}; the format is BF16
  input  logic                          chunk_valid_i,
  output logic                          chunk_ready_o,
  input  logic [ChunkWordsW-1:0]        chunk_words_i,
  input  logic [ValCntW-1:0]            chunk_values_i,
  input  logic                          chunk_last_i,
  input  logic                          words_valid_i,
  output logic                          words_ready_o,
  input  logic [BeatWords*WordBits-1:0] words_data_i,
  input  logic [CountW-1:0]             words_count_i,
  output logic                          values_valid_o,
  input  logic                          values_ready_i,
  output logic [NumLanes*16-1:0]        values_data_o,  // BF16 values
  output logic [LaneCntW-1:0]           values_lanes_o,
  output logic                          values_last_o,
  output logic                          values_chunk_end_o,
  output logic [2:0]                    values_status_o
);
  sfp_pkg::cfg_t          cfg;
  logic [NumLanes*32-1:0] data;

  assign cfg.gecko    = cfg_i[6];
  assign cfg.rne      = cfg_i[5];
  assign cfg.man_bits = cfg_i[4:0];
  assign cfg.bf16     = 1'b1;
  for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
    assign values_data_o[l*16 +: 16] = data[l*32 +: 16];
  end

  sfp_decoder #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .WordBits(WordBits), .BaseCode(BaseCode),
    .ZeroCode(ZeroCode)
  ) u_decoder (
    .clk_i, .rst_ni, .cfg_i(cfg), .chunk_valid_i, .chunk_ready_o, .chunk_words_i,
    .chunk_values_i, .chunk_last_i, .words_valid_i, .words_ready_o, .words_data_i,
    .words_count_i, .values_valid_o, .values_ready_i, .values_data_o(data), .values_lanes_o,
    .values_last_o, .values_chunk_end_o, .values_status_o
  );
endmodule
