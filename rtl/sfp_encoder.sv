// SPDX-License-Identifier: Apache-2.0
//
// sfp encoder, one lane: takes one group of NumLanes values per beat and emits the chunk
// payload in W-bit words (several per beat) plus one chunk index entry per chunk.
// Spec: docs/format.md, all of "Tensor stream" and "Encoder obligations"; the golden model is
// sfp::encode. Pipeline: quantize (3 stages) -> analyse (2) -> code -> merge (3) -> pack
// (docs/architecture.md). Latency 10 cycles from a group to the beat holding its last complete
// word; throughput 1 group per cycle for every input, incompressible data included. The
// per-tensor configuration select feeds only the quantizer's input register.
// Paths: bits_* and index_* registered; tensor_ready_o depends combinationally on bits_ready_i
//        and index_ready_i (through the stage ready chain), never on tensor_valid_i.
`include "sfp_assert.svh"

module sfp_encoder #(
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
  localparam int unsigned GroupsPerChunk = ChunkValues / NumLanes,
  localparam int unsigned GrpW        = (GroupsPerChunk > 1) ? $clog2(GroupsPerChunk) : 1,
  localparam int unsigned HdrBits     = sfp_pkg::hdr_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned HdrLenW     = $clog2(HdrBits + 1),
  localparam int unsigned FLenW       = $clog2(VW + 1),
  localparam int unsigned RecBits     = HdrBits + NumLanes * VW,
  localparam int unsigned RecLenW     = $clog2(RecBits + 1)
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  // Per-tensor configuration, sampled with the first beat of each tensor.
  input  sfp_pkg::cfg_t                cfg_i,
  // Values: one group per beat, lane 0 in the LSBs; FP32, or BF16 in the low half of a lane.
  input  logic                         tensor_valid_i,
  output logic                         tensor_ready_o,
  input  logic [NumLanes*VW-1:0]       tensor_data_i,
  input  logic [LaneCntW-1:0]          tensor_lanes_i,  // NumLanes, fewer only with last
  input  logic                         tensor_last_i,   // the tensor's last beat
  // Payload words: 1..BeatWords per beat, word 0 in the LSBs; chunks back to back.
  output logic                         bits_valid_o,
  input  logic                         bits_ready_i,
  output logic [BeatWords*WordBits-1:0] bits_data_o,
  output logic [CountW-1:0]            bits_count_o,
  output logic                         bits_last_o,
  // Chunk index: one entry (the chunk's length in words) per chunk.
  output logic                         index_valid_o,
  input  logic                         index_ready_i,
  output logic [ChunkWordsW-1:0]       index_words_o,
  output logic                         index_last_o
);
  // Framing: chunk and tensor position of each group //
  logic                in_ack, in_tensor_q;
  logic [GrpW-1:0]     grp_q;
  sfp_pkg::cfg_t       cfg_q, cfg;
  sfp_pkg::grp_flags_t flags;

  assign in_ack = tensor_valid_i & tensor_ready_o;
  assign cfg    = in_tensor_q ? cfg_q : cfg_i;
  assign flags.last        = tensor_last_i;
  assign flags.chunk_end   = tensor_last_i || grp_q == GrpW'(GroupsPerChunk - 1);
  assign flags.chunk_first = grp_q == '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_tensor_q <= 1'b0;
      grp_q       <= '0;
      cfg_q       <= '0;
    end else if (in_ack) begin
      in_tensor_q <= ~tensor_last_i;
      grp_q       <= flags.chunk_end ? '0 : grp_q + GrpW'(1);
      cfg_q       <= cfg;
    end
  end

  // Stages 1-3: quantize //
  logic                   s1_valid, s1_ready;
  logic [NumLanes*VW-1:0] s1_data;
  logic [LaneCntW-1:0]    s1_lanes;
  sfp_pkg::cfg_t          s1_cfg;
  sfp_pkg::grp_flags_t    s1_flags;
  logic [NumLanes-1:0]    s1_mask, s1_zero;

  sfp_enc_quant #(.NumLanes(NumLanes)) u_quant (
    .clk_i, .rst_ni,
    .in_valid_i (tensor_valid_i), .in_ready_o (tensor_ready_o), .in_data_i (tensor_data_i),
    .in_lanes_i (tensor_lanes_i), .in_cfg_i (cfg), .in_flags_i (flags),
    .out_valid_o(s1_valid), .out_ready_i(s1_ready), .out_data_o(s1_data),
    .out_lanes_o(s1_lanes), .out_cfg_o(s1_cfg), .out_flags_o(s1_flags), .out_mask_o(s1_mask),
    .out_zero_o (s1_zero)
  );

  // Stages 4-5: analyse //
  logic                   s2_valid, s2_ready;
  logic [NumLanes*VW-1:0] s2_data;
  logic [LaneCntW-1:0]    s2_lanes, s2_nonzero;
  sfp_pkg::cfg_t          s2_cfg;
  sfp_pkg::grp_flags_t    s2_flags;
  logic [NumLanes-1:0]    s2_zero_mask;
  logic [7:0]             s2_base;
  logic [2:0]             s2_width_code;

  sfp_enc_analyse #(.NumLanes(NumLanes), .ZeroCode(ZeroCode)) u_analyse (
    .clk_i, .rst_ni,
    .in_valid_i (s1_valid), .in_ready_o (s1_ready), .in_data_i (s1_data),
    .in_lanes_i (s1_lanes), .in_cfg_i (s1_cfg), .in_flags_i (s1_flags), .in_mask_i (s1_mask),
    .in_zero_i  (s1_zero),
    .out_valid_o(s2_valid), .out_ready_i(s2_ready), .out_data_o(s2_data),
    .out_lanes_o(s2_lanes), .out_cfg_o(s2_cfg), .out_flags_o(s2_flags),
    .out_zero_mask_o(s2_zero_mask), .out_nonzero_o(s2_nonzero), .out_base_o(s2_base),
    .out_width_code_o(s2_width_code)
  );

  // Stage 6: code //
  logic                      s3_valid, s3_ready;
  sfp_pkg::grp_flags_t       s3_flags;
  logic [HdrBits-1:0]        s3_hdr;
  logic [HdrLenW-1:0]        s3_hdr_len;
  logic [NumLanes*VW-1:0]    s3_fields;
  logic [NumLanes*FLenW-1:0] s3_lens;

  sfp_enc_code #(.NumLanes(NumLanes), .BaseCode(BaseCode), .ZeroCode(ZeroCode)) u_code (
    .clk_i, .rst_ni,
    .in_valid_i (s2_valid), .in_ready_o (s2_ready), .in_data_i (s2_data),
    .in_lanes_i (s2_lanes), .in_cfg_i (s2_cfg), .in_flags_i (s2_flags),
    .in_zero_mask_i(s2_zero_mask), .in_nonzero_i(s2_nonzero), .in_base_i(s2_base),
    .in_width_code_i(s2_width_code),
    .out_valid_o(s3_valid), .out_ready_i(s3_ready), .out_flags_o(s3_flags),
    .out_hdr_o(s3_hdr), .out_hdr_len_o(s3_hdr_len), .out_fields_o(s3_fields),
    .out_lens_o(s3_lens)
  );

  // Stages 7-9: merge //
  logic                   s4_valid, s4_ready;
  logic [sfp_pkg::GrpFlagsBits-1:0] s4_side;
  sfp_pkg::grp_flags_t    s4_flags;
  logic [RecBits-1:0]     s4_rec;
  logic [RecLenW-1:0]     s4_rec_len;

  sfp_enc_merge #(
    .NumLanes(NumLanes), .SideBits(sfp_pkg::GrpFlagsBits), .PreBits(HdrBits)
  ) u_merge (
    .clk_i, .rst_ni,
    .in_valid_i (s3_valid), .in_ready_o (s3_ready), .in_side_i ({s3_flags}), .in_pre_i (s3_hdr),
    .in_pre_len_i(s3_hdr_len), .in_fields_i(s3_fields), .in_lens_i (s3_lens),
    .out_valid_o(s4_valid), .out_ready_i(s4_ready), .out_side_o(s4_side), .out_rec_o(s4_rec),
    .out_rec_len_o(s4_rec_len)
  );
  assign s4_flags = s4_side;

  // Stage 10: pack //
  sfp_enc_pack #(
    .NumLanes(NumLanes), .BaseCode(BaseCode), .ZeroCode(ZeroCode), .ChunkValues(ChunkValues),
    .WordBits(WordBits)
  ) u_pack (
    .clk_i, .rst_ni,
    .in_valid_i (s4_valid), .in_ready_o (s4_ready), .in_flags_i (s4_flags), .in_rec_i (s4_rec),
    .in_rec_len_i(s4_rec_len),
    .bits_valid_o, .bits_ready_i, .bits_data_o, .bits_count_o, .bits_last_o,
    .index_valid_o, .index_ready_i, .index_words_o, .index_last_o
  );

  // Assertions //
  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 1 << sfp_fmt_pkg::MinGroupLog2,
                                                  1 << sfp_fmt_pkg::MaxGroupLog2))
  `SFP_ASSERT_INIT(ParamChunk_A, sfp_pkg::pow2_in(ChunkValues, NumLanes,
                                                  1 << sfp_fmt_pkg::MaxChunkLog2))
  `SFP_ASSERT_INIT(ParamWord_A, sfp_pkg::pow2_in(WordBits, 1 << sfp_fmt_pkg::MinWordLog2,
                                                 1 << sfp_fmt_pkg::MaxWordLog2))
  `SFP_ASSERT_INIT(Layout_A, sfp_pkg::layout_ok())
  `SFP_ASSERT_INIT(ParamBase_A, BaseCode <= sfp_pkg::BaseGamma)
  `SFP_ASSERT_INIT(ParamZero_A, ZeroCode <= sfp_pkg::ZeroMode)
  `SFP_ASSUME_STABLE(TensorStable_M, tensor_valid_i, tensor_ready_o,
                     {tensor_data_i, tensor_lanes_i, tensor_last_i})
  `SFP_ASSUME(TensorLanes_M, tensor_valid_i |-> tensor_lanes_i != '0 &&
              (tensor_lanes_i == LaneCntW'(NumLanes) ||
               (tensor_lanes_i < LaneCntW'(NumLanes) && tensor_last_i)))
  // Spec "Tensor configuration word": m within the format's mantissa width.
  `SFP_ASSUME(CfgMan_M, tensor_valid_i && !in_tensor_q |->
              cfg_i.man_bits <= sfp_pkg::man_bits(cfg_i.bf16))
  // BF16 values occupy the low half of a lane (the model's kBadInput otherwise).
`ifndef SYNTHESIS
  logic [NumLanes-1:0] bf16_high;
  for (genvar l = 0; l < NumLanes; l++) begin : gen_bf16_high
    assign bf16_high[l] = (LaneCntW'(l) < tensor_lanes_i) && (tensor_data_i[l*VW+16 +: 16] != '0);
  end
  `SFP_ASSUME(Bf16High_M, tensor_valid_i && cfg.bf16 |-> bf16_high == '0)
`endif
endmodule
