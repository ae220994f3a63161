// SPDX-License-Identifier: Apache-2.0
//
// v2 encoder, phase 1 packing: appends each lane's bits to the lane's word, replays the refill
// rule on the lengths and writes every completed lane word into the slot the rule gives it, in
// staging memory banked by slot mod BeatWords; packs the plane entries and the raw fields into
// rows of BeatWords words. At a chunk's end it flushes, computes N, the plane and raw lengths
// and the raw-or-coded choice, and hands the chunk's descriptor on.
// Spec: docs/format.md, "Refill rule" (and its encoder paragraph), "Coded chunk", "Raw chunk",
// "Version 2 encoder obligations" 4 and 5.
// Slots: a lane that holds fewer than 32 bits before a value takes the step's next word; the
// words taken in one step are numbered in lane order (a log-depth prefix count), so lane l's k-th
// request is slot s and lane l's k-th word goes to slot s. A lane has at most two requested
// words that are not complete (fill <= 63), kept in a two-entry slot queue. A completed word
// waits in its lane's two-entry write queue, tagged with its buffer; each bank of each buffer
// writes one word per cycle: the lowest lane whose queue head it holds. A step waits while a
// write queue is full (bank conflicts). Flush entries (below) are written once no queue entry
// of their buffer is left, the lowest lane per bank, chosen a cycle ahead.
// Chunk end, overlapped with the next chunk's first steps: each lane's partial word (if any)
// and zero words for its other outstanding slots become the lane's flush entries (their count
// at the chunk's last step, their slots and word the cycle after), and the partial plane and
// raw rows are written that cycle; the lane state starts afresh. N = 1 + the largest slot
// holding a lane bit (the later words are dropped), P = ceil(plane bits / 32),
// R = ceil(raw bits / 32); the chunk is raw when a value had no codeword or R < 1 + N + P.
// Each lane keeps the last slot it completed a word in (its slots only grow), so N needs no
// comparison on the step's path: the cycle after the chunk's last step a lane with a partial
// word takes that word's slot (its flush entry's) instead, then the lanes' last slots are
// reduced two to one every two cycles (compare, then select), then N, P and R are registered,
// then 1 + N + P in two parts, then the choice (2 log2 L + 6 cycles, overlapped with the next
// chunk's steps). The descriptor is handed on (done_o) once every word of the chunk is written
// and the choice is made; a chunk's last step waits while the previous chunk's is pending.
// Paths: in_ready_o <- in_first_i, in_end_i, buf_full_i (and registers).
`include "sfp_assert.svh"

module sfp2_enc_pack #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned BitsW       = sfp2_pkg::MaxValueBits,
  localparam int unsigned NbW         = 5,
  localparam int unsigned PlaneW      = NumLanes * 24,
  localparam int unsigned PLenW       = $clog2(PlaneW + 1),
  localparam int unsigned RawW        = NumLanes * 32,
  localparam int unsigned RLenW       = $clog2(RawW + 1),
  localparam int unsigned RowW        = BeatWords * 32,
  // Slots of a chunk: each lane requests at most (its bits + 62) / 32 words, 21 bits a value.
  localparam int unsigned SlotMax     = (21 * ChunkValues + 62 * NumLanes) / 32 + 1,
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
  localparam int unsigned BankW       = $clog2(BeatWords)
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        in_valid_i,
  output logic                        in_ready_o,
  input  logic [NumLanes*BitsW-1:0]   in_bits_i,
  input  logic [NumLanes*NbW-1:0]     in_nb_i,
  input  logic [PlaneW-1:0]           in_plane_i,
  input  logic [PLenW-1:0]            in_plen_i,
  input  logic [RawW-1:0]             in_raw_i,
  input  logic [RLenW-1:0]            in_rlen_i,
  input  logic [NumLanes-1:0]         in_act_i,    // lanes within the step's count
  input  logic                        in_bad_i,
  input  logic                        in_first_i,
  input  logic                        in_end_i,
  input  logic                        in_tlast_i,
  // Staging buffers: a chunk's first step waits until its buffer is free.
  input  logic [1:0]                  buf_full_i,
  // Slot banks of buffer b: bank k writes slot row sw_row_o[(b * BeatWords + k)].
  output logic [2*BeatWords-1:0]       sw_we_o,
  output logic [2*BeatWords*SRowW-1:0] sw_row_o,
  output logic [2*BeatWords*32-1:0]    sw_data_o,
  // Plane and raw rows: the port of the chunk being coded (buffer wbuf_o) and the flush port
  // (buffer fbuf_o) for the last row of the chunk before.
  output logic                        wbuf_o,
  output logic                        fbuf_o,
  output logic                        pw_we_o,
  output logic [PRowW-1:0]            pw_row_o,
  output logic [RowW-1:0]             pw_data_o,
  output logic                        rw_we_o,
  output logic [RRowW-1:0]            rw_row_o,
  output logic [RowW-1:0]             rw_data_o,
  output logic                        pf_we_o,
  output logic [PRowW-1:0]            pf_row_o,
  output logic [RowW-1:0]             pf_data_o,
  output logic                        rf_we_o,
  output logic [RRowW-1:0]            rf_row_o,
  output logic [RowW-1:0]             rf_data_o,
  // The finished chunk (one cycle), in buffer fbuf_o.
  output logic                        done_o,
  output logic [SlotW-1:0]            done_n_o,      // lane words N
  output logic [WordsW-1:0]           done_p_o,      // plane words (coded)
  output logic [WordsW-1:0]           done_r_o,      // raw words
  output logic                        done_raw_o,
  output logic                        done_tlast_o
);
  localparam int unsigned LW = NumLanes;
  localparam int unsigned PosW = $clog2(RowW + 1);
  // A slot is nq_q plus two counts of at most L < 2^LoW: its low LoW bits take two small
  // additions and its high part is nq_q's or the registered nq_q's + 1 or + 2 (a carry select,
  // no carry chain through the slot's width after the prefix count).
  localparam int unsigned LoW = $clog2(NumLanes + 1);
  // Rounds of the chunk-end maximum: each takes the larger of every two entries.
  localparam int unsigned ScanSteps = $clog2(LW) < 1 ? 1 : $clog2(LW);
  localparam int unsigned ScanW = $clog2(ScanSteps + 1);

  // Per-lane state, flattened: lane l's field at [l*W +: W].
  logic [LW*7-1:0]      fill_q;
  logic [LW-1:0]        low_q;          // fill_q < 32: the lane takes a slot at its next value
  logic [LW*64-1:0]     acc_q;          // bits of the lane's current word, apos_q of them valid
  logic [LW*6-1:0]      apos_q;
  logic [LW*SlotW-1:0]  sq0_q, sq1_q;   // outstanding slots, oldest first
  logic [LW*2-1:0]      sqn_q;
  // Write queue: two entries (slot, word, buffer) and a head pointer per lane, so that a
  // dequeue moves no entry (it flips the pointer); the head's buffer and bank one-hot in a
  // register of their own, so that the bank arbitration starts from registers.
  logic [LW*SlotW-1:0]  wq0s_q, wq1s_q;
  logic [LW*32-1:0]     wq0d_q, wq1d_q;
  logic [LW-1:0]        wq0b_q, wq1b_q;
  logic [LW-1:0]        wqh_q;          // the head entry (0 or 1)
  logic [LW*2*BeatWords-1:0] hp_q;      // the head's buffer and bank one-hot (zero if empty)
  logic [LW*2-1:0]      wqn_q;
  logic [LW*SlotW-1:0]  fl0s_q, fl1s_q; // flush entries (buffer fbuf_q): slot, and the
  logic [LW*32-1:0]     fl0d_q;         // partial word of the first; the second is zero
  logic [LW*2-1:0]      fln_q;

  // Slots handed out in this chunk: nq_q before the previous step plus that step's count tot_q
  // (the sum is formed at the step that uses it, beside the step's prefix count).
  logic [SlotW-1:0]     nq_q;
  logic [LaneCntW-1:0]  tot_q;
  logic [SlotW-LoW-1:0] nhi1_q, nhi2_q; // nq_q's high part (above its LoW low bits) + 1, + 2
  logic [LW*SlotW-1:0]  last_q;         // per lane: the last slot it put a bit in ...
  logic [LW-1:0]        lastv_q;        // ... if any, this chunk
  logic                 bad_q, wbuf_q;
  logic [RowW+PlaneW-1:0] pacc_q;
  logic [PosW-1:0]      ppos_q;
  logic [PRowW:0]       prow_q;
  logic [RowW+RawW-1:0] racc_q;
  logic [PosW-1:0]      rpos_q;
  logic [RRowW:0]       rrow_q;

  // The chunk being flushed: its descriptor, buffer and last rows.
  logic                 pend_q;         // a descriptor waits for its words
  logic                 rowfl_q;        // its last plane and raw rows are written this cycle
  logic                 fbuf_q;
  logic [SlotW-1:0]     dn_q;
  logic [WordsW-1:0]    dp_q, dr_q;
  logic                 draw_q, dtlast_q;
  // Its lengths, over the cycles after its last step: the lanes' last slots reduced two to
  // one a cycle into the largest (N - 1), then N, P and R, then 1 + N + P, then the
  // raw-or-coded choice.
  logic [LW*SlotW-1:0]  flast_q;
  logic [LW-1:0]        flastv_q;
  logic [LW/2-1:0]      gt_q;           // the round's compares, registered before its selects
  logic [ScanW-1:0]     scan_q;         // rounds still to go
  logic                 sph_q;          // the round's select cycle (its compare cycle before)
  logic                 scanning_q, lens_q, sum_q, sum2_q, choose_q, dready_q;
  localparam int unsigned CwW = WordsW + SlotW + 2;
  localparam int unsigned CloW = SlotW / 2;  // 1 + N + P: its low bits a cycle before the rest
  logic [CloW:0]        clo_q;
  logic [CwW-1:0]       cwords_q;       // 1 + N + P
  logic                 fbad_q;
  logic [PosW-1:0]      fppos_q, frpos_q;
  logic [PRowW:0]       fprow_q;        // its plane and raw rows written before the last ones
  logic [RRowW:0]       frrow_q;
  logic [LW-1:0]        fpart_q;        // lanes whose flush entry 0 holds a lane bit

  logic in_ack, old_left;
  logic q_room_q /*verilator public_flat_rd*/;

  // Bank arbitration (registered queue heads): bank k of buffer b takes the lowest lane whose
  // queue head it holds. The lowest candidate is found by a log-depth prefix OR (not a chain
  // over the lanes).
  function automatic logic [LW-1:0] lowest(logic [LW-1:0] c);
    logic [LW-1:0] below;  // some candidate below lane l
    below = c << 1;
    for (int d = 1; d < LW; d = d * 2) below = below | (below << d);
    lowest = c & ~below;
  endfunction
  // Flush entries are written only while no queue entry of their buffer is left (the queue
  // entries of the flushed chunk drain within a few cycles; then its banks are free), by lanes
  // chosen a cycle ahead into fsel_q (lowest lane per bank, from the flush heads as they will be
  // after this cycle's writes): the flush's dequeue is a register, not the end of the
  // arbitration.
  logic [LW-1:0] deq, fdeq, pick, cand, fsel_q, fsel_n, fcand;
  logic          hit, oldq;
  // The head entries (and, for the buffer, the second entry).
  logic [LW*SlotW-1:0] hs;
  logic [LW*32-1:0]    hd;
  logic [LW-1:0]       hb, sb, hv;
  always_comb begin
    for (int l = 0; l < LW; l++) begin
      hs[l*SlotW+:SlotW] = wqh_q[l] ? wq1s_q[l*SlotW+:SlotW] : wq0s_q[l*SlotW+:SlotW];
      hd[l*32+:32] = wqh_q[l] ? wq1d_q[l*32+:32] : wq0d_q[l*32+:32];
      hb[l] = wqh_q[l] ? wq1b_q[l] : wq0b_q[l];
      sb[l] = wqh_q[l] ? wq0b_q[l] : wq1b_q[l];
      hv[l] = wqn_q[l*2+:2] != '0;
    end
  end
  always_comb begin
    deq = '0;
    pick = '0;
    cand = '0;
    hit = 1'b0;
    sw_we_o = '0;
    sw_row_o = '0;
    sw_data_o = '0;
    for (int b = 0; b < 2; b++) begin
      for (int k = 0; k < BeatWords; k++) begin
        for (int l = 0; l < LW; l++) begin
          cand[l]  = hp_q[l*2*BeatWords+b*BeatWords+k];
          fcand[l] = fsel_q[l] && fbuf_q == b[0] && 32'(BankW'(fl0s_q[l*SlotW+:SlotW])) == k;
        end
        pick = lowest(cand);
        hit = cand != '0;
        // At most one lane is chosen: its row and word ORed in (one-hot, no chain of selects).
        for (int l = 0; l < LW; l++) begin
          sw_row_o[(b*BeatWords+k)*SRowW+:SRowW] = sw_row_o[(b*BeatWords+k)*SRowW+:SRowW] |
              ({SRowW{pick[l]}} & SRowW'(hs[l*SlotW+:SlotW] >> BankW)) |
              ({SRowW{fcand[l]}} & SRowW'(fl0s_q[l*SlotW+:SlotW] >> BankW));
          sw_data_o[(b*BeatWords+k)*32+:32] = sw_data_o[(b*BeatWords+k)*32+:32] |
              ({32{pick[l]}} & hd[l*32+:32]) | ({32{fcand[l]}} & fl0d_q[l*32+:32]);
        end
        sw_we_o[b*BeatWords+k] = hit || fcand != '0;
        deq = deq | pick;
      end
    end
  end
  assign fdeq = fsel_q;

  // Queue entries of the flushed chunk's buffer: none now means none from now until its
  // descriptor is handed on (new entries go to the other buffer).
  always_comb begin
    oldq = 1'b0;
    for (int l = 0; l < LW; l++) begin
      if (hv[l] && hb[l] == fbuf_q) oldq = 1'b1;
      if (wqn_q[l*2+:2] == 2'd2 && sb[l] == fbuf_q) oldq = 1'b1;
    end
  end
  // Next cycle's flush writes: per bank the lowest lane whose next flush head it holds. At a
  // chunk's last step no flush entry is left (a last step waits while one is pending); the
  // entries' slots load the cycle after (rowfl_q), and are first chosen then.
  logic [LW-1:0] fnext, fcand_k;
  logic [LW*BankW-1:0] fbank;
  always_comb begin
    fsel_n = '0;
    for (int l = 0; l < LW; l++) begin
      fnext[l] = fsel_q[l] ? fln_q[l*2+:2] == 2'd2 : fln_q[l*2+:2] != '0;
      fbank[l*BankW+:BankW] = fsel_q[l] ? BankW'(fl1s_q[l*SlotW+:SlotW]) :
                                          BankW'(fl0s_q[l*SlotW+:SlotW]);
    end
    for (int k = 0; k < BeatWords; k++) begin
      fcand_k = '0;
      for (int l = 0; l < LW; l++) fcand_k[l] = fnext[l] && 32'(fbank[l*BankW+:BankW]) == k;
      fsel_n = fsel_n | lowest(fcand_k);
    end
    if (oldq || rowfl_q) fsel_n = '0;
  end

  // Words of the flushed chunk still to write: queue entries of its buffer, flush entries.
  always_comb begin
    old_left = rowfl_q || oldq;
    for (int l = 0; l < LW; l++) if (fln_q[l*2+:2] != '0) old_left = 1'b1;
  end
  assign done_o = pend_q && !old_left && dready_q;

  // q_room_q: no write queue is full, registered from the next queue lengths (the same value
  // the current lengths give, without their reduction in front of the step's enables).
  assign in_ready_o = q_room_q && !(in_first_i && buf_full_i[wbuf_q]) && !(in_end_i && pend_q);
  assign in_ack = in_valid_i && in_ready_o;
  assign wbuf_o = wbuf_q;
  assign fbuf_o = fbuf_q;

  // One step: next lane state, the words to enqueue and, at the chunk's end, the flush
  // entries.
  logic [LW*7-1:0]     fill_n;
  logic [LW*64-1:0]    acc_n;
  logic [LW*6-1:0]     apos_n;
  logic [LW*SlotW-1:0] sq0_n, sq1_n;
  logic [LW*2-1:0]     sqn_n;
  logic [LW-1:0]       enq;
  logic [LW*SlotW-1:0] enq_s;
  logic [LW*32-1:0]    enq_d;
  logic [LW*2-1:0]     fln_n;
  logic [SlotW-1:0]    cur;           // slots handed out before this step
  logic [SlotW-LoW-1:0] nhi1_n, nhi2_n;
  logic [LoW:0]        lo, clo;
  logic [LW*SlotW-1:0] last_n;
  logic [LW-1:0]       lastv_n, fpart_n;

  // The step's requests: lane l takes a slot when it is active and holds fewer than 32 bits;
  // its slot is cur (= nq_q + tot_q) + the number of requests below it (a log-depth prefix
  // count), formed as a carry select on the low LoW bits: its high part is nq_q's + 0, 1 or 2,
  // selected by the two carries (no carry chain through the slot's width after the prefix
  // count, and the sum nq_q + tot_q is ready long before the count). The active lanes are the
  // lowest ones, so the lanes below an active lane are all active and the prefix count is taken
  // over low_q alone
  // (a register); the step's total is the count at its last active lane.
  localparam int unsigned PcW = LaneCntW;
  logic [LW-1:0]     req, lastact;
  logic [LW*PcW-1:0] pcnt;   // inclusive prefix count of low_q
  logic [PcW-1:0]    ptotal;
  sfp_prefix_count #(.N(LW), .W(PcW)) u_req_count (.flags_i(low_q), .count_o(pcnt));
  always_comb begin
    ptotal = '0;
    for (int l = 0; l < LW; l++) begin
      req[l] = in_act_i[l] && low_q[l];
      lastact[l] = in_act_i[l] && (l == LW - 1 || !in_act_i[(l+1)%LW]);
      ptotal = ptotal | ({PcW{lastact[l]}} & pcnt[l*PcW+:PcW]);
    end
  end
  logic [LW*PcW-1:0] pbelow;  // requests of the lanes below lane l, if lane l is active
  assign pbelow = {pcnt[0+:(LW-1)*PcW], PcW'(0)};

  // Loop variables. A lane that takes a slot at a step completes no word at it: with no slot
  // outstanding it holds no bit, and a value adds at most 21 (FreshSlot_A, ValueBits_A). So a
  // completed word goes to the slot at the head of the queue before the step, and the step's
  // new slot only joins the queue; a partial word's slot (possibly the new one) reaches the
  // chunk's N through its flush entry, the cycle after the chunk's last step.
  logic             act, flag, done;
  logic [6:0]       f;
  logic [63:0]      a;
  logic [6:0]       ap;
  logic [SlotW-1:0] s0, s1, slot;
  logic [1:0]       n;
  always_comb begin
    fill_n = fill_q;
    acc_n = acc_q;
    apos_n = apos_q;
    sq0_n = sq0_q;
    sq1_n = sq1_q;
    sqn_n = sqn_q;
    enq = '0;
    enq_s = '0;
    enq_d = '0;
    fln_n = '0;
    clo = (LoW + 1)'(nq_q[LoW-1:0]) + (LoW + 1)'(tot_q);
    cur = {clo[LoW] ? nhi1_q : nq_q[SlotW-1:LoW], clo[LoW-1:0]};
    // The successors are selected, never incremented after the carry: + 3 comes from nhi1_q
    // (a register other than the one it replaces).
    nhi1_n = clo[LoW] ? nhi2_q : nhi1_q;
    nhi2_n = clo[LoW] ? nhi1_q + (SlotW - LoW)'(2) : nhi2_q;
    last_n = last_q;
    lastv_n = lastv_q;
    fpart_n = '0;
    {act, flag, done, f, a, ap, s0, s1, slot, n} = '0;
    for (int l = 0; l < LW; l++) begin
      f  = fill_q[l*7+:7];
      a  = acc_q[l*64+:64] & ~({64{1'b1}} << apos_q[l*6+:6]);
      ap = 7'(apos_q[l*6+:6]);
      s0 = sq0_q[l*SlotW+:SlotW];
      s1 = sq1_q[l*SlotW+:SlotW];
      n  = sqn_q[l*2+:2];
      act  = in_act_i[l];
      flag = req[l];
      lo = (LoW + 1)'(clo[LoW-1:0]) + (LoW + 1)'(pbelow[l*PcW+:PcW]);
      slot = {lo[LoW] ? (clo[LoW] ? nhi2_q : nhi1_q) : (clo[LoW] ? nhi1_q : nq_q[SlotW-1:LoW]),
              lo[LoW-1:0]};
      if (flag) f = f + 7'd32;
      if (act) begin
        f  = f - 7'(in_nb_i[l*NbW+:NbW]);
        a  = a | (64'(in_bits_i[l*BitsW+:BitsW]) << ap);
        ap = ap + 7'(in_nb_i[l*NbW+:NbW]);
      end
      done = ap >= 7'd32;
      if (done) begin
        enq[l] = 1'b1;
        enq_s[l*SlotW+:SlotW] = s0;
        enq_d[l*32+:32] = a[31:0];
        last_n[l*SlotW+:SlotW] = s0;
        lastv_n[l] = 1'b1;
        a  = a >> 32;
        ap = ap - 7'd32;
      end
      // The queue: the head leaves with a completed word; the new slot joins behind.
      s0 = (flag && (n == 2'd0 || done)) ? slot : done ? s1 : s0;
      if (flag && n == 2'd1 && !done) s1 = slot;
      n = n + 2'(flag) - 2'(done);
      // Chunk end: the partial word (a lane bit if apos > 0) to the first outstanding slot,
      // a zero word to the second; their slots and the word are taken the cycle after, from
      // sq0_q, sq1_q and acc_q, which the last step leaves as it found them here.
      fpart_n[l] = ap != '0;
      if (in_end_i) fln_n[l*2+:2] = n;
      fill_n[l*7+:7] = f;
      acc_n[l*64+:64] = a;
      apos_n[l*6+:6] = 6'(ap);
      sq0_n[l*SlotW+:SlotW] = s0;
      sq1_n[l*SlotW+:SlotW] = s1;
      sqn_n[l*2+:2] = n;
    end
  end

  // The next head's buffer and bank: the second entry after a dequeue from a full queue, an
  // enqueued word at an empty queue (or one that is dequeued this cycle), else unchanged.
  function automatic logic [2*BeatWords-1:0] port(logic b, logic [BankW-1:0] bank);
    port = (2 * BeatWords)'(1) << {b, bank};
  endfunction
  logic [LW*2*BeatWords-1:0] hp_n;
  always_comb begin
    logic [2*BeatWords-1:0] sp, ep;
    for (int l = 0; l < LW; l++) begin
      sp = wqh_q[l] ? port(wq0b_q[l], BankW'(wq0s_q[l*SlotW+:SlotW])) :
                      port(wq1b_q[l], BankW'(wq1s_q[l*SlotW+:SlotW]));
      ep = (in_ack && enq[l]) ? port(wbuf_q, BankW'(enq_s[l*SlotW+:SlotW])) : '0;
      if (deq[l]) hp_n[l*2*BeatWords+:2*BeatWords] = wqn_q[l*2+:2] == 2'd2 ? sp : ep;
      else if (wqn_q[l*2+:2] == '0) hp_n[l*2*BeatWords+:2*BeatWords] = ep;
      else hp_n[l*2*BeatWords+:2*BeatWords] = hp_q[l*2*BeatWords+:2*BeatWords];
    end
  end

  logic [LW*2-1:0] wqn_n;
  logic            q_room_n;
  always_comb begin
    q_room_n = 1'b1;
    for (int l = 0; l < LW; l++) begin
      wqn_n[l*2+:2] = wqn_q[l*2+:2] - 2'(deq[l]) + 2'(in_ack && enq[l]);
      if (wqn_n[l*2+:2] == 2'd2) q_room_n = 1'b0;
    end
  end

  // Plane and raw rows.
  logic [RowW+PlaneW-1:0] pcomb;
  logic [RowW+RawW-1:0]   rcomb;
  logic [PosW+1:0]        pnext, rnext;
  logic [PosW-1:0]        ppos_n, rpos_n;
  logic [PRowW:0]         prow_n;
  logic [RRowW:0]         rrow_n;
  assign pcomb = (pacc_q & ~({(RowW + PlaneW){1'b1}} << ppos_q)) |
                 ((RowW + PlaneW)'(in_plane_i) << ppos_q);
  assign rcomb = (racc_q & ~({(RowW + RawW){1'b1}} << rpos_q)) |
                 ((RowW + RawW)'(in_raw_i) << rpos_q);
  assign pnext = (PosW + 2)'(ppos_q) + (PosW + 2)'(in_plen_i);
  assign rnext = (PosW + 2)'(rpos_q) + (PosW + 2)'(in_rlen_i);

  always_comb begin
    pw_we_o = in_ack && pnext >= (PosW + 2)'(RowW);
    rw_we_o = in_ack && rnext >= (PosW + 2)'(RowW);
    pw_row_o = PRowW'(prow_q);
    pw_data_o = pcomb[RowW-1:0];
    rw_row_o = RRowW'(rrow_q);
    rw_data_o = rcomb[RowW-1:0];
    ppos_n = pw_we_o ? PosW'(pnext - (PosW + 2)'(RowW)) : PosW'(pnext);
    rpos_n = rw_we_o ? PosW'(rnext - (PosW + 2)'(RowW)) : PosW'(rnext);
    prow_n = prow_q + (PRowW + 1)'(pw_we_o);
    rrow_n = rrow_q + (RRowW + 1)'(rw_we_o);
    // The chunk's last rows, the cycle after its last step (pacc_q, racc_q still hold them).
    pf_we_o = rowfl_q && fppos_q != '0;
    rf_we_o = rowfl_q && frpos_q != '0;
    pf_row_o = PRowW'(fprow_q);
    rf_row_o = RRowW'(frrow_q);
    pf_data_o = pacc_q[RowW-1:0] & ~({RowW{1'b1}} << fppos_q);
    rf_data_o = racc_q[RowW-1:0] & ~({RowW{1'b1}} << frpos_q);
  end

  // Chunk end, the cycles after its last step: log2 L rounds of the largest of the lanes' last
  // slots (entry j takes the larger valid of entries 2j and 2j + 1: a cycle for the compare, a
  // cycle for the select); then N, P and R; then 1 + N + P in two parts; then the choice.
  logic [LW*SlotW-1:0] flast_n;
  logic [LW-1:0]       flastv_n;
  logic [LW/2-1:0]     gt_n;
  logic [SlotW-1:0]    fa, fb;
  always_comb begin
    flast_n = '0;
    flastv_n = '0;
    {fa, fb} = '0;
    for (int j = 0; j < LW / 2; j++) begin
      fa = flast_q[2*j*SlotW+:SlotW];
      fb = flast_q[(2*j+1)*SlotW+:SlotW];
      gt_n[j] = flastv_q[2*j+1] && (!flastv_q[2*j] || fb > fa);
      flast_n[j*SlotW+:SlotW] = gt_q[j] ? fb : fa;
      flastv_n[j] = flastv_q[2*j] || flastv_q[2*j+1];
    end
  end
  logic [CloW:0]     clo_n;
  logic [CwW-1:0]    coded_words;
  assign clo_n = (CloW + 1)'(1) + (CloW + 1)'(dn_q[CloW-1:0]) + (CloW + 1)'(dp_q[CloW-1:0]);
  assign coded_words = {(CwW - CloW)'(dn_q[SlotW-1:CloW]) + (CwW - CloW)'(dp_q[WordsW-1:CloW]) +
                        (CwW - CloW)'(clo_q[CloW]), clo_q[CloW-1:0]};
  assign done_n_o     = dn_q;
  assign done_p_o     = dp_q;
  assign done_r_o     = dr_q;
  assign done_raw_o   = draw_q;
  assign done_tlast_o = dtlast_q;

  logic end_ack;
  assign end_ack = in_ack && in_end_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fill_q  <= '0;
      low_q   <= '1;
      apos_q  <= '0;
      sqn_q   <= '0;
      wqn_q   <= '0;
      q_room_q <= 1'b1;
      fln_q   <= '0;
      nq_q    <= '0;
      tot_q   <= '0;
      wqh_q   <= '0;
      hp_q    <= '0;
      nhi1_q  <= (SlotW - LoW)'(1);
      nhi2_q  <= (SlotW - LoW)'(2);
      lastv_q <= '0;
      scanning_q <= 1'b0;
      sph_q   <= 1'b0;
      fsel_q  <= '0;
      lens_q  <= 1'b0;
      sum_q   <= 1'b0;
      sum2_q  <= 1'b0;
      choose_q <= 1'b0;
      dready_q <= 1'b0;
      bad_q   <= 1'b0;
      wbuf_q  <= 1'b0;
      fbuf_q  <= 1'b0;
      pend_q  <= 1'b0;
      rowfl_q <= 1'b0;
      ppos_q  <= '0;
      prow_q  <= '0;
      rpos_q  <= '0;
      rrow_q  <= '0;
    end else begin
      wqn_q <= wqn_n;
      wqh_q <= wqh_q ^ deq;
      hp_q  <= hp_n;
      q_room_q <= q_room_n;
      // Flush entries: dequeue the head, or take the chunk's entries at its last step.
      for (int l = 0; l < LW; l++) begin
        if (end_ack) fln_q[l*2+:2] <= fln_n[l*2+:2];
        else if (fdeq[l]) fln_q[l*2+:2] <= fln_q[l*2+:2] - 2'd1;
      end
      rowfl_q <= end_ack;
      if (end_ack) begin
        pend_q <= 1'b1;
        fbuf_q <= wbuf_q;
        wbuf_q <= !wbuf_q;
      end else if (done_o) begin
        pend_q <= 1'b0;
      end
      fsel_q <= fsel_n;
      scanning_q <= rowfl_q || (scanning_q && !(sph_q && scan_q == ScanW'(1)));
      sph_q <= scanning_q && !sph_q;
      lens_q <= scanning_q && sph_q && scan_q == ScanW'(1);
      sum_q <= lens_q;
      sum2_q <= sum_q;
      choose_q <= sum2_q;
      if (choose_q) dready_q <= 1'b1;
      else if (done_o) dready_q <= 1'b0;
      if (in_ack) begin
        fill_q  <= end_ack ? '0 : fill_n;
        for (int l = 0; l < LW; l++) low_q[l] <= end_ack || fill_n[l*7+:7] < 7'd32;
        apos_q  <= end_ack ? '0 : apos_n;
        sqn_q   <= end_ack ? '0 : sqn_n;
        nq_q    <= end_ack ? '0 : cur;
        tot_q   <= end_ack ? '0 : ptotal;
        nhi1_q  <= end_ack ? (SlotW - LoW)'(1) : nhi1_n;
        nhi2_q  <= end_ack ? (SlotW - LoW)'(2) : nhi2_n;
        lastv_q <= end_ack ? '0 : lastv_n;
        bad_q   <= end_ack ? 1'b0 : (bad_q && !in_first_i) || in_bad_i;
        ppos_q  <= end_ack ? '0 : ppos_n;
        prow_q  <= end_ack ? '0 : prow_n;
        rpos_q  <= end_ack ? '0 : rpos_n;
        rrow_q  <= end_ack ? '0 : rrow_n;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (in_ack) begin
      acc_q  <= acc_n;
      last_q <= last_n;
      sq0_q  <= sq0_n;
      sq1_q  <= sq1_n;
      pacc_q <= pw_we_o ? pcomb >> RowW : pcomb;
      racc_q <= rw_we_o ? rcomb >> RowW : rcomb;
    end
    if (end_ack) begin
      flast_q  <= last_n;
      flastv_q <= lastv_n;
      scan_q   <= ScanW'(ScanSteps);
      fbad_q   <= (bad_q && !in_first_i) || in_bad_i;
      dtlast_q <= in_tlast_i;
      fppos_q  <= ppos_n;
      frpos_q  <= rpos_n;
      fprow_q  <= prow_n;
      frrow_q  <= rrow_n;
      fpart_q  <= fpart_n;
    end else if (rowfl_q) begin
      // The lanes' partial words: each the lane's last slot with a bit, if it has one.
      for (int l = 0; l < LW; l++) begin
        if (fpart_q[l]) flast_q[l*SlotW+:SlotW] <= sq0_q[l*SlotW+:SlotW];
      end
      flastv_q <= flastv_q | fpart_q;
    end else if (scanning_q && sph_q) begin
      flast_q  <= flast_n;
      flastv_q <= flastv_n;
      scan_q   <= scan_q - ScanW'(1);
    end
    gt_q <= gt_n;
    // N = 1 + the largest slot holding a lane bit, P and R from the rows written and the last
    // row's bits (every row written before the last is whole); then raw when a value had no
    // codeword or R < 1 + N + P.
    if (lens_q) begin
      dn_q <= flastv_q[0] ? flast_q[SlotW-1:0] + SlotW'(1) : '0;
      dp_q <= WordsW'({fprow_q, BankW'(0)}) + WordsW'(fppos_q[PosW-1:5]) +
              WordsW'(fppos_q[4:0] != '0);
      dr_q <= WordsW'({frrow_q, BankW'(0)}) + WordsW'(frpos_q[PosW-1:5]) +
              WordsW'(frpos_q[4:0] != '0);
    end
    if (sum_q) clo_q <= clo_n;
    if (sum2_q) cwords_q <= coded_words;
    if (choose_q) begin
      draw_q <= fbad_q || CwW'(dr_q) < cwords_q;
    end
    for (int l = 0; l < LW; l++) begin
      if (rowfl_q) begin
        fl0s_q[l*SlotW+:SlotW] <= sq0_q[l*SlotW+:SlotW];
        fl1s_q[l*SlotW+:SlotW] <= sq1_q[l*SlotW+:SlotW];
        fl0d_q[l*32+:32] <= fpart_q[l] ? acc_q[l*64+:32] : 32'd0;
      end else if (fdeq[l]) begin
        fl0s_q[l*SlotW+:SlotW] <= fl1s_q[l*SlotW+:SlotW];
        fl0d_q[l*32+:32] <= '0;
      end
    end
    // An enqueue goes to the head entry of an empty queue, else to the other one (never to a
    // full queue: the step waits); a dequeue only flips the head pointer.
    for (int l = 0; l < LW; l++) begin
      if (in_ack && enq[l]) begin
        if (wqh_q[l] == (wqn_q[l*2+:2] != '0)) begin
          wq0s_q[l*SlotW+:SlotW] <= enq_s[l*SlotW+:SlotW];
          wq0d_q[l*32+:32] <= enq_d[l*32+:32];
          wq0b_q[l] <= wbuf_q;
        end else begin
          wq1s_q[l*SlotW+:SlotW] <= enq_s[l*SlotW+:SlotW];
          wq1d_q[l*32+:32] <= enq_d[l*32+:32];
          wq1b_q[l] <= wbuf_q;
        end
      end
    end
  end

  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= NumLanes && (BeatWords & (BeatWords - 1)) == 0)
  // At most two outstanding slots per lane and two queued writes (Spec: "Refill rule": a lane
  // never holds more than 63 bits); a flush entry waits for no more than one chunk.
  for (genvar l = 0; l < LW; l++) begin : g_chk
    `SFP_ASSERT(SqRange_A, sqn_q[l*2+:2] != 2'd3 && wqn_q[l*2+:2] != 2'd3 &&
                           fln_q[l*2+:2] != 2'd3)
    `SFP_ASSERT(FillRange_A, fill_q[l*7+:7] < 7'd64)
    `SFP_ASSERT(FillLow_A, low_q[l] == (fill_q[l*7+:7] < 7'd32))
    `SFP_ASSERT(SlotRange_A, hv[l] |-> 32'(hs[l*SlotW+:SlotW]) < SlotMax)
    `SFP_ASSERT(FlushBuf_A, hv[l] && hb[l] != wbuf_q |-> pend_q)
    `SFP_ASSERT(HeadPort_A, hp_q[l*2*BeatWords+:2*BeatWords] ==
                            (hv[l] ? port(hb[l], BankW'(hs[l*SlotW+:SlotW])) : '0))
  end
  `SFP_ASSERT(PlaneRow_A, pw_we_o |-> 32'(prow_q) < PlaneRows)
  `SFP_ASSERT(RawRow_A, rw_we_o |-> 32'(rrow_q) < RawRows)
  `SFP_ASSERT(FlushRows_A, rowfl_q |-> pend_q)
  `SFP_ASSERT(SlotHigh_A, nhi1_q == nq_q[SlotW-1:LoW] + (SlotW - LoW)'(1) &&
                         nhi2_q == nq_q[SlotW-1:LoW] + (SlotW - LoW)'(2))
  `SFP_ASSERT(StepCount_A, 32'(tot_q) <= LW)
`ifndef SYNTHESIS
  logic q_room_now;
  always_comb begin
    q_room_now = 1'b1;
    for (int l = 0; l < LW; l++) if (wqn_q[l*2+:2] == 2'd2) q_room_now = 1'b0;
  end
  `SFP_ASSERT(QueueRoom_A, q_room_q == q_room_now)
`endif
  `SFP_ASSERT(DescOnce_A, end_ack |-> !rowfl_q && !scanning_q && !lens_q && !sum_q && !sum2_q &&
                                   !choose_q && !dready_q)
  // The active lanes are the lowest ones (the prefix count relies on it).
  `SFP_ASSERT(ActPrefix_A, in_valid_i |-> (in_act_i & (in_act_i + LW'(1))) == '0)
  for (genvar l = 0; l < LW; l++) begin : g_fresh
    `SFP_ASSERT(FreshSlot_A, in_ack && enq[l] |-> sqn_q[l*2+:2] != '0)
    `SFP_ASSERT(ValueBits_A, in_valid_i && in_act_i[l] |-> 32'(in_nb_i[l*NbW+:NbW]) <= BitsW)
  end
  // No flush entry is written in the cycle the entries load (their slots from the lane state).
  `SFP_ASSERT(FlushFirst_A, rowfl_q |-> fsel_q == '0)
  // A partial word has its slot (the lane's refill rule keeps bits only in requested words).
  for (genvar l = 0; l < LW; l++) begin : g_part
    `SFP_ASSERT(FlushPart_A, end_ack && fpart_n[l] |-> fln_n[l*2+:2] != '0)
  end
  // A flush entry is written only when it exists and no queue entry of its buffer is left.
  `SFP_ASSERT(FlushSel_A, fsel_q != '0 |-> !oldq)
  for (genvar l = 0; l < LW; l++) begin : g_fsel
    `SFP_ASSERT(FlushHead_A, fsel_q[l] |-> fln_q[l*2+:2] != '0)
  end
endmodule
