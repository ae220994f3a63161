// SPDX-License-Identifier: Apache-2.0
//
// The version 3 decoder's step record (sfp3_dec_lanes -> sfp3_dec_build), as flat vectors
// (Yosys 0.23 reads no packed arrays of structs). Included inside a module that has the
// parameter NumLanes. The side fields are in the low SideBits bits, the lanes above them.
//   lanes  [NumLanes * LaneRecBits]: per lane, lane 0 lowest, {after, code, len, x}:
//          x     the lane's next 12 bits, the first bit most significant (the codeword)
//          len   the codeword's length, 0 = no codeword matches (bad_code)
//          code  the code the lane used (1 = the code after ZERO)
//          after the 32 lane bits after the codeword (escaped exponent, m = 0 bit, entry)
//   side   above the lanes, from bit 0: nact (values in the step), first (the chunk's first
//          step), last (its last step), pad (an expired word of the step held a non-zero
//          bit), fin (no values: the chunk's end, with the fields below), tlast (the tensor's
//          last chunk), crc_bad, pre_err (bad_config / bad_table / bad_index of the
//          descriptor), end_err (bad_padding / length / truncated after the last step).
localparam int unsigned LaneRecBits = 12 + 4 + 1 + 32;
localparam int unsigned NactBits    = $clog2(NumLanes + 1);
localparam int unsigned RecFirst    = NactBits;
localparam int unsigned RecLast     = NactBits + 1;
localparam int unsigned RecPad      = NactBits + 2;
localparam int unsigned RecFin      = NactBits + 3;
localparam int unsigned RecTlast    = NactBits + 4;
localparam int unsigned RecCrcBad   = NactBits + 5;
localparam int unsigned RecPreErr   = NactBits + 6;   // 4 bits
localparam int unsigned RecEndErr   = NactBits + 10;  // 4 bits
localparam int unsigned SideBits    = NactBits + 14;
localparam int unsigned RecBits     = NumLanes * LaneRecBits + SideBits;
