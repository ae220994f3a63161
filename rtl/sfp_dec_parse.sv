// SPDX-License-Identifier: Apache-2.0
//
// Decoder stage 1, record parser: buffers payload words and, every cycle, parses one group
// record at the current bit position of the current chunk: zero information, base code and
// predictor, width code, and the record length (for m = 0 including the extra mantissa bit of
// each Inf/NaN lane). It advances the bit position by that length, so the length loop closes in
// one cycle and a group leaves every cycle. It also finds the errors of the record header and
// whether the value fields run past the chunk's end, checks the padding and length of each
// chunk after its last group, and after an error emits the chunk's remaining groups as "dead"
// while dropping the rest of the chunk's words.
// Spec: "Group record", "Decoder state", "Decoder errors"; the model's decode_chunk().
// Latency 1 once the record's words are buffered; throughput 1 group/cycle.
// Paths: out_* registered; words_ready_o registered (buffer fill level only);
//        chunk_ready_o combinational from out_ready_i and the buffer state.
`include "sfp_assert.svh"

module sfp_dec_parse #(
  parameter  int unsigned NumLanes    = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned ChunkValues = sfp_fmt_pkg::DefaultChunkValues,
  parameter  int unsigned WordBits    = sfp_fmt_pkg::DefaultWordBits,
  parameter  int unsigned BaseCode    = sfp_fmt_pkg::DefaultBaseCode,
  parameter  int unsigned ZeroCode    = sfp_fmt_pkg::DefaultZeroCode,
  localparam int unsigned VW          = sfp_pkg::ValueBits,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned RecMax      = sfp_pkg::rec_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned BeatWords   = sfp_pkg::beat_words(RecMax, WordBits),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  // Longest record the decoder accepts: a non-conforming zero information ("11" or "1" and a
  // mask with no zero) can precede a full group, so it is longer than the longest conforming
  // record RecMax. The parse window is sized for it.
  localparam int unsigned RecMaxAny   = sfp_pkg::hdr_max_bits(NumLanes, BaseCode, ZeroCode) +
                                        NumLanes * VW,
  localparam int unsigned WinWords    = sfp_pkg::beat_words(RecMaxAny, WordBits),
  localparam int unsigned BufWords    = WinWords + 2 * BeatWords,
  localparam int unsigned BufCntW     = $clog2(BufWords + 1),
  localparam int unsigned LogW        = $clog2(WordBits),
  localparam int unsigned ChunkWordsW =
      $clog2(sfp_pkg::chunk_words_max(ChunkValues, NumLanes, RecMax, WordBits) + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned RegionBits  = NumLanes * VW,
  localparam int unsigned BoundW      = $clog2(RegionBits + 2),
  localparam int unsigned WinBits     = WinWords * WordBits,
  localparam int unsigned PosW        = $clog2((BufWords + 2) * WordBits) + 1
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  // Payload words, chunks back to back; a beat may hold words of two chunks.
  input  logic                            words_valid_i,
  output logic                            words_ready_o,
  input  logic [BeatWords*WordBits-1:0]   words_data_i,
  input  logic [CountW-1:0]               words_count_i,
  // Chunk descriptors: length in words, number of values, last chunk of the tensor, config.
  input  logic                            chunk_valid_i,
  output logic                            chunk_ready_o,
  input  logic [ChunkWordsW-1:0]          chunk_words_i,
  input  logic [ValCntW-1:0]              chunk_values_i,
  input  logic                            chunk_last_i,
  input  sfp_pkg::cfg_t                   chunk_cfg_i,
  // One parsed group.
  output logic                            out_valid_o,
  input  logic                            out_ready_i,
  output logic [RegionBits-1:0]           out_region_o,    // value fields, LSB-aligned
  output logic [NumLanes-1:0]             out_zero_mask_o,
  output logic [NumLanes-1:0]             out_special_o,   // m = 0: lane carries an extra bit
  output logic [LaneCntW-1:0]             out_lanes_o,
  output sfp_pkg::cfg_t                   out_cfg_o,
  output logic [7:0]                      out_base_o,      // B (0 without Gecko)
  output logic [3:0]                      out_ew_o,        // exponent field width
  output logic [BoundW-1:0]               out_bound_o,     // chunk bits left after the header
  output logic [2:0]                      out_hdr_err_o,   // error in the header, or 0
  output logic                            out_trunc_o,     // value fields run past the chunk
  output logic [2:0]                      out_end_status_o,  // padding/length, last group only
  output sfp_pkg::grp_flags_t             out_flags_o,
  output logic                            out_dead_o       // after an error: output as +0
);
  typedef enum logic [1:0] {
    StIdle,  // no chunk
    StRun,   // parsing groups
    StSkip   // after an error or at the end: dead groups, dropping the chunk's words
  } state_e;

  localparam logic [2:0] ErrTrunc   = 3'(sfp_pkg::StatTruncated);
  localparam logic [2:0] ErrBadBase = 3'(sfp_pkg::StatBadBaseCode);
  localparam logic [2:0] ErrRange   = 3'(sfp_pkg::StatExpRange);
  localparam logic [2:0] ErrPadding = 3'(sfp_pkg::StatBadPadding);
  localparam logic [2:0] ErrLength  = 3'(sfp_pkg::StatLength);
  localparam int unsigned HdrWin    = sfp_pkg::base_max_bits(BaseCode) +
                                      sfp_fmt_pkg::WidthCodeBits;
  localparam int unsigned SpPos     = NumLanes * 10;  // m = 0 fields: at most 10 bits each
  localparam int unsigned LaneIdxW  = $clog2(NumLanes);

  // State //
  state_e                     state_q, state_d;
  logic [BufWords*WordBits-1:0] wbuf_q, wbuf_d;
  logic [BufCntW-1:0]         wcnt_q, wcnt_d;
  logic [LogW-1:0]            p_off_q, p_off_d;   // bit position inside the first buffered word
  logic [ChunkWordsW-1:0]     rem_q, rem_d;       // words of the chunk still buffered or to come
  logic [ValCntW-1:0]         vals_q, vals_d;     // values of the chunk not yet emitted
  logic [7:0]                 pred_q, pred_d;     // base predictor P
  logic                       first_q, first_d;   // next group is the chunk's first
  logic                       last_q, last_d;     // the chunk is the tensor's last
  sfp_pkg::cfg_t              cfg_q, cfg_d;

  // Buffer //
  logic                       in_ack;
  logic [BufCntW-1:0]         pop;                // words dropped from the buffer this cycle
  logic [WinBits-1:0]         wv;
  logic [RecMaxAny-1:0]       win;
  logic [PosW-1:0]            fill, bound;

  assign words_ready_o = wcnt_q <= BufCntW'(BufWords - BeatWords);
  assign in_ack        = words_valid_i & words_ready_o;

  always_comb begin
    for (int unsigned j = 0; j < WinWords; j++) begin
      wv[j*WordBits +: WordBits] = (BufCntW'(j) < wcnt_q && PosW'(j) < PosW'(rem_q)) ?
                                   wbuf_q[j*WordBits +: WordBits] : '0;
    end
    win     = RecMaxAny'(wv >> p_off_q);
    fill    = PosW'(wcnt_q) * PosW'(WordBits) - PosW'(p_off_q);
    bound   = ((PosW'(rem_q) > PosW'(WinWords)) ? PosW'(WinWords + 1) : PosW'(rem_q)) *
              PosW'(WordBits) - PosW'(p_off_q);
  end

  // Record parse //
  logic [LaneCntW-1:0]  lanes, nonzero;
  logic [NumLanes-1:0]  lane_mask, zmask, live;
  logic [PosW-1:0]      zlen, blen, hlen, len, need, nz_f, nsp;
  logic                 all_zero, hdr_on, is_abs, gamma_bad, range_err;
  logic [HdrWin-1:0]    hw;
  logic [9:0]           dsum;                   // P + D, signed
  logic [9:0]           dval;                   // D, signed
  logic [7:0]           babs, base;
  logic [3:0]           gk;                     // gamma: leading zeros
  logic [8:0]           gv;                     // gamma: v
  logic [2:0]           wc;
  logic [3:0]           ew;
  logic [4:0]           man;
  logic [5:0]           f;                      // value field length without the extra bit
  logic [RegionBits-1:0] region;
  logic [2:0]           hdr_err, end_status;
  logic                 trunc, last_grp;

  assign man = sfp_pkg::eff_man_bits(cfg_q.man_bits, cfg_q.bf16);

  // Zero information.
  always_comb begin
    lanes = (vals_q >= ValCntW'(NumLanes)) ? LaneCntW'(NumLanes) : LaneCntW'(vals_q);
    for (int unsigned l = 0; l < NumLanes; l++) lane_mask[l] = LaneCntW'(l) < lanes;
    zmask = '0;
    zlen  = '0;
    if (ZeroCode == sfp_pkg::ZeroMask) begin
      zlen = PosW'(1);
      if (win[0]) begin
        zmask = win[1 +: NumLanes] & lane_mask;
        zlen  = PosW'(1) + PosW'(lanes);
      end
    end else if (ZeroCode == sfp_pkg::ZeroMode) begin
      zlen = PosW'(1);
      if (win[0] && !win[1]) begin
        zmask = lane_mask;
        zlen  = PosW'(2);
      end else if (win[0]) begin
        zmask = win[2 +: NumLanes] & lane_mask;
        zlen  = PosW'(2) + PosW'(lanes);
      end
    end
    all_zero = zmask == lane_mask;
    live     = lane_mask & ~zmask;
    nonzero  = '0;
    for (int unsigned l = 0; l < NumLanes; l++) nonzero = nonzero + LaneCntW'(live[l]);
    hdr_on   = cfg_q.gecko && !all_zero;
  end

  // Base code and width code.
  always_comb begin
    hw        = HdrWin'(win >> zlen);
    is_abs    = 1'b0;
    babs      = '0;
    dval      = '0;
    blen      = '0;
    gamma_bad = 1'b0;
    gk        = '0;
    gv        = '0;
    if (BaseCode == sfp_pkg::BaseRaw) begin
      is_abs = 1'b1;
      babs   = hw[7:0];
      blen   = PosW'(sfp_fmt_pkg::RawBaseBits);
    end else if (BaseCode == sfp_pkg::BaseDelta) begin
      if (!hw[0]) begin  // "0"
        blen = PosW'(1);
      end else if (!hw[1]) begin  // "1 0 s"
        dval = hw[2] ? 10'h3FF : 10'h001;
        blen = PosW'(3);
      end else if (!hw[2]) begin  // "1 1 0 s x0 x1"
        dval = hw[3] ? 10'd0 - (10'd2 + {8'd0, hw[5:4]}) : 10'd2 + {8'd0, hw[5:4]};
        blen = PosW'(6);
      end else begin  // "1 1 1" + B
        is_abs = 1'b1;
        babs   = hw[10:3];
        blen   = PosW'(3 + sfp_fmt_pkg::RawBaseBits);
      end
    end else begin
      // k zeros, a one, k bits of v (LSB first); more than GammaMaxZeros zeros is illegal.
      gamma_bad = hw[sfp_fmt_pkg::GammaMaxZeros:0] == '0;
      gk = 4'(sfp_fmt_pkg::GammaMaxZeros);
      for (int unsigned b = 0; b <= sfp_fmt_pkg::GammaMaxZeros; b++) begin  // first one bit
        if (hw[sfp_fmt_pkg::GammaMaxZeros - b]) gk = 4'(sfp_fmt_pkg::GammaMaxZeros - b);
      end
      gv   = (9'd1 << gk) | (9'(hw >> (gk + 4'd1)) & ~(9'h1FF << gk));
      // z = v - 1; D = z / 2 for even z, -(z + 1) / 2 for odd z.
      dval = gv[0] ? 10'({1'b0, gv[8:1]}) : 10'd0 - 10'({1'b0, gv[8:1]});
      blen = PosW'({gk, 1'b1});
    end
    dsum      = {2'b00, pred_q} + dval;
    range_err = !is_abs && dsum[9:8] != 2'b00;
    base      = !cfg_q.gecko ? 8'd0 : is_abs ? babs : dsum[7:0];
    wc        = 3'(hw >> blen);
    ew        = (!cfg_q.gecko || wc == 3'd7) ? 4'd8 : {1'b0, wc};
    hlen      = hdr_on ? zlen + blen + PosW'(sfp_fmt_pkg::WidthCodeBits) : zlen;
    f         = 6'd1 + 6'(ew) + 6'(man);
    region    = RegionBits'(win >> hlen);
  end

  // m = 0: Inf and NaN lanes carry one extra bit, which moves every later field. The r-th
  // field starts at r*f + s_r, s_r = extra bits before it (0..r); one-hot s_r walks down the
  // ranks, reading at each rank the "exponent is 255" flag of the candidate start.
  logic [SpPos-1:0]    sp_at;       // a field starting at bit p has exponent 255
  logic [NumLanes-1:0] rank_sp;     // the r-th field carries the extra bit
  logic [NumLanes-1:0] special;     // the same, by lane
  always_comb begin
    logic [7:0]        dstar, dl, emask;
    logic [NumLanes:0] s_oh, cand;
    logic              sel;
    logic [LaneCntW-1:0] rank;
    dstar = cfg_q.gecko ? 8'hFF - base : 8'hFF;
    emask = (ew >= 4'd8) ? 8'hFF : ~(8'hFF << ew);
    for (int unsigned p = 0; p < SpPos; p++) begin
      dl = region[p+1 +: 8] & emask;
      sp_at[p] = dl == dstar;
    end
    s_oh    = (NumLanes+1)'(1);
    rank_sp = '0;
    for (int unsigned r = 0; r < NumLanes; r++) begin
      cand       = (NumLanes+1)'(sp_at >> (32'(f) * r));  // starts r*f + s, s = 0..NumLanes
      sel        = |(s_oh & cand);
      rank_sp[r] = (man == 5'd0) && (LaneCntW'(r) < nonzero) && sel;
      if (rank_sp[r]) s_oh = s_oh << 1;
    end
    special = '0;
    rank    = '0;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      if (live[l]) begin
        special[l] = rank_sp[rank[LaneIdxW-1:0]];
        rank       = rank + LaneCntW'(1);
      end
    end
    nsp = '0;
    for (int unsigned r = 0; r < NumLanes; r++) nsp = nsp + PosW'(rank_sp[r]);
  end

  // Length and errors, in stream order (Spec: "Decoder errors"; the model's read order).
  logic [PosW-1:0]     end_pos;
  logic [WordBits-1:0] pad_word;  // the word holding the record's end
  always_comb begin
    nz_f    = PosW'(nonzero) * PosW'(f);
    len     = hlen + nz_f + nsp;
    hdr_err = '0;
    trunc   = 1'b0;
    need    = len;
    if (zlen > bound) begin
      hdr_err = ErrTrunc;
      need    = bound;
    end else if (hdr_on && BaseCode == sfp_pkg::BaseGamma && gamma_bad) begin
      // The zero that makes the run too long is read before anything after it.
      if (zlen + PosW'(sfp_fmt_pkg::GammaMaxZeros + 1) > bound) begin
        hdr_err = ErrTrunc;
        need    = bound;
      end else begin
        hdr_err = ErrBadBase;
        need    = zlen + PosW'(sfp_fmt_pkg::GammaMaxZeros + 1);
      end
    end else if (hdr_on && zlen + blen > bound) begin
      hdr_err = ErrTrunc;
      need    = bound;
    end else if (hdr_on && range_err) begin
      hdr_err = ErrRange;
      need    = zlen + blen;
    end else if (hdr_on && hlen > bound) begin
      hdr_err = ErrTrunc;
      need    = bound;
    end else if (len > bound) begin
      trunc = 1'b1;  // the build stage finds the lane (an exp_range before it wins)
      need  = bound;
    end
    // Padding and length, after the chunk's last group (Spec: "Decoder errors" 6, 7).
    last_grp   = vals_q <= ValCntW'(NumLanes);
    end_pos    = PosW'(p_off_q) + len;
    end_status = '0;
    pad_word   = '0;
    for (int unsigned j = 0; j < WinWords; j++) begin
      if ((end_pos >> LogW) == PosW'(j)) pad_word = wv[j*WordBits +: WordBits];
    end
    if ((pad_word >> end_pos[LogW-1:0]) != '0 && end_pos[LogW-1:0] != '0) begin
      end_status = ErrPadding;  // bits after the record in its last word
    end else if (PosW'(rem_q) > ((end_pos + PosW'(WordBits - 1)) >> LogW)) begin
      end_status = ErrLength;   // whole words after the record's last word
    end
  end

  // Control //
  logic out_free, go, emit, chunk_done, load;
  logic [PosW-1:0] rem_pop;
  logic valid_q;

  assign out_free = out_ready_i | ~valid_q;

  always_comb begin
    state_d = state_q;
    p_off_d = p_off_q;
    rem_d   = rem_q;
    vals_d  = vals_q;
    pred_d  = pred_q;
    first_d = first_q;
    last_d  = last_q;
    cfg_d   = cfg_q;
    pop     = '0;
    go      = 1'b0;
    emit    = 1'b0;
    chunk_done = 1'b0;
    // Words of the chunk that can be dropped now: buffered, at most a window's worth.
    rem_pop = (PosW'(rem_q) > PosW'(wcnt_q)) ? PosW'(wcnt_q) : PosW'(rem_q);
    rem_pop = (rem_pop > PosW'(WinWords)) ? PosW'(WinWords) : rem_pop;
    unique case (state_q)
      StRun: begin
        go = out_free && need <= fill;
        if (go) begin
          emit    = 1'b1;
          first_d = 1'b0;
          vals_d  = vals_q - ValCntW'(lanes);
          if (hdr_err != '0 || trunc) begin
            state_d = StSkip;
          end else if (last_grp) begin
            pop     = BufCntW'(rem_pop);
            rem_d   = rem_q - ChunkWordsW'(rem_pop);
            p_off_d = '0;
            if (rem_d == '0) chunk_done = 1'b1;
            else state_d = StSkip;
          end else begin
            pop     = BufCntW'(end_pos >> LogW);
            rem_d   = rem_q - ChunkWordsW'(end_pos >> LogW);
            p_off_d = end_pos[LogW-1:0];
            if (hdr_on) pred_d = base;
          end
        end
      end
      StSkip: begin
        pop     = BufCntW'(rem_pop);
        rem_d   = rem_q - ChunkWordsW'(rem_pop);
        p_off_d = '0;
        if (vals_q != '0 && out_free) begin
          emit   = 1'b1;
          vals_d = vals_q - ValCntW'(lanes);
        end
        if (vals_d == '0 && rem_d == '0) chunk_done = 1'b1;
      end
      default: ;  // StIdle
    endcase
    // The next chunk starts in the cycle after the last one ends: no bubble.
    load = chunk_valid_i && (state_q == StIdle || chunk_done);
    if (chunk_done) state_d = StIdle;
    if (load) begin
      state_d = StRun;
      rem_d   = chunk_words_i;
      vals_d  = chunk_values_i;
      last_d  = chunk_last_i;
      cfg_d   = chunk_cfg_i;
      p_off_d = '0;
      pred_d  = 8'(sfp_fmt_pkg::InitialBase);
      first_d = 1'b1;
    end
  end
  assign chunk_ready_o = state_q == StIdle || chunk_done;

  // Buffer update: drop `pop` words from the front, append the accepted beat's words.
  always_comb begin
    logic [BufWords*WordBits-1:0] kept, incoming;
    logic [BufCntW-1:0]           left;
    left = wcnt_q - pop;
    kept = wbuf_q >> (32'(pop) * WordBits);
    for (int unsigned j = 0; j < BufWords; j++) begin
      if (BufCntW'(j) >= left) kept[j*WordBits +: WordBits] = '0;
    end
    incoming = '0;
    for (int unsigned j = 0; j < BeatWords; j++) begin
      if (CountW'(j) < words_count_i) incoming[j*WordBits +: WordBits] = words_data_i[j*WordBits +: WordBits];
    end
    wbuf_d = kept;
    wcnt_d = left;
    if (in_ack) begin
      wbuf_d = kept | (incoming << (32'(left) * WordBits));
      wcnt_d = left + BufCntW'(words_count_i);
    end
  end

  // Output register //
  logic [RegionBits-1:0]  region_q;
  logic [NumLanes-1:0]    zmask_q, special_q;
  logic [LaneCntW-1:0]    lanes_q;
  sfp_pkg::cfg_t          ocfg_q;
  logic [7:0]             base_q;
  logic [3:0]             ew_q;
  logic [BoundW-1:0]      bound_q;
  logic [2:0]             hdr_err_q, end_status_q;
  logic                   trunc_q, dead_q;
  sfp_pkg::grp_flags_t    flags_q;
  logic [PosW-1:0]        bound_f;

  always_comb begin
    bound_f = (bound > hlen) ? bound - hlen : '0;
    bound_f = (bound_f > PosW'(RegionBits + 1)) ? PosW'(RegionBits + 1) : bound_f;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      wcnt_q  <= '0;
      p_off_q <= '0;
      rem_q   <= '0;
      vals_q  <= '0;
      pred_q  <= 8'(sfp_fmt_pkg::InitialBase);
      first_q <= 1'b0;
      last_q  <= 1'b0;
      cfg_q   <= '0;
      valid_q <= 1'b0;
    end else begin
      state_q <= state_d;
      wcnt_q  <= wcnt_d;
      p_off_q <= p_off_d;
      rem_q   <= rem_d;
      vals_q  <= vals_d;
      pred_q  <= pred_d;
      first_q <= first_d;
      last_q  <= last_d;
      cfg_q   <= cfg_d;
      if (out_free) valid_q <= emit;
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack || pop != '0) wbuf_q <= wbuf_d;
    if (emit) begin
      dead_q          <= state_q == StSkip;
      region_q        <= state_q == StSkip ? '0 : region;
      zmask_q         <= zmask;
      special_q       <= special;
      lanes_q         <= lanes;
      ocfg_q          <= cfg_q;
      base_q          <= base;
      ew_q            <= ew;
      bound_q         <= BoundW'(bound_f);
      hdr_err_q       <= hdr_err;
      trunc_q         <= trunc;
      end_status_q    <= end_status;
      flags_q.chunk_first <= first_q;
      flags_q.chunk_end   <= last_grp;
      flags_q.last        <= last_q && last_grp;
    end
  end

  assign out_valid_o      = valid_q;
  assign out_region_o     = region_q;
  assign out_zero_mask_o  = zmask_q;
  assign out_special_o    = special_q;
  assign out_lanes_o      = lanes_q;
  assign out_cfg_o        = ocfg_q;
  assign out_base_o       = base_q;
  assign out_ew_o         = ew_q;
  assign out_bound_o      = bound_q;
  assign out_hdr_err_o    = hdr_err_q;
  assign out_trunc_o      = trunc_q;
  assign out_end_status_o = end_status_q;
  assign out_flags_o      = flags_q;
  assign out_dead_o       = dead_q;

  `SFP_ASSERT_INIT(ParamWindow_A, WinBits >= RecMaxAny + WordBits - 1 && RecMaxAny >= RecMax)
  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_region_o, out_zero_mask_o, out_special_o, out_lanes_o, out_cfg_o,
                      out_base_o, out_ew_o, out_bound_o, out_hdr_err_o, out_trunc_o,
                      out_end_status_o, out_flags_o, out_dead_o})
  `SFP_ASSUME_STABLE(WordsStable_M, words_valid_i, words_ready_o, {words_data_i, words_count_i})
  `SFP_ASSUME_STABLE(ChunkStable_M, chunk_valid_i, chunk_ready_o,
                     {chunk_words_i, chunk_values_i, chunk_last_i, chunk_cfg_i})
  `SFP_ASSUME(WordsCount_M, words_valid_i |->
              words_count_i != '0 && words_count_i <= CountW'(BeatWords))
  `SFP_ASSUME(ChunkValues_M, chunk_valid_i |->
              chunk_values_i != '0 && chunk_values_i <= ValCntW'(ChunkValues))
  // Buffer invariants: never over-full, the position stays inside the chunk's words.
  `SFP_ASSERT(BufFill_A, wcnt_q <= BufCntW'(BufWords))
  `SFP_ASSERT(PopBuffered_A, pop <= wcnt_q)
  `SFP_ASSERT(PosInChunk_A, p_off_q != '0 |-> rem_q != '0 && wcnt_q != '0)
  // No record, conforming or not, needs more than the window.
  `SFP_ASSERT(NeedFits_A, state_q == StRun |-> need <= PosW'(RecMaxAny))
  // Emitting a group needs room downstream.
  `SFP_ASSERT(EmitRoom_A, emit |-> out_free)
endmodule
