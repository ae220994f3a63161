// SPDX-License-Identifier: Apache-2.0
//
// The decoder's step fields after its lanes (sfp2_dec_lanes -> sfp2_dec_build), included in the
// body of both modules: one definition, the widths those modules have in scope (LaneCntW,
// StatusBits, WordsW). Its width plus the lanes' is sfp2_pkg::dec_step_bits, checked at
// elaboration in both (StepBits_A). A package cannot hold it: Yosys 0.23 takes no module
// parameter into a package type.
typedef struct packed {
  logic [LaneCntW-1:0]   cnt;
  logic                  first, last, raw, tlast, bad;  // bad: the tensor's table is illegal
  logic [StatusBits-1:0] err;          // the chunk's first error before its steps
  logic                  lpad, llen;   // last step: a lane's padding, the lanes' length
  logic [WordsW-1:0]     plane_words;
} step_side_t;
