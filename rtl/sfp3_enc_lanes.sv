// SPDX-License-Identifier: Apache-2.0
//
// v3 encoder, lanes: replays the refill rule on the lane bit counts, writes each value's lane
// bits into its lane's words, and hands every finished word, with its slot, to the window.
// Spec: docs/format.md, "Version 3 refill rule", "Version 3 encoder working set".
// Per lane a queue of QueueWords words (registers): its front nd words are finished and wait
// for their window write, the next no (at most four) are the lane's open words, written at bit
// b of the first; each entry keeps its slot modulo 1024. A step takes one cycle on the bit
// counts (nd, no, b, the slots); its slots are resolved and its bits written the next cycle:
//   expiry   the lane's open words whose slot + 512 <= start + 2 L_c (bit 9 of the difference
//            modulo 1024) are finished as they are (b = 0); the counts run a register behind
//            the takes (start = base + takes_q), and the test uses the registered horizon
//            hb_q = base + 2 L_c (see below why);
//   refill   fill = 32 no - b; the lane takes (fill < 44) + (fill < 12) words;
//   value    its bits go at bit 32 nd + b of the queue; the words they pass are finished.
// The taken entries get their slots the cycle after the step, from the registered takes:
// start + (the takes of the lanes below), an inclusive prefix count. For that cycle they are
// pending: not offered to the window and not expired (a word cannot expire in the step after
// it is taken), so no slot arithmetic is on the step's path.
// The write (the taken entries cleared, then the bits ORed in) is registered per lane as
// (entries, position, bits) and applied to the words in the next cycle, before a word leaves;
// the words are touched by nothing else, so the counts run one step ahead of them.
// Every cycle each lane offers its front finished word, unless its slot is pending, to the
// window's bank slot mod Banks; a bank takes the lowest such lane (the others wait a cycle).
// A step waits while a lane's queue lacks room for its takes (counted from the registers: the
// takes without expiry, exact when the step can go), while the window could hold more than
// V3WindowWords - 1 words after it (next + 2 L_c - emitted_i, 2 L_c bounding the takes), or
// while a chunk is closing: the step's handshake sees no loop logic. It cannot wait forever:
// once its expiry is applied, every unfinished word is at or above start + 2 L_c - 511, and
// emitted_i reaches the oldest of them.
// The expiry of the step at the input is applied even while it waits, so the word it finishes
// can leave the window's way (the expiry depends only on start, which does not move then).
// The three cycles after a chunk's last step close the chunk: the first resolves the last
// step's last-bit slots; the second finds keep = 1 + the newest slot holding a lane's last bit
// (the lanes' last-bit slots, compared as distances below next in a tree); the third applies
// it: the open words below keep are finished, those from keep on are dropped (they hold no
// lane bit), next moves back to keep, and the chunk's end slot, length N and tensor flag go to
// chunk_o.
// The step's logic starts at registers (hb, the slots, nd, no, b): no path from takes back.
// Paths: step_ready_o <- emitted_i and the step's payload (count, L_c; not step_valid_i);
//        tensor_done_o <- step_valid_i; w_*, chunk_* from registers; next_o = base + takes_q.
`include "sfp_assert.svh"

module sfp3_enc_lanes #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned Banks       = 64,
  parameter  int unsigned QueueWords  = 6,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned BitsW       = sfp3_pkg::MaxValueBits,
  localparam int unsigned NbW         = $clog2(BitsW + 1),
  localparam int unsigned SW          = sfp3_pkg::SlotBits,
  localparam int unsigned BankW       = $clog2(Banks),
  localparam int unsigned RowW        = $clog2(sfp3_pkg::WindowWords / Banks),
  localparam int unsigned WordsW      = $clog2(2 * ChunkValues + 1)
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       step_valid_i,
  output logic                       step_ready_o,
  input  logic [NumLanes*BitsW-1:0]  step_bits_i,
  input  logic [NumLanes*NbW-1:0]    step_nb_i,
  input  logic [LaneCntW-1:0]        step_count_i,
  input  logic [LaneCntW-1:0]        step_lc_i,
  input  logic                       step_first_i,
  input  logic                       step_end_i,
  input  logic                       step_tlast_i,
  // Window writes: per bank one word at a row (slot = row * Banks + bank, modulo 512).
  output logic [Banks-1:0]           w_we_o,
  output logic [Banks*RowW-1:0]      w_row_o,
  output logic [Banks*32-1:0]        w_data_o,
  input  logic [SW-1:0]              emitted_i,   // the window's next slot to emit
  output logic [SW-1:0]              next_o,      // slots taken so far (modulo 1024)
  // A closed chunk: its end slot, length in words and whether it is the tensor's last.
  output logic                       chunk_valid_o,
  input  logic                       chunk_ready_i,
  output logic [SW-1:0]              chunk_end_o,
  output logic [WordsW-1:0]          chunk_words_o,
  output logic                       chunk_tlast_o,
  output logic                       tensor_done_o  // a tensor's last step is taken
);
  localparam int unsigned Q   = QueueWords;
  localparam int unsigned QW  = $clog2(Q + 1);
  localparam int unsigned QD  = Q * 32;
  localparam int unsigned QS  = Q * SW;
  localparam int unsigned PcW = $clog2(NumLanes + 1);
  localparam int unsigned PosW = QW + 5;

  // State //
  logic [NumLanes*QD-1:0] qd_q;     // lane l's queue words, entry 0 in the LSBs
  logic [NumLanes*QS-1:0] qs_q;     // their slots
  logic [NumLanes*QW-1:0] nd_q;     // finished entries (the front ones)
  logic [NumLanes*3-1:0]  no_q;     // open entries after them (0 .. 4)
  logic [NumLanes*5-1:0]  b_q;      // next bit in the first open entry
  logic [NumLanes*SW-1:0] lbs_q;    // slot of the word holding the lane's last bit
  logic [NumLanes-1:0]    lp_q;     // ... is the slot of queue entry li_q (the last step's)
  logic [NumLanes*QW-1:0] li_q;
  logic [SW-1:0]          base_q;   // slots taken before the last step
  logic [SW-1:0]          hb_q;     // base_q + 2 L_c, L_c of the last step taken
  logic [LaneCntW-1:0]    lc_q;     // that L_c
  logic [SW-1:0]          base_d;
  logic [SW-1:0]          takes_q;  // the last step's takes (0 after a cycle without one)
  logic [WordsW-1:0]      ctaken_q; // words taken in this chunk
  logic [NumLanes-1:0]    pt1_q, pt2_q;  // the last step's takes per lane (slots pending)
  logic                   close0_q; // a chunk's close, first cycle: the last-bit slots resolve
  logic                   close1_q; // second cycle: dmin
  logic                   closing_q, ctlast_q;
  logic                   hold;     // any cycle of a close: no step
  logic [LaneCntW-1:0]    clc_q;    // L_c of the chunk being closed

  // The step's start slot: the counts run a register behind, so that the takes end the loop.
  logic [SW-1:0] next_c;
  assign next_c = base_q + takes_q;
  assign next_o = next_c;
  assign hold   = close0_q || close1_q || closing_q;

  // The entries a step takes get their slots the cycle after it, from its registered takes
  // (below); until then they are pending: not offered to the window, never expired.
  logic [NumLanes*Q-1:0] pm;

  // Step: expiry and takes //
  // An open word at slot s expires when s + 512 <= start + 2 L_c: age = start + 2 L_c - s
  // (modulo 1024) is at least 512 (open words are younger than 512 slots, so age < 1024). The
  // test uses hb_q = base + 2 L_c, registered with the L_c of the last step taken: a lane has
  // open words only between a chunk's first step and its close, where every step has that
  // L_c. It uses base (the start of the last step) for start = base + takes_q, which gives the
  // same words: an open word is not yet emitted (emitted <= s), so a step due to expire it has
  // start + 2 L_c - emitted >= 512 and waits for the window; from its second cycle on, base is
  // its start (takes_q = 0), and it cannot go before the word is finished. Base + 2 L_c - s is
  // never more than the true age, so nothing expires early. The takes then reach no step logic.
  logic [NumLanes-1:0]    act, t1, t2;
  logic [NumLanes*QW-1:0] nd1;
  logic [NumLanes*3-1:0]  no1;
  logic [NumLanes*5-1:0]  b1;
  logic [NumLanes-1:0]    roomy;
  logic [QW-1:0]          e_c, nd_l;
  logic [2:0]             no_l;
  logic [7:0]             fill;
  logic                   tb1, tb2;

  // Expiry: the open entries nd .. nd + no - 1 from the front, while expired; a run (entries
  // outside the open ones do not end it) and a count tree rather than a chain.
  logic [NumLanes*Q-1:0]  xp;       // the expired open entries
  logic [NumLanes*QW-1:0] ec;       // their number
  logic [SW-1:0]          age;
  logic                   run, open;
  always_comb begin
    xp = '0;
    {age, run, open} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      run = 1'b1;
      for (int i = 0; i < Q; i++) begin
        age = hb_q - qs_q[(l*Q+i)*SW+:SW];
        open = i >= 32'(nd_q[l*QW+:QW]) && i < 32'(nd_q[l*QW+:QW]) + 32'(no_q[l*3+:3]);
        run = run && (!open || (age[SW-1] && !pm[l*Q+i]));
        xp[l*Q+i] = open && run;
      end
    end
  end
  for (genvar l = 0; l < NumLanes; l++) begin : gen_ec
    sfp_popcount #(.N(Q), .W(QW)) u_ec (.flags_i(xp[l*Q+:Q]), .count_o(ec[l*QW+:QW]));
  end

  always_comb begin
    act = '0;
    t1 = '0;
    t2 = '0;
    nd1 = nd_q;
    no1 = no_q;
    b1 = b_q;
    roomy = '1;
    {e_c, nd_l, no_l, fill, tb1, tb2} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      act[l] = !hold && l < 32'(step_count_i);  // payload only: no ready <- valid path
      nd_l = nd_q[l*QW+:QW];
      no_l = no_q[l*3+:3];
      e_c = ec[l*QW+:QW];
      if (act[l] && e_c != '0) begin
        nd1[l*QW+:QW] = nd_l + e_c;
        no1[l*3+:3]   = no_l - 3'(e_c);
        b1[l*5+:5]    = '0;
      end
      // fill = 32 no - b (8 bits) < 44 and < 12, with b < 32, case by case on no.
      t1[l] = act[l] && (no1[l*3+:3] == 3'd0 ? b1[l*5+:5] == 5'd0 :
                         no1[l*3+:3] == 3'd1 || (no1[l*3+:3] == 3'd2 &&
                                                 b1[l*5+:5] > 5'(64 - sfp3_pkg::RefillBits)));
      t2[l] = act[l] && (no1[l*3+:3] == 3'd0 ? b1[l*5+:5] == 5'd0 :
                         no1[l*3+:3] == 3'd1 &&
                         b1[l*5+:5] > 5'(32 - (sfp3_pkg::RefillBits - sfp3_pkg::WordBits)));
      // Queue room from the registers alone: the takes without expiry, exact whenever the step
      // can go (a step with an expiry due waits for the window, above).
      fill = {no_l, 5'd0} - 8'(b_q[l*5+:5]);
      tb1 = fill < 8'(sfp3_pkg::RefillBits);
      tb2 = fill < 8'(sfp3_pkg::RefillBits - sfp3_pkg::WordBits);
      roomy[l] = !act[l] || 32'(nd_l) + 32'(no_l) + 32'(tb1) + 32'(tb2) <= Q;
    end
  end

  // Slots, the cycle after the step: lane l's first take is at its start (base_q then) + the
  // takes of lanes 0 .. l-1, from the registered takes.
  logic [NumLanes*PcW-1:0] pc1, pc2;
  sfp_prefix_count #(.N(NumLanes), .W(PcW)) u_pc1 (.flags_i(pt1_q), .count_o(pc1));
  sfp_prefix_count #(.N(NumLanes), .W(PcW)) u_pc2 (.flags_i(pt2_q), .count_o(pc2));
  logic [NumLanes*QS-1:0] qr;   // the slots with the pending ones resolved
  logic [SW-1:0]          s0;
  always_comb begin
    qr = qs_q;
    s0 = '0;
    for (int l = 0; l < NumLanes; l++) begin
      s0 = base_q + ((l == 0) ? SW'(0) : SW'(pc1[(l-1)*PcW+:PcW]) + SW'(pc2[(l-1)*PcW+:PcW]));
      for (int i = 0; i < Q; i++) begin
        // The second of a lane's two takes follows its first.
        if (pm[l*Q+i]) qr[(l*Q+i)*SW+:SW] = s0 + SW'(i > 0 && pm[l*Q+((i > 0) ? i - 1 : 0)]);
      end
    end
  end
  // The step's takes: the end of the loop, a popcount tree rather than the prefix sums' last.
  logic [SW-1:0] takes, held_most;
  logic [$clog2(2 * NumLanes + 1)-1:0] takes_n;
  sfp_popcount #(.N(2 * NumLanes)) u_takes (.flags_i({t2, t1}), .count_o(takes_n));
  assign takes     = SW'(takes_n);
  assign held_most = next_c + SW'(2 * 32'(step_lc_i)) - emitted_i;

  logic step_ack;
  assign step_ready_o = !hold && &roomy &&
                        32'(held_most) <= sfp3_pkg::WindowWords - 1;
  assign step_ack     = step_valid_i && step_ready_o;

  // Words: the step's bits are written the cycle after the step //
  logic [NumLanes-1:0]      wv_d, wv_q;        // a step's write is pending (per lane)
  logic [NumLanes*Q-1:0]    wzm_d, wzm_q;      // the entries it takes (cleared first)
  logic [NumLanes*PosW-1:0] wpos_d, wpos_q;    // where its bits go: 32 entry + bit
  logic [NumLanes*BitsW-1:0] wbits_q;
  logic [NumLanes*QD-1:0]   qw, qd_d;          // the queues with the write; their next state
  for (genvar l = 0; l < NumLanes; l++) begin : gen_pm
    assign pm[l*Q+:Q] = wv_q[l] ? wzm_q[l*Q+:Q] : '0;
  end

  // Window writes: each lane's front finished entry, one per bank, lowest lane first //
  logic [NumLanes-1:0]       req, grant;
  logic [NumLanes*BankW-1:0] bank;
  always_comb begin
    for (int l = 0; l < NumLanes; l++) begin
      req[l] = nd_q[l*QW+:QW] != '0 && !pm[l*Q];
      bank[l*BankW+:BankW] = qs_q[l*QS+:BankW];
    end
    for (int l = 0; l < NumLanes; l++) begin
      grant[l] = req[l];
      for (int j = 0; j < l; j++) begin
        if (req[j] && bank[j*BankW+:BankW] == bank[l*BankW+:BankW]) grant[l] = 1'b0;
      end
    end
  end
  // The words after the pending write; the front one may leave.
  always_comb begin
    for (int l = 0; l < NumLanes; l++) begin
      qw[l*QD+:QD] = qd_q[l*QD+:QD];
      if (wv_q[l]) begin
        for (int i = 0; i < Q; i++) begin
          if (wzm_q[l*Q+i]) qw[(l*Q+i)*32+:32] = '0;
        end
        qw[l*QD+:QD] = qw[l*QD+:QD] |
                       (QD'(wbits_q[l*BitsW+:BitsW]) << wpos_q[l*PosW+:PosW]);
      end
      qd_d[l*QD+:QD] = grant[l] ? qw[l*QD+:QD] >> 32 : qw[l*QD+:QD];
    end
  end

  logic [Banks-1:0]      we_d;
  logic [Banks*RowW-1:0] row_d;
  logic [Banks*32-1:0]   data_d;
  always_comb begin
    we_d = '0;
    row_d = '0;
    data_d = '0;
    for (int k = 0; k < Banks; k++) begin
      for (int l = 0; l < NumLanes; l++) begin
        if (grant[l] && 32'(bank[l*BankW+:BankW]) == k) begin
          we_d[k] = 1'b1;
          row_d[k*RowW+:RowW] = row_d[k*RowW+:RowW] | qs_q[l*QS+BankW+:RowW];
          data_d[k*32+:32] = data_d[k*32+:32] | qw[l*QD+:32];
        end
      end
    end
  end
  // Registered, so the window's flags and banks see no lane logic in front of them.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) w_we_o <= '0;
    else w_we_o <= we_d;
  end
  always_ff @(posedge clk_i) begin
    w_row_o  <= row_d;
    w_data_o <= data_d;
  end

  // The last-bit slots: a step's is read the cycle after it from the entry it recorded, with
  // the pending slots resolved (the entry cannot have left yet), and registered.
  logic [NumLanes*SW-1:0] lbs_r;
  always_comb begin
    for (int l = 0; l < NumLanes; l++) begin
      lbs_r[l*SW+:SW] = lp_q[l] ? qr[(l*Q+32'(li_q[l*QW+:QW]))*SW+:SW] : lbs_q[l*SW+:SW];
    end
  end

  // Chunk close: the first cycle resolves the last step's last-bit slots (into lbs_q); keep =
  // next - the smallest distance next - 1 - lbs over the chunk's lanes, a tree of log2 L
  // compares in the second (registered as dmin_q); the third applies it.
  logic [SW-1:0] dmin, dmin_q;
  logic [2*NumLanes*SW-1:0] dt;  // the tree: leaves at NumLanes .. 2 NumLanes - 1, root at 1
  always_comb begin
    dt = '1;
    for (int l = 0; l < NumLanes; l++) begin
      if (l < 32'(clc_q)) dt[(NumLanes+l)*SW+:SW] = next_c - SW'(1) - lbs_q[l*SW+:SW];
    end
    for (int n = NumLanes - 1; n >= 1; n--) begin
      dt[n*SW+:SW] = dt[2*n*SW+:SW] < dt[(2*n+1)*SW+:SW] ? dt[2*n*SW+:SW] : dt[(2*n+1)*SW+:SW];
    end
    dmin = dt[SW+:SW];
  end

  // The close's open words below keep (next - 1 - slot >= dmin; next = base_q then, no step
  // having taken words for two cycles, and no slot pending), counted by a tree.
  logic [NumLanes*Q-1:0]  kf;
  logic [NumLanes*QW-1:0] kc;
  always_comb begin
    for (int l = 0; l < NumLanes; l++) begin
      for (int i = 0; i < Q; i++) begin
        kf[l*Q+i] = i >= 32'(nd_q[l*QW+:QW]) &&
                    i < 32'(nd_q[l*QW+:QW]) + 32'(no_q[l*3+:3]) &&
                    SW'(base_q - SW'(1) - qs_q[(l*Q+i)*SW+:SW]) >= dmin_q;
      end
    end
  end
  for (genvar l = 0; l < NumLanes; l++) begin : gen_kc
    sfp_popcount #(.N(Q), .W(QW)) u_kc (.flags_i(kf[l*Q+:Q]), .count_o(kc[l*QW+:QW]));
  end

  // Next state of the lanes //
  logic [NumLanes*QS-1:0] qs_d;
  logic [NumLanes*QW-1:0] nd_d;
  logic [NumLanes*3-1:0]  no_d;
  logic [NumLanes*5-1:0]  b_d;
  logic [NumLanes-1:0]    lp_d, pt1_d, pt2_d;
  logic [NumLanes*QW-1:0] li_d;
  logic [QS-1:0]          qs_l;
  logic [QW-1:0]          nd_n, at;
  logic [2:0]             no_n;
  logic [6:0]             bsum;     // b + nb <= 31 + 44
  logic [QW-1:0]          last_at;
  logic [Q-1:0]           zm_l;
  always_comb begin
    qs_d = qr;
    nd_d = nd_q;
    no_d = no_q;
    b_d = b_q;
    lp_d = '0;
    li_d = li_q;
    wv_d = '0;
    wpos_d = '0;
    wzm_d = '0;
    pt1_d = '0;
    pt2_d = '0;
    {qs_l, nd_n, at, no_n, bsum, last_at, zm_l} = '0;
    for (int l = 0; l < NumLanes; l++) begin
      qs_l = qr[l*QS+:QS];
      nd_n = nd_q[l*QW+:QW];
      no_n = no_q[l*3+:3];
      if (closing_q) begin
        // Finish the open words below keep, drop the others.
        nd_n = nd_n + kc[l*QW+:QW];
        no_n = '0;
        b_d[l*5+:5] = '0;
      end else if (step_ack && act[l]) begin
        // After the expiry: take (the slots follow next cycle), then write the value.
        nd_n = nd1[l*QW+:QW];
        no_n = no1[l*3+:3];
        at = nd_n + QW'(no_n);
        zm_l = '0;
        if (t1[l]) zm_l[at] = 1'b1;
        if (t2[l]) zm_l[32'(at)+1] = 1'b1;
        pt1_d[l] = t1[l];
        pt2_d[l] = t2[l];
        no_n = no_n + 3'(t1[l]) + 3'(t2[l]);
        // The words' write, next cycle: clear the taken entries, then the bits at 32 nd + b.
        // An entry leaving now moves them down one entry (the value is never in entry 0 then).
        wv_d[l] = 1'b1;
        wzm_d[l*Q+:Q] = grant[l] ? zm_l >> 1 : zm_l;
        wpos_d[l*PosW+:PosW] = {nd_n - QW'(grant[l]), b1[l*5+:5]};
        bsum = 7'(b1[l*5+:5]) + 7'(step_nb_i[l*NbW+:NbW]);
        last_at = nd_n + QW'((bsum - 7'd1) >> 5);
        lp_d[l] = 1'b1;
        li_d[l*QW+:QW] = last_at - QW'(grant[l]);  // last_at >= nd_n >= 1 when one leaves
        nd_n = nd_n + QW'(bsum >> 5);
        no_n = no_n - 3'(bsum >> 5);
        b_d[l*5+:5] = bsum[4:0];
      end else if (step_valid_i && act[l]) begin
        // The step waits: its expiry alone.
        nd_n = nd1[l*QW+:QW];
        no_n = no1[l*3+:3];
        b_d[l*5+:5] = b1[l*5+:5];
      end
      // The front entry leaves for the window.
      if (grant[l]) begin
        qs_l = qs_l >> SW;
        nd_n = nd_n - QW'(1);
      end
      qs_d[l*QS+:QS] = qs_l;
      nd_d[l*QW+:QW] = nd_n;
      no_d[l*3+:3] = no_n;
    end
  end

  assign chunk_valid_o = closing_q;
  assign chunk_end_o   = next_c - dmin_q;
  assign chunk_words_o = ctaken_q - WordsW'(dmin_q);
  assign chunk_tlast_o = ctlast_q;
  assign tensor_done_o = step_ack && step_end_i && step_tlast_i;

  logic close_ack;
  assign close_ack = closing_q && chunk_ready_i;
  assign base_d    = close_ack ? next_c - dmin_q : next_c;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nd_q      <= '0;
      no_q      <= '0;
      b_q       <= '0;
      base_q    <= '0;
      hb_q      <= '0;
      lc_q      <= '0;
      takes_q   <= '0;
      ctaken_q  <= '0;
      close0_q  <= 1'b0;
      close1_q  <= 1'b0;
      closing_q <= 1'b0;
      ctlast_q  <= 1'b0;
      pt1_q     <= '0;
      pt2_q     <= '0;
      clc_q     <= '0;
      wv_q      <= '0;
      lp_q      <= '0;
    end else begin
      lp_q  <= lp_d;
      wv_q  <= wv_d;
      pt1_q <= pt1_d;
      pt2_q <= pt2_d;
      // A closing chunk holds its lanes until chunk_o takes it.
      if (!hold || close_ack) begin
        nd_q <= nd_d;
        no_q <= no_d;
        b_q  <= b_d;
      end else begin
        for (int l = 0; l < NumLanes; l++) begin
          nd_q[l*QW+:QW] <= grant[l] ? nd_q[l*QW+:QW] - QW'(1) : nd_q[l*QW+:QW];
        end
      end
      base_q   <= base_d;
      hb_q     <= base_d + SW'(2 * (step_ack ? 32'(step_lc_i) : 32'(lc_q)));
      if (step_ack) lc_q <= step_lc_i;
      takes_q  <= '0;
      // The chunk's takes, a cycle late (the cycle before a chunk's first step takes none).
      ctaken_q <= (step_ack && step_first_i ? '0 : ctaken_q) + WordsW'(takes_q);
      if (step_ack) begin
        takes_q <= takes;
        if (step_end_i) begin
          close0_q <= 1'b1;
          ctlast_q <= step_tlast_i;
          clc_q    <= step_lc_i;
        end
      end else if (close0_q) begin
        close0_q <= 1'b0;
        close1_q <= 1'b1;
      end else if (close1_q) begin
        close1_q  <= 1'b0;
        closing_q <= 1'b1;
      end else if (close_ack) begin
        closing_q <= 1'b0;
      end
    end
  end
  // Payload: the queues.
  always_ff @(posedge clk_i) begin
    qd_q   <= qd_d;
    wzm_q  <= wzm_d;
    wpos_q <= wpos_d;
    if (step_ack) wbits_q <= step_bits_i;
    if (close1_q) dmin_q <= dmin;
    lbs_q <= lbs_r;
    li_q  <= li_d;
    qs_q  <= qs_d;  // closing changes no slot: the pending ones and the leaving entries
  end

  `SFP_ASSERT_INIT(ParamLanes_A, NumLanes >= 4 && NumLanes <= 32)
  `SFP_ASSERT_INIT(ParamBanks_A, (Banks & (Banks - 1)) == 0 && Banks <= sfp3_pkg::WindowWords &&
                                 Banks >= 2)
  `SFP_ASSERT_INIT(ParamQueue_A, QueueWords >= 6 && QueueWords <= 7)
  `SFP_ASSERT_INIT(Layout_A, sfp3_pkg::v3_layout_ok())
  `SFP_ASSERT_INIT(Refill_A, sfp3_pkg::WordBits == 32 && sfp3_pkg::RefillBits > 32 &&
                             sfp3_pkg::RefillBits <= 64)
  // The expiry's horizon: a step that meets open words has the L_c of the last step taken.
  `SFP_ASSERT(CloseSettled_A, closing_q |-> takes_q == '0 && pm == '0)
  `SFP_ASSERT(HorizonLc_A, step_valid_i && !hold && no_q != '0 |-> step_lc_i == lc_q)
  // Spec invariants: at most four open words, the window within V3WindowWords - 1.
  for (genvar l = 0; l < NumLanes; l++) begin : gen_lane_a
    `SFP_ASSERT(OpenWords_A, no_q[l*3+:3] <= 3'd4)
    `SFP_ASSERT(QueueRoom_A, 32'(nd_q[l*QW+:QW]) + 32'(no_q[l*3+:3]) <= Q)
  end
  `SFP_ASSERT(Window_A, 32'(SW'(next_c - emitted_i)) <= sfp3_pkg::WindowWords - 1)
  `SFP_ASSUME_STABLE(StepStable_M, step_valid_i, step_ready_o,
                     {step_bits_i, step_nb_i, step_count_i, step_lc_i, step_first_i, step_end_i,
                      step_tlast_i})
  `SFP_ASSERT_STABLE(ChunkStable_A, chunk_valid_o, chunk_ready_i,
                     {chunk_end_o, chunk_words_o, chunk_tlast_o})
endmodule
