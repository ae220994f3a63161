// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C over one beat (Spec: "Chunk index and CRC"), combinational, used by the encoder's
// output stage and the decoder's lanes: crc_o is the register after the first cnt_i words of
// data_i (word 0 first, 1 .. BeatWords of them) from register s_i; cnt_i = 0 gives s_i.
// s_i is XORed into the first word, the taken words are right-aligned in a window of BeatWords
// words and sfp_crc_window takes its parity. Depth: a word shifter and a parity tree of
// BeatWords * 32 bits.
module sfp_crc_beat #(
  parameter  int unsigned BeatWords = 16,
  localparam int unsigned CountW    = $clog2(BeatWords + 1)
) (
  input  logic [31:0]             s_i,
  input  logic [BeatWords*32-1:0] data_i,
  input  logic [CountW-1:0]       cnt_i,
  output logic [31:0]             crc_o
);
  localparam int unsigned NB = BeatWords * 32;

  // The words move up by BW - cnt_i words as the high half of a double-width vector shifted
  // right by cnt_i words, which drops the words from cnt_i on out of the window: the shift is
  // steered by cnt_i's own bits, with no subtraction or word mask on the path.
  logic [NB-1:0] z, win;
  logic [31:0]   par;
  always_comb begin
    z = data_i;
    z[31:0] = z[31:0] ^ s_i;
    win = NB'({z, {NB{1'b0}}} >> (32 * 32'(cnt_i)));
  end
  sfp_crc_window #(.BeatWords(BeatWords)) u_par (.win_i(win), .crc_o(par));
  assign crc_o = (cnt_i == '0) ? s_i : par;
endmodule
