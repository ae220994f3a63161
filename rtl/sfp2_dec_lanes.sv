// SPDX-License-Identifier: Apache-2.0
//
// Decoder lanes: takes one descriptor per chunk and the chunk's lane stream (word 0 = N, then
// the lane words), keeps the lane words in a queue and runs the L_c lanes of the chunk, one step
// (one value per lane) per cycle. Spec: "Lanes of a chunk", "Refill rule", "Lane symbols".
// The loop holds only what the next lane state needs: the 12 peeked bits X against the
// canonical limits of the lane's code (a thermometer code whose one-hot edge is the length and
// selects the shifted buffer and the new fill), a parallel compare with ESC's codeword (then 8
// more bits, 9 when m = 0) and with ZERO's (the next context). The refill word (queue word
// number prefix-count of the refilling lanes before it) is merged beside the compare and enters
// it only as X's least significant bit (a lane at 11 bits). Words past the chunk's lane words
// read as zero (the queue holds zeros beyond its count once the stream of the chunk is
// exhausted). A lane that matches no codeword consumes nothing (its chunk fails with bad_code).
// Everything else (symbol, value, plane, errors) is done downstream from the step record this
// block emits: per lane {after, code, len, X}, and per step its lane count, first/last step,
// the chunk's mode, plane length, the chunk's first error (the descriptor's, bad_config or
// bad_index from sfp2_decoder's check, else the header's), and on the last step the end checks
// of the lanes (bad_padding, length).
// A raw chunk steps without lanes. A beat of a chunk is accepted only while the chunk is the
// current one (one beat of bubble at a chunk switch); after the last step the rest of the
// chunk's lane words (an over-long N) are drained.
// Paths: lane_ready_o <- lane_ok_i; desc_ready_o, setup_start_o <- pipe_empty_i / setup_busy_i.
`include "sfp_assert.svh"

module sfp2_dec_lanes #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned WordsW      = $clog2(ChunkValues + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned StatusBits  = sfp2_pkg::StatusBits,
  localparam int unsigned NumCodes    = sfp2_pkg::NumCodes,
  localparam int unsigned CodeW       = sfp2_pkg::MaxCodeBits,
  localparam int unsigned LenW        = sfp2_pkg::LenBits,
  // Step record: the lanes (sfp2_pkg::dec_lane_t each), then step_side_t.
  localparam int unsigned RecBits     = sfp2_pkg::dec_step_bits(NumLanes, ChunkValues)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic [4:0]                    man_bits_i,   // the tensor's m
  // Descriptors (from the descriptor FIFO).
  input  logic                          desc_valid_i,
  output logic                          desc_ready_o,
  input  logic [ValCntW-1:0]            desc_values_i,
  input  logic [WordsW-1:0]             desc_words_i,
  input  logic                          desc_raw_i,
  input  logic                          desc_last_i,
  input  logic                          desc_first_i,  // the tensor's first chunk
  input  logic [StatusBits-1:0]         desc_err_i,    // the descriptor's error (0 = none)
  // Table setup (sfp2_dec_table) and the emptiness of the blocks after this one.
  output logic                          setup_start_o,
  input  logic                          setup_busy_i,
  input  logic                          pipe_empty_i,
  input  logic                          table_bad_i,
  input  logic                          two_i,
  input  logic [sfp2_pkg::LimVecBits-1:0] lim_i,
  input  logic [NumCodes*CodeW-1:0]     zero_cw_i,
  input  logic [NumCodes*LenW-1:0]      zero_len_i,
  input  logic [NumCodes*CodeW-1:0]     esc_cw_i,
  input  logic [NumCodes*LenW-1:0]      esc_len_i,
  // Lane stream.
  input  logic                          lane_valid_i,
  output logic                          lane_ready_o,
  input  logic [BeatWords*32-1:0]       lane_data_i,
  input  logic [CountW-1:0]             lane_count_i,
  input  logic                          lane_ok_i,     // the CRC unit takes the beat too
  // Step records.
  output logic                          out_valid_o,
  input  logic                          out_ready_i,
  output logic [RecBits-1:0]            out_data_o
);
  localparam int unsigned L      = NumLanes;
  // Queue words: a step runs when the queue holds a word for every lane of the chunk (or the
  // chunk's lane words are all in) and a beat is taken while it holds at most 2L words, both
  // decided from registers; the L words of slack keep one step per cycle at the stream's rate
  // (BeatWords >= NumLanes).
  localparam int unsigned QW     = 2 * NumLanes + BeatWords;
  localparam int unsigned QCntW  = $clog2(QW + 1);
  localparam int unsigned StepW  = $clog2(ChunkValues + 1);
  localparam int unsigned TakenW = $clog2(ChunkValues + NumLanes + 1) + 1;
  localparam int unsigned LR     = sfp2_pkg::DecLaneBits;
  localparam int unsigned LimW   = sfp2_pkg::LimBits;
  localparam int unsigned BufW   = sfp2_pkg::LaneBufBits;
  localparam int unsigned FillW  = $clog2(sfp2_pkg::LaneBufBits + 1);
  localparam int unsigned VB     = sfp2_pkg::MaxValueBits;  // a value's lane bits at most
  // X's bits but the least significant (Yosys 0.23 reads `~W'(1)` as a cast to width ~W).
  localparam logic [CodeW-1:0] HiBits = {{(CodeW - 1){1'b1}}, 1'b0};

  typedef enum logic [2:0] {
    SIdle,
    SSetup,
    SHdr,
    SStep,
    SDrain
  } state_e;
  state_e state_q, state_d;

  // Chunk registers (control: reset; they load with the descriptor).
  logic [StepW-1:0]    steps_q, r_q;
  logic [LaneCntW-1:0] lc_q, last_cnt_q, cnt_q;  // lanes of the chunk, of its last step, now
  logic                last_q;                     // this step is the chunk's last
  logic                first_q;                    // this step is the chunk's first
  logic [WordsW-1:0]   words_q, nl_q;
  logic [WordsW:0]     rcv_q, expect_q;
  logic                raw_q, tlast_q, bad_q, derr_q;
  logic [StatusBits-1:0] head_err_q;  // the descriptor's error, else the header's
  logic [TakenW-1:0]   taken_q;
  logic [QCntW-1:0]    qcnt_q;
  // Queue and lanes (payload: loaded at the chunk start, then every step).
  logic [QW*32-1:0]    q_q;
  logic [L*BufW-1:0]   buf_q;
  logic [L*FillW-1:0]  fill_q;
  logic [L-1:0]        ctx_q;

  // Descriptor decode: lanes, steps, size of a raw chunk.
  logic [5:0]          d_lc;
  logic [StepW-1:0]    d_steps;
  logic [LaneCntW-1:0] d_last_cnt;
  logic [StatusBits-1:0] d_head_err;
  always_comb begin
    logic [4:0]  lg;
    logic [5:0]  rb;
    logic [ValCntW+5:0] bits;
    logic [ValCntW+5:0] wbits;
    d_lc = sfp2_pkg::chunk_lanes(6'(L), 32'(desc_values_i));
    lg = 5'd0;
    for (int i = 1; i <= 5; i++) if (d_lc == 6'(1 << i)) lg = 5'(i);
    d_steps    = StepW'((32'(desc_values_i) + 32'(d_lc) - 32'd1) >> lg);
    d_last_cnt = LaneCntW'(32'(desc_values_i) - ((32'(d_steps) - 32'd1) << lg));
    rb    = 6'd9 + ((man_bits_i == 5'd0) ? 6'd1 : 6'(man_bits_i));
    bits  = (ValCntW + 6)'(desc_values_i) * (ValCntW + 6)'(rb);
    wbits = (ValCntW + 6)'(desc_words_i) << 5;
    d_head_err = '0;
    if (desc_raw_i) begin
      if (bits > wbits) d_head_err = sfp2_pkg::St2Truncated;
      else if (bits + (ValCntW + 6)'(31) < wbits) d_head_err = sfp2_pkg::St2Length;
    end
  end

  logic load, in_step, beat_ack, step_go, last_step, exhausted, words_ok;
  logic [L-1:0] act, need;
  logic [LaneCntW-1:0] cnt_r;
  logic [LaneCntW-1:0] nref;
  logic [LaneCntW-1:0] pre [L];
  logic m0;
  assign m0        = man_bits_i == 5'd0;
  assign in_step   = state_q == SStep;
  // The step's lane count and last flag are registers: nothing of the step counter sits on the
  // lane loop.
  logic              next_last;
  logic [LaneCntW-1:0] next_cnt;
  assign cnt_r     = cnt_q;
  assign last_step = last_q;
  assign next_last = r_q + StepW'(2) == steps_q;
  assign next_cnt  = next_last ? last_cnt_q : lc_q;
  assign exhausted = rcv_q == expect_q;

  // The step's lanes as a register (act_q: lane l < the step's count, none in a raw chunk), the
  // refilling lanes below each lane by a log-depth prefix count.
  logic [L-1:0]          act_q;
  logic [L*LaneCntW-1:0] need_cnt;  // inclusive prefix count of need
  assign act = act_q;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      need[l] = act[l] && fill_q[l*FillW+:FillW] < FillW'(sfp2_pkg::RefillBits);
    end
  end
  sfp_prefix_count #(.N(L), .W(LaneCntW)) u_need_count (.flags_i(need), .count_o(need_cnt));
  always_comb begin
    pre[0] = '0;
    for (int unsigned l = 1; l < L; l++) pre[l] = need_cnt[(l-1)*LaneCntW+:LaneCntW];
  end
  assign nref = need_cnt[(L-1)*LaneCntW+:LaneCntW];
  // The first step's lane count of a loaded chunk (cnt_q and act_q load it).
  logic [LaneCntW-1:0] d_cnt;
  assign d_cnt = (d_steps == StepW'(1)) ? d_last_cnt : LaneCntW'(d_lc);
  // Lanes l < n as a vector.
  function automatic logic [L-1:0] lanes_below(logic [LaneCntW-1:0] n);
    for (int unsigned l = 0; l < L; l++) lanes_below[l] = LaneCntW'(l) < n;
  endfunction

  logic st_ready;
  assign words_ok = raw_q || exhausted || qcnt_q >= QCntW'(lc_q);
  assign step_go  = in_step && st_ready && words_ok;

  // Descriptor: a tensor's first chunk waits for the table setup, which waits until the blocks
  // after this one hold nothing of the previous tensor.
  assign setup_start_o = state_q == SIdle && desc_valid_i && desc_first_i && pipe_empty_i;
  // A chunk whose lane words are all in at its last step hands over to the next one at once.
  logic no_drain;
  assign no_drain = rcv_q + (beat_ack ? (WordsW + 1)'(lane_count_i) : '0) == expect_q;
  assign load = ((state_q == SIdle || (step_go && last_step && no_drain)) && desc_valid_i &&
                 !desc_first_i) || (state_q == SSetup && !setup_busy_i);
  assign desc_ready_o = load;

  assign lane_ready_o = lane_ok_i && (state_q == SHdr ||
                        ((state_q == SStep || state_q == SDrain) && rcv_q != expect_q &&
                         (state_q == SDrain || qcnt_q <= QCntW'(2 * L))));
  assign beat_ack = lane_valid_i && lane_ready_o;

  // Per-tensor constants of the loop, registered with each chunk (the table is final by then):
  // ESC's and ZERO's codewords left-aligned in 12 bits with their masks, and the bits an
  // escaped value takes (its codeword and 8 bits, 9 when m = 0).
  logic [CodeW-1:0] esc_al_q [NumCodes], esc_mask_q [NumCodes];
  logic [CodeW-1:0] zero_al_q [NumCodes], zero_mask_q [NumCodes];
  logic [4:0]       esc_used_q [NumCodes];
  always_ff @(posedge clk_i) begin
    if (load) begin
      for (int c = 0; c < NumCodes; c++) begin
        logic [LenW-1:0] el, zl;
        el = esc_len_i[c*LenW+:LenW];
        zl = zero_len_i[c*LenW+:LenW];
        esc_al_q[c]    <= esc_cw_i[c*CodeW+:CodeW] << (LenW'(CodeW) - el);
        esc_mask_q[c]  <= (el == '0) ? '0 : {CodeW{1'b1}} << (LenW'(CodeW) - el);
        zero_al_q[c]   <= zero_cw_i[c*CodeW+:CodeW] << (LenW'(CodeW) - zl);
        zero_mask_q[c] <= (zl == '0) ? '0 : {CodeW{1'b1}} << (LenW'(CodeW) - zl);
        esc_used_q[c]  <= 5'(el) + 5'(sfp2_pkg::EscExpBits) + (m0 ? 5'd1 : 5'd0);
      end
    end
  end

  // The lanes: refill, codeword length, escape, context, shift. The loop is compare -> length
  // -> shift: the limits' comparisons form a thermometer code (canonical limits never
  // decrease), whose one-hot edge selects the shifted buffer and the new fill directly; the
  // refill word reaches the compare only as the 12th peeked bit (a lane at 11 bits), the least
  // significant bit of X, resolved in the last level of each comparison.
  logic [L*BufW-1:0]   buf_d;
  logic [L*FillW-1:0]  fill_d;
  logic [L-1:0]        ctx_d;
  logic [L*LR-1:0]     lrec;
  logic                pad_err;
  logic [L-1:0]        pad_l;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic [BufW-1:0]  bq, b, b_len, b_esc;
      logic [FillW-1:0] f, fp, f_len;
      logic [31:0]     w;
      logic [CodeW-2:0] pk;
      logic            x0, tp, code, esc, zero, nomatch, e_hi, z_hi;
      logic [CodeW-1:0] xh, lo;  // X with its least significant bit cleared; the limit's high part
      logic [LimW-1:0] lim;
      logic [CodeW-1:0] t, oh;   // t[k]: X >= lim[k]; oh[k]: the codeword is k + 1 bits long
      logic [LenW-1:0] len;
      logic [sfp2_pkg::AfterBits-1:0] after;
      logic            pad;
      bq = buf_q[l*BufW+:BufW];
      f  = fill_q[l*FillW+:FillW];
      // Lane l takes queue word pre[l] <= l.
      w = '0;
      for (int unsigned j = 0; j <= l && j < QW; j++) begin
        w = w | ({32{pre[l] == LaneCntW'(j)}} & q_q[j*32+:32]);
      end
      b  = need[l] ? bq | (BufW'(w) << f) : bq;
      fp = need[l] ? f + FillW'(sfp2_pkg::RefillBits) : f;
      // The peeked bits: a lane holds 0 bits (the chunk's first step: its word is queue word l)
      // or at least 11, so only bit 11 at fill = 11 comes from the refill word.
      if (first_q) begin
        pk = q_q[l*32+:CodeW-1];
        x0 = q_q[l*32+CodeW-1];
      end else begin
        pk = bq[CodeW-2:0];
        x0 = (f == FillW'(CodeW - 1)) ? w[0] : bq[CodeW-1];
      end
      for (int i = 0; i < CodeW - 1; i++) xh[CodeW-1-i] = pk[i];
      xh[0] = 1'b0;
      code = two_i && ctx_q[l];
      for (int k = 0; k < CodeW; k++) begin
        lim   = lim_i[(32'(code)*CodeW+k)*LimW+:LimW];
        lo    = lim[LimW-1:1];
        // X >= lim: X[11:1] above lim[12:1], or equal and X[0] >= lim[0].
        t[k]  = ({1'b0, xh[CodeW-1:1]} > lo) || ({1'b0, xh[CodeW-1:1]} == lo && (x0 || !lim[0]));
      end
      nomatch = t[CodeW-1];
      tp = 1'b1;
      for (int k = 0; k < CodeW; k++) begin
        oh[k] = tp && !t[k];
        tp    = t[k];
      end
      e_hi = ((xh ^ esc_al_q[code]) & esc_mask_q[code] & HiBits) == '0;
      z_hi = ((xh ^ zero_al_q[code]) & zero_mask_q[code] & HiBits) == '0;
      esc  = !nomatch && esc_mask_q[code] != '0 && e_hi &&
             (!esc_mask_q[code][0] || x0 == esc_al_q[code][0]);
      zero = !nomatch && zero_mask_q[code] != '0 && z_hi &&
             (!zero_mask_q[code][0] || x0 == zero_al_q[code][0]);
      b_len = '0;
      f_len = '0;
      len   = '0;
      after = '0;
      for (int k = 0; k < CodeW; k++) begin
        b_len = b_len | ({BufW{oh[k]}} & (b >> (k + 1)));
        f_len = f_len | ({FillW{oh[k]}} & (fp - FillW'(k + 1)));
        len   = len | ({LenW{oh[k]}} & LenW'(k + 1));
        after = after | ({sfp2_pkg::AfterBits{oh[k]}} & sfp2_pkg::AfterBits'(b >> (k + 1)));
      end
      b_esc = b >> esc_used_q[code];
      // Padding (checked on the last step): a lane's bits after its value, b >> used, must be
      // zero. A value takes at most 21 bits, so bits 22 .. 63 are checked whatever the length
      // and the one-hot length selects only the check of bits used .. 21.
      pad = b[BufW-1:VB+1] != '0;
      for (int k = 0; k < CodeW; k++) pad = pad | (oh[k] && (b[VB:0] >> (k + 1)) != '0);
      if (nomatch) pad = b != '0;
      else if (esc) pad = b_esc != '0;
      // A lane of the chunk with no value in the last step keeps its bits: all padding.
      pad_l[l] = act[l] ? pad : LaneCntW'(l) < lc_q && bq != '0;
      if (act[l]) begin
        buf_d[l*BufW+:BufW]    = nomatch ? b : esc ? b_esc : b_len;
        fill_d[l*FillW+:FillW] = nomatch ? fp : esc ? fp - FillW'(esc_used_q[code]) : f_len;
        ctx_d[l]        = zero;
        lrec[l*LR+:LR]  = {after, code, len, xh[CodeW-1:1], x0};  // sfp2_pkg::dec_lane_t
      end else begin
        buf_d[l*BufW+:BufW]    = bq;
        fill_d[l*FillW+:FillW] = f;
        ctx_d[l]        = ctx_q[l];
        lrec[l*LR+:LR]  = '0;
      end
    end
    pad_err = pad_l != '0;
  end

  logic [TakenW-1:0] taken_d;
  logic              len_err;
  assign taken_d = taken_q + TakenW'(nref);
  assign len_err = taken_d < TakenW'(nl_q);

  // Queue: drop the words the lanes took, append the accepted beat's words of this chunk.
  logic [QW*32-1:0] q_d;
  logic [QCntW-1:0] qcnt_d;
  // Queue words left after this cycle's step: a beat is taken when it fits beside them.
  logic [QCntW-1:0] qbase;
  assign qbase = !step_go ? qcnt_q : (QCntW'(nref) >= qcnt_q) ? '0 : qcnt_q - QCntW'(nref);
  always_comb begin
    logic [QCntW-1:0]     base;
    logic [CountW-1:0]    n;
    logic [BeatWords*32-1:0] beat;
    // Past the chunk's lane words the lanes read zeros: the count stops at 0.
    base = qbase;
    q_d  = step_go ? q_q >> (32 * 32'(nref)) : q_q;
    beat = lane_data_i;
    n    = lane_count_i;
    if (state_q == SHdr) begin
      beat = beat >> 32;
      n    = n - CountW'(1);
    end
    for (int unsigned i = 0; i < BeatWords; i++) begin
      if (CountW'(i) >= n) beat[i*32+:32] = '0;
    end
    if (beat_ack && state_q != SDrain) begin
      q_d    = q_d | ((QW * 32)'(beat) << (32 * 32'(base)));
      qcnt_d = base + QCntW'(n);
    end else begin
      qcnt_d = base;
    end
  end

  // Header word.
  logic [31:0]     hdr_n;
  logic [WordsW-1:0] hdr_nl;
  assign hdr_n  = lane_data_i[31:0];
  assign hdr_nl = (hdr_n >= 32'(words_q)) ? words_q - WordsW'(1) : WordsW'(hdr_n);

  always_comb begin
    state_d = state_q;
    case (state_q)
      SIdle:   if (setup_start_o) state_d = SSetup;
               else if (load) state_d = desc_raw_i ? SStep : SHdr;
      SSetup:  if (load) state_d = desc_raw_i ? SStep : SHdr;
      SHdr:    if (beat_ack) state_d = SStep;
      SStep:   if (step_go && last_step) begin
        state_d = !no_drain ? SDrain : !load ? SIdle : desc_raw_i ? SStep : SHdr;
      end
      default: if (no_drain) state_d = SIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= SIdle;
      steps_q    <= '0;
      r_q        <= '0;
      lc_q       <= '0;
      last_cnt_q <= '0;
      cnt_q      <= '0;
      last_q     <= 1'b0;
      first_q    <= 1'b0;
      words_q    <= '0;
      nl_q       <= '0;
      rcv_q      <= '0;
      expect_q   <= '0;
      raw_q      <= 1'b0;
      tlast_q    <= 1'b0;
      bad_q      <= 1'b0;
      derr_q     <= 1'b0;
      head_err_q <= '0;
      taken_q    <= '0;
      qcnt_q     <= '0;
    end else begin
      state_q <= state_d;
      if (load) begin
        steps_q    <= d_steps;
        r_q        <= '0;
        lc_q       <= LaneCntW'(d_lc);
        last_cnt_q <= d_last_cnt;
        cnt_q      <= d_cnt;
        last_q     <= d_steps == StepW'(1);
        first_q    <= 1'b1;
        words_q    <= desc_words_i;
        nl_q       <= '0;
        rcv_q      <= '0;
        expect_q   <= desc_raw_i ? '0 : (WordsW + 1)'(1);
        raw_q      <= desc_raw_i;
        tlast_q    <= desc_last_i;
        bad_q      <= table_bad_i;
        derr_q     <= desc_err_i != '0;
        head_err_q <= (desc_err_i != '0) ? desc_err_i : d_head_err;
        taken_q    <= '0;
        qcnt_q     <= '0;
      end else begin
        if (beat_ack) rcv_q <= rcv_q + (WordsW + 1)'(lane_count_i);
        if (beat_ack && state_q == SHdr) begin
          nl_q       <= hdr_nl;
          expect_q   <= (WordsW + 1)'(hdr_nl) + (WordsW + 1)'(1);
          if (!derr_q) head_err_q <= (hdr_n >= 32'(words_q)) ? sfp2_pkg::St2Truncated : '0;
        end
        if (step_go) begin
          r_q     <= r_q + StepW'(1);
          taken_q <= taken_d;
          cnt_q   <= next_cnt;
          last_q  <= next_last;
          first_q <= 1'b0;
        end
        qcnt_q <= qcnt_d;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q <= '0;
    end else if (load) begin
      act_q <= desc_raw_i ? '0 : lanes_below(d_cnt);
    end else if (step_go) begin
      act_q <= raw_q ? '0 : lanes_below(next_cnt);
    end
  end

  always_ff @(posedge clk_i) begin
    if (load) begin
      q_q    <= '0;
      buf_q  <= '0;
      fill_q <= '0;
      ctx_q  <= '1;
    end else begin
      if (beat_ack || step_go) q_q <= q_d;
      if (step_go) begin
        buf_q  <= buf_d;
        fill_q <= fill_d;
        ctx_q  <= ctx_d;
      end
    end
  end

  // Step records: the lanes, then the step's fields.
`include "sfp2_dec_step.svh"
  step_side_t side;
  always_comb begin
    side.cnt         = cnt_r;
    side.first       = first_q;
    side.last        = last_step;
    side.raw         = raw_q;
    side.tlast       = tlast_q;
    side.bad         = bad_q;
    side.err         = head_err_q;
    side.lpad        = last_step && !raw_q && pad_err;
    side.llen        = last_step && !raw_q && len_err;
    side.plane_words = raw_q ? words_q : words_q - WordsW'(1) - nl_q;
  end
  sfp_stage #(.Width($bits(lrec) + $bits(side)), .Spill(1)) u_out (
    .clk_i, .rst_ni,
    .in_valid_i(step_go), .in_ready_o(st_ready), .in_data_i({lrec, side}),
    .out_valid_o, .out_ready_i, .out_data_o
  );

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32 && (NumLanes & (NumLanes - 1)) == 0)
  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= 1)
  `SFP_ASSERT_INIT(StepBits_A, $bits(lrec) + $bits(side) == RecBits)
  `SFP_ASSUME(BeatInChunk_M, lane_valid_i && lane_ready_o && state_q != SHdr |->
              rcv_q + (WordsW + 1)'(lane_count_i) <= expect_q)
  `SFP_ASSUME(HdrBeatInChunk_M, lane_valid_i && lane_ready_o && state_q == SHdr |->
              (WordsW + 1)'(lane_count_i) <= (WordsW + 1)'(hdr_nl) + (WordsW + 1)'(1))
  `SFP_ASSUME(BeatCount_M, lane_valid_i |-> lane_count_i != '0 &&
              lane_count_i <= CountW'(BeatWords))
  `SFP_ASSERT(QueueRange_A, qcnt_q <= QCntW'(QW))
  `SFP_ASSERT(LastStep_A, !in_step || last_q == (r_q == steps_q - StepW'(1)))
  // The loop's peek relies on it: a lane holds no bits only before its first value.
  for (genvar l = 0; l < L; l++) begin : g_fill
    `SFP_ASSERT(LaneFill_A, !in_step || fill_q[l*FillW+:FillW] == '0 ||
                fill_q[l*FillW+:FillW] >= FillW'(CodeW - 1))
  end
endmodule
