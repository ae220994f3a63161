// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C over one beat (Spec: "Chunk index and CRC"), combinational, shared by the encoder's
// output stage and the decoder's CRC unit: crc_o is the register after the first cnt_i words of
// data_i (word 0 first, 1 .. BeatWords of them) from register s_i; cnt_i = 0 gives s_i.
// One level of XOR trees instead of a word-by-word chain: s_i is XORed into the first word, the
// taken words are right-aligned in a window of BeatWords words, and output bit i is the parity
// of the window under a constant mask (column j of the matrix is the register after a single 1
// at window bit j from state 0; CRC-32C is linear). Depth: a word shifter and a parity tree of
// BeatWords * 32 bits.
module sfp2_crc_beat #(
  parameter  int unsigned BeatWords = 16,
  localparam int unsigned CountW    = $clog2(BeatWords + 1)
) (
  input  logic [31:0]             s_i,
  input  logic [BeatWords*32-1:0] data_i,
  input  logic [CountW-1:0]       cnt_i,
  output logic [31:0]             crc_o
);
  localparam int unsigned NB = BeatWords * 32;

  // Mask of output bit i: bits [i*NB +: NB].
  /* verilator coverage_off */
  function automatic logic [32*NB-1:0] window_masks();
    logic [31:0] c;
    logic [32*NB-1:0] m;
    m = '0;
    c = sfp2_pkg::CrcPolyRefl;
    for (int j = NB - 1; j >= 0; j--) begin
      for (int i = 0; i < 32; i++) m[i*NB+j] = c[i];
      c = c[0] ? (c >> 1) ^ sfp2_pkg::CrcPolyRefl : (c >> 1);
    end
    window_masks = m;
  endfunction
  /* verilator coverage_on */
  localparam logic [32*NB-1:0] Masks = window_masks();

  // The state goes into word 0 (the first taken word); the words then move up by BW - cnt_i
  // words as the high half of a double-width vector shifted right by cnt_i words, which drops
  // the words from cnt_i on out of the window: the shift is steered by cnt_i's own bits, with no
  // subtraction or word mask on the path.
  logic [NB-1:0]   z;
  logic [NB-1:0]   win;
  always_comb begin
    z = data_i;
    z[31:0] = z[31:0] ^ s_i;
    win = NB'({z, {NB{1'b0}}} >> (32 * 32'(cnt_i)));
    for (int i = 0; i < 32; i++) crc_o[i] = ^(win & Masks[i*NB+:NB]);
    if (cnt_i == '0) crc_o = s_i;
  end
endmodule
