// SPDX-License-Identifier: Apache-2.0
//
// Version 3 decoder build: turns the lanes' step records into values and the fin records into
// chunk statuses. Spec: docs/format.md, "Version 3 lane bits", "Lane symbols", "Version 3
// decoder errors"; the model is sfp::decode_chunk_v3.
//   stage 0: per lane the symbol (off[len] + X[11 -: len] - fc[len] into the sorted symbols)
//   stage 1: per lane its kind, the value (exponent base - d or the escaped 8 bits, the m = 0
//            bit, the entry: sign when the table's sign is mixed, then m mantissa bits) and the
//            lane's own errors (no codeword: bad_code; d > base or base - d = 255: exp_range; an
//            m = 0 escape of a non-NaN with its mantissa bit: bad_code; an escape whose
//            exponent has a distance codeword: bad_code, checked on the escaped bits alone)
//   stage 2: REP copies the previous value of the chunk (the lane to the left, or the last
//            lane of the step before), and the checks that need it (+0 not as ZERO, REP of +0,
//            a repeat not as REP when REP has a codeword: bad_code); the step's error is its
//            first failing lane's, else bad_padding for a non-zero expired bit; the values
//            beat (+0 from the chunk's first error on, and for a chunk that failed its
//            descriptor or table checks) and, on a fin record, the chunk's status: bad_config,
//            bad_table, bad_index, crc, the first step error, the end error.
// Throughput: one record per cycle. Latency 3.
// Paths: in_ready_o <- values_ready_i, status_ready_i; values_* and status_* registered.
`include "sfp_assert.svh"

module sfp3_dec_build #(
  parameter  int unsigned NumLanes = 16,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned NumCodes = sfp_code_pkg::NumCodes,
  localparam int unsigned CodeW    = sfp_code_pkg::MaxCodeBits,
  localparam int unsigned LenW     = sfp_code_pkg::LenBits,
  localparam int unsigned NumDist  = sfp_code_pkg::MaxDistSymbols
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  // The tensor's configuration and table (stable while records are in flight).
  input  logic [4:0]                      man_bits_i,
  input  logic                            bf16_i,
  input  logic [7:0]                      base_i,
  input  logic [1:0]                      sign_i,
  input  logic [NumCodes*NumDist-1:0]     dmask_i,    // [c*48 + d]: D_d has a codeword in code c
  input  logic [NumCodes*LenW-1:0]        rep_len_i,
  input  logic [sfp_code_pkg::FcVecBits-1:0]  fc_i,
  input  logic [sfp_code_pkg::OffVecBits-1:0] off_i,
  input  logic [sfp_code_pkg::SymVecBits-1:0] sym_i,
  // Records.
  input  logic                            in_valid_i,
  output logic                            in_ready_o,
  input  logic [NumLanes*(12+4+1+32)+$clog2(NumLanes+1)+14-1:0] in_data_i,
  // Values: one step per beat.
  output logic                            values_valid_o,
  input  logic                            values_ready_i,
  output logic [NumLanes*32-1:0]          values_data_o,
  output logic [LaneCntW-1:0]             values_lanes_o,
  output logic                            values_chunk_end_o,
  output logic                            values_last_o,
  // Status: one per chunk.
  output logic                            status_valid_o,
  input  logic                            status_ready_i,
  output logic [3:0]                      status_code_o,
  output logic                            status_last_o,
  output logic                            idle_o
);
  `include "sfp3_dec.svh"

  localparam int unsigned L  = NumLanes;
  localparam int unsigned NS = sfp_code_pkg::NumSyms;
  localparam int unsigned SB = sfp_code_pkg::SymBits;

  // Stage 0: the symbols //
  logic              s0_valid_q, s0_go;
  logic [RecBits-1:0] s0_rec_q;
  logic [L*SB-1:0]   s0_sym_q, syms;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic [LaneRecBits-1:0] r;
      logic [CodeW-1:0]  x, xs, fc;
      logic [LenW-1:0]   len;
      logic              code;
      logic [SB-1:0]     idx, off;
      r     = in_data_i[SideBits+l*LaneRecBits+:LaneRecBits];
      x     = r[CodeW-1:0];
      len   = r[CodeW+:LenW];
      code  = r[CodeW+LenW];
      // The symbol: its rank among the codewords of its length, plus their offset.
      fc    = '0;
      off   = '0;
      if (len != '0) begin
        fc  = fc_i[(32'(code)*CodeW+32'(len)-1)*CodeW+:CodeW];
        off = off_i[(32'(code)*CodeW+32'(len)-1)*SB+:SB];
      end
      xs  = x >> (LenW'(CodeW) - len);
      idx = off + SB'(xs - fc);
      syms[l*SB+:SB] = (32'(idx) < NS) ? sym_i[(32'(code)*NS+32'(idx))*SB+:SB] : '0;
    end
  end

  // Stage 1 //
  localparam logic [1:0] KZero = 2'd0, KRep = 2'd1, KDist = 2'd2, KEsc = 2'd3;
  logic              s1_valid_q, s1_go, s1_ack;
  logic [SideBits-1:0] s1_side_q;
  logic [L*2-1:0]    s1_kind_q, kind;
  logic [L*32-1:0]   s1_v_q, val;
  logic [L*4-1:0]    s1_err_q, lerr;
  logic [L-1:0]      s1_escd_q, escd, s1_repok_q, repok;

  always_comb begin
    logic [4:0] mm, drop;
    logic       s, fixed;
    logic [5:0] entry;
    mm    = man_bits_i;
    drop  = (bf16_i ? 5'd7 : 5'd23) - mm;
    s     = sign_i == sfp_code_pkg::SignMixed;
    fixed = sign_i == sfp_code_pkg::SignNeg;
    entry = 6'(mm) + (s ? 6'd1 : 6'd0);
    for (int unsigned l = 0; l < L; l++) begin
      logic [LaneRecBits-1:0] r;
      logic [LenW-1:0]   len;
      logic              code;
      logic [31:0]       after, eb, p;
      logic [SB-1:0]     sym;
      logic [7:0]        e, ee, d8;
      logic [5:0]        d;
      logic              q, sg;
      logic [22:0]       man;
      logic [1:0]        k;
      logic [3:0]        er;
      r     = s0_rec_q[SideBits+l*LaneRecBits+:LaneRecBits];
      len   = r[CodeW+:LenW];
      code  = r[CodeW+LenW];
      after = r[CodeW+LenW+1+:32];
      sym   = s0_sym_q[l*SB+:SB];
      k   = (sym == SB'(sfp_code_pkg::SymZero)) ? KZero : (sym == SB'(sfp_code_pkg::SymRep)) ? KRep :
            (sym == SB'(sfp_code_pkg::SymEsc)) ? KEsc : KDist;
      d   = sym - SB'(sfp_code_pkg::SymDist0);
      er  = 4'd0;
      q   = 1'b0;
      // Exponent, and where the entry starts.
      if (k == KEsc) begin
        e  = after[7:0];
        q  = (mm == '0) && after[8];
        eb = (mm == '0) ? after >> 9 : after >> 8;
        if (q && e != 8'hFF) er = sfp_code_pkg::St2BadCode;
      end else begin
        e  = base_i - 8'(d);
        eb = after;
        if (k == KDist && (8'(d) > base_i || e == 8'hFF)) er = sfp_code_pkg::St2ExpRange;
      end
      if (len == '0) er = sfp_code_pkg::St2BadCode;
      p   = eb & ~(32'hFFFFFFFF << entry);
      sg  = s ? p[0] : fixed;
      man = 23'((s ? p >> 1 : p) << drop);
      if (q) man = man | (bf16_i ? 23'h40 : 23'h400000);
      val[l*32+:32]  = bf16_i ? {16'd0, sg, e, man[6:0]} : {sg, e, man};
      kind[l*2+:2]   = k;
      lerr[l*4+:4]   = er;
      // An escape's exponent must have no distance codeword: from the escaped bits alone.
      ee             = after[7:0];
      d8             = base_i - ee;
      escd[l]        = k == KEsc && ee != 8'hFF && ee <= base_i && d8 < 8'(NumDist) &&
                       dmask_i[32'(code)*NumDist+32'(d8[5:0])];
      repok[l]       = rep_len_i[32'(code)*LenW+:LenW] != '0;
    end
  end

  // Stage 2: outputs //
  logic              val_valid_q, st_valid_q, val_free, st_free, s1_free;
  logic [L*32-1:0]   val_data_q;
  logic [LaneCntW-1:0] val_lanes_q;
  logic              val_end_q, val_last_q, st_last_q;
  logic [3:0]        st_code_q;
  logic [31:0]       prev_q;
  logic [3:0]        err_q;
  logic              s1_fin;

  assign s1_fin   = s1_side_q[RecFin];
  assign val_free = !val_valid_q || values_ready_i;
  assign st_free  = !st_valid_q || status_ready_i;
  // A status goes out only after its chunk's last values beat has been taken.
  assign s1_go    = s1_valid_q && val_free && (!s1_fin || st_free);
  assign s1_free  = !s1_valid_q || s1_go;
  assign s0_go    = s0_valid_q && s1_free;
  assign s1_ack   = s0_go;
  assign in_ready_o = !s0_valid_q || s1_free;
  assign idle_o   = !s0_valid_q && !s1_valid_q;

  // REP and the checks that need the previous value, the step's error, the values.
  logic [L*32-1:0] res;
  logic [31:0]     last_val;
  logic [3:0]      step_err, new_err, code;
  always_comb begin
    logic [31:0] prev, v;
    logic [1:0]  k;
    logic [3:0]  e;
    logic        first_err;
    logic [LaneCntW-1:0] n;
    v         = '0;
    k         = KZero;
    e         = '0;
    n         = s1_side_q[0+:NactBits];
    prev      = s1_side_q[RecFirst] ? 32'd0 : prev_q;
    step_err  = 4'd0;
    first_err = 1'b0;
    res       = '0;
    for (int unsigned l = 0; l < L; l++) begin
      if (LaneCntW'(l) < n) begin
        v = s1_v_q[l*32+:32];
        k = s1_kind_q[l*2+:2];
        e = s1_err_q[l*4+:4];
        if (e == '0 && k != KZero &&
            ((k == KRep) ? prev == '0 :
             (v == '0 || (v == prev && s1_repok_q[l]) || s1_escd_q[l]))) begin
          e = sfp_code_pkg::St2BadCode;
        end
        if (e != '0 && !first_err) begin
          first_err = 1'b1;
          step_err  = e;
        end
        prev = (k == KRep) ? prev : (k == KZero) ? 32'd0 : v;
        res[l*32+:32] = prev;
      end
    end
    if (!first_err && s1_side_q[RecPad]) step_err = sfp_code_pkg::St2BadPad;
    last_val = prev;
    new_err  = (!s1_side_q[RecFirst] && err_q != '0) ? err_q : step_err;
    // A chunk's status: its descriptor and table checks, the CRC, its first error, its end.
    code = (s1_side_q[RecPreErr+:4] != '0) ? s1_side_q[RecPreErr+:4] :
           s1_side_q[RecCrcBad] ? sfp_code_pkg::St2Crc :
           (err_q != '0) ? err_q : s1_side_q[RecEndErr+:4];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s0_valid_q  <= 1'b0;
      s1_valid_q  <= 1'b0;
      val_valid_q <= 1'b0;
      st_valid_q  <= 1'b0;
      err_q       <= '0;
    end else begin
      if (in_ready_o) s0_valid_q <= in_valid_i;
      if (s1_free) s1_valid_q <= s0_valid_q;
      if (val_free) val_valid_q <= s1_go && !s1_fin;
      if (st_free) st_valid_q <= s1_go && s1_fin;
      if (s1_go && !s1_fin) err_q <= new_err;
    end
  end

  always_ff @(posedge clk_i) begin
    if (in_valid_i && in_ready_o) begin
      s0_rec_q   <= in_data_i;
      s0_sym_q   <= syms;
    end
    if (s1_ack) begin
      s1_side_q  <= s0_rec_q[SideBits-1:0];
      s1_kind_q  <= kind;
      s1_v_q     <= val;
      s1_err_q   <= lerr;
      s1_escd_q  <= escd;
      s1_repok_q <= repok;
    end
    if (s1_go && !s1_fin) begin
      prev_q      <= last_val;
      val_data_q  <= (s1_side_q[RecPreErr+:4] != '0 || new_err != '0) ? '0 : res;
      val_lanes_q <= s1_side_q[0+:NactBits];
      val_end_q   <= s1_side_q[RecLast];
      val_last_q  <= s1_side_q[RecLast] && s1_side_q[RecTlast];
    end
    if (s1_go && s1_fin) begin
      st_code_q <= code;
      st_last_q <= s1_side_q[RecTlast];
    end
  end

  assign values_valid_o     = val_valid_q;
  assign values_data_o      = val_data_q;
  assign values_lanes_o     = val_lanes_q;
  assign values_chunk_end_o = val_end_q;
  assign values_last_o      = val_last_q;
  assign status_valid_o     = st_valid_q;
  assign status_code_o      = st_code_q;
  assign status_last_o      = st_last_q;

  `SFP_ASSERT_INIT(RecBits_A, $bits(in_data_i) == RecBits)
  `SFP_ASSERT_STABLE(ValuesStable_A, values_valid_o, values_ready_i,
                     {values_data_o, values_lanes_o, values_chunk_end_o, values_last_o})
  `SFP_ASSERT_STABLE(StatusStable_A, status_valid_o, status_ready_i,
                     {status_code_o, status_last_o})
endmodule
