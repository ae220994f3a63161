// SPDX-License-Identifier: Apache-2.0
//
// sfp format version 2 encoder: takes NumLanes values per beat and emits every chunk's words in
// stored order (BeatWords words per beat) and one chunk index entry (length, mode, CRC-32C) per
// chunk: exactly the golden model's Encoded::payload, chunk_words, chunk_raw and chunk_crc
// (sfp::encode with Config::lossless(fp, 2), chunk = ChunkValues, lanes = NumLanes).
// Spec: docs/format.md, "Version 2 tensor stream" through "Version 2 encoder obligations".
// The code table is configuration (the model's build_table for the tensor), like m.
// Blocks: table (canonical codewords, at most 12 + NumSyms cycles per tensor) -> front
// (quantize, chunks, L_c) -> sym (symbols, lane bits, plane entries, raw fields) -> pack
// (refill rule, slots, staging writes, N, raw-or-coded) -> two staging buffers (sfp_ram) -> out (stored order,
// CRC-32C, index). Phase 1 (front .. pack) codes chunk k+1 into one buffer while phase 2 (out)
// sends chunk k from the other (docs/architecture.md, "Version 2 encoder").
// Per tensor: cfg_i and table_i are sampled with the tensor's first beat; that beat waits until
// the previous tensor has left phase 1 (then the codewords are built).
// Paths: tensor_ready_o, words_*, index_* registered.
`include "sfp_assert.svh"

module sfp2_encoder #(
  parameter  int unsigned NumLanes    /*verilator public*/ = 16,
  parameter  int unsigned ChunkValues /*verilator public*/ = 16384,
  parameter  int unsigned BeatWords   /*verilator public*/ = 16,
  localparam int unsigned VW          = 32,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned WordsW      = $clog2(ChunkValues + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  sfp_pkg::cfg_t             cfg_i,     // gecko ignored
  input  sfp2_pkg::table_t          table_i,
  // Values: lane l in [l*32 +: 32]; FP32, or BF16 in the low half of a lane.
  input  logic                      tensor_valid_i,
  output logic                      tensor_ready_o,
  input  logic [NumLanes*VW-1:0]    tensor_data_i,
  input  logic [LaneCntW-1:0]       tensor_lanes_i,  // NumLanes, fewer only with last
  input  logic                      tensor_last_i,
  // Payload: word 0 in the LSBs, 1 .. BeatWords words per beat, a beat within one chunk.
  output logic                      words_valid_o,
  input  logic                      words_ready_i,
  output logic [BeatWords*32-1:0]   words_data_o,
  output logic [CountW-1:0]         words_count_o,
  output logic                      words_last_o,    // the tensor's last beat
  // Chunk index: one entry per chunk.
  output logic                      index_valid_o,
  input  logic                      index_ready_i,
  output logic [WordsW-1:0]         index_words_o,
  output logic                      index_raw_o,
  output logic [31:0]               index_crc_o,
  output logic                      index_last_o      // the tensor's last chunk
);
  localparam int unsigned RowW      = BeatWords * 32;
  localparam int unsigned SlotMax   = (21 * ChunkValues + 62 * NumLanes) / 32 + 1;
  localparam int unsigned SlotW     = $clog2(SlotMax + 1);
  localparam int unsigned SlotRows  = ((SlotMax + BeatWords - 1) / BeatWords < 2) ? 2 :
                                      (SlotMax + BeatWords - 1) / BeatWords;
  localparam int unsigned SRowW     = $clog2(SlotRows);
  localparam int unsigned PlaneRows = ((ChunkValues * 24 + RowW - 1) / RowW < 2) ? 2 :
                                      (ChunkValues * 24 + RowW - 1) / RowW;
  localparam int unsigned PRowW     = $clog2(PlaneRows);
  localparam int unsigned RawRows   = (ChunkValues * 32 / RowW < 2) ? 2 : ChunkValues * 32 / RowW;
  localparam int unsigned RRowW     = $clog2(RawRows);
  localparam int unsigned BitsW     = sfp2_pkg::MaxValueBits;
  localparam int unsigned NbW       = 5;
  localparam int unsigned PlaneW    = NumLanes * 24;
  localparam int unsigned PLenW     = $clog2(PlaneW + 1);
  localparam int unsigned RawW      = NumLanes * 32;
  localparam int unsigned RLenW     = $clog2(RawW + 1);
  localparam int unsigned CwW       = 2 * sfp2_pkg::NumSyms * sfp2_pkg::MaxCodeBits;

  // Tensor gate and per-tensor configuration //
  logic             in_tensor_q, busy_q, gate, in_ack, start;
  sfp_pkg::cfg_t    cfg_q;
  // The copy that front and sym read (hundreds of loads per bit): loaded from cfg_i at a start
  // and from cfg_q otherwise, so its hold does not come back through its own fan-out tree. No
  // reset (a different cell from cfg_q, which synthesis would otherwise merge with it); equal to
  // cfg_q from the first tensor on (CfgCopy_A).
  sfp_pkg::cfg_t    cfg_f_q;
  sfp2_pkg::table_t tab_q;
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
    cfg_f_q <= start ? cfg_i : cfg_q;
  end

  sfp2_enc_table u_table (
    .clk_i, .rst_ni, .start_i(start), .tab_i(tab_q), .cw_o(cw), .done_o(tab_done)
  );

  // Phase 1 //
  logic                   f_valid, f_ready, f_first, f_end, f_tlast;
  logic [NumLanes*VW-1:0] f_data;
  logic [LaneCntW-1:0]    f_count;

  sfp2_enc_front #(.NumLanes(NumLanes), .ChunkValues(ChunkValues)) u_front (
    .clk_i, .rst_ni, .cfg_i(cfg_f_q), .step_en_i(tab_done && !start),
    .in_valid_i(tensor_valid_i && gate), .in_ready_o(front_ready), .in_data_i(tensor_data_i),
    .in_lanes_i(tensor_lanes_i), .in_last_i(tensor_last_i),
    .step_valid_o(f_valid), .step_ready_i(f_ready), .step_data_o(f_data),
    .step_count_o(f_count), .step_first_o(f_first), .step_end_o(f_end),
    .step_tlast_o(f_tlast)
  );

  // The step, registered: the front's step outputs come through its lane-count and FIFO selects,
  // and the symbol stage's first half needs the whole cycle.
  typedef struct packed {
    logic [NumLanes*VW-1:0] data;
    logic [LaneCntW-1:0]    count;
    logic                   first, chunk_end, tlast;
  } step_beat_t;
  step_beat_t             g_in, g_out;
  logic                   g_valid, g_ready;
  always_comb begin
    g_in.data      = f_data;
    g_in.count     = f_count;
    g_in.first     = f_first;
    g_in.chunk_end = f_end;
    g_in.tlast     = f_tlast;
  end
  sfp_stage #(.Width($bits(g_in)), .Spill(1)) u_step (
    .clk_i, .rst_ni,
    .in_valid_i(f_valid), .in_ready_o(f_ready), .in_data_i(g_in),
    .out_valid_o(g_valid), .out_ready_i(g_ready), .out_data_o(g_out)
  );

  logic                      y_valid, y_ready, y_bad, y_first, y_end, y_tlast;
  logic [NumLanes*BitsW-1:0] y_bits;
  logic [NumLanes*NbW-1:0]   y_nb;
  logic [PlaneW-1:0]         y_plane;
  logic [PLenW-1:0]          y_plen;
  logic [RawW-1:0]           y_raw;
  logic [RLenW-1:0]          y_rlen;
  logic [NumLanes-1:0]       y_act;

  sfp2_enc_sym #(.NumLanes(NumLanes)) u_sym (
    .clk_i, .rst_ni, .cfg_i(cfg_f_q), .tab_i(tab_q), .cw_i(cw),
    .in_valid_i(g_valid), .in_ready_o(g_ready), .in_data_i(g_out.data),
    .in_count_i(g_out.count), .in_first_i(g_out.first), .in_end_i(g_out.chunk_end),
    .in_tlast_i(g_out.tlast),
    .out_valid_o(y_valid), .out_ready_i(y_ready), .out_bits_o(y_bits), .out_nb_o(y_nb),
    .out_plane_o(y_plane), .out_plen_o(y_plen), .out_raw_o(y_raw), .out_rlen_o(y_rlen),
    .out_act_o(y_act), .out_bad_o(y_bad), .out_first_o(y_first), .out_end_o(y_end),
    .out_tlast_o(y_tlast)
  );

  logic                         wbuf, fbuf;
  logic [1:0]                   full_q, free;
  logic [2*BeatWords-1:0]       sw_we;
  logic [2*BeatWords*SRowW-1:0] sw_row;
  logic [2*BeatWords*32-1:0]    sw_data;
  logic                         pw_we, rw_we, pf_we, rf_we;
  logic [PRowW-1:0]             pw_row, pf_row;
  logic [RRowW-1:0]             rw_row, rf_row;
  logic [RowW-1:0]              pw_data, rw_data, pf_data, rf_data;
  logic                         d_done, d_raw, d_tlast;
  logic [SlotW-1:0]             d_n;
  logic [WordsW-1:0]            d_p, d_r;

  sfp2_enc_pack #(.NumLanes(NumLanes), .ChunkValues(ChunkValues), .BeatWords(BeatWords)) u_pack (
    .clk_i, .rst_ni,
    .in_valid_i(y_valid), .in_ready_o(y_ready), .in_bits_i(y_bits), .in_nb_i(y_nb),
    .in_plane_i(y_plane), .in_plen_i(y_plen), .in_raw_i(y_raw), .in_rlen_i(y_rlen),
    .in_act_i(y_act), .in_bad_i(y_bad), .in_first_i(y_first), .in_end_i(y_end),
    .in_tlast_i(y_tlast),
    .buf_full_i(full_q),
    .sw_we_o(sw_we), .sw_row_o(sw_row), .sw_data_o(sw_data),
    .wbuf_o(wbuf), .fbuf_o(fbuf),
    .pw_we_o(pw_we), .pw_row_o(pw_row), .pw_data_o(pw_data),
    .rw_we_o(rw_we), .rw_row_o(rw_row), .rw_data_o(rw_data),
    .pf_we_o(pf_we), .pf_row_o(pf_row), .pf_data_o(pf_data),
    .rf_we_o(rf_we), .rf_row_o(rf_row), .rf_data_o(rf_data),
    .done_o(d_done), .done_n_o(d_n), .done_p_o(d_p), .done_r_o(d_r), .done_raw_o(d_raw),
    .done_tlast_o(d_tlast)
  );
  assign tensor_done = d_done && d_tlast;

  // Staging buffers and their descriptors //
  logic [2*SlotW-1:0]  desc_n_q;
  logic [2*WordsW-1:0] desc_p_q, desc_r_q;
  logic [1:0]          desc_raw_q, desc_tlast_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      full_q <= '0;
    end else begin
      for (int b = 0; b < 2; b++) begin
        if (d_done && fbuf == b[0]) full_q[b] <= 1'b1;
        else if (free[b]) full_q[b] <= 1'b0;
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (d_done) begin
      desc_n_q[fbuf*SlotW+:SlotW]    <= d_n;
      desc_p_q[fbuf*WordsW+:WordsW]  <= d_p;
      desc_r_q[fbuf*WordsW+:WordsW]  <= d_r;
      desc_raw_q[fbuf]               <= d_raw;
      desc_tlast_q[fbuf]             <= d_tlast;
    end
  end

  logic [1:0]        s_re, p_re, r_re;
  logic [SRowW-1:0]  s_row;
  logic [PRowW-1:0]  p_row;
  logic [RRowW-1:0]  r_row;
  logic [2*RowW-1:0] s_rdata, p_rdata, r_rdata;

  // Each buffer's plane and raw RAMs take the row port of the chunk being coded, or the flush
  // port of the chunk before (never the same buffer in one cycle).
  for (genvar b = 0; b < 2; b++) begin : g_buf
    logic pf_here, rf_here;
    assign pf_here = pf_we && fbuf == b[0];
    assign rf_here = rf_we && fbuf == b[0];
    for (genvar w = 0; w < BeatWords; w++) begin : g_bank
      sfp_ram #(.Width(32), .Depth(SlotRows)) u_slot (
        .clk_i, .rst_ni,
        .we_i(sw_we[b*BeatWords+w]), .waddr_i(sw_row[(b*BeatWords+w)*SRowW+:SRowW]),
        .wdata_i(sw_data[(b*BeatWords+w)*32+:32]),
        .re_i(s_re[b]), .raddr_i(s_row), .rdata_o(s_rdata[b*RowW+w*32+:32])
      );
    end
    sfp_ram #(.Width(RowW), .Depth(PlaneRows)) u_plane (
      .clk_i, .rst_ni,
      .we_i((pw_we && wbuf == b[0]) || pf_here), .waddr_i(pf_here ? pf_row : pw_row),
      .wdata_i(pf_here ? pf_data : pw_data),
      .re_i(p_re[b]), .raddr_i(p_row), .rdata_o(p_rdata[b*RowW+:RowW])
    );
    sfp_ram #(.Width(RowW), .Depth(RawRows)) u_raw (
      .clk_i, .rst_ni,
      .we_i((rw_we && wbuf == b[0]) || rf_here), .waddr_i(rf_here ? rf_row : rw_row),
      .wdata_i(rf_here ? rf_data : rw_data),
      .re_i(r_re[b]), .raddr_i(r_row), .rdata_o(r_rdata[b*RowW+:RowW])
    );
  end

  // Phase 2 //
  sfp2_enc_out #(.NumLanes(NumLanes), .ChunkValues(ChunkValues), .BeatWords(BeatWords)) u_out (
    .clk_i, .rst_ni,
    .buf_full_i(full_q), .desc_n_i(desc_n_q), .desc_p_i(desc_p_q), .desc_r_i(desc_r_q),
    .desc_raw_i(desc_raw_q), .desc_tlast_i(desc_tlast_q), .free_o(free),
    .s_re_o(s_re), .p_re_o(p_re), .r_re_o(r_re), .s_row_o(s_row), .p_row_o(p_row),
    .r_row_o(r_row), .s_rdata_i(s_rdata), .p_rdata_i(p_rdata), .r_rdata_i(r_rdata),
    .words_valid_o, .words_ready_i, .words_data_o, .words_count_o, .words_last_o,
    .index_valid_o, .index_ready_i, .index_words_o, .index_raw_o, .index_crc_o, .index_last_o
  );

  // Assertions //
  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32 &&
                                 (NumLanes & (NumLanes - 1)) == 0)
  `SFP_ASSERT_INIT(ParamChunk_A, ChunkValues >= NumLanes && ChunkValues <= 65536 &&
                                 (ChunkValues & (ChunkValues - 1)) == 0)
  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= NumLanes && BeatWords <= 64 &&
                                (BeatWords & (BeatWords - 1)) == 0)
  `SFP_ASSERT_INIT(Layout_A, sfp_pkg::layout_ok() && sfp2_pkg::v2_layout_ok())
  `SFP_ASSERT(FullFree_A, !(d_done && full_q[fbuf]))
  `SFP_ASSERT(RowPorts_A, !(pw_we && pf_we && wbuf == fbuf) && !(rw_we && rf_we && wbuf == fbuf))
  `SFP_ASSUME_STABLE(TensorStable_M, tensor_valid_i, tensor_ready_o,
                     {tensor_data_i, tensor_lanes_i, tensor_last_i})
  `SFP_ASSUME(TensorLanes_M, tensor_valid_i |-> tensor_lanes_i != '0 &&
              (tensor_lanes_i == LaneCntW'(NumLanes) ||
               (tensor_lanes_i < LaneCntW'(NumLanes) && tensor_last_i)))
  `SFP_ASSUME(CfgMan_M, tensor_valid_i && !in_tensor_q |->
              cfg_i.man_bits <= sfp_pkg::man_bits(cfg_i.bf16))
  // The table is legal (Spec: "Code table"): sign, dist and every length in range.
  `SFP_ASSUME(TableFields_M, tensor_valid_i && !in_tensor_q |->
              table_i.sign != 2'd3 && 32'(table_i.ndist) <= sfp2_pkg::MaxDistSymbols)
`ifndef SYNTHESIS
  logic [NumLanes-1:0] bf16_high;
  logic                len_ok;
  for (genvar l = 0; l < NumLanes; l++) begin : gen_bf16_high
    assign bf16_high[l] = (LaneCntW'(l) < tensor_lanes_i) && (tensor_data_i[l*VW+16+:16] != '0);
  end
  always_comb begin
    len_ok = 1'b1;
    for (int i = 0; i < 2 * sfp2_pkg::NumSyms; i++) begin
      if (table_i.len[i*sfp2_pkg::LenBits+:sfp2_pkg::LenBits] > 4'(sfp2_pkg::MaxCodeBits)) begin
        len_ok = 1'b0;
      end
    end
  end
  `SFP_ASSERT(CfgCopy_A, busy_q |-> cfg_f_q == cfg_q)
  `SFP_ASSUME(Bf16High_M, tensor_valid_i && (in_tensor_q ? cfg_q.bf16 : cfg_i.bf16) |->
              bf16_high == '0)
  `SFP_ASSUME(TableLens_M, tensor_valid_i && !in_tensor_q |-> len_ok)
`endif
endmodule
