// SPDX-License-Identifier: Apache-2.0
//
// sfp decoder, one lane: takes payload words (several per beat) and one descriptor per chunk
// (its length in words from the chunk index, and its number of values), and emits one group of
// NumLanes values per beat. Malformed chunks are reported with the spec's error codes on the
// chunk's last group; the failing group and the rest of its chunk come out as +0, and decoding
// resumes at the next chunk.
// Spec: docs/format.md, "Tensor stream", "Decoder state", "Decoder errors"; the golden model is
// sfp::decode_chunk. Pipeline: descriptor FIFO -> parse -> split -> build (docs/architecture.md).
// Latency 5 cycles from a chunk descriptor to its first group (4 from the words of a record);
// throughput 1 group per cycle for every input, incompressible data included, when words
// arrive at BeatWords per beat and the next chunk's descriptor is queued.
// Paths: values_* registered; words_ready_o registered; chunk_ready_o registered (FIFO).
`include "sfp_assert.svh"

module sfp_decoder #(
  parameter  int unsigned NumLanes    /*verilator public*/ = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned ChunkValues /*verilator public*/ = sfp_fmt_pkg::DefaultChunkValues,
  parameter  int unsigned WordBits    /*verilator public*/ = sfp_fmt_pkg::DefaultWordBits,
  parameter  int unsigned BaseCode    /*verilator public*/ = sfp_fmt_pkg::DefaultBaseCode,
  parameter  int unsigned ZeroCode    /*verilator public*/ = sfp_fmt_pkg::DefaultZeroCode,
  localparam int unsigned VW          = sfp_pkg::ValueBits,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned RecMax      = sfp_pkg::rec_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned BeatWords   = sfp_pkg::beat_words(RecMax, WordBits),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned ChunkWordsW =
      $clog2(sfp_pkg::chunk_words_max(ChunkValues, NumLanes, RecMax, WordBits) + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned RegionBits  = NumLanes * VW,
  localparam int unsigned BoundW      = $clog2(RegionBits + 2),
  localparam int unsigned DescBits    = 8 + ChunkWordsW + ValCntW + 1,
  localparam int unsigned SideBits    = 2 * NumLanes + LaneCntW + 8 + 8 + 4 + 3 + 1 + 3 +
                                        sfp_pkg::GrpFlagsBits + 1
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // Per-tensor configuration, sampled with the first chunk descriptor of each tensor.
  input  sfp_pkg::cfg_t                 cfg_i,
  // Chunk descriptors, one per chunk in stream order.
  input  logic                          chunk_valid_i,
  output logic                          chunk_ready_o,
  input  logic [ChunkWordsW-1:0]        chunk_words_i,   // chunk index entry
  input  logic [ValCntW-1:0]            chunk_values_i,  // values in the chunk, 1..ChunkValues
  input  logic                          chunk_last_i,    // the tensor's last chunk
  // Payload words: 1..BeatWords per beat, word 0 in the LSBs; beats may span chunks.
  input  logic                          words_valid_i,
  output logic                          words_ready_o,
  input  logic [BeatWords*WordBits-1:0] words_data_i,
  input  logic [CountW-1:0]             words_count_i,
  // Values: one group per beat, lane 0 in the LSBs; FP32, or BF16 in the low half of a lane.
  output logic                          values_valid_o,
  input  logic                          values_ready_i,
  output logic [NumLanes*VW-1:0]        values_data_o,
  output logic [LaneCntW-1:0]           values_lanes_o,
  output logic                          values_last_o,
  output logic                          values_chunk_end_o,
  output logic [2:0]                    values_status_o  // with chunk_end: 0 ok, 3..7 error
);
  // Descriptors: the configuration travels with each chunk //
  logic          in_tensor_q, desc_ack;
  sfp_pkg::cfg_t cfg_q, cfg;

  assign desc_ack = chunk_valid_i & chunk_ready_o;
  assign cfg      = in_tensor_q ? cfg_q : cfg_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_tensor_q <= 1'b0;
      cfg_q       <= '0;
    end else if (desc_ack) begin
      in_tensor_q <= ~chunk_last_i;
      cfg_q       <= cfg;
    end
  end

  logic                   d_valid, d_ready, d_last;
  logic [ChunkWordsW-1:0] d_words;
  logic [ValCntW-1:0]     d_values;
  sfp_pkg::cfg_t          d_cfg;

  sfp_fifo #(.Depth(2), .Width(DescBits)) u_desc (
    .clk_i, .rst_ni,
    .in_valid_i (chunk_valid_i), .in_ready_o (chunk_ready_o),
    .in_data_i  ({cfg, chunk_words_i, chunk_values_i, chunk_last_i}),
    .out_valid_o(d_valid), .out_ready_i(d_ready), .out_data_o({d_cfg, d_words, d_values, d_last})
  );

  // Stage 1: parse //
  logic                  p_valid, p_ready, p_trunc, p_dead;
  logic [RegionBits-1:0] p_region;
  logic [NumLanes-1:0]   p_zero_mask, p_special;
  logic [LaneCntW-1:0]   p_lanes;
  sfp_pkg::cfg_t         p_cfg;
  logic [7:0]            p_base;
  logic [3:0]            p_ew;
  logic [BoundW-1:0]     p_bound;
  logic [2:0]            p_hdr_err, p_end_status;
  sfp_pkg::grp_flags_t   p_flags;

  sfp_dec_parse #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .WordBits(WordBits), .BaseCode(BaseCode),
    .ZeroCode(ZeroCode)
  ) u_parse (
    .clk_i, .rst_ni,
    .words_valid_i, .words_ready_o, .words_data_i, .words_count_i,
    .chunk_valid_i(d_valid), .chunk_ready_o(d_ready), .chunk_words_i(d_words),
    .chunk_values_i(d_values), .chunk_last_i(d_last), .chunk_cfg_i(d_cfg),
    .out_valid_o(p_valid), .out_ready_i(p_ready), .out_region_o(p_region),
    .out_zero_mask_o(p_zero_mask), .out_special_o(p_special), .out_lanes_o(p_lanes),
    .out_cfg_o(p_cfg), .out_base_o(p_base), .out_ew_o(p_ew), .out_bound_o(p_bound),
    .out_hdr_err_o(p_hdr_err), .out_trunc_o(p_trunc), .out_end_status_o(p_end_status),
    .out_flags_o(p_flags), .out_dead_o(p_dead)
  );

  // Stage 2: split //
  logic                  s_valid, s_ready;
  logic [SideBits-1:0]   s_side;
  logic [RegionBits-1:0] s_fields;
  logic [NumLanes-1:0]   s_trunc_head, s_trunc_field;
  logic [NumLanes-1:0]   s_zero_mask, s_special;
  logic [LaneCntW-1:0]   s_lanes;
  sfp_pkg::cfg_t         s_cfg;
  logic [7:0]            s_base;
  logic [3:0]            s_ew;
  logic [2:0]            s_hdr_err, s_end_status;
  logic                  s_trunc, s_dead;
  sfp_pkg::grp_flags_t   s_flags;

  sfp_dec_split #(.NumLanes(NumLanes), .SideBits(SideBits)) u_split (
    .clk_i, .rst_ni,
    .in_valid_i(p_valid), .in_ready_o(p_ready),
    .in_side_i({p_zero_mask, p_special, p_lanes, p_cfg, p_base, p_ew, p_hdr_err, p_trunc,
                p_end_status, p_flags, p_dead}),
    .in_region_i(p_region), .in_zero_mask_i(p_zero_mask), .in_special_i(p_special),
    .in_lanes_i(p_lanes), .in_ew_i(p_ew),
    .in_man_i(sfp_pkg::eff_man_bits(p_cfg.man_bits, p_cfg.bf16)), .in_bound_i(p_bound),
    .out_valid_o(s_valid), .out_ready_i(s_ready), .out_side_o(s_side), .out_fields_o(s_fields),
    .out_trunc_head_o(s_trunc_head), .out_trunc_field_o(s_trunc_field)
  );
  assign {s_zero_mask, s_special, s_lanes, s_cfg, s_base, s_ew, s_hdr_err, s_trunc,
          s_end_status, s_flags, s_dead} = s_side;

  // Stage 3: build //
  sfp_dec_build #(.NumLanes(NumLanes)) u_build (
    .clk_i, .rst_ni,
    .in_valid_i(s_valid), .in_ready_o(s_ready), .in_fields_i(s_fields),
    .in_trunc_head_i(s_trunc_head), .in_trunc_field_i(s_trunc_field),
    .in_zero_mask_i(s_zero_mask), .in_special_i(s_special), .in_lanes_i(s_lanes),
    .in_cfg_i(s_cfg), .in_base_i(s_base), .in_ew_i(s_ew), .in_hdr_err_i(s_hdr_err),
    .in_trunc_i(s_trunc), .in_end_status_i(s_end_status), .in_flags_i(s_flags),
    .in_dead_i(s_dead),
    .values_valid_o, .values_ready_i, .values_data_o, .values_lanes_o, .values_last_o,
    .values_chunk_end_o, .values_status_o
  );

  // Assertions //
  `SFP_ASSERT_INIT(Layout_A, sfp_pkg::layout_ok())
  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 1 << sfp_fmt_pkg::MinGroupLog2,
                                                  1 << sfp_fmt_pkg::MaxGroupLog2))
  `SFP_ASSERT_INIT(ParamChunk_A, sfp_pkg::pow2_in(ChunkValues, NumLanes,
                                                  1 << sfp_fmt_pkg::MaxChunkLog2))
  `SFP_ASSERT_INIT(ParamWord_A, sfp_pkg::pow2_in(WordBits, 1 << sfp_fmt_pkg::MinWordLog2,
                                                 1 << sfp_fmt_pkg::MaxWordLog2))
  `SFP_ASSERT_INIT(ParamBase_A, BaseCode <= sfp_pkg::BaseGamma)
  `SFP_ASSERT_INIT(ParamZero_A, ZeroCode <= sfp_pkg::ZeroMode)
  `SFP_ASSUME(CfgMan_M, chunk_valid_i && !in_tensor_q |->
              cfg_i.man_bits <= sfp_pkg::man_bits(cfg_i.bf16))
  `SFP_ASSUME_STABLE(ChunkStable_M, chunk_valid_i, chunk_ready_o,
                     {chunk_words_i, chunk_values_i, chunk_last_i})
  `SFP_ASSUME_STABLE(WordsStable_M, words_valid_i, words_ready_o, {words_data_i, words_count_i})
  `SFP_ASSERT_STABLE(ValuesStable_A, values_valid_o, values_ready_i,
                     {values_data_o, values_lanes_o, values_last_o, values_chunk_end_o,
                      values_status_o})
  `SFP_ASSERT(StatusCode_A, values_valid_o |-> values_status_o == 3'd0 || values_status_o >= 3'd3)
endmodule
