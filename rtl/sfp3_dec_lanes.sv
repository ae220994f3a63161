// SPDX-License-Identifier: Apache-2.0
//
// Version 3 decoder lanes: takes one descriptor per chunk and the chunk's words, keeps them in a
// word queue and runs the chunk's L_c lanes, one step (one value per lane) per cycle.
// Spec: docs/format.md, "Version 3 refill rule", "Version 3 lane bits", "Version 3 decoder
// errors"; the model is sfp::decode_chunk_v3.
// Per lane: a bit buffer (BufBits = 107 bits, oldest bit in bit 0), its fill, the code context
// and the slots (modulo 1024) of its last four words; no bit position is kept: word j back from
// the newest is unread while fill > 32 j.
// A step: each active lane takes 0, 1 or 2 words by its own fill (below 12 bits: 2, below 44:
// 1; two flags registered with the fill), at window positions that are the prefix sum of the
// counts of the lanes before it; the window is the queue's first 2 NumLanes words, those at or
// past the chunk's length N read as zero. The lane matches its next 12 bits X (refill bits among
// them only below 12 bits) against the canonical limits of its code (a thermometer code whose
// edge is the codeword length), compares X with ZERO's, REP's and ESC's codewords and drops the
// value's bits: the codeword, then for ESC 8 (+1 at m = 0) bits, then the entry (sign and m
// mantissa bits) unless the symbol is ZERO or REP; the one-hot edge selects the next buffer,
// fill and flags from candidates shifted by per-tensor amounts. A lane that matches no codeword
// drops nothing (its chunk fails with bad_code).
// Expiry: at the start of a step a lane's unread word whose slot is V3WindowWords or more
// below start + 2 L_c expires; the step is then preceded by one cycle that skips the lanes'
// unread bits to the end of their newest expired word (recording a non-zero skipped bit for
// the step's bad_padding). No word expires on the snapshots the format was measured on.
// After the last step one cycle of end checks (lane bits left: bad_padding; fewer than N words
// taken or word N-1 unread: length; a word past N partly read: truncated), then the chunk's
// remaining words are drained and its CRC-32C (over every word as it arrives) compared, and a
// fin record carries the chunk's checks to sfp3_dec_build.
// A beat is accepted only while the current chunk still owes words (beats never span chunks).
// Throughput: one step per cycle while the queue holds the step's words and the record stage
// takes it; a chunk switch costs about 3 cycles, a table setup 65.
// Paths: words_ready_o, desc_ready_o, setup_start_o from registers and pipe_empty_i,
//        setup_busy_i; out_* from a stage register.
`include "sfp_assert.svh"

module sfp3_dec_lanes #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned ValCntW     = $clog2(ChunkValues + 1),
  localparam int unsigned WordsW      = sfp3_pkg::index_len_bits(ChunkValues),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned NumCodes    = sfp_code_pkg::NumCodes,
  localparam int unsigned CodeW       = sfp_code_pkg::MaxCodeBits,
  localparam int unsigned LenW        = sfp_code_pkg::LenBits
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic [4:0]                      man_bits_i,   // the tensor's m (within the format)
  input  logic                            mixed_i,      // the table's sign is mixed
  // Descriptors (from the descriptor FIFO).
  input  logic                            desc_valid_i,
  output logic                            desc_ready_o,
  input  logic [ValCntW-1:0]              desc_values_i,  // 1 .. ChunkValues
  input  logic [WordsW-1:0]               desc_words_i,   // N
  input  logic [31:0]                     desc_crc_i,
  input  logic                            desc_last_i,
  input  logic                            desc_first_i,   // the tensor's first chunk
  input  logic [3:0]                      desc_err_i,     // bad_config / bad_index, 0 = none
  // Table setup and the emptiness of the blocks after this one.
  output logic                            setup_start_o,
  input  logic                            setup_busy_i,
  input  logic                            pipe_empty_i,
  input  logic                            table_bad_i,
  input  logic                            two_i,
  input  logic [sfp_code_pkg::LimVecBits-1:0] lim_i,
  input  logic [sfp_code_pkg::FcVecBits-1:0]  fc_i,
  input  logic [NumCodes*CodeW-1:0]       zero_cw_i,
  input  logic [NumCodes*LenW-1:0]        zero_len_i,
  input  logic [NumCodes*CodeW-1:0]       esc_cw_i,
  input  logic [NumCodes*LenW-1:0]        esc_len_i,
  input  logic [NumCodes*LenW-1:0]        rep_len_i,
  // The chunks' words, 1 .. BeatWords per beat, word 0 in the low bits.
  input  logic                            words_valid_i,
  output logic                            words_ready_o,
  input  logic [BeatWords*32-1:0]         words_data_i,
  input  logic [CountW-1:0]               words_count_i,
  // Step and fin records (sfp3_dec.svh).
  output logic                            out_valid_o,
  input  logic                            out_ready_i,
  output logic [NumLanes*(12+4+1+32)+$clog2(NumLanes+1)+14-1:0] out_data_o
);
  `include "sfp3_dec.svh"

  localparam int unsigned L       = NumLanes;
  localparam int unsigned BufBits = sfp3_pkg::RefillBits - 1 + 2 * sfp3_pkg::WordBits;  // 107
  localparam int unsigned FillW   = $clog2(BufBits + 1);
  localparam int unsigned SlotW   = sfp3_pkg::SlotBits;
  localparam int unsigned HistW   = 4 * SlotW;     // the slots of a lane's last four words
  localparam int unsigned WinW    = 2 * L;         // the words a step can take
  localparam int unsigned QW      = 2 * L + BeatWords;
  localparam int unsigned QCntW   = $clog2(QW + 1);
  localparam int unsigned PosW    = $clog2(2 * L + 1);
  localparam int unsigned NextW   = WordsW + 1;    // words taken: up to 2 C (zeros past N)
  localparam int unsigned PastW   = 3;             // words past N a lane took, saturating at 4

  // Chunk state //
  typedef enum logic [2:0] {SIdle, SWait, SSetup, SRun, SEnd} state_e;
  state_e            state_q, state_d;
  logic [WordsW-1:0] n_q;
  logic [NextW-1:0]  next_q, next_d;
  logic [WordsW-1:0] got_q;
  logic [ValCntW-1:0] rem_q;    // values of the chunk not yet stepped
  logic [5:0]        lc_q;      // L_c
  logic              first_q, tlast_q, pad_q;
  logic [3:0]        pre_q;
  logic [31:0]       crc_q, crc_exp_q;
  logic [LaneCntW-1:0] lastl_q;  // the lane that took word N - 1
  logic              lastv_q;
  logic [LaneCntW-1:0] nact_q;   // the step's lanes: min(rem_q, L_c)
  logic [NextW-1:0]  left_q;    // stored words not yet taken: N - next_q, 0 once past N
  logic [SlotW-1:0]  hor_q;     // the expiry horizon: next_q + 2 L_c modulo 1024
  logic [5:0]        lc_new;
  logic [ValCntW-1:0] rem_new;

  // Lanes //
  logic [L*BufBits-1:0] buf_q, buf_d;
  logic [L*FillW-1:0]   fill_q, fill_d;
  logic [L-1:0]         ctx_q, ctx_d;
  logic [L-1:0]         short_q, short_d;  // fill below 12 bits: the lane takes two words
  logic [L-1:0]         mid_q, mid_d;      // fill below 44 bits: at least one
  logic [L*HistW-1:0]   hist_q, hist_d;
  logic [L*PastW-1:0]   past_q, past_d;

  // Word queue //
  logic [QW*32-1:0] q_q, q_d;
  logic [QCntW-1:0] qcnt_q, qcnt_d;

  // Per-tensor loop constants, loaded with each chunk: ZERO's, REP's and ESC's codewords
  // left-aligned in 12 bits with their masks, and the bits after the codeword of an escape
  // (8, 9 at m = 0) and of a distance or escape (the entry).
  logic [CodeW-1:0] z_al_q [NumCodes], z_mask_q [NumCodes];
  logic [CodeW-1:0] r_al_q [NumCodes], r_mask_q [NumCodes];
  logic [CodeW-1:0] e_al_q [NumCodes], e_mask_q [NumCodes];
  logic [5:0]       entry_q, eex_q;  // the entry's bits; ESC's escaped bits and entry

  logic load, step_go, exp_go, fin_go;
  logic rec_ready;
  logic [RecBits-1:0] rec;

  // Active lanes and refill counts of this step, from registers: the step's lane count and per
  // lane whether its fill is below 12 bits (it takes two words) or below 44 (one word).
  logic [LaneCntW-1:0] nact;
  logic                last_step;
  logic [L-1:0]        act;
  logic [L*2-1:0]      cnt;
  logic [L*PosW-1:0]   pos;    // a lane's first window word: the counts of the lanes before it
  logic [PosW-1:0]     total;  // the step's words
  logic [PosW-1:0]     real_words; // the step's words that are stored words
  // A lane's count is one flag for a first word plus one for a second: its position is the
  // sum of two log-depth prefix counts of the lanes before it.
  logic [L-1:0]          one, two;
  logic [L*LaneCntW-1:0] pre_one, pre_two;
  logic [L*LaneCntW-1:0] bef_one, bef_two;  // the same, of the lanes before
  always_comb begin
    nact      = nact_q;
    last_step = 32'(rem_q) <= 32'(lc_q);
    for (int unsigned l = 0; l < L; l++) begin
      act[l] = LaneCntW'(l) < nact_q;
      one[l] = act[l] && mid_q[l];
      two[l] = act[l] && short_q[l];
      cnt[l*2+:2] = {1'b0, one[l]} + {1'b0, two[l]};
    end
  end
  sfp_prefix_count #(.N(L), .W(LaneCntW)) u_pre_one (.flags_i(one), .count_o(pre_one));
  sfp_prefix_count #(.N(L), .W(LaneCntW)) u_pre_two (.flags_i(two), .count_o(pre_two));
  assign bef_one = {pre_one[(L-1)*LaneCntW-1:0], LaneCntW'(0)};
  assign bef_two = {pre_two[(L-1)*LaneCntW-1:0], LaneCntW'(0)};
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      pos[l*PosW+:PosW] = PosW'(bef_one[l*LaneCntW+:LaneCntW]) +
                          PosW'(bef_two[l*LaneCntW+:LaneCntW]);
    end
    total      = PosW'(pre_one[(L-1)*LaneCntW+:LaneCntW]) +
                 PosW'(pre_two[(L-1)*LaneCntW+:LaneCntW]);
    real_words = (left_q < NextW'(total)) ? PosW'(left_q) : total;
  end

  // The window: queue words, zero at or past N; one more zero word above it.
  logic [(WinW+1)*32-1:0] win;
  always_comb begin
    win = '0;
    for (int unsigned i = 0; i < WinW; i++) begin
      win[i*32+:32] = (NextW'(i) < left_q) ? q_q[i*32+:32] : 32'd0;
    end
  end

  // Expiry (Spec: "Version 3 refill rule"): lane l's newest unread word j (0 = its newest) whose
  // slot s has start + 2 L_c - s >= 512 (hor_q = start + 2 L_c modulo 1024). Unread words lie
  // within 512 + 2 L_c below start, so the slots compare modulo 1024.
  logic [L-1:0]       skip;
  logic [L-1:0]       skip_bad;
  logic [L*BufBits-1:0] buf_x;
  logic [L*FillW-1:0] fill_x;
  logic [L-1:0]       short_x, mid_x;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic [FillW-1:0] f, amt;
      logic [SlotW-1:0] h, d;
      logic             hit;
      logic [1:0]       js;
      f   = fill_q[l*FillW+:FillW];
      hit = 1'b0;
      js  = 2'd0;
      for (int j = 3; j >= 0; j--) begin
        h = hist_q[l*HistW+j*SlotW+:SlotW];
        d = hor_q - h;
        if (f > FillW'(32 * j) && d[SlotW-1]) begin
          hit = 1'b1;
          js  = 2'(j);
        end
      end
      skip[l] = act[l] && hit;
      amt = f - FillW'({js, 5'd0});
      skip_bad[l] = skip[l] &&
                    (buf_q[l*BufBits+:BufBits] & ~({BufBits{1'b1}} << amt)) != '0;
      buf_x[l*BufBits+:BufBits] = buf_q[l*BufBits+:BufBits] >> amt;
      fill_x[l*FillW+:FillW]    = FillW'({js, 5'd0});
      short_x[l]                = js == 2'd0;  // 32 j below 12 bits
      mid_x[l]                  = js <= 2'd1;  // below 44
    end
  end

  // The lanes' step //
  // The loop is compare -> one-hot length -> buffer: the limits' comparisons form a thermometer
  // code whose one-hot edge selects the shifted buffer, the new fill and its refill flags
  // directly. The three bases it selects from (the value's bits after the codeword: none for
  // ZERO and REP, the entry for a distance, the escaped exponent and the entry for ESC) are the
  // buffer shifted by per-tensor amounts, with the refill words merged at the fill minus that
  // amount, all from registers; the fills and flags of every candidate come from registers
  // alone. The refill words reach the compare only for a lane below 12 bits.
  localparam int unsigned InsW = 64;
  logic [L*LaneRecBits-1:0] lrec;
  logic [L*BufBits-1:0]     buf_s;
  logic [L*FillW-1:0]       fill_s;
  logic [L-1:0]             short_s, mid_s;
  logic [L-1:0]             ctx_s;
  logic [L*HistW-1:0]       hist_s;
  logic [L*PastW-1:0]       past_s;
  logic                     last_hit;
  logic [LaneCntW-1:0]      last_lane;
  always_comb begin
    last_hit  = 1'b0;
    last_lane = '0;
    for (int unsigned l = 0; l < L; l++) begin
      logic [BufBits-1:0] bq, bz, bd, be, bk, bs;
      logic [FillW-1:0]   f, fr, fs;
      logic [FillW+1:0]   fk, cf;
      logic [FillW+1:0]   cz [CodeW], cd [CodeW], ce [CodeW];  // {below 44, below 12, fill}
      logic [FillW:0]     uz, ud, ue;
      logic               ss, ms;
      logic [PosW-1:0]    p;
      logic [InsW-1:0]    ins;
      logic [31:0]        w0, w1;
      logic [CodeW-1:0]   xb, x, t, oh;
      logic [LenW-1:0]    len;
      logic [31:0]        after;
      logic               code, nomatch, isz, isr, ise;
      logic [SlotW-1:0]   s0;
      logic [HistW-1:0]   hq;
      logic [2:0]         np;
      logic [PastW-1:0]   pq;
      bq = buf_q[l*BufBits+:BufBits];
      f  = fill_q[l*FillW+:FillW];
      p  = pos[l*PosW+:PosW];
      w0 = '0;
      w1 = '0;
      for (int unsigned i = 0; i < WinW; i++) begin
        if (PosW'(i) == p) begin
          w0 = win[i*32+:32];
          w1 = win[(i+1)*32+:32];
        end
      end
      ins = two[l] ? {w1, w0} : {32'd0, w0};
      if (!one[l]) ins = '0;
      fr = f + FillW'(32 * 32'(cnt[l*2+:2]));
      // The bases: (bq | ins << f) >> s, as (bq >> s) | (ins placed at f - s). A lane that takes
      // words holds at most 43 bits, s <= 33, so 64 + s - f lies in 21 .. 97.
      uz = (FillW+1)'(InsW) - (FillW+1)'(f);
      ud = (FillW+1)'(InsW) + (FillW+1)'(entry_q) - (FillW+1)'(f);
      ue = (FillW+1)'(InsW) + (FillW+1)'(eex_q) - (FillW+1)'(f);
      bz = bq | BufBits'({ins, InsW'(0)} >> uz);
      bd = (bq >> entry_q) | BufBits'({ins, InsW'(0)} >> ud);
      be = (bq >> eex_q) | BufBits'({ins, InsW'(0)} >> ue);
      // The codeword: X, first bit most significant, against the limits of the lane's code.
      // Only a lane below 12 bits (it takes two words) finds refill bits among its next 12.
      xb = bq[CodeW-1:0] | (two[l] ? CodeW'(w0 << f[3:0]) : CodeW'(0));
      for (int i = 0; i < CodeW; i++) x[CodeW-1-i] = xb[i];
      code = two_i && ctx_q[l];
      for (int k = 0; k < CodeW; k++) begin
        t[k] = {1'b0, x} >= lim_i[(32'(code)*CodeW+k)*sfp_code_pkg::LimBits+:sfp_code_pkg::LimBits];
      end
      nomatch = t[CodeW-1];
      oh[0] = !t[0];
      for (int k = 1; k < CodeW; k++) oh[k] = t[k-1] && !t[k];
      isz = !nomatch && z_mask_q[code] != '0 && ((x ^ z_al_q[code]) & z_mask_q[code]) == '0;
      isr = !nomatch && r_mask_q[code] != '0 && ((x ^ r_al_q[code]) & r_mask_q[code]) == '0;
      ise = !nomatch && e_mask_q[code] != '0 && ((x ^ e_al_q[code]) & e_mask_q[code]) == '0;
      // Fill candidates, with their refill flags for the next step.
      for (int k = 0; k < CodeW; k++) begin
        logic [FillW-1:0] c;
        c     = fr - FillW'(k + 1);
        cz[k] = {c < FillW'(sfp3_pkg::RefillBits),
                 c < FillW'(sfp3_pkg::RefillBits - sfp3_pkg::WordBits), c};
        c     = fr - FillW'(entry_q) - FillW'(k + 1);
        cd[k] = {c < FillW'(sfp3_pkg::RefillBits),
                 c < FillW'(sfp3_pkg::RefillBits - sfp3_pkg::WordBits), c};
        c     = fr - FillW'(eex_q) - FillW'(k + 1);
        ce[k] = {c < FillW'(sfp3_pkg::RefillBits),
                 c < FillW'(sfp3_pkg::RefillBits - sfp3_pkg::WordBits), c};
      end
      bk    = ise ? be : (isz || isr) ? bz : bd;
      bs    = '0;
      fk    = '0;
      len   = '0;
      after = '0;
      for (int k = 0; k < CodeW; k++) begin
        cf    = ise ? ce[k] : (isz || isr) ? cz[k] : cd[k];
        bs    = bs | ({BufBits{oh[k]}} & (bk >> (k + 1)));
        fk    = fk | ({(FillW+2){oh[k]}} & cf);
        len   = len | ({LenW{oh[k]}} & LenW'(k + 1));
        after = after | ({32{oh[k]}} & 32'(bz >> (k + 1)));
      end
      if (nomatch) begin
        bs = bz;
        fk = {fr < FillW'(sfp3_pkg::RefillBits),
              fr < FillW'(sfp3_pkg::RefillBits - sfp3_pkg::WordBits), fr};
      end
      {ms, ss, fs} = fk;
      lrec[l*LaneRecBits+:LaneRecBits] = {after, code, len, x};
      // Slots of the words taken, and how many lie past N.
      s0 = SlotW'(next_q) + SlotW'(p);
      hq = hist_q[l*HistW+:HistW];
      np = 3'd0;
      if (cnt[l*2+:2] == 2'd2) begin
        hq = {hq[2*SlotW-1:0], s0, s0 + SlotW'(1)};
        np = 3'(NextW'(p) >= left_q) + 3'(NextW'(p) + NextW'(1) >= left_q);
        if (NextW'(p) + NextW'(1) == left_q || NextW'(p) + NextW'(2) == left_q) begin
          last_hit  = 1'b1;
          last_lane = LaneCntW'(l);
        end
      end else if (cnt[l*2+:2] == 2'd1) begin
        hq = {hq[3*SlotW-1:0], s0};
        np = 3'(NextW'(p) >= left_q);
        if (NextW'(p) + NextW'(1) == left_q) begin
          last_hit  = 1'b1;
          last_lane = LaneCntW'(l);
        end
      end
      pq = past_q[l*PastW+:PastW] + np;
      if (pq > 3'd4) pq = 3'd4;
      if (act[l]) begin
        buf_s[l*BufBits+:BufBits] = bs;
        fill_s[l*FillW+:FillW]    = fs;
        short_s[l]                = ss;
        mid_s[l]                  = ms;
        ctx_s[l]                  = isz;
        hist_s[l*HistW+:HistW]    = hq;
        past_s[l*PastW+:PastW]    = pq;
      end else begin
        buf_s[l*BufBits+:BufBits] = bq;
        fill_s[l*FillW+:FillW]    = f;
        short_s[l]                = short_q[l];
        mid_s[l]                  = mid_q[l];
        ctx_s[l]                  = ctx_q[l];
        hist_s[l*HistW+:HistW]    = hist_q[l*HistW+:HistW];
        past_s[l*PastW+:PastW]    = past_q[l*PastW+:PastW];
        lrec[l*LaneRecBits+:LaneRecBits] = '0;
      end
    end
  end

  // End checks, from the registers after the last step (Spec: "Version 3 decoder errors"):
  // lane bits left (bad_padding), fewer than N words taken, word N - 1 wholly unread (length),
  // a word past N partly read (truncated).
  logic [3:0] end_err;
  always_comb begin
    logic pad, len2, trunc;
    logic [FillW-1:0] lf;
    logic [PastW-1:0] lp;
    pad   = 1'b0;
    trunc = 1'b0;
    for (int unsigned l = 0; l < L; l++) begin
      if (6'(l) < lc_q) begin
        pad = pad || buf_q[l*BufBits+:BufBits] != '0;
        trunc = trunc || (past_q[l*PastW+:PastW] != '0 &&
                          32'(fill_q[l*FillW+:FillW]) < 32 * 32'(past_q[l*PastW+:PastW]));
      end
    end
    lf   = fill_q[32'(lastl_q)*FillW+:FillW];
    lp   = past_q[32'(lastl_q)*PastW+:PastW];
    len2 = lastv_q && 32'(lf) >= 32 * (32'(lp) + 1);
    end_err = pad ? sfp_code_pkg::St2BadPad :
              (next_q < NextW'(n_q) || len2) ? sfp_code_pkg::St2Length :
              trunc ? sfp_code_pkg::St2Truncated : 4'd0;
  end

  // Control //
  logic beat_ack, any_skip, words_ok, crc_bad;
  logic [31:0] crc_beat;
  assign any_skip = skip != '0;
  assign words_ok = 32'(qcnt_q) >= 32'(real_words);
  assign step_go  = state_q == SRun && !any_skip && words_ok && rec_ready;
  assign exp_go   = state_q == SRun && any_skip;
  assign fin_go   = state_q == SEnd && got_q == n_q && rec_ready;
  // The next chunk of the tensor loads in the cycle its predecessor's fin record leaves.
  assign load     = desc_valid_i && (((state_q == SIdle || fin_go) && !desc_first_i) ||
                                     (state_q == SSetup && !setup_busy_i));
  assign desc_ready_o  = load;
  assign setup_start_o = state_q == SWait && pipe_empty_i && !setup_busy_i;
  assign words_ready_o = got_q < n_q &&
                         ((state_q == SRun && 32'(qcnt_q) <= QW - BeatWords) || state_q == SEnd);
  assign beat_ack      = words_valid_i && words_ready_o;
  assign crc_bad       = (crc_q ^ sfp_code_pkg::CrcInit) != crc_exp_q;

  sfp_crc_beat #(.BeatWords(BeatWords)) u_crc (
    .s_i(crc_q), .data_i(words_data_i), .cnt_i(words_count_i), .crc_o(crc_beat)
  );

  always_comb begin
    state_d = state_q;
    case (state_q)
      SIdle:   if (desc_valid_i && desc_first_i) state_d = SWait;
               else if (load) state_d = SRun;
      SWait:   if (setup_start_o) state_d = SSetup;
      SSetup:  if (load) state_d = SRun;
      SRun:    if (step_go && last_step) state_d = SEnd;
      SEnd:    if (fin_go) state_d = load ? SRun : SIdle;
      default: state_d = SIdle;
    endcase
  end

  // Queue: drop the step's stored words, append the accepted beat.
  always_comb begin
    logic [QCntW-1:0] base;
    q_d    = q_q;
    base   = qcnt_q;
    if (step_go) begin
      q_d  = q_q >> (32 * 32'(real_words));
      base = qcnt_q - QCntW'(real_words);
    end
    qcnt_d = base;
    if (beat_ack && state_q == SRun) begin
      for (int unsigned i = 0; i < BeatWords; i++) begin
        if (CountW'(i) < words_count_i) q_d[(32'(base)+i)*32+:32] = words_data_i[i*32+:32];
      end
      qcnt_d = base + QCntW'(words_count_i);
    end
    if (fin_go || load) qcnt_d = '0;
  end

  // Lane state: a step, an expiry cycle or a chunk's load.
  always_comb begin
    buf_d  = buf_q;
    fill_d = fill_q;
    ctx_d  = ctx_q;
    short_d = short_q;
    mid_d  = mid_q;
    hist_d = hist_q;
    past_d = past_q;
    next_d = next_q;
    if (load) begin
      buf_d  = '0;
      fill_d = '0;
      ctx_d  = '1;
      short_d = '1;
      mid_d  = '1;
      past_d = '0;
      next_d = '0;
    end else if (exp_go) begin
      for (int unsigned l = 0; l < L; l++) begin
        if (skip[l]) begin
          buf_d[l*BufBits+:BufBits] = buf_x[l*BufBits+:BufBits];
          fill_d[l*FillW+:FillW]    = fill_x[l*FillW+:FillW];
          short_d[l]                = short_x[l];
          mid_d[l]                  = mid_x[l];
        end
      end
    end else if (step_go) begin
      buf_d  = buf_s;
      fill_d = fill_s;
      ctx_d  = ctx_s;
      short_d = short_s;
      mid_d  = mid_s;
      hist_d = hist_s;
      past_d = past_s;
      next_d = next_q + NextW'(total);
    end
  end

  assign lc_new  = sfp3_pkg::chunk_lanes(6'(NumLanes), 32'(desc_values_i));
  assign rem_new = rem_q - ValCntW'(nact_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SIdle;
      qcnt_q  <= '0;
      n_q     <= '0;
      got_q   <= '0;
      next_q  <= '0;
      rem_q   <= '0;
      lc_q    <= 6'd1;
      fill_q  <= '0;
      past_q  <= '0;
      ctx_q   <= '0;
      short_q <= '0;
      mid_q   <= '0;
      nact_q  <= '0;
      left_q  <= '0;
      hor_q   <= '0;
      first_q <= 1'b0;
      pad_q   <= 1'b0;
      lastv_q <= 1'b0;
    end else begin
      state_q <= state_d;
      qcnt_q  <= qcnt_d;
      next_q  <= next_d;
      fill_q  <= fill_d;
      past_q  <= past_d;
      ctx_q   <= ctx_d;
      short_q <= short_d;
      mid_q   <= mid_d;
      if (beat_ack) got_q <= got_q + WordsW'(words_count_i);
      if (load) begin
        n_q     <= desc_words_i;
        got_q   <= '0;
        rem_q   <= desc_values_i;
        lc_q    <= lc_new;
        nact_q  <= (32'(desc_values_i) >= 32'(lc_new)) ? LaneCntW'(lc_new) :
                   LaneCntW'(desc_values_i);
        left_q  <= NextW'(desc_words_i);
        hor_q   <= SlotW'(2 * 32'(lc_new));
        first_q <= 1'b1;
        pad_q   <= 1'b0;
        lastv_q <= 1'b0;
      end else begin
        if (exp_go && skip_bad != '0) pad_q <= 1'b1;
        if (step_go) begin
          rem_q   <= rem_new;
          nact_q  <= (32'(rem_new) >= 32'(lc_q)) ? LaneCntW'(lc_q) : LaneCntW'(rem_new);
          left_q  <= left_q - NextW'(real_words);
          hor_q   <= hor_q + SlotW'(total);
          first_q <= 1'b0;
          pad_q   <= 1'b0;
          if (last_hit) lastv_q <= 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    q_q    <= q_d;
    buf_q  <= buf_d;
    hist_q <= hist_d;
    if (step_go && last_hit) lastl_q <= last_lane;
    if (beat_ack) crc_q <= crc_beat;
    if (load) begin
      crc_q     <= sfp_code_pkg::CrcInit;
      crc_exp_q <= desc_crc_i;
      tlast_q   <= desc_last_i;
      // bad_config, then bad_table, then bad_index (Spec: "Version 3 decoder errors").
      pre_q     <= (desc_err_i == sfp_code_pkg::St2BadConfig) ? desc_err_i :
                   table_bad_i ? sfp_code_pkg::St2BadTable : desc_err_i;
      entry_q   <= 6'(man_bits_i) + (mixed_i ? 6'd1 : 6'd0);
      eex_q     <= 6'(man_bits_i) + (mixed_i ? 6'd1 : 6'd0) + 6'(sfp_code_pkg::EscExpBits) +
                   ((man_bits_i == '0) ? 6'd1 : 6'd0);
      for (int c = 0; c < NumCodes; c++) begin
        logic [LenW-1:0]  zl, rl, el;
        logic [CodeW-1:0] rcw;
        zl  = zero_len_i[c*LenW+:LenW];
        rl  = rep_len_i[c*LenW+:LenW];
        el  = esc_len_i[c*LenW+:LenW];
        rcw = (rl != '0) ? fc_i[(c*CodeW+32'(rl)-1)*CodeW+:CodeW] + CodeW'(zl == rl) : '0;
        z_al_q[c]   <= zero_cw_i[c*CodeW+:CodeW] << (LenW'(CodeW) - zl);
        z_mask_q[c] <= (zl == '0) ? '0 : {CodeW{1'b1}} << (LenW'(CodeW) - zl);
        r_al_q[c]   <= rcw << (LenW'(CodeW) - rl);
        r_mask_q[c] <= (rl == '0) ? '0 : {CodeW{1'b1}} << (LenW'(CodeW) - rl);
        e_al_q[c]   <= esc_cw_i[c*CodeW+:CodeW] << (LenW'(CodeW) - el);
        e_mask_q[c] <= (el == '0) ? '0 : {CodeW{1'b1}} << (LenW'(CodeW) - el);
      end
    end
  end

  // Records //
  always_comb begin
    rec = '0;
    if (fin_go) begin
      rec[RecFin]               = 1'b1;
      rec[RecTlast]             = tlast_q;
      rec[RecCrcBad]            = crc_bad;
      rec[RecPreErr+:4]         = pre_q;
      rec[RecEndErr+:4]         = end_err;
      rec[RecLast]              = 1'b1;
    end else begin
      rec[0+:NactBits]          = nact;
      rec[RecFirst]             = first_q;
      rec[RecLast]              = last_step;
      rec[RecPad]               = pad_q;
      rec[RecTlast]             = tlast_q;
      rec[RecPreErr+:4]         = pre_q;
      rec[SideBits+:L*LaneRecBits] = lrec;
    end
  end
  sfp_stage #(.Width(RecBits), .Spill(1)) u_out (
    .clk_i, .rst_ni,
    .in_valid_i (step_go || fin_go), .in_ready_o(rec_ready), .in_data_i(rec),
    .out_valid_o, .out_ready_i, .out_data_o
  );

  // Assertions //
  `SFP_ASSERT_INIT(Layout_A, sfp3_pkg::v3_layout_ok())
  `SFP_ASSERT_INIT(RecBits_A, $bits(out_data_o) == RecBits)
  for (genvar l = 0; l < L; l++) begin : g_assert
    `SFP_ASSERT(LaneFill_A, fill_q[l*FillW+:FillW] <= FillW'(BufBits))
  end
  `SFP_ASSERT(QueueCount_A, qcnt_q <= QCntW'(QW))
  `SFP_ASSUME(BeatCount_M, words_valid_i |-> words_count_i != '0 &&
                           words_count_i <= CountW'(BeatWords))
  `SFP_ASSUME(BeatInChunk_M, (words_valid_i && words_ready_o) |->
                             32'(got_q) + 32'(words_count_i) <= 32'(n_q))
endmodule
