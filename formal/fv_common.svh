// SPDX-License-Identifier: Apache-2.0
//
// Scaffolding shared by the formal wrappers (formal/README.md): the reset in the first cycle
// only, f_past (the previous cycle was out of reset, so $past is meaningful), a tracked item's
// bookkeeping and a consumer that is never unready for more than Stall consecutive cycles.
// Read by Yosys only (read_verilog -formal -sv); the wrappers' f_* internals are connected to
// the design's registers by formal/run.sh after flatten.
`ifndef FV_COMMON_SVH
`define FV_COMMON_SVH

// The reset is low in the first cycle and high afterwards; in an induction trace f_init is free
// in the first step only.
`define FV_RESET \
  reg f_init = 1'b1; \
  reg f_past = 1'b0; \
  always @(posedge clk_i) begin \
    f_init <= 1'b0; \
    f_past <= rst_ni; \
  end \
  always @* assume (rst_ni == !f_init);

// A stream is stable: once valid rises, it and the payload hold until the transfer.
`define FV_ASSERT_STABLE(valid, ready, data) \
  always @(posedge clk_i) begin \
    if (f_past && rst_ni && $past(valid) && !$past(ready)) begin \
      assert (valid); \
      assert (data == $past(data)); \
    end \
  end
`define FV_ASSUME_STABLE(valid, ready, data) \
  always @(posedge clk_i) begin \
    if (f_past && rst_ni && $past(valid) && !$past(ready)) begin \
      assume (valid); \
      assume (data == $past(data)); \
    end \
  end

// A signal is never low for more than `bound` consecutive cycles (counter name, signal, bound,
// counter width); FV_ASSUME_FAIR makes it an assumption, FV_ASSERT_FAIR a property.
`define FV_FAIR_COUNTER(cnt, sig, w) \
  reg [w-1:0] cnt; \
  always @(posedge clk_i) begin \
    if (!rst_ni || (sig)) cnt <= '0; \
    else cnt <= cnt + 1'b1; \
  end
`define FV_ASSUME_FAIR(cnt, sig, bound) \
  always @* if (rst_ni && cnt >= (bound)) assume (sig); \
  always @* if (rst_ni) assert (cnt <= (bound));
`define FV_ASSERT_FAIR(cnt, sig, bound) \
  always @* if (rst_ni && cnt >= (bound)) assert (sig);

`endif  // FV_COMMON_SVH
