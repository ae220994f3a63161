// SPDX-License-Identifier: Apache-2.0
//
// CRC-32C of a window of BeatWords words that ends a run (Spec: "Chunk index and CRC"),
// combinational: crc_o is the register after the window's words, word 0 first, from register 0;
// a state s is taken by XORing it into the first word of the run. Output bit i is the parity
// of the window under a constant mask (column j of the matrix is the register after a single 1
// at window bit j from state 0; CRC-32C is linear): one level of XOR trees of
// BeatWords * 32 bits. A run of fewer words sits right-aligned, zero words before it (they leave
// a zero register unchanged).
module sfp_crc_window #(
  parameter int unsigned BeatWords = 16
) (
  input  logic [BeatWords*32-1:0] win_i,
  output logic [31:0]             crc_o
);
  localparam int unsigned NB = BeatWords * 32;

  // Mask of output bit i: bits [i*NB +: NB].
  /* verilator coverage_off */
  function automatic logic [32*NB-1:0] window_masks();
    logic [31:0] c;
    logic [32*NB-1:0] m;
    m = '0;
    c = sfp_code_pkg::CrcPolyRefl;
    for (int j = NB - 1; j >= 0; j--) begin
      for (int i = 0; i < 32; i++) m[i*NB+j] = c[i];
      c = c[0] ? (c >> 1) ^ sfp_code_pkg::CrcPolyRefl : (c >> 1);
    end
    window_masks = m;
  endfunction
  /* verilator coverage_on */
  localparam logic [32*NB-1:0] Masks = window_masks();

  always_comb begin
    for (int i = 0; i < 32; i++) crc_o[i] = ^(win_i & Masks[i*NB+:NB]);
  end
endmodule
