// SPDX-License-Identifier: Apache-2.0
//
// sfp decoder, format version 3: takes one descriptor per chunk (its index entry: length N in
// words and CRC-32C; its values, C except on the tensor's last chunk; whether it is the
// tensor's last) and the chunk's words, front to back on one stream, and emits one step (L_c
// values, lane 0 in the low bits) per beat and one status per chunk. Spec: docs/format.md,
// "Version 3 tensor stream" .. "Version 3 size bounds"; the golden model is
// sfp::decode_chunk_v3.
//   descriptor check -> FIFO -> sfp3_dec_lanes (word queue, L lanes: the one-cycle loop,
//                               expiry, end checks, CRC) -> sfp3_dec_build (symbols, values,
//                               REP, errors, status)
//   sfp_dec_table    per tensor: canonical limits, offsets, sorted symbols, table check (the
//                    code table of version 3 is version 2's)
// cfg_i and table_i are sampled with the tensor's first descriptor (the next tensor's first
// descriptor waits until the table of the one before has been taken); the setup takes 65
// cycles once the previous tensor has left the lanes and build blocks.
// Steady state: one step per cycle while the word stream keeps up; a chunk switch costs a few
// cycles.
// status_code_o: 0 ok, else the spec's code; 1 (bad_config) for every chunk of a tensor whose m
// is above its format's width, 10 (bad_table) for every chunk of a tensor whose table is
// illegal, 2 (bad_index) for a descriptor no valid index gives (values 0 or above C, a chunk
// before the tensor's last with values != C, N outside N_min .. N_max of its values). Every
// chunk, good or bad, takes exactly the N words its descriptor announces (a beat holds words of
// one chunk), so the chunks after it decode; a chunk with values 0 or above C is processed with
// max(1, min(values, C)) values. The status of a chunk comes after its last values (the CRC and
// the end checks are known only then): a consumer drops every chunk whose status is not 0.
// Paths: chunk_ready_o, words_ready_o registered; values_*, status_* and starved_o registered.
`include "sfp_assert.svh"

module sfp3_decoder #(
  parameter  int unsigned NumLanes    /*verilator public*/ = sfp_fmt_pkg::V2DefaultLanes,
  parameter  int unsigned ChunkValues /*verilator public*/ = sfp_fmt_pkg::V2DefaultChunkValues,
  parameter  int unsigned BeatWords   /*verilator public*/ = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned WordsW      = sfp3_pkg::index_len_bits(ChunkValues),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned StatusBits  = sfp_code_pkg::StatusBits
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  sfp_pkg::cfg_t                 cfg_i,
  input  sfp_code_pkg::table_t              table_i,
  // Chunk descriptors (the chunk index), one per chunk.
  input  logic                          chunk_valid_i,
  output logic                          chunk_ready_o,
  input  logic [WordsW-1:0]             chunk_words_i,   // N (the index's L_v3 bits)
  input  logic [31:0]                   chunk_crc_i,
  input  logic [ValCntW-1:0]            chunk_values_i,  // 1 .. ChunkValues (else bad_index)
  input  logic                          chunk_last_i,    // the tensor's last chunk
  // Words of the chunks in order: 1..BeatWords words per beat, word 0 in the LSBs, a beat never
  // spans two chunks.
  input  logic                          words_valid_i,
  output logic                          words_ready_o,
  input  logic [BeatWords*32-1:0]       words_data_i,
  input  logic [CountW-1:0]             words_count_i,
  // Values: one step per beat, values_lanes_o = values in the beat (L_c, fewer at a chunk's end).
  output logic                          values_valid_o,
  input  logic                          values_ready_i,
  output logic [NumLanes*32-1:0]        values_data_o,
  output logic [LaneCntW-1:0]           values_lanes_o,
  output logic                          values_chunk_end_o,
  output logic                          values_last_o,
  // Status: one per chunk, in chunk order.
  output logic                          status_valid_o,
  input  logic                          status_ready_i,
  output logic [StatusBits-1:0]         status_code_o,
  output logic                          status_last_o,
  // An accepted chunk owes words and the stream offers none (registered).
  output logic                          starved_o
);
  localparam int unsigned NumCodes = sfp_code_pkg::NumCodes;
  localparam int unsigned NumDist  = sfp_code_pkg::MaxDistSymbols;
  localparam int unsigned LenW     = sfp_code_pkg::LenBits;

  // Descriptors, the pending table and configuration //
  logic             in_tensor_q, pend_q, desc_ack, first, fifo_ready;
  sfp_code_pkg::table_t pend_table_q;
  logic [4:0]       pend_man_q;   // the tensor's m, clamped to its format's width
  logic             pend_bf16_q;
  logic             pend_cfg_bad_q;
  logic [4:0]       man_q;
  logic             bf16_q;
  logic [NumCodes*NumDist-1:0] dmask_q;
  logic [NumCodes*LenW-1:0]    rep_len_q;
  logic             setup_start;

  assign first         = !in_tensor_q;
  assign chunk_ready_o = fifo_ready && !(first && pend_q);
  assign desc_ack      = chunk_valid_i && chunk_ready_o;

  // Descriptor check (Spec: "Version 3 decoder errors", "Version 3 chunk index and CRC"):
  // values 1 .. C (C unless the tensor's last chunk), N_min <= N <= 2 c with
  // N_min = sum over lanes of ceil(c_l / 32).
  logic               d_cfg_bad, d_idx_bad;
  logic [4:0]         d_man;
  logic [ValCntW-1:0] d_values;
  logic [StatusBits-1:0] d_err;
  always_comb begin
    logic [5:0]  lc;
    logic [31:0] c, qv, rv, nmin, nmax, lq;
    d_cfg_bad = first ? cfg_i.man_bits > sfp_pkg::man_bits(cfg_i.bf16) : pend_cfg_bad_q;
    d_man     = first ? sfp_pkg::eff_man_bits(cfg_i.man_bits, cfg_i.bf16) : pend_man_q;
    d_values  = (chunk_values_i == '0) ? ValCntW'(1) :
                (32'(chunk_values_i) > ChunkValues) ? ValCntW'(ChunkValues) : chunk_values_i;
    c    = 32'(d_values);
    lc   = sfp3_pkg::chunk_lanes(6'(NumLanes), c);
    lq   = '0;
    for (int b = 0; b < 6; b++) if (lc == 6'(1 << b)) lq = 32'(b);
    qv   = c >> lq;                            // values of the short lanes
    rv   = c & ((32'd1 << lq) - 32'd1);         // lanes with one value more
    nmin = rv * ((qv + 32'd32) >> 5) + (32'(lc) - rv) * ((qv + 32'd31) >> 5);
    nmax = 2 * c;
    d_idx_bad = chunk_values_i == '0 || 32'(chunk_values_i) > ChunkValues ||
                (!chunk_last_i && 32'(chunk_values_i) != ChunkValues) ||
                32'(chunk_words_i) < nmin || 32'(chunk_words_i) > nmax;
    d_err = d_cfg_bad ? sfp_code_pkg::St2BadConfig : d_idx_bad ? sfp_code_pkg::St2BadIndex : '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_tensor_q <= 1'b0;
      pend_q      <= 1'b0;
    end else begin
      if (desc_ack) in_tensor_q <= !chunk_last_i;
      if (desc_ack && first) pend_q <= 1'b1;
      else if (setup_start) pend_q <= 1'b0;
    end
  end
  always_ff @(posedge clk_i) begin
    if (desc_ack && first) begin
      pend_table_q   <= table_i;
      pend_man_q     <= d_man;
      pend_bf16_q    <= cfg_i.bf16;
      pend_cfg_bad_q <= d_cfg_bad;
    end
    if (setup_start) begin
      man_q  <= pend_man_q;
      bf16_q <= pend_bf16_q;
      for (int c = 0; c < NumCodes; c++) begin
        rep_len_q[c*LenW+:LenW] <= pend_table_q.len[(c*sfp_code_pkg::NumSyms+sfp_code_pkg::SymRep)*LenW+:LenW];
        for (int d = 0; d < NumDist; d++) begin
          dmask_q[c*NumDist+d] <=
              pend_table_q.len[(c*sfp_code_pkg::NumSyms+sfp_code_pkg::SymDist0+d)*LenW+:LenW] != '0;
        end
      end
    end
  end

  // Descriptor FIFO.
  localparam int unsigned DescBits = ValCntW + WordsW + 32 + 1 + 1 + StatusBits;
  logic [DescBits-1:0] dq_in, dq;
  logic                dq_valid, dq_ready;
  assign dq_in = {d_values, chunk_words_i, chunk_crc_i, chunk_last_i, first, d_err};
  sfp_fifo #(.Depth(2), .Width(DescBits)) u_desc (
    .clk_i, .rst_ni,
    .in_valid_i (desc_ack), .in_ready_o(fifo_ready), .in_data_i(dq_in),
    .out_valid_o(dq_valid), .out_ready_i(dq_ready), .out_data_o(dq)
  );

  // Table setup //
  logic                                 t_busy, t_bad, t_two;
  logic [7:0]                           t_base;
  logic [1:0]                           t_sign;
  logic [sfp_code_pkg::LimVecBits-1:0]      t_lim;
  logic [sfp_code_pkg::FcVecBits-1:0]       t_fc;
  logic [sfp_code_pkg::OffVecBits-1:0]      t_off;
  logic [sfp_code_pkg::SymVecBits-1:0]      t_sym;
  logic [NumCodes*sfp_code_pkg::MaxCodeBits-1:0] t_zero_cw, t_esc_cw;
  logic [NumCodes*LenW-1:0]                  t_zero_len, t_esc_len;
  sfp_dec_table u_table (
    .clk_i, .rst_ni, .start_i(setup_start), .table_i(pend_table_q), .busy_o(t_busy),
    .bad_o(t_bad), .two_o(t_two), .base_o(t_base), .sign_o(t_sign), .lim_o(t_lim), .fc_o(t_fc),
    .off_o(t_off), .sym_o(t_sym), .zero_cw_o(t_zero_cw), .zero_len_o(t_zero_len),
    .esc_cw_o(t_esc_cw), .esc_len_o(t_esc_len)
  );

  // Lanes //
  localparam int unsigned RecBits = NumLanes * (12 + 4 + 1 + 32) + LaneCntW + 14;
  logic               rec_valid, rec_ready, b_idle;
  logic [RecBits-1:0] rec;
  sfp3_dec_lanes #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .BeatWords(BeatWords)
  ) u_lanes (
    .clk_i, .rst_ni, .man_bits_i(man_q), .mixed_i(t_sign == sfp_code_pkg::SignMixed),
    .desc_valid_i(dq_valid), .desc_ready_o(dq_ready),
    .desc_values_i(dq[StatusBits+2+32+WordsW+:ValCntW]),
    .desc_words_i(dq[StatusBits+2+32+:WordsW]), .desc_crc_i(dq[StatusBits+2+:32]),
    .desc_last_i(dq[StatusBits+1]), .desc_first_i(dq[StatusBits]),
    .desc_err_i(dq[0+:StatusBits]),
    .setup_start_o(setup_start), .setup_busy_i(t_busy),
    .pipe_empty_i(!rec_valid && b_idle), .table_bad_i(t_bad), .two_i(t_two),
    .lim_i(t_lim), .fc_i(t_fc), .zero_cw_i(t_zero_cw), .zero_len_i(t_zero_len),
    .esc_cw_i(t_esc_cw), .esc_len_i(t_esc_len), .rep_len_i(rep_len_q),
    .words_valid_i, .words_ready_o, .words_data_i, .words_count_i,
    .out_valid_o(rec_valid), .out_ready_i(rec_ready), .out_data_o(rec)
  );

  // Build //
  sfp3_dec_build #(.NumLanes(NumLanes)) u_build (
    .clk_i, .rst_ni, .man_bits_i(man_q), .bf16_i(bf16_q), .base_i(t_base), .sign_i(t_sign),
    .dmask_i(dmask_q), .rep_len_i(rep_len_q), .fc_i(t_fc), .off_i(t_off), .sym_i(t_sym),
    .in_valid_i(rec_valid), .in_ready_o(rec_ready), .in_data_i(rec),
    .values_valid_o, .values_ready_i, .values_data_o, .values_lanes_o, .values_chunk_end_o,
    .values_last_o, .status_valid_o, .status_ready_i, .status_code_o, .status_last_o,
    .idle_o(b_idle)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) starved_o <= 1'b0;
    else starved_o <= words_ready_o && !words_valid_i;
  end

  // Assertions //
  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 1 << sfp_fmt_pkg::V2MinLanesLog2,
                                                  1 << sfp_fmt_pkg::V2MaxLanesLog2))
  `SFP_ASSERT_INIT(ParamChunk_A, sfp_pkg::pow2_in(ChunkValues, NumLanes, 1 << 16))
  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1 && BeatWords <= 64)
  `SFP_ASSERT(SetupMan_A, setup_start |-> pend_man_q <= sfp_pkg::man_bits(pend_bf16_q))
  `SFP_ASSUME_STABLE(ChunkStable_M, chunk_valid_i, chunk_ready_o,
                     {chunk_words_i, chunk_crc_i, chunk_values_i, chunk_last_i})
  `SFP_ASSUME_STABLE(WordsStable_M, words_valid_i, words_ready_o, {words_data_i, words_count_i})
  `SFP_ASSERT_STABLE(ValuesStable_A, values_valid_o, values_ready_i,
                     {values_data_o, values_lanes_o, values_chunk_end_o, values_last_o})
  `SFP_ASSERT_STABLE(StatusStable_A, status_valid_o, status_ready_i,
                     {status_code_o, status_last_o})
endmodule
