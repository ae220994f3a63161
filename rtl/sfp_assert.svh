// SPDX-License-Identifier: Apache-2.0
//
// Assertion macros. Empty under SYNTHESIS; plain SVA otherwise (run by Verilator --assert).
// Every macro samples on clk_i and is disabled while rst_ni is low.
//   SFP_ASSERT(name, prop)                   concurrent assertion
//   SFP_ASSUME(name, prop)                   assumption on an input (checked in simulation)
//   SFP_ASSERT_INIT(name, cond)              elaboration/time-0 check (parameter legality)
//   SFP_ASSERT_STABLE(name, valid, ready, data)  output stream: valid and payload hold until ready
//   SFP_ASSUME_STABLE(name, valid, ready, data)  the same, assumed on an input stream
`ifndef SFP_ASSERT_SVH
`define SFP_ASSERT_SVH

`ifdef SYNTHESIS

`define SFP_ASSERT(name, prop)
`define SFP_ASSUME(name, prop)
`define SFP_ASSERT_INIT(name, cond)
`define SFP_ASSERT_STABLE(name, valid, ready, data)
`define SFP_ASSUME_STABLE(name, valid, ready, data)

`else

`define SFP_ASSERT(name, prop) \
  name: assert property (@(posedge clk_i) disable iff (!rst_ni) (prop)) \
    else $error("[%m] %s failed", `"name`");

`define SFP_ASSUME(name, prop) \
  name: assume property (@(posedge clk_i) disable iff (!rst_ni) (prop)) \
    else $error("[%m] %s violated", `"name`");

`define SFP_ASSERT_INIT(name, cond) \
  initial begin : name \
    if (!(cond)) $fatal(1, "[%m] %s: parameter check failed", `"name`"); \
  end

`define SFP_ASSERT_STABLE(name, valid, ready, data) \
  name: assert property (@(posedge clk_i) disable iff (!rst_ni) \
      ((valid) && !(ready)) |=> ((valid) && $stable(data))) \
    else $error("[%m] %s: stream changed before its transfer", `"name`");

`define SFP_ASSUME_STABLE(name, valid, ready, data) \
  name: assume property (@(posedge clk_i) disable iff (!rst_ni) \
      ((valid) && !(ready)) |=> ((valid) && $stable(data))) \
    else $error("[%m] %s: input stream changed before its transfer", `"name`");

`endif

`endif  // SFP_ASSERT_SVH
