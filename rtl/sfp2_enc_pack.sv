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
// writes one word per cycle: the lowest lane whose queue head it holds, else the lowest lane
// whose flush entry it holds. A step waits while a write queue is full (bank conflicts).
// Chunk end, overlapped with the next chunk's first steps: at the chunk's last step each
// lane's partial word (if any) and zero words for its other outstanding slots move to the
// lane's flush entries, and the partial plane and raw rows are written the cycle after; the
// lane state starts afresh. N = 1 + the largest slot holding a lane bit (the later words are
// dropped), P = ceil(plane bits / 32), R = ceil(raw bits / 32); the chunk is raw when a value
// had no codeword or R < 1 + N + P. Each lane keeps the last slot it put a bit in (its slots
// only grow), so N needs no comparison on the step's path: after the chunk's last step the
// lanes' last slots are reduced two to one a cycle, then N, P and R are registered, then
// 1 + N + P, then the choice (log2 L + 4 cycles, overlapped with the next chunk's steps). The
// descriptor is handed on (done_o) once every word of the chunk is written and the choice is
// made; a chunk's last step waits while the previous chunk's is pending.
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
  // A slot is next_q plus at most L - 1 < 2^LoW: its low LoW bits take one small addition and
  // its high part is next_q's or the registered next_q's + 1 (a carry select, no carry chain
  // through the slot's width after the prefix count; + 2 is kept too, so that the next + 1 is
  // selected rather than incremented after the carry).
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
  logic [LW*SlotW-1:0]  wq0s_q, wq1s_q; // write queue: slot, word and buffer
  logic [LW*32-1:0]     wq0d_q, wq1d_q;
  logic [LW-1:0]        wq0b_q, wq1b_q;
  logic [LW*2-1:0]      wqn_q;
  logic [LW*SlotW-1:0]  fl0s_q, fl1s_q; // flush entries (buffer fbuf_q): slot, and the
  logic [LW*32-1:0]     fl0d_q;         // partial word of the first; the second is zero
  logic [LW*2-1:0]      fln_q;

  logic [SlotW-1:0]     next_q;         // slots handed out in this chunk
  logic [SlotW-LoW-1:0] nhi1_q, nhi2_q; // next_q's high part (above its LoW low bits) + 1, + 2
  logic [LW*SlotW-1:0]  last_q;         // per lane: the last slot it put a bit in ...
  logic [LW-1:0]        lastv_q;        // ... if any, this chunk
  logic                 bad_q, wbuf_q;
  logic [RowW+PlaneW-1:0] pacc_q;
  logic [PosW-1:0]      ppos_q;
  logic [PRowW:0]       prow_q;
  logic [WordsW+5:0]    pbits_q;
  logic [RowW+RawW-1:0] racc_q;
  logic [PosW-1:0]      rpos_q;
  logic [RRowW:0]       rrow_q;
  logic [WordsW+5:0]    rbits_q;

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
  logic [ScanW-1:0]     scan_q;         // rounds still to go
  logic                 scanning_q, lens_q, sum_q, choose_q, dready_q;
  logic [WordsW+SlotW+1:0] cwords_q;    // 1 + N + P
  logic [WordsW+5:0]    fpbits_q, frbits_q;
  logic                 fbad_q;
  logic [PosW-1:0]      fppos_q, frpos_q;
  logic [PRowW-1:0]     fprow_q;
  logic [RRowW-1:0]     frrow_q;

  logic in_ack, old_left;
  logic q_room_q /*verilator public_flat_rd*/;

  // Bank arbitration (registered queue heads and flush entries): bank k of buffer b takes the
  // lowest lane whose queue head it holds, else the lowest lane whose flush entry it holds. The
  // lowest candidate is found by a log-depth prefix OR (not a chain over the lanes).
  function automatic logic [LW-1:0] lowest(logic [LW-1:0] c);
    logic [LW-1:0] below;  // some candidate below lane l
    below = c << 1;
    for (int d = 1; d < LW; d = d * 2) below = below | (below << d);
    lowest = c & ~below;
  endfunction
  logic [LW-1:0] deq, fdeq, pick, fpick, cand, fcand;
  logic          hit;
  always_comb begin
    deq = '0;
    fdeq = '0;
    pick = '0;
    fpick = '0;
    cand = '0;
    fcand = '0;
    hit = 1'b0;
    sw_we_o = '0;
    sw_row_o = '0;
    sw_data_o = '0;
    for (int b = 0; b < 2; b++) begin
      for (int k = 0; k < BeatWords; k++) begin
        for (int l = 0; l < LW; l++) begin
          cand[l]  = wqn_q[l*2+:2] != '0 && wq0b_q[l] == b[0] &&
                     32'(BankW'(wq0s_q[l*SlotW+:SlotW])) == k;
          fcand[l] = fln_q[l*2+:2] != '0 && fbuf_q == b[0] &&
                     32'(BankW'(fl0s_q[l*SlotW+:SlotW])) == k;
        end
        pick = lowest(cand);
        fpick = lowest(fcand);
        hit = cand != '0;
        // At most one lane is chosen: its row and word ORed in (one-hot, no chain of selects).
        for (int l = 0; l < LW; l++) begin
          sw_row_o[(b*BeatWords+k)*SRowW+:SRowW] = sw_row_o[(b*BeatWords+k)*SRowW+:SRowW] |
              ({SRowW{pick[l]}} & SRowW'(wq0s_q[l*SlotW+:SlotW] >> BankW)) |
              ({SRowW{!hit && fpick[l]}} & SRowW'(fl0s_q[l*SlotW+:SlotW] >> BankW));
          sw_data_o[(b*BeatWords+k)*32+:32] = sw_data_o[(b*BeatWords+k)*32+:32] |
              ({32{pick[l]}} & wq0d_q[l*32+:32]) | ({32{!hit && fpick[l]}} & fl0d_q[l*32+:32]);
        end
        sw_we_o[b*BeatWords+k] = hit || fcand != '0;
        deq = deq | pick;
        fdeq = fdeq | ({LW{!hit}} & fpick);
      end
    end
  end

  // Words of the flushed chunk still to write: queue entries of its buffer, flush entries.
  always_comb begin
    old_left = rowfl_q;
    for (int l = 0; l < LW; l++) begin
      if (fln_q[l*2+:2] != '0) old_left = 1'b1;
      if (wqn_q[l*2+:2] != '0 && wq0b_q[l] == fbuf_q) old_left = 1'b1;
      if (wqn_q[l*2+:2] == 2'd2 && wq1b_q[l] == fbuf_q) old_left = 1'b1;
    end
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
  logic [LW*SlotW-1:0] fl0s_n, fl1s_n;
  logic [LW*32-1:0]    fl0d_n;
  logic [LW*2-1:0]     fln_n;
  logic [SlotW-1:0]    next_n;
  logic [SlotW-LoW-1:0] nhi1_n, nhi2_n;
  logic [LoW:0]        lo;
  logic [LW*SlotW-1:0] last_n;
  logic [LW-1:0]       lastv_n;

  // The step's requests: lane l takes a slot when it is active and holds fewer than 32 bits;
  // its slot is next_q + the number of requests below it (a log-depth prefix count), formed
  // as a carry select on next_q's low LoW bits.
  localparam int unsigned PcW = LaneCntW;
  logic [LW-1:0]     req;
  logic [LW*PcW-1:0] pcnt;   // inclusive prefix count of req
  always_comb begin
    for (int l = 0; l < LW; l++) req[l] = in_act_i[l] && low_q[l];
  end
  sfp_prefix_count #(.N(LW), .W(PcW)) u_req_count (.flags_i(req), .count_o(pcnt));
  logic [LW*PcW-1:0] pbelow;  // requests of the lanes below lane l
  assign pbelow = {pcnt[0+:(LW-1)*PcW], PcW'(0)};

  // Loop variables.
  logic             act, flag;
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
    fl0s_n = '0;
    fl1s_n = '0;
    fl0d_n = '0;
    fln_n = '0;
    lo = (LoW + 1)'(next_q[LoW-1:0]) + (LoW + 1)'(pcnt[(LW-1)*PcW+:PcW]);
    next_n = {lo[LoW] ? nhi1_q : next_q[SlotW-1:LoW], lo[LoW-1:0]};
    // The successors are selected, never incremented after the carry: + 3 comes from nhi1_q
    // (a register other than the one it replaces), beside the count.
    nhi1_n = lo[LoW] ? nhi2_q : nhi1_q;
    nhi2_n = lo[LoW] ? nhi1_q + (SlotW - LoW)'(2) : nhi2_q;
    last_n = last_q;
    lastv_n = lastv_q;
    {act, flag, f, a, ap, s0, s1, slot, n} = '0;
    for (int l = 0; l < LW; l++) begin
      f  = fill_q[l*7+:7];
      a  = acc_q[l*64+:64] & ~({64{1'b1}} << apos_q[l*6+:6]);
      ap = 7'(apos_q[l*6+:6]);
      s0 = sq0_q[l*SlotW+:SlotW];
      s1 = sq1_q[l*SlotW+:SlotW];
      n  = sqn_q[l*2+:2];
      act  = in_act_i[l];
      flag = req[l];
      // Refill: this lane takes the step's next slot.
      if (flag) begin
        lo = (LoW + 1)'(next_q[LoW-1:0]) + (LoW + 1)'(pbelow[l*PcW+:PcW]);
        slot = {lo[LoW] ? nhi1_q : next_q[SlotW-1:LoW], lo[LoW-1:0]};
        if (n == 2'd0) s0 = slot;
        else s1 = slot;
        n = n + 2'd1;
        f = f + 7'd32;
      end
      if (act) begin
        f  = f - 7'(in_nb_i[l*NbW+:NbW]);
        a  = a | (64'(in_bits_i[l*BitsW+:BitsW]) << ap);
        ap = ap + 7'(in_nb_i[l*NbW+:NbW]);
      end
      if (ap >= 7'd32) begin
        enq[l] = 1'b1;
        enq_s[l*SlotW+:SlotW] = s0;
        enq_d[l*32+:32] = a[31:0];
        last_n[l*SlotW+:SlotW] = s0;
        lastv_n[l] = 1'b1;
        a  = a >> 32;
        ap = ap - 7'd32;
        s0 = s1;
        n  = n - 2'd1;
      end
      // Chunk end: the partial word (a lane bit if apos > 0) to the first outstanding slot,
      // a zero word to the second.
      if (in_end_i) begin
        fl0s_n[l*SlotW+:SlotW] = s0;
        fl1s_n[l*SlotW+:SlotW] = s1;
        fl0d_n[l*32+:32] = (ap != '0) ? a[31:0] : 32'd0;
        fln_n[l*2+:2] = n;
        if (n != 2'd0 && ap != '0) begin
          last_n[l*SlotW+:SlotW] = s0;
          lastv_n[l] = 1'b1;
        end
      end
      fill_n[l*7+:7] = f;
      acc_n[l*64+:64] = a;
      apos_n[l*6+:6] = 6'(ap);
      sq0_n[l*SlotW+:SlotW] = s0;
      sq1_n[l*SlotW+:SlotW] = s1;
      sqn_n[l*2+:2] = n;
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
  logic [WordsW+5:0]      pbits_n, rbits_n;
  assign pcomb = (pacc_q & ~({(RowW + PlaneW){1'b1}} << ppos_q)) |
                 ((RowW + PlaneW)'(in_plane_i) << ppos_q);
  assign rcomb = (racc_q & ~({(RowW + RawW){1'b1}} << rpos_q)) |
                 ((RowW + RawW)'(in_raw_i) << rpos_q);
  assign pnext = (PosW + 2)'(ppos_q) + (PosW + 2)'(in_plen_i);
  assign rnext = (PosW + 2)'(rpos_q) + (PosW + 2)'(in_rlen_i);
  assign pbits_n = pbits_q + (WordsW + 6)'(in_plen_i);
  assign rbits_n = rbits_q + (WordsW + 6)'(in_rlen_i);

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
    pf_row_o = fprow_q;
    rf_row_o = frrow_q;
    pf_data_o = pacc_q[RowW-1:0] & ~({RowW{1'b1}} << fppos_q);
    rf_data_o = racc_q[RowW-1:0] & ~({RowW{1'b1}} << frpos_q);
  end

  // Chunk end, the cycles after its last step: log2 L rounds of the largest of the lanes' last
  // slots (entry j takes the larger valid of entries 2j and 2j + 1: one compare a cycle); then
  // N, P and R; then the choice.
  logic [LW*SlotW-1:0] flast_n;
  logic [LW-1:0]       flastv_n;
  logic [SlotW-1:0]    fa, fb;
  always_comb begin
    flast_n = '0;
    flastv_n = '0;
    {fa, fb} = '0;
    for (int j = 0; j < LW / 2; j++) begin
      fa = flast_q[2*j*SlotW+:SlotW];
      fb = flast_q[(2*j+1)*SlotW+:SlotW];
      flast_n[j*SlotW+:SlotW] = flastv_q[2*j+1] && (!flastv_q[2*j] || fb > fa) ? fb : fa;
      flastv_n[j] = flastv_q[2*j] || flastv_q[2*j+1];
    end
  end
  logic [WordsW+SlotW+1:0] coded_words;
  assign coded_words = (WordsW + SlotW + 2)'(1) + (WordsW + SlotW + 2)'(dn_q) +
                       (WordsW + SlotW + 2)'(dp_q);
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
      next_q  <= '0;
      nhi1_q  <= (SlotW - LoW)'(1);
      nhi2_q  <= (SlotW - LoW)'(2);
      lastv_q <= '0;
      scanning_q <= 1'b0;
      lens_q  <= 1'b0;
      sum_q   <= 1'b0;
      choose_q <= 1'b0;
      dready_q <= 1'b0;
      bad_q   <= 1'b0;
      wbuf_q  <= 1'b0;
      fbuf_q  <= 1'b0;
      pend_q  <= 1'b0;
      rowfl_q <= 1'b0;
      ppos_q  <= '0;
      prow_q  <= '0;
      pbits_q <= '0;
      rpos_q  <= '0;
      rrow_q  <= '0;
      rbits_q <= '0;
    end else begin
      wqn_q <= wqn_n;
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
      scanning_q <= end_ack || (scanning_q && scan_q != ScanW'(1));
      lens_q <= scanning_q && scan_q == ScanW'(1);
      sum_q <= lens_q;
      choose_q <= sum_q;
      if (choose_q) dready_q <= 1'b1;
      else if (done_o) dready_q <= 1'b0;
      if (in_ack) begin
        fill_q  <= end_ack ? '0 : fill_n;
        for (int l = 0; l < LW; l++) low_q[l] <= end_ack || fill_n[l*7+:7] < 7'd32;
        apos_q  <= end_ack ? '0 : apos_n;
        sqn_q   <= end_ack ? '0 : sqn_n;
        next_q  <= end_ack ? '0 : next_n;
        nhi1_q  <= end_ack ? (SlotW - LoW)'(1) : nhi1_n;
        nhi2_q  <= end_ack ? (SlotW - LoW)'(2) : nhi2_n;
        lastv_q <= end_ack ? '0 : lastv_n;
        bad_q   <= end_ack ? 1'b0 : (bad_q && !in_first_i) || in_bad_i;
        ppos_q  <= end_ack ? '0 : ppos_n;
        prow_q  <= end_ack ? '0 : prow_n;
        pbits_q <= end_ack ? '0 : pbits_n;
        rpos_q  <= end_ack ? '0 : rpos_n;
        rrow_q  <= end_ack ? '0 : rrow_n;
        rbits_q <= end_ack ? '0 : rbits_n;
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
      fpbits_q <= pbits_n;
      frbits_q <= rbits_n;
      fbad_q   <= (bad_q && !in_first_i) || in_bad_i;
      dtlast_q <= in_tlast_i;
      fppos_q  <= ppos_n;
      frpos_q  <= rpos_n;
      fprow_q  <= PRowW'(prow_n);
      frrow_q  <= RRowW'(rrow_n);
    end else if (scanning_q) begin
      flast_q  <= flast_n;
      flastv_q <= flastv_n;
      scan_q   <= scan_q - ScanW'(1);
    end
    // N = 1 + the largest slot holding a lane bit, P and R from the bit counts; then raw when
    // a value had no codeword or R < 1 + N + P.
    if (lens_q) begin
      dn_q <= flastv_q[0] ? flast_q[SlotW-1:0] + SlotW'(1) : '0;
      dp_q <= WordsW'((fpbits_q + (WordsW + 6)'(31)) >> 5);
      dr_q <= WordsW'((frbits_q + (WordsW + 6)'(31)) >> 5);
    end
    if (sum_q) cwords_q <= coded_words;
    if (choose_q) begin
      draw_q <= fbad_q || (WordsW + SlotW + 2)'(dr_q) < cwords_q;
    end
    for (int l = 0; l < LW; l++) begin
      if (end_ack) begin
        fl0s_q[l*SlotW+:SlotW] <= fl0s_n[l*SlotW+:SlotW];
        fl1s_q[l*SlotW+:SlotW] <= fl1s_n[l*SlotW+:SlotW];
        fl0d_q[l*32+:32] <= fl0d_n[l*32+:32];
      end else if (fdeq[l]) begin
        fl0s_q[l*SlotW+:SlotW] <= fl1s_q[l*SlotW+:SlotW];
        fl0d_q[l*32+:32] <= '0;
      end
    end
    for (int l = 0; l < LW; l++) begin
      if (deq[l]) begin
        wq0s_q[l*SlotW+:SlotW] <= wq1s_q[l*SlotW+:SlotW];
        wq0d_q[l*32+:32] <= wq1d_q[l*32+:32];
        wq0b_q[l] <= wq1b_q[l];
      end
      if (in_ack && enq[l]) begin
        if (wqn_q[l*2+:2] == 2'(deq[l])) begin
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
    `SFP_ASSERT(SlotRange_A, wqn_q[l*2+:2] != '0 |-> 32'(wq0s_q[l*SlotW+:SlotW]) < SlotMax)
    `SFP_ASSERT(FlushBuf_A, wqn_q[l*2+:2] != '0 && wq0b_q[l] != wbuf_q |-> pend_q)
  end
  `SFP_ASSERT(PlaneRow_A, pw_we_o |-> 32'(prow_q) < PlaneRows)
  `SFP_ASSERT(RawRow_A, rw_we_o |-> 32'(rrow_q) < RawRows)
  `SFP_ASSERT(FlushRows_A, rowfl_q |-> pend_q)
  `SFP_ASSERT(SlotHigh_A, nhi1_q == next_q[SlotW-1:LoW] + (SlotW - LoW)'(1) &&
                         nhi2_q == next_q[SlotW-1:LoW] + (SlotW - LoW)'(2))
`ifndef SYNTHESIS
  logic q_room_now;
  always_comb begin
    q_room_now = 1'b1;
    for (int l = 0; l < LW; l++) if (wqn_q[l*2+:2] == 2'd2) q_room_now = 1'b0;
  end
  `SFP_ASSERT(QueueRoom_A, q_room_q == q_room_now)
`endif
  `SFP_ASSERT(DescOnce_A, end_ack |-> !scanning_q && !lens_q && !sum_q && !choose_q &&
                                   !dready_q)
endmodule
