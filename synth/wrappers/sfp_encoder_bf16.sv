// SPDX-License-Identifier: Apache-2.0
//
// BF16-only encoder for synthesis only: sfp_encoder with the configuration's format bit tied to
// BF16 and the unused high half of every lane tied to zero, so synthesis removes what only FP32
// needs. The port widths of the payload side stay those of sfp_encoder (sized for FP32 records),
// so the area is an upper bound for a dedicated BF16-only design (docs/architecture.md,
// "Area and timing"). Not simulated: the logic is sfp_encoder's.
// Paths: as sfp_encoder.
module sfp_encoder_bf16 #(
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
      $clog2(sfp_pkg::chunk_words_max(ChunkValues, NumLanes, RecMax, WordBits) + 1)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic [6:0]                    cfg_i,  // {gecko, rne, man_bits}; the format is BF16
  input  logic                          tensor_valid_i,
  output logic                          tensor_ready_o,
  input  logic [NumLanes*16-1:0]        tensor_data_i,  // BF16 values
  input  logic [LaneCntW-1:0]           tensor_lanes_i,
  input  logic                          tensor_last_i,
  output logic                          bits_valid_o,
  input  logic                          bits_ready_i,
  output logic [BeatWords*WordBits-1:0] bits_data_o,
  output logic [CountW-1:0]             bits_count_o,
  output logic                          bits_last_o,
  output logic                          index_valid_o,
  input  logic                          index_ready_i,
  output logic [ChunkWordsW-1:0]        index_words_o,
  output logic                          index_last_o
);
  sfp_pkg::cfg_t             cfg;
  logic [NumLanes*32-1:0]    data;

  assign cfg.gecko    = cfg_i[6];
  assign cfg.rne      = cfg_i[5];
  assign cfg.man_bits = cfg_i[4:0];
  assign cfg.bf16     = 1'b1;
  for (genvar l = 0; l < NumLanes; l++) begin : gen_lane
    assign data[l*32 +: 32] = {16'h0000, tensor_data_i[l*16 +: 16]};
  end

  sfp_encoder #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .WordBits(WordBits), .BaseCode(BaseCode),
    .ZeroCode(ZeroCode)
  ) u_encoder (
    .clk_i, .rst_ni, .cfg_i(cfg), .tensor_valid_i, .tensor_ready_o, .tensor_data_i(data),
    .tensor_lanes_i, .tensor_last_i, .bits_valid_o, .bits_ready_i, .bits_data_o, .bits_count_o,
    .bits_last_o, .index_valid_o, .index_ready_i, .index_words_o, .index_last_o
  );
endmodule
