// SPDX-License-Identifier: Apache-2.0
//
// sfp decoder, format version 2: takes one descriptor per chunk (index length W, mode, CRC,
// values, tensor's last chunk), the chunk's lane stream (word 0 = N, then the lane words up to
// word min(N, W-1)) and its plane stream (the remaining words; a raw chunk's words all come on
// the plane stream), and emits one step (L_c values, lane 0 in the LSBs) per beat and one
// status per chunk. Spec: docs/format.md, "Version 2 tensor stream" .. "Version 2 decoder
// errors"; the golden model is sfp::decode_chunk_v2.
//   descriptor FIFOs -> sfp2_dec_lanes (word queue, L lane decoders: the one-cycle loop)
//                    -> sfp2_dec_build (symbols; plane / raw fields, values, REP; errors)
//   both streams     -> sfp2_dec_crc (CRC-32C of lanes and plane, combined per chunk)
//   sfp2_dec_table   per tensor: canonical limits, offsets, sorted symbols, table check
// cfg_i and table_i are sampled with the tensor's first descriptor (a second tensor's first
// descriptor waits until the table of the one before has been taken); the setup takes 64 cycles
// once the previous tensor has left the lanes and build blocks. Steady state: one step per
// cycle when both streams deliver BeatWords words per beat; a chunk switch costs a few cycles.
// status_code_o: 0 ok, else the spec's code; 1 (bad_config) for every chunk of a tensor whose m
// is above its format's width, 10 for every chunk of a tensor whose table is illegal, 2
// (bad_index) for a descriptor no valid index gives (W = 0 or above the largest chunk length of
// the tensor's m, values 0 or above C, a chunk before the tensor's last with values != C); the
// values of such chunks are +0. Descriptor contract (docs/architecture.md, "Version 2
// decoder"): every chunk, good or bad, takes exactly the W words its descriptor announces,
// split between the streams as for a valid chunk (W = 0: none), so the chunks after it decode;
// a chunk with values 0 or above C emits max(1, min(values, C)) values. The status of a chunk
// comes after its last values (the CRC is known only then). Values of a failing chunk are +0
// from the step where the error is found on; a CRC, padding or length error is found after the
// values went out, so a consumer drops every chunk whose status is not 0. The decoder waits
// for words it was promised (it cannot tell late words from missing ones): starved_o says an
// accepted chunk owes words on a stream that offers none, for a host watchdog (then reset).
// Paths: lane_ready_o, plane_ready_o from registers only; chunk_ready_o registered (FIFO,
//        pending-table flag); values_*, status_* and starved_o registered.
`include "sfp_assert.svh"

module sfp2_decoder #(
  parameter  int unsigned NumLanes    /*verilator public*/ = sfp_fmt_pkg::V2DefaultLanes,
  parameter  int unsigned ChunkValues /*verilator public*/ = sfp_fmt_pkg::V2DefaultChunkValues,
  parameter  int unsigned BeatWords   /*verilator public*/ = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned WordsW      = $clog2(sfp2_pkg::chunk_words_max(ChunkValues) + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned StatusBits  = sfp2_pkg::StatusBits
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  sfp_pkg::cfg_t                 cfg_i,
  input  sfp2_pkg::table_t              table_i,
  // Chunk descriptors (the chunk index), one per chunk.
  input  logic                          chunk_valid_i,
  output logic                          chunk_ready_o,
  input  logic [WordsW-1:0]             chunk_words_i,   // W (bad_index: 0, above the largest)
  input  logic                          chunk_raw_i,
  input  logic [31:0]                   chunk_crc_i,
  input  logic [ValCntW-1:0]            chunk_values_i,  // 1 .. ChunkValues (else bad_index)
  input  logic                          chunk_last_i,    // the tensor's last chunk
  // Lane stream: a coded chunk's words 0 .. min(N, W-1); 1..BeatWords words per beat, word 0
  // in the LSBs, a beat never spans two chunks.
  input  logic                          lane_valid_i,
  output logic                          lane_ready_o,
  input  logic [BeatWords*32-1:0]       lane_data_i,
  input  logic [CountW-1:0]             lane_count_i,
  // Plane stream: the rest of each chunk's words (all of a raw chunk's).
  input  logic                          plane_valid_i,
  output logic                          plane_ready_o,
  input  logic [BeatWords*32-1:0]       plane_data_i,
  input  logic [CountW-1:0]             plane_count_i,
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
  // An accepted chunk owes words on the lane or plane stream, which offers none (registered:
  // the last cycle's lane_ready_o && !lane_valid_i || plane_ready_o && !plane_valid_i).
  output logic                          starved_o
);
  // Descriptors, the pending table and configuration //
  logic             in_tensor_q, pend_q, desc_ack, first;
  logic             fa_ready, fb_ready;
  sfp2_pkg::table_t pend_table_q;
  logic [4:0]       pend_man_q;   // the tensor's m, clamped to its format's width
  logic             pend_bf16_q;
  logic             pend_cfg_bad_q;  // the tensor's m is above its format's width
  logic [4:0]       man_q;  // the decoder uses m and the format of the configuration
  logic             bf16_q;
  logic             setup_start;

  assign first         = !in_tensor_q;
  assign chunk_ready_o = fa_ready && fb_ready && !(first && pend_q);
  assign desc_ack      = chunk_valid_i && chunk_ready_o;

  // Descriptor check, beside the FIFOs (nothing of it reaches the lane loop). The tensor's m
  // and format: the configuration at its first descriptor, else the registers sampled then (a
  // tensor's later descriptors come before the next tensor's first). A chunk no valid index
  // gives still takes its W words, split as for any chunk; the lanes process it with values
  // clamped to 1 .. C, and as raw when W = 0 (no header word comes), and its values are +0.
  logic               d_cfg_bad, d_idx_bad, d_raw;
  logic [4:0]         d_man;
  logic [ValCntW-1:0] d_values;
  logic [StatusBits-1:0] d_err;
  always_comb begin
    logic [5:0]  rb;
    logic [31:0] wmax;
    d_cfg_bad = first ? cfg_i.man_bits > sfp_pkg::man_bits(cfg_i.bf16) : pend_cfg_bad_q;
    d_man     = first ? sfp_pkg::eff_man_bits(cfg_i.man_bits, cfg_i.bf16) : pend_man_q;
    // The largest chunk length of the tensor's m: ceil(C * (9 + max(m, 1)) / 32) words.
    rb   = 6'd9 + ((d_man == 5'd0) ? 6'd1 : 6'(d_man));
    wmax = (32'(ChunkValues) * 32'(rb) + 32'd31) >> 5;
    d_idx_bad = chunk_words_i == '0 || 32'(chunk_words_i) > wmax || chunk_values_i == '0 ||
                32'(chunk_values_i) > ChunkValues ||
                (!chunk_last_i && 32'(chunk_values_i) != ChunkValues);
    d_values  = (chunk_values_i == '0) ? ValCntW'(1) :
                (32'(chunk_values_i) > ChunkValues) ? ValCntW'(ChunkValues) : chunk_values_i;
    d_raw     = chunk_raw_i || chunk_words_i == '0;
    d_err     = d_cfg_bad ? sfp2_pkg::St2BadConfig : d_idx_bad ? sfp2_pkg::St2BadIndex : '0;
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
    end
  end

  // The lanes' descriptors, and the CRC unit's.
  typedef struct packed {
    logic [ValCntW-1:0]    values;
    logic [WordsW-1:0]     words;
    logic                  raw, last, first;
    logic [StatusBits-1:0] err;
  } desc_a_t;
  typedef struct packed {
    logic                  raw;
    logic [WordsW-1:0]     words;
    logic [31:0]           crc;
  } desc_b_t;
  desc_a_t da_in, da;
  desc_b_t db_in, db;
  always_comb begin
    da_in.values = d_values;
    da_in.words  = chunk_words_i;
    da_in.raw    = d_raw;
    da_in.last   = chunk_last_i;
    da_in.first  = first;
    da_in.err    = d_err;
    db_in.raw    = d_raw;
    db_in.words  = chunk_words_i;
    db_in.crc    = chunk_crc_i;
  end
  logic da_valid, da_ready, db_valid, db_ready;
  sfp_fifo #(.Depth(2), .Width($bits(da_in))) u_desc_a (
    .clk_i, .rst_ni,
    .in_valid_i (desc_ack), .in_ready_o(fa_ready), .in_data_i(da_in),
    .out_valid_o(da_valid), .out_ready_i(da_ready), .out_data_o(da)
  );
  sfp_fifo #(.Depth(4), .Width($bits(db_in))) u_desc_b (
    .clk_i, .rst_ni,
    .in_valid_i (desc_ack), .in_ready_o(fb_ready), .in_data_i(db_in),
    .out_valid_o(db_valid), .out_ready_i(db_ready), .out_data_o(db)
  );

  // Table setup //
  localparam int unsigned NumCodes = sfp2_pkg::NumCodes;
  logic                                 t_busy, t_bad, t_two;
  logic [sfp2_pkg::ExpBits-1:0]         t_base;
  logic [1:0]                           t_sign;
  logic [sfp2_pkg::LimVecBits-1:0]      t_lim;
  logic [sfp2_pkg::FcVecBits-1:0]       t_fc;
  logic [sfp2_pkg::OffVecBits-1:0]      t_off;
  logic [sfp2_pkg::SymVecBits-1:0]      t_sym;
  logic [NumCodes*sfp2_pkg::MaxCodeBits-1:0] t_zero_cw, t_esc_cw;
  logic [NumCodes*sfp2_pkg::LenBits-1:0]     t_zero_len, t_esc_len;
  sfp2_dec_table u_table (
    .clk_i, .rst_ni, .start_i(setup_start), .table_i(pend_table_q), .busy_o(t_busy),
    .bad_o(t_bad), .two_o(t_two), .base_o(t_base), .sign_o(t_sign), .lim_o(t_lim), .fc_o(t_fc),
    .off_o(t_off), .sym_o(t_sym), .zero_cw_o(t_zero_cw), .zero_len_o(t_zero_len),
    .esc_cw_o(t_esc_cw), .esc_len_o(t_esc_len)
  );

  // Lanes //
  localparam int unsigned RecBits = sfp2_pkg::dec_step_bits(NumLanes, ChunkValues);
  logic               rec_valid, rec_ready, b_idle, lane_ok, plane_ok;
  logic [RecBits-1:0] rec;
  sfp2_dec_lanes #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .BeatWords(BeatWords)
  ) u_lanes (
    .clk_i, .rst_ni, .man_bits_i(man_q),
    .desc_valid_i(da_valid), .desc_ready_o(da_ready), .desc_values_i(da.values),
    .desc_words_i(da.words), .desc_raw_i(da.raw), .desc_last_i(da.last),
    .desc_first_i(da.first), .desc_err_i(da.err),
    .setup_start_o(setup_start), .setup_busy_i(t_busy),
    .pipe_empty_i(!rec_valid && b_idle && !t_busy), .table_bad_i(t_bad), .two_i(t_two),
    .lim_i(t_lim), .zero_cw_i(t_zero_cw), .zero_len_i(t_zero_len), .esc_cw_i(t_esc_cw),
    .esc_len_i(t_esc_len),
    .lane_valid_i, .lane_ready_o, .lane_data_i, .lane_count_i, .lane_ok_i(lane_ok),
    .out_valid_o(rec_valid), .out_ready_i(rec_ready), .out_data_o(rec)
  );

  // Build //
  logic                  res_valid, res_ready, res_bad, res_last;
  logic [StatusBits-1:0] res_err;
  sfp2_dec_build #(
    .NumLanes(NumLanes), .ChunkValues(ChunkValues), .BeatWords(BeatWords)
  ) u_build (
    .clk_i, .rst_ni, .man_bits_i(man_q), .bf16_i(bf16_q), .base_i(t_base),
    .sign_i(t_sign), .fc_i(t_fc), .off_i(t_off), .sym_i(t_sym),
    .in_valid_i(rec_valid), .in_ready_o(rec_ready), .in_data_i(rec),
    .plane_valid_i, .plane_ready_o, .plane_data_i, .plane_count_i, .plane_ok_i(plane_ok),
    .values_valid_o, .values_ready_i, .values_data_o, .values_lanes_o, .values_chunk_end_o,
    .values_last_o,
    .res_valid_o(res_valid), .res_ready_i(res_ready), .res_err_o(res_err), .res_bad_o(res_bad),
    .res_last_o(res_last), .idle_o(b_idle)
  );

  // CRC //
  logic ok_valid, ok_ready, ok;
  sfp2_dec_crc #(.ChunkValues(ChunkValues), .BeatWords(BeatWords)) u_crc (
    .clk_i, .rst_ni,
    .desc_valid_i(db_valid), .desc_ready_o(db_ready), .desc_raw_i(db.raw),
    .desc_words_i(db.words), .desc_crc_i(db.crc),
    .lane_ack_i(lane_valid_i && lane_ready_o), .lane_data_i, .lane_count_i,
    .lane_ok_o(lane_ok),
    .plane_ack_i(plane_valid_i && plane_ready_o), .plane_data_i, .plane_count_i,
    .plane_ok_o(plane_ok),
    .ok_valid_o(ok_valid), .ok_ready_i(ok_ready), .ok_o(ok)
  );

  // Status: configuration, table, index, then CRC, then the chunk's first error (the
  // descriptor's error reaches res as the chunk's first error) //
  typedef struct packed {
    logic [StatusBits-1:0] code;
    logic                  last;
  } status_t;
  status_t st_in, st_out;
  logic    st_ready;
  always_comb begin
    if (res_err == sfp2_pkg::St2BadConfig) st_in.code = sfp2_pkg::St2BadConfig;
    else if (res_bad) st_in.code = sfp2_pkg::St2BadTable;
    else if (res_err == sfp2_pkg::St2BadIndex) st_in.code = sfp2_pkg::St2BadIndex;
    else if (!ok) st_in.code = sfp2_pkg::St2Crc;
    else st_in.code = res_err;
    st_in.last = res_last;
  end
  assign res_ready = st_ready && ok_valid;
  assign ok_ready  = st_ready && res_valid;
  sfp_stage #(.Width($bits(st_in)), .Spill(0)) u_status (
    .clk_i, .rst_ni,
    .in_valid_i (res_valid && ok_valid), .in_ready_o(st_ready), .in_data_i(st_in),
    .out_valid_o(status_valid_o), .out_ready_i(status_ready_i), .out_data_o(st_out)
  );
  assign status_code_o = st_out.code;
  assign status_last_o = st_out.last;

  // Starvation: a stream the decoder is ready on (it is ready only for words that an accepted
  // chunk still owes) offers no beat.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) starved_o <= 1'b0;
    else starved_o <= (lane_ready_o && !lane_valid_i) || (plane_ready_o && !plane_valid_i);
  end

  // Assertions //
  `SFP_ASSERT_INIT(Layout_A, sfp2_pkg::v2_layout_ok())
  `SFP_ASSERT_INIT(ParamLanes_A, sfp_pkg::pow2_in(NumLanes, 1 << sfp_fmt_pkg::V2MinLanesLog2,
                                                  1 << sfp_fmt_pkg::V2MaxLanesLog2))
  `SFP_ASSERT_INIT(ParamChunk_A, sfp_pkg::pow2_in(ChunkValues, NumLanes, 1 << 16))
  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1 && BeatWords <= 64)
  // The descriptor check leaves the blocks only what they handle: values 1 .. C, a coded chunk
  // of at least its header word, m within the format.
  `SFP_ASSERT(DescValues_A, da_valid |-> da.values != '0 && 32'(da.values) <= ChunkValues &&
              (da.raw || da.words != '0))
  `SFP_ASSERT(SetupMan_A, setup_start |-> pend_man_q <= sfp_pkg::man_bits(pend_bf16_q))
  `SFP_ASSUME_STABLE(ChunkStable_M, chunk_valid_i, chunk_ready_o,
                     {chunk_words_i, chunk_raw_i, chunk_crc_i, chunk_values_i, chunk_last_i})
  `SFP_ASSUME_STABLE(LaneStable_M, lane_valid_i, lane_ready_o, {lane_data_i, lane_count_i})
  `SFP_ASSUME_STABLE(PlaneStable_M, plane_valid_i, plane_ready_o, {plane_data_i, plane_count_i})
  `SFP_ASSERT_STABLE(ValuesStable_A, values_valid_o, values_ready_i,
                     {values_data_o, values_lanes_o, values_chunk_end_o, values_last_o})
  `SFP_ASSERT_STABLE(StatusStable_A, status_valid_o, status_ready_i,
                     {status_code_o, status_last_o})
endmodule
