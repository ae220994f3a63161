// SPDX-License-Identifier: Apache-2.0
//
// Encoder stage 10, packer: appends each group record (header, then value fields) to the chunk's
// bit string, LSB first, and emits every completed W-bit word. The last group of a chunk also
// flushes the partial word (zero padding) and emits the chunk's length in words on the index
// stream. A record of up to RecMax bits on top of a partial word fits one beat of BeatWords words,
// so a group is accepted every cycle whatever its size.
// Spec: "Conventions" (bit order, words), "Chunks", "Chunk index", "Encoder obligations" 5-6.
// Latency 1, throughput 1 group/cycle.
// Paths: bits_* and index_* registered; in_ready_o = (bits_ready_i | ~bits_valid_o) &
//        (index_ready_i | ~index_valid_o) (combinational).
`include "sfp_assert.svh"

module sfp_enc_pack #(
  parameter  int unsigned NumLanes    = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned BaseCode    = sfp_fmt_pkg::DefaultBaseCode,
  parameter  int unsigned ZeroCode    = sfp_fmt_pkg::DefaultZeroCode,
  parameter  int unsigned ChunkValues = sfp_fmt_pkg::DefaultChunkValues,
  parameter  int unsigned WordBits    = sfp_fmt_pkg::DefaultWordBits,
  localparam int unsigned RecMax      = sfp_pkg::rec_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned BeatWords   = sfp_pkg::beat_words(RecMax, WordBits),
  localparam int unsigned BeatBits    = BeatWords * WordBits,
  localparam int unsigned HdrBits     = sfp_pkg::hdr_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned ValsBits    = NumLanes * sfp_pkg::ValueBits,
  localparam int unsigned RecBits     = HdrBits + ValsBits,
  localparam int unsigned RecLenW     = $clog2(RecBits + 1),
  localparam int unsigned TotalW      = $clog2(BeatBits + 1),
  localparam int unsigned LogW        = $clog2(WordBits),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned ChunkWordsMax =
      sfp_pkg::chunk_words_max(ChunkValues, NumLanes, RecMax, WordBits),
  localparam int unsigned ChunkWordsW = $clog2(ChunkWordsMax + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,     // one group record
  output logic                      in_ready_o,
  input  sfp_pkg::grp_flags_t       in_flags_i,
  input  logic [RecBits-1:0]        in_rec_i,       // header, then value fields; 0 above
  input  logic [RecLenW-1:0]        in_rec_len_i,
  output logic                      bits_valid_o,   // 1..BeatWords words, word 0 in the LSBs
  input  logic                      bits_ready_i,
  output logic [BeatBits-1:0]       bits_data_o,
  output logic [CountW-1:0]         bits_count_o,
  output logic                      bits_last_o,    // the tensor's last words
  output logic                      index_valid_o,  // one chunk index entry per chunk
  input  logic                      index_ready_i,
  output logic [ChunkWordsW-1:0]    index_words_o,  // the chunk's length in words
  output logic                      index_last_o    // the tensor's last chunk
);
  logic                   in_ack;
  logic [BeatBits-1:0]    acc;
  logic [TotalW-1:0]      total;
  logic [CountW-1:0]      whole, words;
  logic [WordBits-1:0]    carry_d;
  logic [LogW-1:0]        fill_d;
  logic [LogW:0]          low;
  logic [1:0]             extra;  // words past the record's whole ones: carry, flushed partial
  logic [ChunkWordsW-1:0] chunk_words;

  // Control state (reset) and payload (loads on a handshake).
  logic [WordBits-1:0]    carry_q;  // bits of the partial word, 0 above fill_q
  logic [LogW-1:0]        fill_q;
  logic [ChunkWordsW-1:0] cw_q;     // words of the current chunk emitted so far
  logic                   bits_valid_q, index_valid_q;
  logic [BeatBits-1:0]    bits_data_q;
  logic [CountW-1:0]      bits_count_q;
  logic                   bits_last_q;
  logic [ChunkWordsW-1:0] index_words_q;
  logic                   index_last_q;

  assign in_ready_o = (bits_ready_i | ~bits_valid_q) & (index_ready_i | ~index_valid_q);
  assign in_ack     = in_valid_i & in_ready_o;

  always_comb begin
    acc     = (BeatBits'(in_rec_i) << fill_q) | BeatBits'(carry_q);
    total   = TotalW'(fill_q) + TotalW'(in_rec_len_i);  // assertions only
    // fill + record length, split: the low LogW bits are added here, the whole words of the
    // record length go straight into the word counts, beside that addition.
    low     = (LogW+1)'(fill_q) + (LogW+1)'(in_rec_len_i[LogW-1:0]);
    whole   = CountW'(in_rec_len_i >> LogW) + CountW'(low[LogW]);
    carry_d = '0;
    for (int unsigned k = 0; k < BeatWords; k++) begin
      if (whole == CountW'(k)) carry_d = acc[k*WordBits +: WordBits];
    end
    fill_d = low[LogW-1:0];
    words  = whole;
    extra  = {1'b0, low[LogW]};
    if (in_flags_i.chunk_end) begin  // flush: pad the partial word with zeros
      carry_d = '0;
      fill_d  = '0;
      words   = whole + CountW'(low[LogW-1:0] != '0);
      extra   = extra + 2'(low[LogW-1:0] != '0);
    end
    chunk_words = (cw_q + ChunkWordsW'(in_rec_len_i >> LogW)) + ChunkWordsW'(extra);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bits_valid_q  <= 1'b0;
      index_valid_q <= 1'b0;
      fill_q        <= '0;
      carry_q       <= '0;
      cw_q          <= '0;
    end else begin
      bits_valid_q  <= (bits_valid_q & ~bits_ready_i) | (in_ack & (words != '0));
      index_valid_q <= (index_valid_q & ~index_ready_i) | (in_ack & in_flags_i.chunk_end);
      if (in_ack) begin
        fill_q  <= fill_d;
        carry_q <= carry_d;
        cw_q    <= in_flags_i.chunk_end ? '0 : chunk_words;
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack && words != '0) begin
      bits_data_q  <= acc;
      bits_count_q <= words;
      bits_last_q  <= in_flags_i.last;
    end
    if (in_ack && in_flags_i.chunk_end) begin
      index_words_q <= chunk_words;
      index_last_q  <= in_flags_i.last;
    end
  end

  assign bits_valid_o  = bits_valid_q;
  assign bits_data_o   = bits_data_q;
  assign bits_count_o  = bits_count_q;
  assign bits_last_o   = bits_last_q;
  assign index_valid_o = index_valid_q;
  assign index_words_o = index_words_q;
  assign index_last_o  = index_last_q;

  `SFP_ASSERT_INIT(ParamWord_A, sfp_pkg::pow2_in(WordBits, 1 << sfp_fmt_pkg::MinWordLog2,
                                                 1 << sfp_fmt_pkg::MaxWordLog2))
  `SFP_ASSERT_STABLE(BitsStable_A, bits_valid_o, bits_ready_i,
                     {bits_data_o, bits_count_o, bits_last_o})
  `SFP_ASSERT_STABLE(IndexStable_A, index_valid_o, index_ready_i, {index_words_o, index_last_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_flags_i, in_rec_i, in_rec_len_i})
  // Spec "Worst-case size": no record is longer than RecMax, and one beat always holds it.
  `SFP_ASSERT(RecMax_A, in_valid_i |-> in_rec_len_i <= RecLenW'(RecMax))
  `SFP_ASSERT(BeatFits_A, in_valid_i |-> total <= TotalW'(BeatBits))
  `SFP_ASSERT(Whole_A, in_valid_i |-> whole == CountW'(total >> LogW) && fill_d ==
              (in_flags_i.chunk_end ? '0 : total[LogW-1:0]))
  `SFP_ASSERT(BeatCount_A, bits_valid_o |-> bits_count_o != '0 && bits_count_o <= CountW'(BeatWords))
  `SFP_ASSERT(ChunkWords_A, in_valid_i |-> chunk_words <= ChunkWordsW'(ChunkWordsMax))
  // Spec "Encoder obligations" 5: padding bits are zero.
  `SFP_ASSERT(CarryClean_A, (carry_q >> fill_q) == '0)
endmodule
