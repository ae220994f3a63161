// SPDX-License-Identifier: Apache-2.0
//
// v3 encoder, window and output: holds the finished words by slot until every word below them
// is out, then sends them in slot order, up to BeatWords words a beat, with each chunk's index
// entry (N, CRC-32C over the chunk's words) after its last word.
// Spec: docs/format.md, "Version 3 refill rule" (emission in slot order), "Version 3 encoder
// working set" (the window), "Version 3 chunk index and CRC".
// The window is V3WindowWords words in Banks sfp_ram banks (slot s at bank s mod Banks, row
// (s mod 512) / Banks), written by the lanes (one word per bank per cycle), with a finished
// flag per slot (flops). Each cycle the emitter takes the run of finished slots from emitted_q,
// at most BeatWords and not past the end of the chunk when chunk_i has it: it reads them (one
// row per bank: the row of emitted_q, or the next for the banks below emitted_q's), clears
// their flags and moves emitted_q. Next cycle the words are rotated into place, the CRC steps
// over them (sfp_crc_beat) and the beat goes to the words FIFO; at a chunk's end the entry goes
// to the index FIFO. A chunk whose words are all out when its end arrives sends its entry alone.
// Credits count FIFO entries plus the beat in flight, so a read is issued only with room.
// Paths: none to the outputs (FIFOs); emitted_o registered.
`include "sfp_assert.svh"

module sfp3_enc_out #(
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  parameter  int unsigned Banks       = 64,
  localparam int unsigned SW          = sfp3_pkg::SlotBits,
  localparam int unsigned RowW        = $clog2(sfp3_pkg::WindowWords / Banks),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned WordsW      = $clog2(2 * ChunkValues + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic [Banks-1:0]          w_we_i,
  input  logic [Banks*RowW-1:0]     w_row_i,
  input  logic [Banks*32-1:0]       w_data_i,
  output logic [SW-1:0]             emitted_o,
  input  logic                      chunk_valid_i,
  output logic                      chunk_ready_o,
  input  logic [SW-1:0]             chunk_end_i,
  input  logic [WordsW-1:0]         chunk_words_i,
  input  logic                      chunk_tlast_i,
  output logic                      words_valid_o,
  input  logic                      words_ready_i,
  output logic [BeatWords*32-1:0]   words_data_o,
  output logic [CountW-1:0]         words_count_o,
  output logic                      index_valid_o,
  input  logic                      index_ready_i,
  output logic [WordsW-1:0]         index_words_o,
  output logic [31:0]               index_crc_o,
  output logic                      index_last_o
);
  localparam int unsigned WW     = sfp3_pkg::WindowWords;
  localparam int unsigned Rows   = WW / Banks;
  localparam int unsigned BankW  = $clog2(Banks);
  localparam int unsigned WFifo  = 4;
  localparam int unsigned IFifo  = 2;
  localparam int unsigned CredW  = 3;
  localparam int unsigned IdxW   = $clog2(WW);
  localparam int unsigned LoW    = IdxW / 2;
  localparam int unsigned HiW    = IdxW - LoW;


  // Chunk ends, in order //
  logic              c_valid, c_pop, c_tlast;
  logic [SW-1:0]     c_end;
  logic [WordsW-1:0] c_words;
  sfp_fifo #(.Depth(2), .Width(SW + WordsW + 1)) u_chunks (
    .clk_i, .rst_ni,
    .in_valid_i(chunk_valid_i), .in_ready_o(chunk_ready_o),
    .in_data_i({chunk_end_i, chunk_words_i, chunk_tlast_i}),
    .out_valid_o(c_valid), .out_ready_i(c_pop), .out_data_o({c_end, c_words, c_tlast})
  );

  // Finished flags and the emitter //
  logic [WW-1:0]       done_q;
  logic [SW-1:0]       emitted_q;
  logic [BeatWords-1:0] f;         // flags of emitted_q + i
  logic [CountW-1:0]   run, cnt;
  logic [SW-1:0]       cdist;      // words left in the chunk at the head of chunk_i
  logic                last, issue, stop;
  logic [CredW-1:0]    wcred_q, icred_q;  // FIFO entries + in flight
  logic                w_pop, i_pop, w_push, i_push;

  assign emitted_o = emitted_q;
  assign cdist = c_end - emitted_q;

  always_comb begin
    f = '0;
    for (int i = 0; i < BeatWords; i++) f[i] = done_q[9'(emitted_q[8:0] + 9'(i))];
    run = '0;
    stop = 1'b0;
    for (int i = 0; i < BeatWords; i++) begin
      stop = stop || !f[i];
      if (!stop) run = run + CountW'(1);
    end
    cnt  = run;
    last = 1'b0;
    if (c_valid && 32'(cdist) <= 32'(run)) begin
      cnt  = CountW'(cdist);
      last = 1'b1;
    end
  end
  assign issue = (cnt != '0 || last) &&
                 (cnt == '0 || 32'(wcred_q) < WFifo) &&
                 (!last || 32'(icred_q) < IFifo);
  assign c_pop = issue && last;

  // Reads: bank k holds slot emitted + ((k - emitted) mod Banks): the row of emitted_q, or the
  // next row for the banks below emitted_q's bank.
  logic [RowW-1:0]       row0;
  logic [Banks*RowW-1:0] raddr;
  logic [Banks*32-1:0]   rdata;
  assign row0 = emitted_q[BankW+:RowW];
  always_comb begin
    for (int k = 0; k < Banks; k++) begin
      raddr[k*RowW+:RowW] = (k < 32'(emitted_q[BankW-1:0])) ? row0 + RowW'(1) : row0;
    end
  end
  for (genvar k = 0; k < Banks; k++) begin : g_bank
    sfp_ram #(.Width(32), .Depth(Rows)) u_bank (
      .clk_i, .rst_ni,
      .we_i(w_we_i[k]), .waddr_i(w_row_i[k*RowW+:RowW]), .wdata_i(w_data_i[k*32+:32]),
      .re_i(issue), .raddr_i(raddr[k*RowW+:RowW]), .rdata_o(rdata[k*32+:32])
    );
  end

  // Flags: set by the writes, cleared as the emitter takes them. Slot s is cleared when it is
  // emitted_q + i for an i < cnt: a one-hot decode of emitted_q (its high and low halves,
  // from the register alone), shifted by i, ANDed with the thermometer code of cnt.
  logic [(1<<HiW)-1:0] oh_hi;
  logic [(1<<LoW)-1:0] oh_lo;
  logic [WW-1:0]       oh, clr, done_d;
  logic [BeatWords-1:0] upto;      // i < cnt
  always_comb begin
    for (int h = 0; h < (1 << HiW); h++) oh_hi[h] = emitted_q[IdxW-1:LoW] == HiW'(h);
    for (int j = 0; j < (1 << LoW); j++) oh_lo[j] = emitted_q[LoW-1:0] == LoW'(j);
    for (int s = 0; s < WW; s++) oh[s] = oh_hi[s >> LoW] & oh_lo[s % (1 << LoW)];
    for (int i = 0; i < BeatWords; i++) upto[i] = issue && 32'(cnt) > i;
    clr = '0;
    for (int s = 0; s < WW; s++) begin
      for (int i = 0; i < BeatWords; i++) clr[s] = clr[s] | (oh[(s + WW - i) % WW] & upto[i]);
    end
  end
  always_comb begin
    done_d = done_q & ~clr;
    for (int s = 0; s < WW; s++) begin
      if (w_we_i[s % Banks] && 32'(w_row_i[(s%Banks)*RowW+:RowW]) == s / Banks) done_d[s] = 1'b1;
    end
  end

  // Second cycle: rotate, CRC, push //
  logic              b_valid_q, b_last_q, b_tlast_q;
  logic [CountW-1:0] b_cnt_q;
  logic [BankW-1:0]  b_off_q;
  logic [WordsW-1:0] b_words_q;
  logic [31:0]       crc_q, crc_n;
  logic [BeatWords*32-1:0] beat;
  always_comb begin
    beat = '0;
    for (int i = 0; i < BeatWords; i++) begin
      beat[i*32+:32] = rdata[32'(BankW'(b_off_q + BankW'(i)))*32+:32];
    end
  end
  sfp_crc_beat #(.BeatWords(BeatWords)) u_crc (
    .s_i(crc_q), .data_i(beat), .cnt_i(b_cnt_q), .crc_o(crc_n)
  );
  assign w_push = b_valid_q && b_cnt_q != '0;
  assign i_push = b_valid_q && b_last_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      done_q    <= '0;
      emitted_q <= '0;
      b_valid_q <= 1'b0;
      crc_q     <= sfp_code_pkg::CrcInit;
      wcred_q   <= '0;
      icred_q   <= '0;
    end else begin
      done_q <= done_d;
      if (issue) emitted_q <= emitted_q + SW'(cnt);
      b_valid_q <= issue;
      if (i_push) crc_q <= sfp_code_pkg::CrcInit;
      else if (w_push) crc_q <= crc_n;
      wcred_q <= wcred_q + CredW'(issue && cnt != '0) - CredW'(w_pop);
      icred_q <= icred_q + CredW'(issue && last) - CredW'(i_pop);
    end
  end
  always_ff @(posedge clk_i) begin
    if (issue) begin
      b_last_q  <= last;
      b_tlast_q <= c_tlast;
      b_cnt_q   <= cnt;
      b_off_q   <= emitted_q[BankW-1:0];
      b_words_q <= c_words;
    end
  end

  // Output FIFOs //
  logic w_in_ready, i_in_ready;
  sfp_fifo #(.Depth(WFifo), .Width(BeatWords * 32 + CountW)) u_words (
    .clk_i, .rst_ni,
    .in_valid_i(w_push), .in_ready_o(w_in_ready), .in_data_i({beat, b_cnt_q}),
    .out_valid_o(words_valid_o), .out_ready_i(words_ready_i),
    .out_data_o({words_data_o, words_count_o})
  );
  assign w_pop = words_valid_o && words_ready_i;
  sfp_fifo #(.Depth(IFifo), .Width(WordsW + 32 + 1)) u_index (
    .clk_i, .rst_ni,
    .in_valid_i(i_push), .in_ready_o(i_in_ready),
    .in_data_i({b_words_q, crc_n ^ sfp_code_pkg::CrcInit, b_tlast_q}),
    .out_valid_o(index_valid_o), .out_ready_i(index_ready_i),
    .out_data_o({index_words_o, index_crc_o, index_last_o})
  );
  assign i_pop = index_valid_o && index_ready_i;

  `SFP_ASSERT_INIT(ParamBanks_A, (Banks & (Banks - 1)) == 0 && Banks >= BeatWords &&
                                 Banks <= WW / 2)
  `SFP_ASSERT_INIT(ParamBeat_A, (BeatWords & (BeatWords - 1)) == 0 && BeatWords <= 64)
  `SFP_ASSERT(WordsRoom_A, w_push |-> w_in_ready)
  `SFP_ASSERT(IndexRoom_A, i_push |-> i_in_ready)
  // The lanes write a slot once, while its flag is clear.
  for (genvar k = 0; k < Banks; k++) begin : gen_write_a
    `SFP_ASSERT(WriteOnce_A, w_we_i[k] |-> !done_q[32'(w_row_i[k*RowW+:RowW]) * Banks + k])
  end
  `SFP_ASSERT(ChunkAhead_A, c_valid |-> 32'(cdist) <= WW)
  `SFP_ASSERT_STABLE(WordsStable_A, words_valid_o, words_ready_i, {words_data_o, words_count_o})
  `SFP_ASSERT_STABLE(IndexStable_A, index_valid_o, index_ready_i,
                     {index_words_o, index_crc_o, index_last_o})
endmodule
