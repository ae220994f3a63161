// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C over one beat (Spec: "Chunk index and CRC"), combinational, shared by the encoder's
// output stage and the decoder's CRC unit: crc_o is the register after the first cnt_i words of
// data_i (word 0 first, 1 .. BeatWords of them) from register s_i; cnt_i = 0 gives s_i.
// One level of XOR trees instead of a word-by-word chain: the taken words are right-aligned in a
// window of BeatWords words, s_i is XORed into the first of them, and output bit i is the parity
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

  logic [NB-1:0] z;
  always_comb begin
    z = data_i;
    for (int unsigned w = 0; w < BeatWords; w++) begin
      if (CountW'(w) >= cnt_i) z[w*32+:32] = '0;
    end
    if (cnt_i != '0) begin
      z = z << (32 * (BeatWords - 32'(cnt_i)));
      z[32*(BeatWords-32'(cnt_i))+:32] = z[32*(BeatWords-32'(cnt_i))+:32] ^ s_i;
    end
    for (int i = 0; i < 32; i++) crc_o[i] = ^(z & Masks[i*NB+:NB]);
    if (cnt_i == '0) crc_o = s_i;
  end
endmodule
