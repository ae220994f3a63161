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
// words taken in one step are numbered in lane order (a prefix count), so lane l's k-th
// request is slot s and lane l's k-th word goes to slot s. A lane has at most two requested
// words that are not complete (fill <= 63), kept in a two-entry slot queue. A completed word
// waits in its lane's two-entry write queue; each bank writes the lowest lane whose head word
// it holds, one per cycle. A step waits while a write queue is full (bank conflicts).
// Chunk end (FL1, FL2, DRAIN): each lane's partial word goes to its first outstanding slot and
// zero words to the rest, then the queues drain. N = 1 + the largest slot holding a lane bit
// (the later words are dropped), P = ceil(plane bits / 32), R = ceil(raw bits / 32); the chunk
// is raw when a value had no codeword or R < 1 + N + P.
// Paths: in_ready_o from registers and buf_full_i.
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
  input  logic [LaneCntW-1:0]         in_count_i,
  input  logic                        in_bad_i,
  input  logic                        in_first_i,
  input  logic                        in_end_i,
  input  logic                        in_tlast_i,
  // Staging buffer handshake: wbuf_o is the buffer being written; it must be free at a
  // chunk's first step.
  output logic                        wbuf_o,
  input  logic [1:0]                  buf_full_i,
  // Slot banks: bank b writes slot row sw_row_o[b] (of buffer wbuf_o).
  output logic [BeatWords-1:0]        sw_we_o,
  output logic [BeatWords*SRowW-1:0]  sw_row_o,
  output logic [BeatWords*32-1:0]     sw_data_o,
  output logic                        pw_we_o,
  output logic [PRowW-1:0]            pw_row_o,
  output logic [RowW-1:0]             pw_data_o,
  output logic                        rw_we_o,
  output logic [RRowW-1:0]            rw_row_o,
  output logic [RowW-1:0]             rw_data_o,
  // The finished chunk (one cycle): written into buffer wbuf_o.
  output logic                        done_o,
  output logic [SlotW-1:0]            done_n_o,      // lane words N
  output logic [WordsW-1:0]           done_p_o,      // plane words (coded)
  output logic [WordsW-1:0]           done_r_o,      // raw words
  output logic                        done_raw_o,
  output logic                        done_tlast_o
);
  localparam int unsigned LW = NumLanes;

  typedef enum logic [1:0] {
    StRun   = 2'd0,
    StFl1   = 2'd1,  // partial words to the first outstanding slots, partial rows
    StFl2   = 2'd2,  // zero words to the second outstanding slots
    StDrain = 2'd3   // wait for the write queues
  } st_e;
  st_e st_q;

  // Per-lane state, flattened: lane l's field at [l*W +: W].
  logic [LW*7-1:0]      fill_q;
  logic [LW*64-1:0]     acc_q;          // bits of the lane's current word, apos_q of them valid
  logic [LW*6-1:0]      apos_q;
  logic [LW*SlotW-1:0]  sq0_q, sq1_q;   // outstanding slots, oldest first
  logic [LW*2-1:0]      sqn_q;
  logic [LW*SlotW-1:0]  wq0s_q, wq1s_q; // write queue: slot and word
  logic [LW*32-1:0]     wq0d_q, wq1d_q;
  logic [LW*2-1:0]      wqn_q;

  logic [SlotW-1:0]     next_q;         // slots handed out in this chunk
  logic [SlotW-1:0]     maxs_q;         // largest slot holding a lane bit
  logic                 any_q;
  logic                 bad_q, tlast_q, wbuf_q;
  logic [RowW+PlaneW-1:0] pacc_q;
  logic [$clog2(RowW+1)-1:0] ppos_q;
  logic [PRowW:0]       prow_q;
  logic [WordsW+5:0]    pbits_q;
  logic [RowW+RawW-1:0] racc_q;
  logic [$clog2(RowW+1)-1:0] rpos_q;
  logic [RRowW:0]       rrow_q;
  logic [WordsW+5:0]    rbits_q;

  logic in_ack, q_room, q_empty;

  // Bank arbitration over the write queue heads (registered): each bank takes the lowest lane
  // whose head word it holds.
  logic [LW-1:0] deq, pick;
  always_comb begin
    deq = '0;
    pick = '0;
    sw_we_o = '0;
    sw_row_o = '0;
    sw_data_o = '0;
    for (int b = 0; b < BeatWords; b++) begin
      pick = '0;
      for (int l = LW - 1; l >= 0; l--) begin
        if (wqn_q[l*2+:2] != '0 && 32'(BankW'(wq0s_q[l*SlotW+:SlotW])) == b) begin
          pick = '0;
          pick[l] = 1'b1;
        end
      end
      for (int l = 0; l < LW; l++) begin
        if (pick[l]) begin
          deq[l] = 1'b1;
          sw_we_o[b] = 1'b1;
          sw_row_o[b*SRowW+:SRowW] = SRowW'(wq0s_q[l*SlotW+:SlotW] >> BankW);
          sw_data_o[b*32+:32] = wq0d_q[l*32+:32];
        end
      end
    end
  end

  always_comb begin
    q_room = 1'b1;
    q_empty = 1'b1;
    for (int l = 0; l < LW; l++) begin
      if (wqn_q[l*2+:2] == 2'd2) q_room = 1'b0;
      if (wqn_q[l*2+:2] != 2'd0) q_empty = 1'b0;
    end
  end

  assign in_ready_o = st_q == StRun && q_room && !(in_first_i && buf_full_i[wbuf_q]);
  assign in_ack = in_valid_i && in_ready_o;
  assign wbuf_o = wbuf_q;

  // One step (StRun) or one flush cycle: next lane state and the words to enqueue.
  logic [LW*7-1:0]     fill_n;
  logic [LW*64-1:0]    acc_n;
  logic [LW*6-1:0]     apos_n;
  logic [LW*SlotW-1:0] sq0_n, sq1_n;
  logic [LW*2-1:0]     sqn_n;
  logic [LW-1:0]       enq;
  logic [LW*SlotW-1:0] enq_s;
  logic [LW*32-1:0]    enq_d;
  logic [SlotW-1:0]    next_n, maxs_n;
  logic                any_n;
  logic                do_step, do_fl1, do_fl2;

  assign do_step = in_ack;
  assign do_fl1  = st_q == StFl1 && q_room;
  assign do_fl2  = st_q == StFl2 && q_room;

  // Loop variables.
  logic             act, flag, cont;
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
    next_n = next_q;
    maxs_n = maxs_q;
    any_n = any_q;
    {act, flag, cont, f, a, ap, s0, s1, slot, n} = '0;
    for (int l = 0; l < LW; l++) begin
      f  = fill_q[l*7+:7];
      a  = acc_q[l*64+:64] & ((64'd1 << apos_q[l*6+:6]) - 64'd1);
      ap = 7'(apos_q[l*6+:6]);
      s0 = sq0_q[l*SlotW+:SlotW];
      s1 = sq1_q[l*SlotW+:SlotW];
      n  = sqn_q[l*2+:2];
      if (do_step) begin
        act  = l < 32'(in_count_i);
        flag = act && f < 7'd32;
        // Refill: this lane takes the step's next slot.
        if (flag) begin
          slot = next_n;
          next_n = next_n + SlotW'(1);
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
          if (!any_n || s0 > maxs_n) maxs_n = s0;
          any_n = 1'b1;
          a  = a >> 32;
          ap = ap - 7'd32;
          s0 = s1;
          n  = n - 2'd1;
        end
      end else if (do_fl1 || do_fl2) begin
        // The first outstanding slot gets the partial word (a lane bit if apos > 0), then
        // zeros; a lane with nothing outstanding writes nothing.
        if (n != 2'd0) begin
          cont = ap != '0;
          enq[l] = 1'b1;
          enq_s[l*SlotW+:SlotW] = s0;
          enq_d[l*32+:32] = cont ? a[31:0] : 32'd0;
          if (cont && (!any_n || s0 > maxs_n)) maxs_n = s0;
          any_n = any_n || cont;
          a  = '0;
          ap = '0;
          s0 = s1;
          n  = n - 2'd1;
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
  always_comb begin
    for (int l = 0; l < LW; l++) wqn_n[l*2+:2] = wqn_q[l*2+:2] - 2'(deq[l]) + 2'(enq[l]);
  end

  // Plane and raw rows.
  logic [RowW+PlaneW-1:0] pcomb;
  logic [RowW+RawW-1:0]   rcomb;
  logic [$clog2(RowW+1)+1:0] pnext, rnext;
  assign pcomb = (pacc_q & (((RowW + PlaneW)'(1)) << ppos_q) - (RowW + PlaneW)'(1)) |
                 ((RowW + PlaneW)'(in_plane_i) << ppos_q);
  assign rcomb = (racc_q & (((RowW + RawW)'(1)) << rpos_q) - (RowW + RawW)'(1)) |
                 ((RowW + RawW)'(in_raw_i) << rpos_q);
  assign pnext = ($clog2(RowW + 1) + 2)'(ppos_q) + ($clog2(RowW + 1) + 2)'(in_plen_i);
  assign rnext = ($clog2(RowW + 1) + 2)'(rpos_q) + ($clog2(RowW + 1) + 2)'(in_rlen_i);

  always_comb begin
    pw_we_o = 1'b0;
    pw_row_o = PRowW'(prow_q);
    pw_data_o = pcomb[RowW-1:0];
    rw_we_o = 1'b0;
    rw_row_o = RRowW'(rrow_q);
    rw_data_o = rcomb[RowW-1:0];
    if (do_step) begin
      pw_we_o = pnext >= ($clog2(RowW + 1) + 2)'(RowW);
      rw_we_o = rnext >= ($clog2(RowW + 1) + 2)'(RowW);
    end else if (do_fl1) begin
      pw_we_o = ppos_q != '0;
      rw_we_o = rpos_q != '0;
      pw_data_o = pacc_q[RowW-1:0] & ((RowW'(1) << ppos_q) - RowW'(1));
      rw_data_o = racc_q[RowW-1:0] & ((RowW'(1) << rpos_q) - RowW'(1));
    end
  end

  // Chunk end: lengths and the choice.
  logic [SlotW-1:0]  n_words;
  logic [WordsW+1:0] p_words, r_words;
  logic [WordsW+SlotW+1:0] coded_words;
  assign n_words = any_q ? maxs_q + SlotW'(1) : '0;
  assign p_words = (WordsW + 2)'((pbits_q + (WordsW + 6)'(31)) >> 5);
  assign r_words = (WordsW + 2)'((rbits_q + (WordsW + 6)'(31)) >> 5);
  assign coded_words = (WordsW + SlotW + 2)'(1) + (WordsW + SlotW + 2)'(n_words) +
                       (WordsW + SlotW + 2)'(p_words);
  assign done_o       = st_q == StDrain && q_empty;
  assign done_n_o     = n_words;
  assign done_p_o     = WordsW'(p_words);
  assign done_r_o     = WordsW'(r_words);
  assign done_raw_o   = bad_q || (WordsW + SlotW + 2)'(r_words) < coded_words;
  assign done_tlast_o = tlast_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q    <= StRun;
      fill_q  <= '0;
      apos_q  <= '0;
      sqn_q   <= '0;
      wqn_q   <= '0;
      next_q  <= '0;
      any_q   <= 1'b0;
      maxs_q  <= '0;
      bad_q   <= 1'b0;
      tlast_q <= 1'b0;
      wbuf_q  <= 1'b0;
      ppos_q  <= '0;
      prow_q  <= '0;
      pbits_q <= '0;
      rpos_q  <= '0;
      rrow_q  <= '0;
      rbits_q <= '0;
    end else begin
      // Write queues: dequeue the granted head, then append.
      wqn_q <= wqn_n;
      if (do_step || do_fl1 || do_fl2) begin
        fill_q <= fill_n;
        apos_q <= apos_n;
        sqn_q  <= sqn_n;
        next_q <= next_n;
        maxs_q <= maxs_n;
        any_q  <= any_n;
      end
      if (do_step) begin
        bad_q   <= (bad_q && !in_first_i) || in_bad_i;
        tlast_q <= in_tlast_i;
        if (in_end_i) st_q <= StFl1;
        if (pw_we_o) begin
          ppos_q <= $bits(ppos_q)'(pnext - ($clog2(RowW + 1) + 2)'(RowW));
          prow_q <= prow_q + (PRowW + 1)'(1);
        end else begin
          ppos_q <= $bits(ppos_q)'(pnext);
        end
        if (rw_we_o) begin
          rpos_q <= $bits(rpos_q)'(rnext - ($clog2(RowW + 1) + 2)'(RowW));
          rrow_q <= rrow_q + (RRowW + 1)'(1);
        end else begin
          rpos_q <= $bits(rpos_q)'(rnext);
        end
        pbits_q <= pbits_q + (WordsW + 6)'(in_plen_i);
        rbits_q <= rbits_q + (WordsW + 6)'(in_rlen_i);
      end
      if (do_fl1) st_q <= StFl2;
      if (do_fl2) st_q <= StDrain;
      if (done_o) begin
        st_q    <= StRun;
        wbuf_q  <= !wbuf_q;
        fill_q  <= '0;
        apos_q  <= '0;
        sqn_q   <= '0;
        next_q  <= '0;
        any_q   <= 1'b0;
        maxs_q  <= '0;
        bad_q   <= 1'b0;
        ppos_q  <= '0;
        prow_q  <= '0;
        pbits_q <= '0;
        rpos_q  <= '0;
        rrow_q  <= '0;
        rbits_q <= '0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (do_step || do_fl1 || do_fl2) begin
      acc_q <= acc_n;
      sq0_q <= sq0_n;
      sq1_q <= sq1_n;
    end
    if (do_step) begin
      pacc_q <= pw_we_o ? pcomb >> RowW : pcomb;
      racc_q <= rw_we_o ? rcomb >> RowW : rcomb;
    end
    for (int l = 0; l < LW; l++) begin
      if (deq[l]) begin
        wq0s_q[l*SlotW+:SlotW] <= wq1s_q[l*SlotW+:SlotW];
        wq0d_q[l*32+:32] <= wq1d_q[l*32+:32];
      end
      if (enq[l]) begin
        if (wqn_q[l*2+:2] == 2'(deq[l])) begin
          wq0s_q[l*SlotW+:SlotW] <= enq_s[l*SlotW+:SlotW];
          wq0d_q[l*32+:32] <= enq_d[l*32+:32];
        end else begin
          wq1s_q[l*SlotW+:SlotW] <= enq_s[l*SlotW+:SlotW];
          wq1d_q[l*32+:32] <= enq_d[l*32+:32];
        end
      end
    end
  end

  `SFP_ASSERT_INIT(ParamBeat_A, BeatWords >= NumLanes && (BeatWords & (BeatWords - 1)) == 0)
  // At most two outstanding slots per lane and two queued writes (Spec: "Refill rule": a lane
  // never holds more than 63 bits).
  for (genvar l = 0; l < LW; l++) begin : g_chk
    `SFP_ASSERT(SqRange_A, sqn_q[l*2+:2] != 2'd3 && wqn_q[l*2+:2] != 2'd3)
    `SFP_ASSERT(FillRange_A, fill_q[l*7+:7] < 7'd64)
    `SFP_ASSERT(SlotRange_A, wqn_q[l*2+:2] != '0 |-> 32'(wq0s_q[l*SlotW+:SlotW]) < SlotMax)
  end
  `SFP_ASSERT(PlaneRow_A, pw_we_o |-> 32'(prow_q) < PlaneRows)
  `SFP_ASSERT(RawRow_A, rw_we_o |-> 32'(rrow_q) < RawRows)
endmodule
