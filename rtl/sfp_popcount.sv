// SPDX-License-Identifier: Apache-2.0
//
// Number of flags set, as a tree of additions (log2(N) levels, N - 1 adders), not a chain.
// Paths: count_o <- flags_i (combinational).
module sfp_popcount #(
    parameter int unsigned N = 51,
    parameter int unsigned W = $clog2(N + 1)
) (
    input  logic [N-1:0] flags_i,
    output logic [W-1:0] count_o
);
  logic [N*W-1:0] tree;  // node s of level d: the flags s .. s + 2d - 1
  always_comb begin
    for (int s = 0; s < N; s++) tree[s*W+:W] = W'(flags_i[s]);
    for (int d = 1; d < N; d = d * 2) begin
      for (int s = 0; s + d < N; s = s + 2 * d) tree[s*W+:W] = tree[s*W+:W] + tree[(s+d)*W+:W];
    end
    count_o = tree[W-1:0];
  end
endmodule
