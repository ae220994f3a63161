// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, phase 2: sends each staged chunk in stored order, BeatWords words per beat, with
// its CRC-32C, and writes its index entry. A coded chunk is the header word N, the slot rows
// (slots 0 .. N-1) and the plane rows (P words); a raw chunk is its raw rows (R words). The
// rows are read one per cycle (sfp_ram, one cycle latency) and pushed through a word funnel
// that starts each chunk with the header and emits a beat whenever BeatWords words are
// gathered; a chunk's last beat holds the rest (1 .. BeatWords words; a beat never holds words
// of two chunks). Each beat is registered, then the CRC-32C (which starts from the mode byte)
// takes its words in one step as it goes to the words and index stages; a chunk's last beat,
// when it holds fewer than BeatWords words, waits a cycle for its words' alignment.
// Spec: docs/format.md, "Coded chunk", "Raw chunk", "Chunk index and CRC".
// Paths: words_* and index_* registered (plain stage registers after the beat's skid stage:
// words_ready_i and index_ready_i reach the skid stage's enables, no output).
`include "sfp_assert.svh"

module sfp2_enc_out #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned RowW        = BeatWords * 32,
  localparam int unsigned SlotMax     = (sfp2_pkg::MaxValueBits * ChunkValues + 62 * NumLanes) /
                                        32 + 1,
  localparam int unsigned SlotW       = $clog2(SlotMax + 1),
  localparam int unsigned SlotRows    = ((SlotMax + BeatWords - 1) / BeatWords < 2) ? 2 :
                                        (SlotMax + BeatWords - 1) / BeatWords,
  localparam int unsigned SRowW       = $clog2(SlotRows),
  localparam int unsigned PlaneRows   = ((ChunkValues * 24 + RowW - 1) / RowW < 2) ? 2 :
                                        (ChunkValues * 24 + RowW - 1) / RowW,
  localparam int unsigned PRowW       = $clog2(PlaneRows),
  localparam int unsigned RawRows     = (ChunkValues * 32 / RowW < 2) ? 2 : ChunkValues * 32 / RowW,
  localparam int unsigned RRowW       = $clog2(RawRows),
  localparam int unsigned WordsW      = $clog2(ChunkValues + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Staged chunks: buffer b holds one while buf_full_i[b]; free_o[b] releases it.
  input  logic [1:0]            buf_full_i,
  input  logic [2*SlotW-1:0]    desc_n_i,
  input  logic [2*WordsW-1:0]   desc_p_i,
  input  logic [2*WordsW-1:0]   desc_r_i,
  input  logic [1:0]            desc_raw_i,
  input  logic [1:0]            desc_tlast_i,
  output logic [1:0]            free_o,
  // Staging read ports (both buffers; the row address is shared).
  output logic [1:0]            s_re_o,
  output logic [1:0]            p_re_o,
  output logic [1:0]            r_re_o,
  output logic [SRowW-1:0]      s_row_o,
  output logic [PRowW-1:0]      p_row_o,
  output logic [RRowW-1:0]      r_row_o,
  input  logic [2*RowW-1:0]     s_rdata_i,
  input  logic [2*RowW-1:0]     p_rdata_i,
  input  logic [2*RowW-1:0]     r_rdata_i,
  // Payload words and the chunk index.
  output logic                  words_valid_o,
  input  logic                  words_ready_i,
  output logic [RowW-1:0]       words_data_o,
  output logic [CountW-1:0]     words_count_o,
  output logic                  words_last_o,
  output logic                  index_valid_o,
  input  logic                  index_ready_i,
  output logic [WordsW-1:0]     index_words_o,
  output logic                  index_raw_o,
  output logic [31:0]           index_crc_o,
  output logic                  index_last_o
);
  localparam int unsigned BW = BeatWords;
  localparam int unsigned RC = $clog2(SlotRows + PlaneRows + RawRows + 1);  // row counters

  typedef enum logic [1:0] {
    KSlot  = 2'd0,
    KPlane = 2'd1,
    KRaw   = 2'd2
  } kind_e;

  // Issue side: the rows of chunk in buffer cur_q //
  logic            cur_q;
  logic            seg_q;         // coded chunk: 0 slot rows, 1 plane rows
  logic [RC-1:0]   row_q;         // row within the segment
  logic [RC-1:0]   rp1_q;         // row_q + 1
  logic [SlotW-1:0] c_n;
  logic [WordsW-1:0] c_p, c_r;
  logic            c_raw, c_tlast;
  assign c_n     = desc_n_i[cur_q*SlotW+:SlotW];
  assign c_p     = desc_p_i[cur_q*WordsW+:WordsW];
  assign c_r     = desc_r_i[cur_q*WordsW+:WordsW];
  assign c_raw   = desc_raw_i[cur_q];
  assign c_tlast = desc_tlast_i[cur_q];

  logic            issue, can_issue, consume;
  kind_e           i_kind;
  logic [CountW-1:0] i_k;
  logic            i_first, i_last, seg_end;
  logic [31:0]     seg_words;
  // The segment's last row is the one that reaches its word count: (row + 1) * BW >= words,
  // one comparison with a register (no row count divided out of the words); that row holds
  // the rest, words mod BW (or BW).
  always_comb begin
    if (c_raw) begin
      i_kind = KRaw;
      seg_words = 32'(c_r);
    end else if (!seg_q) begin
      i_kind = KSlot;
      seg_words = 32'(c_n);
    end else begin
      i_kind = KPlane;
      seg_words = 32'(c_p);
    end
    seg_end = seg_words <= 32'(rp1_q) * BW;
    i_k = (!seg_end || seg_words % BW == 0) ? CountW'(BW) : CountW'(seg_words % BW);
    i_first = row_q == '0 && !seg_q;
    i_last  = seg_end && (c_raw || seg_q || c_p == '0);
  end
  assign issue = buf_full_i[cur_q] && can_issue;

  always_comb begin
    s_re_o = '0;
    p_re_o = '0;
    r_re_o = '0;
    if (issue) begin
      s_re_o[cur_q] = i_kind == KSlot;
      p_re_o[cur_q] = i_kind == KPlane;
      r_re_o[cur_q] = i_kind == KRaw;
    end
    free_o = '0;
    free_o[cur_q] = issue && i_last;
  end
  assign s_row_o = SRowW'(row_q);
  assign p_row_o = PRowW'(row_q);
  assign r_row_o = RRowW'(row_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cur_q <= 1'b0;
      seg_q <= 1'b0;
      row_q <= '0;
      rp1_q <= RC'(1);
    end else if (issue) begin
      if (i_last) begin
        cur_q <= !cur_q;
        seg_q <= 1'b0;
        row_q <= '0;
        rp1_q <= RC'(1);
      end else if (seg_end) begin
        seg_q <= 1'b1;
        row_q <= '0;
        rp1_q <= RC'(1);
      end else begin
        row_q <= rp1_q;
        rp1_q <= rp1_q + RC'(1);
      end
    end
  end

  // The row in flight (in the RAM read registers) //
  logic              rv_q, r_first, r_last, r_buf, r_raw, r_tlast;
  kind_e             r_kind;
  logic [CountW-1:0] r_k;
  logic [31:0]       r_hdr;
  logic [WordsW-1:0] r_words;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rv_q <= 1'b0;
    else if (issue) rv_q <= 1'b1;
    else if (consume) rv_q <= 1'b0;
  end
  always_ff @(posedge clk_i) begin
    if (issue) begin
      r_first <= i_first;
      r_last  <= i_last;
      r_buf   <= cur_q;
      r_raw   <= c_raw;
      r_tlast <= c_tlast;
      r_kind  <= i_kind;
      r_k     <= i_k;
      r_hdr   <= 32'(c_n);
      r_words <= c_raw ? c_r : WordsW'(32'd1 + 32'(c_n) + 32'(c_p));
    end
  end

  logic [RowW-1:0] r_row;
  always_comb begin
    case (r_kind)
      KSlot:   r_row = s_rdata_i[r_buf*RowW+:RowW];
      KPlane:  r_row = p_rdata_i[r_buf*RowW+:RowW];
      default: r_row = r_rdata_i[r_buf*RowW+:RowW];
    endcase
    for (int w = 0; w < BW; w++) begin
      if (w >= 32'(r_k)) r_row[w*32+:32] = '0;
    end
  end

  // Funnel and CRC //
  logic [RowW-1:0]   acc_q;
  logic [CountW-1:0] cnt_q;        // words in acc_q, < BeatWords
  logic              flush_q;      // acc_q holds the chunk's last words
  logic [31:0]       crc_q;
  logic              f_raw_q, f_tlast_q;
  logic              cfp_q;        // the chunk's first row went in, no beat of it emitted yet
  logic [WordsW-1:0] f_words_q;

  logic [2*RowW-1:0] comb;
  logic [CountW:0]   ccnt;
  logic [RowW-1:0]   base;
  logic [CountW-1:0] bcnt;
  logic              emit, final_beat, w_in_ready, i_in_ready, go;
  logic [RowW-1:0]   e_data;
  logic [CountW-1:0] e_count;
  logic              e_cfirst, e_raw, e_tlast;
  logic [WordsW-1:0] e_words;

  always_comb begin
    base = acc_q;
    bcnt = cnt_q;
    if (r_first) begin
      base = r_raw ? '0 : RowW'(r_hdr);
      bcnt = r_raw ? '0 : CountW'(1);
    end
    comb = (2 * RowW)'(base) | ((2 * RowW)'(r_row) << (32 * 32'(bcnt)));
    ccnt = (CountW + 1)'(bcnt) + (CountW + 1)'(r_k);
    if (flush_q) begin
      emit = 1'b1;
      final_beat = 1'b1;
      e_data = acc_q;
      e_count = cnt_q;
      e_cfirst = 1'b0;
      e_raw = f_raw_q;
      e_tlast = f_tlast_q;
      e_words = f_words_q;
    end else begin
      emit = rv_q && (ccnt >= (CountW + 1)'(BW) || r_last);
      final_beat = r_last && ccnt <= (CountW + 1)'(BW);
      e_data = comb[RowW-1:0];
      e_count = (ccnt >= (CountW + 1)'(BW)) ? CountW'(BW) : CountW'(ccnt);
      e_cfirst = r_first || cfp_q;
      e_raw = r_raw;
      e_tlast = r_tlast;
      e_words = r_words;
    end
  end
  assign go = (flush_q || rv_q) && (!emit || m_in_ready);
  assign consume = !flush_q && rv_q && go;
  assign can_issue = !rv_q || consume;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q   <= '0;
      flush_q <= 1'b0;
      cfp_q   <= 1'b0;
    end else if (go) begin
      if (!flush_q) cfp_q <= (r_first || cfp_q) && !emit;
      if (flush_q) begin
        flush_q <= 1'b0;
        cnt_q   <= '0;
      end else if (emit) begin
        cnt_q   <= (ccnt > (CountW + 1)'(BW)) ? CountW'(ccnt - (CountW + 1)'(BW)) : '0;
        flush_q <= r_last && ccnt > (CountW + 1)'(BW);
      end else begin
        cnt_q <= CountW'(ccnt);
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (go && !flush_q) begin
      acc_q     <= emit ? comb[2*RowW-1:RowW] : comb[RowW-1:0];
      f_raw_q   <= r_raw;
      f_tlast_q <= r_tlast;
      f_words_q <= r_words;
    end
  end

  // The emitted beat, registered, then its CRC step: the CRC-32C takes each beat whole after a
  // register, so the funnel's word select and the CRC's XOR levels are on separate cycles.
  typedef struct packed {
    logic              cfirst, raw, final_beat, tlast;
    logic [WordsW-1:0] words;
    logic [CountW-1:0] count;
    logic [RowW-1:0]   data;
  } emit_beat_t;
  emit_beat_t m_in, m_out;
  logic       m_in_ready, m_valid, m_ready;
  always_comb begin
    m_in.cfirst     = e_cfirst;
    m_in.raw        = e_raw;
    m_in.final_beat = final_beat;
    m_in.tlast      = e_tlast;
    m_in.words      = e_words;
    m_in.count      = e_count;
    m_in.data       = e_data;
  end
  sfp_stage #(.Width($bits(m_in)), .Spill(1)) u_emit (
    .clk_i, .rst_ni,
    .in_valid_i(go && emit), .in_ready_o(m_in_ready), .in_data_i(m_in),
    .out_valid_o(m_valid), .out_ready_i(m_ready), .out_data_o(m_out)
  );
  // CRC-32C: every beat of a chunk but its last is whole, and takes one cycle (the state XORed
  // into its first word, then the window's parity); a final beat of fewer words takes a second
  // cycle: the difference between its words right-aligned in the window (the shift by its
  // count) and as they are is registered first, and XORed into the window (dz_q is zero but in
  // that second cycle, so the window needs no select). The count's shift is thus off the
  // state's loop and off the path into the index.
  logic [31:0]   crc_in, crc_out;
  logic [RowW-1:0] z, dz_q;
  logic          zph_q;    // dz_q holds the current final beat's alignment
  logic          partial;  // the current beat has fewer than BW words
  logic          crc_ok;   // the current beat's CRC is ready
  logic          align;    // a partial beat waits for (or holds) its alignment
  assign crc_in = m_out.cfirst ? sfp2_pkg::crc32c_byte(sfp2_pkg::CrcInit, {7'd0, m_out.raw}) :
                                 crc_q;
  always_comb begin
    z = m_out.data;
    z[31:0] = z[31:0] ^ crc_in;
  end
  assign partial = m_out.count != CountW'(BW);
  sfp2_crc_window #(.BeatWords(BeatWords)) u_crc (.win_i(z ^ dz_q), .crc_o(crc_out));
  assign crc_ok = !partial || zph_q;
  assign m_ready = w_in_ready && (!m_out.final_beat || i_in_ready) && crc_ok;
  assign align = m_valid && partial && !(zph_q && m_ready);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) zph_q <= 1'b0;
    else zph_q <= align;
  end
  // No reset: zero from the first clock of the reset on (no beat is valid then).
  always_ff @(posedge clk_i) begin
    if (m_valid && m_ready) crc_q <= crc_out;
    dz_q <= {RowW{align}} & (z ^ RowW'({z, {RowW{1'b0}}} >> (32 * 32'(m_out.count))));
  end

  typedef struct packed {
    logic              last;
    logic [CountW-1:0] count;
    logic [RowW-1:0]   data;
  } words_beat_t;
  typedef struct packed {
    logic              last, raw;
    logic [31:0]       crc;
    logic [WordsW-1:0] words;
  } index_entry_t;
  words_beat_t  w_in, w_out;
  index_entry_t x_in, x_out;
  always_comb begin
    w_in.last  = m_out.tlast && m_out.final_beat;
    w_in.count = m_out.count;
    w_in.data  = m_out.data;
    x_in.last  = m_out.tlast;
    x_in.raw   = m_out.raw;
    x_in.crc   = crc_out ^ sfp2_pkg::CrcInit;
    x_in.words = m_out.words;
  end
  sfp_stage #(.Width($bits(w_in)), .Spill(0)) u_words (
    .clk_i, .rst_ni,
    .in_valid_i(m_valid && crc_ok && (!m_out.final_beat || i_in_ready)),
    .in_ready_o(w_in_ready),
    .in_data_i(w_in),
    .out_valid_o(words_valid_o), .out_ready_i(words_ready_i), .out_data_o(w_out)
  );
  sfp_stage #(.Width($bits(x_in)), .Spill(0)) u_index (
    .clk_i, .rst_ni,
    .in_valid_i(m_valid && crc_ok && m_out.final_beat && w_in_ready), .in_ready_o(i_in_ready),
    .in_data_i(x_in),
    .out_valid_o(index_valid_o), .out_ready_i(index_ready_i), .out_data_o(x_out)
  );
  assign words_last_o  = w_out.last;
  assign words_count_o = w_out.count;
  assign words_data_o  = w_out.data;
  assign index_last_o  = x_out.last;
  assign index_raw_o   = x_out.raw;
  assign index_crc_o   = x_out.crc;
  assign index_words_o = x_out.words;

  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1 && (BeatWords & (BeatWords - 1)) == 0)
  // A coded chunk has at least one lane word (every value has a codeword of 1 bit or more).
  `SFP_ASSERT(CodedHasLanes_A, issue && !c_raw |-> c_n != '0)
  `SFP_ASSERT(RowK_A, rv_q |-> r_k != '0)
  `SFP_ASSERT(Flush_A, flush_q |-> cnt_q != '0)
  // Only a chunk's final beat has fewer than BW words, and no beat is empty.
  `SFP_ASSERT(BeatWhole_A, m_valid |-> m_out.count != '0 && (m_out.final_beat || !partial))
  `SFP_ASSERT(AlignZero_A, !zph_q |-> dz_q == '0)
  `SFP_ASSERT(RowNext_A, rp1_q == row_q + RC'(1))
  // A segment being issued has a row left (a coded chunk's N and every raw chunk's R are > 0).
  `SFP_ASSERT(SegLeft_A, issue |-> 32'(row_q) * BW < seg_words)
  `SFP_ASSERT(SlotRow_A, issue && i_kind == KSlot |-> 32'(row_q) < SlotRows)
  `SFP_ASSERT(PlaneRow_A, issue && i_kind == KPlane |-> 32'(row_q) < PlaneRows)
  `SFP_ASSERT(RawRow_A, issue && i_kind == KRaw |-> 32'(row_q) < RawRows)
endmodule
