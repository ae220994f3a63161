// SPDX-License-Identifier: Apache-2.0
//
// Inclusive prefix count of a flag vector in log2(N) levels (Kogge-Stone: level j adds the
// count 2^j places down): count_o[l*W +: W] = the number of flags set among flags_i[0 .. l].
// Used where the lanes of a step take consecutive positions (slots, plane entries).
// Paths: count_o <- flags_i (combinational).
module sfp_prefix_count #(
    parameter int unsigned N = 16,
    parameter int unsigned W = $clog2(N + 1)
) (
    input  logic [N-1:0]   flags_i,
    output logic [N*W-1:0] count_o
);
  always_comb begin
    for (int l = 0; l < N; l++) count_o[l*W+:W] = W'(flags_i[l]);
    // Downward within a level, so that place l - d still holds the previous level's count.
    for (int d = 1; d < N; d = d * 2) begin
      for (int l = N - 1; l >= d; l--) begin
        count_o[l*W+:W] = count_o[l*W+:W] + count_o[(l-d)*W+:W];
      end
    end
  end
endmodule
