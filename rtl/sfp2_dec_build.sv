// SPDX-License-Identifier: Apache-2.0
//
// Decoder value build, after the lane loop, four stages per step:
//   1a. the canonical index off[len] + X[11 -: len] - fc[len] into the code's sorted symbols.
//   1. symbol: the symbol at that index; ZERO / REP / ESC / D_d.
//   1b. the exponent (base - d, or the escaped 8 bits); the lane's error (no codeword or m = 0
//      escape with its mantissa bit on an exponent below 255: bad_code; d > base: exp_range);
//      the start of each lane's plane entry or raw field in the step's plane bits.
//   2. plane and values: the step's plane entries (s + m bits, in lane order, prefix count over
//      the lanes with one) or raw fields (9 + max(m,1) bits per value) from a bit buffer fed by
//      the plane stream; value = {sign, exp, mantissa}, REP copies the value before it (the lane
//      to its left, or the previous step's last lane), BF16 leaves in the low 16 bits.
// Errors in the spec's order: header (from the lanes block), then per step the lanes in lane
// order, then the plane end (truncated); after the last step the lanes' padding and length,
// then the plane padding and length (raw: padding). From the failing step on the values are
// +0 (also for every step of a tensor with an illegal table); the chunk's first error goes out
// on res_* after the chunk's plane words are all taken (the rest of an over-long plane is
// drained). A chunk's plane words are accepted only while it is the current chunk.
// Spec: "Lane symbols", "Coded chunk", "Raw chunk", "Version 2 decoder errors".
// Paths: in_ready_o <- plane_* and values_ready_i only through registers (skid stages);
//        plane_ready_o <- plane_ok_i.
`include "sfp_assert.svh"

module sfp2_dec_build #(
  parameter  int unsigned NumLanes    = 16,
  parameter  int unsigned ChunkValues = 16384,
  parameter  int unsigned BeatWords   = 16,
  localparam int unsigned LaneCntW    = $clog2(NumLanes + 1),
  localparam int unsigned WordsW      = $clog2(ChunkValues + 1),
  localparam int unsigned CountW      = $clog2(BeatWords + 1),
  localparam int unsigned StatusBits  = sfp2_pkg::StatusBits,
  localparam int unsigned RecBits     = sfp2_pkg::dec_step_bits(NumLanes, ChunkValues)
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic [4:0]                    man_bits_i,
  input  logic                          bf16_i,
  input  logic [sfp2_pkg::ExpBits-1:0]  base_i,
  input  logic [1:0]                    sign_i,
  input  logic [sfp2_pkg::FcVecBits-1:0]  fc_i,
  input  logic [sfp2_pkg::OffVecBits-1:0] off_i,
  input  logic [sfp2_pkg::SymVecBits-1:0] sym_i,
  // Step records of sfp2_dec_lanes.
  input  logic                          in_valid_i,
  output logic                          in_ready_o,
  input  logic [RecBits-1:0]            in_data_i,
  // Plane stream.
  input  logic                          plane_valid_i,
  output logic                          plane_ready_o,
  input  logic [BeatWords*32-1:0]       plane_data_i,
  input  logic [CountW-1:0]             plane_count_i,
  input  logic                          plane_ok_i,
  // Values.
  output logic                          values_valid_o,
  input  logic                          values_ready_i,
  output logic [NumLanes*32-1:0]        values_data_o,
  output logic [LaneCntW-1:0]           values_lanes_o,
  output logic                          values_chunk_end_o,
  output logic                          values_last_o,
  // Chunk results: first error (0 = none) without the CRC, illegal table, tensor's last chunk.
  output logic                          res_valid_o,
  input  logic                          res_ready_i,
  output logic [StatusBits-1:0]         res_err_o,
  output logic                          res_bad_o,
  output logic                          res_last_o,
  output logic                          idle_o        // no chunk in this block
);
  localparam int unsigned L     = NumLanes;
  localparam int unsigned LR    = sfp2_pkg::DecLaneBits;
  localparam int unsigned CodeW = sfp2_pkg::MaxCodeBits;
  localparam int unsigned LenW  = sfp2_pkg::LenBits;
  localparam int unsigned SymW  = sfp2_pkg::SymBits;
  localparam int unsigned EW    = sfp2_pkg::ExpBits;
  localparam int unsigned NS    = sfp2_pkg::NumSyms;
  // Per lane after stage 1a: {quiet, escaped exponent, no codeword, code, index}.
  localparam int unsigned IW    = 1 + EW + 1 + 1 + SymW;
  // Per lane after stage 1: {kind, no codeword, quiet, escaped exponent, symbol}.
  localparam int unsigned S1W   = 2 + 1 + 1 + EW + SymW;
  // Per lane after stage 1b: {error (0 none, 1 bad_code, 2 exp_range), quiet, exponent, kind}.
  localparam int unsigned SW    = 2 + 1 + EW + 2;
  // Per lane into the value stage: {plane entry or raw field, quiet, exponent, kind}.
  localparam int unsigned FW    = 32 + 1 + EW + 2;
  localparam int unsigned B1W   = L * SW;
  localparam int unsigned PB    = 32 * (NumLanes + BeatWords);  // plane buffer bits
  localparam int unsigned PfW   = $clog2(PB + 1);
  localparam int unsigned UseW  = $clog2(32 * NumLanes + 1);  // plane bits of one step
  localparam int unsigned PposW = $clog2(ChunkValues * 32 + 1) + 1;

  // The step's fields after its lanes, carried through the stages.
`include "sfp2_dec_step.svh"
  step_side_t in_side, i_side, s1_side, s_side;
  localparam int unsigned SideW = $bits(in_side);

  // Stage 1a: symbol index //
  // The canonical index off[len] + X[11 -: len] - fc[len], with off - fc per code and length
  // held in registers (the table holds for the tensor). Per lane {quiet, eexp, no codeword,
  // code, index}.
  logic m0;
  logic [SymW-1:0] offc_q [sfp2_pkg::NumCodes][CodeW];
  logic [EW:0]     base3_q;  // base + 3: a distance symbol s gives the exponent base + 3 - s
  assign in_side = in_data_i[SideW-1:0];
  assign m0      = man_bits_i == 5'd0;
  always_ff @(posedge clk_i) begin
    for (int c = 0; c < sfp2_pkg::NumCodes; c++) begin
      for (int k = 0; k < CodeW; k++) begin
        offc_q[c][k] <= off_i[(c*CodeW+k)*SymW+:SymW] - SymW'(fc_i[(c*CodeW+k)*CodeW+:CodeW]);
      end
    end
    base3_q <= (EW + 1)'(base_i) + (EW + 1)'(sfp2_pkg::SymDist0);
  end
  logic [L*IW-1:0] ia_lanes;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic [LR-1:0]    r;     // sfp2_pkg::dec_lane_t {after, code, len, x}
      logic [CodeW-1:0] x;
      logic [SymW-1:0]  j;     // the low bits of X[11 -: len] (the index is SymW bits)
      logic [LenW-1:0]  len;
      logic             code;
      logic [SymW-1:0]  idx;
      r    = in_data_i[SideW+l*LR+:LR];
      x    = r[CodeW-1:0];
      len  = r[CodeW+:LenW];
      code = r[CodeW+LenW];
      j    = SymW'(x >> (LenW'(CodeW) - len));
      idx  = (len == '0) ? '0 : offc_q[code][len-LenW'(1)] + j;
      ia_lanes[l*IW+:IW] = {r[LR-1-:sfp2_pkg::AfterBits], len == '0, code, idx};
    end
  end

  logic            i_valid, i_ready;
  logic [L*IW-1:0] i_lanes;
  sfp_stage #(.Width($bits(ia_lanes) + SideW), .Spill(1)) u_idx (
    .clk_i, .rst_ni,
    .in_valid_i, .in_ready_o, .in_data_i({ia_lanes, in_side}),
    .out_valid_o(i_valid), .out_ready_i(i_ready), .out_data_o({i_lanes, i_side})
  );

  // Stage 1: symbols //
  // The symbol and its kind: ZERO / REP / ESC / D_d.
  logic [L*S1W-1:0] b1_syms;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic            code, quiet, nocw;
      logic [EW-1:0]   eexp;
      logic [SymW-1:0] idx, sym;
      logic [1:0]      kind;
      {quiet, eexp, nocw, code, idx} = i_lanes[l*IW+:IW];
      sym  = (idx < SymW'(NS)) ? sym_i[(32'(code)*NS+32'(idx))*SymW+:SymW] : '0;
      // 0 ZERO, 1 REP, 2 ESC, 3 distance
      kind = (sym < SymW'(sfp2_pkg::SymDist0)) ? sym[1:0] : 2'd3;
      b1_syms[l*S1W+:S1W] = {kind, nocw, quiet, eexp, sym};
    end
  end

  logic             s1_valid, s1_ready;
  logic [L*S1W-1:0] s1_syms;
  sfp_stage #(.Width(L * S1W + SideW), .Spill(1)) u_sym (
    .clk_i, .rst_ni,
    .in_valid_i (i_valid), .in_ready_o(i_ready), .in_data_i({b1_syms, i_side}),
    .out_valid_o(s1_valid), .out_ready_i(s1_ready), .out_data_o({s1_syms, s1_side})
  );

  // Stage 1b, per lane: the exponent and the lane's error.
  logic [B1W-1:0] s1_lanes;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      logic            quiet, nocw;
      logic [EW-1:0]   eexp, exp;
      logic [SymW-1:0] sym;
      logic [1:0]      kind, err;
      {kind, nocw, quiet, eexp, sym} = s1_syms[l*S1W+:S1W];
      exp  = (kind == 2'd2) ? eexp : EW'(base3_q - (EW + 1)'(sym));
      err  = 2'd0;
      if (nocw) err = 2'd1;
      else if (kind == 2'd3 && (EW + 1)'(sym) > base3_q) err = 2'd2;  // d = sym - 3 > base
      else if (kind == 2'd2 && m0 && quiet && eexp != '1) err = 2'd1;
      s1_lanes[l*SW+:SW] = {err, quiet, exp, kind};
    end
  end

  // Entry widths of the tensor and their multiples k * width for k = 0 .. L (registered: the
  // configuration and table hold for the tensor, and the setup before it takes many cycles).
  logic [5:0]  pw_q;
  logic [31:0] pmask_q, rmask_q;
  logic [(L+1)*UseW-1:0] pwk_q, rwk_q;
  logic        sbits;
  logic [5:0]  pw_n, rw_n;
  assign sbits = sign_i == sfp2_pkg::SignMixed;
  assign pw_n  = 6'(sbits) + 6'(man_bits_i);
  assign rw_n  = 6'd9 + (m0 ? 6'd1 : 6'(man_bits_i));
  always_ff @(posedge clk_i) begin
    pw_q    <= pw_n;
    pmask_q <= ~(32'hFFFFFFFF << pw_n);
    rmask_q <= ~(32'hFFFFFFFF << rw_n);
    for (int unsigned k = 0; k <= L; k++) begin
      pwk_q[k*UseW+:UseW] <= UseW'(k) * UseW'(pw_n);
      rwk_q[k*UseW+:UseW] <= UseW'(k) * UseW'(rw_n);
    end
  end

  // Stage 1b: where each lane's plane entry or raw field starts in the step's plane bits (the
  // prefix count of the lanes with an entry, log-depth, selecting its multiple of the entry
  // width), and the step's plane bits; registered so that stage 2 only selects from its bit
  // buffer.
  logic [L*UseW-1:0]     b1_at;
  logic [UseW-1:0]       b1_used;
  logic [L-1:0]          has;
  logic [L*LaneCntW-1:0] pcnt;  // inclusive prefix count of has
  logic [LaneCntW-1:0]   nbelow;
  always_comb begin
    for (int unsigned l = 0; l < L; l++) begin
      // kind 2 or 3 (bit 1): the lane has a plane entry
      has[l] = LaneCntW'(l) < s1_side.cnt && s1_syms[l*S1W+S1W-1] && pw_q != 6'd0;
    end
  end
  sfp_prefix_count #(.N(L), .W(LaneCntW)) u_has_count (.flags_i(has), .count_o(pcnt));
  always_comb begin
    nbelow = '0;
    for (int unsigned l = 0; l < L; l++) begin
      nbelow = pcnt[l*LaneCntW+:LaneCntW] - LaneCntW'(has[l]);
      b1_at[l*UseW+:UseW] = s1_side.raw ? rwk_q[l*UseW+:UseW] : pwk_q[32'(nbelow)*UseW+:UseW];
    end
    b1_used = s1_side.raw ? rwk_q[32'(s1_side.cnt)*UseW+:UseW] :
                            pwk_q[32'(pcnt[(L-1)*LaneCntW+:LaneCntW])*UseW+:UseW];
  end

  logic              s_valid, s_ready;
  logic [B1W-1:0]    s_lanes;
  logic [L*UseW-1:0] s_at;
  logic [UseW-1:0]   s_used;
  sfp_stage #(.Width(B1W + SideW + $bits(b1_at) + $bits(b1_used)), .Spill(1)) u_at (
    .clk_i, .rst_ni,
    .in_valid_i (s1_valid), .in_ready_o(s1_ready), .in_data_i({s1_lanes, s1_side, b1_at, b1_used}),
    .out_valid_o(s_valid), .out_ready_i(s_ready), .out_data_o({s_lanes, s_side, s_at, s_used})
  );

  logic [LaneCntW-1:0]   s_cnt;
  logic                  s_first, s_last, s_raw, s_tlast, s_bad, s_lpad, s_llen;
  logic [StatusBits-1:0] s_head;
  logic [WordsW-1:0]     s_pw;
  assign s_cnt   = s_side.cnt;
  assign s_first = s_side.first;
  assign s_last  = s_side.last;
  assign s_raw   = s_side.raw;
  assign s_tlast = s_side.tlast;
  assign s_bad   = s_side.bad;
  assign s_head  = s_side.err;
  assign s_lpad  = s_side.lpad;
  assign s_llen  = s_side.llen;
  assign s_pw    = s_side.plane_words;

  // Stage 2: plane, values, errors //
  typedef enum logic [1:0] {
    CIdle,
    CRun,
    CPad,
    CDrain
  } cstate_e;
  cstate_e           cst_q;
  logic [WordsW-1:0] p_q, prcv_q;     // plane words of the chunk, received
  logic [PfW-1:0]    pfill_q;
  logic [PposW-1:0]  ppos_q;         // plane bits the steps took
  logic [StatusBits-1:0] err_q;
  logic              bad_q, tlast_q, lpad_q, llen_q;
  logic [PB-1:0]     pbuf_q;

  logic               o_ready, fire, exhausted, enough, p_ack;
  logic [L-1:0]       act;
  logic [UseW-1:0]    used;        // plane bits of this step (<= 32 * NumLanes)
  logic [L*FW-1:0]    flds;        // per lane {field, quiet, exp, kind} for the value stage
  logic [StatusBits-1:0] step_err;
  always_comb begin
    logic [31:0]   f;
    logic [1:0]    kind, err;
    logic [EW-1:0] exp;
    logic          quiet;
    step_err = '0;
    for (int unsigned l = 0; l < L; l++) begin
      {err, quiet, exp, kind} = s_lanes[l*SW+:SW];
      act[l] = LaneCntW'(l) < s_cnt;
      f      = 32'(pbuf_q >> s_at[l*UseW+:UseW]) & (s_raw ? rmask_q : pmask_q);
      if (act[l] && step_err == '0) begin
        if (s_raw) begin
          if (m0 && f[8:1] != 8'hFF && f[9]) step_err = sfp2_pkg::St2BadCode;
        end else if (err != 2'd0) begin
          step_err = (err == 2'd1) ? sfp2_pkg::St2BadCode : sfp2_pkg::St2ExpRange;
        end
      end
      flds[l*FW+:FW] = {f, quiet, exp, kind};
    end
  end
  assign used = s_used;

  assign exhausted = prcv_q == p_q;
  assign enough    = exhausted || PfW'(used) <= pfill_q;
  assign fire      = cst_q == CRun && s_valid && o_ready && enough;
  assign s_ready   = fire;

  // The chunk's first error including this step, and whether this step's values are +0.
  logic [StatusBits-1:0] err_now;
  logic                  trunc_now, zero_vals;
  assign trunc_now = !s_raw && (ppos_q + PposW'(used)) > (PposW'(p_q) << 5);
  always_comb begin
    err_now = err_q;
    if (err_now == '0 && s_first) err_now = s_head;
    if (err_now == '0) err_now = step_err;
    if (err_now == '0 && trunc_now) err_now = sfp2_pkg::St2Truncated;
  end
  assign zero_vals = s_bad || err_now != '0;

  // End of chunk: padding bits of the last plane / raw word, plane length.
  logic [4:0] pad;
  logic       pad_ok, pad_zero, plane_long;
  logic [StatusBits-1:0] end_err;
  assign pad        = 5'(6'd32 - 6'(ppos_q[4:0]));
  assign pad_ok     = exhausted || PfW'(pad) <= pfill_q;
  assign pad_zero   = (pbuf_q[31:0] & ~(32'hFFFFFFFF << pad)) == 32'd0;
  assign plane_long = PposW'(p_q) > ((ppos_q + PposW'(31)) >> 5);
  always_comb begin
    end_err = '0;
    if (lpad_q) end_err = sfp2_pkg::St2BadPad;
    else if (llen_q) end_err = sfp2_pkg::St2Length;
    else if (!pad_zero) end_err = sfp2_pkg::St2BadPad;
    else if (plane_long && !raw_q) end_err = sfp2_pkg::St2Length;
  end

  // The chunk's result leaves once its plane words are all in; the next chunk's first step
  // record loads in the same cycle.
  logic raw_q;
  logic res_push, res_ready, pad_done, load;
  logic [StatusBits-1:0] err_fin;
  assign pad_done = err_q != '0 || bad_q || pad_ok;
  assign err_fin  = (err_q != '0 || bad_q) ? err_q : end_err;
  assign res_push = (cst_q == CDrain || (cst_q == CPad && pad_done)) && exhausted;
  assign load     = s_valid && (cst_q == CIdle || (res_push && res_ready));
  // Plane beats.
  // A beat is taken when it fits beside what this cycle's step leaves.
  logic [PfW-1:0] basef;
  assign plane_ready_o = plane_ok_i && cst_q != CIdle && !exhausted &&
                         (cst_q == CDrain || basef <= PfW'(PB - 32 * BeatWords));
  assign p_ack = plane_valid_i && plane_ready_o;

  logic [PB-1:0]  pbuf_d;
  logic [PfW-1:0] pfill_d;
  assign basef = fire ? ((PfW'(used) >= pfill_q) ? '0 : pfill_q - PfW'(used)) : pfill_q;
  always_comb begin
    logic [BeatWords*32-1:0] beat;
    pbuf_d = fire ? pbuf_q >> used : pbuf_q;
    beat   = plane_data_i;
    for (int unsigned i = 0; i < BeatWords; i++) begin
      if (CountW'(i) >= plane_count_i) beat[i*32+:32] = '0;
    end
    pfill_d = basef;
    if (p_ack && cst_q != CDrain) begin
      pbuf_d  = pbuf_d | (PB'(beat) << basef);
      pfill_d = basef + (PfW'(plane_count_i) << 5);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cst_q   <= CIdle;
      p_q     <= '0;
      prcv_q  <= '0;
      pfill_q <= '0;
      ppos_q  <= '0;
      err_q   <= '0;
      bad_q   <= 1'b0;
      tlast_q <= 1'b0;
      lpad_q  <= 1'b0;
      llen_q  <= 1'b0;
      raw_q   <= 1'b0;
    end else begin
      if (load) begin
        cst_q   <= CRun;
        p_q     <= s_pw;
        prcv_q  <= '0;
        pfill_q <= '0;
        ppos_q  <= '0;
        err_q   <= '0;
        raw_q   <= s_raw;
      end else begin
        case (cst_q)
          CIdle: ;
          CRun: begin
            if (p_ack) prcv_q <= prcv_q + WordsW'(plane_count_i);
            pfill_q <= pfill_d;
            if (fire) begin
              ppos_q <= ppos_q + PposW'(used);
              err_q  <= err_now;
              if (s_last) begin
                cst_q   <= CPad;
                bad_q   <= s_bad;
                tlast_q <= s_tlast;
                lpad_q  <= s_lpad;
                llen_q  <= s_llen;
              end
            end
          end
          CPad: begin
            if (p_ack) prcv_q <= prcv_q + WordsW'(plane_count_i);
            pfill_q <= pfill_d;
            if (res_push && res_ready) cst_q <= CIdle;
            else if (pad_done) begin
              err_q <= err_fin;
              cst_q <= CDrain;
            end
          end
          default: begin
            if (p_ack) prcv_q <= prcv_q + WordsW'(plane_count_i);
            if (res_push && res_ready) cst_q <= CIdle;
          end
        endcase
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (load) pbuf_q <= '0;
    else if (fire || p_ack) pbuf_q <= pbuf_d;
  end

  typedef struct packed {
    logic [StatusBits-1:0] err;
    logic                  bad, last;
  } res_t;
  res_t res_in, res_out;
  always_comb begin
    res_in.err  = cst_q == CPad ? err_fin : err_q;
    res_in.bad  = bad_q;
    res_in.last = tlast_q;
  end
  sfp_stage #(.Width($bits(res_in)), .Spill(0)) u_res (
    .clk_i, .rst_ni,
    .in_valid_i (res_push), .in_ready_o(res_ready), .in_data_i(res_in),
    .out_valid_o(res_valid_o), .out_ready_i(res_ready_i), .out_data_o(res_out)
  );
  assign res_err_o  = res_out.err;
  assign res_bad_o  = res_out.bad;
  assign res_last_o = res_out.last;

  // Stage 3: values //
  // {sign, exp, mantissa} from the field, REP = the value before it in the chunk (the lane to
  // the left, or the previous step's last lane), +0 from the failing step on.
  typedef struct packed {
    logic [L*FW-1:0]     flds;
    logic [LaneCntW-1:0] cnt;
    logic                zero, first, last, tlast, raw;  // zero: the step's values are +0
  } fld_beat_t;
  fld_beat_t f_in, fb;
  always_comb begin
    f_in.flds  = flds;
    f_in.cnt   = s_cnt;
    f_in.zero  = zero_vals;
    f_in.first = s_first;
    f_in.last  = s_last;
    f_in.tlast = s_last && s_tlast;
    f_in.raw   = s_raw;
  end
  logic                v_valid, v_ready;
  logic [31:0]         prev_q, prev_d;
  logic [L*32-1:0]     vals;
  sfp_stage #(.Width($bits(f_in)), .Spill(1)) u_flds (
    .clk_i, .rst_ni,
    .in_valid_i (fire), .in_ready_o(o_ready), .in_data_i(f_in),
    .out_valid_o(v_valid), .out_ready_i(v_ready), .out_data_o(fb)
  );
  // REP resolved in log2(L) levels: a lane's own value, or for a REP lane (and a lane past the
  // count, which passes it on) the nearest own value to its left, else the previous value.
  logic [L*32-1:0] own;
  logic [L-1:0]    hasv;
  always_comb begin
    logic [31:0]   f, v, cur;
    logic [1:0]    kind;
    logic [EW-1:0] exp;
    logic          quiet, sg;
    logic [22:0]   man;
    cur = fb.first ? 32'd0 : prev_q;
    for (int unsigned l = 0; l < L; l++) begin
      {f, quiet, exp, kind} = fb.flds[l*FW+:FW];
      sg = 1'b0;
      if (fb.raw) begin
        man = 23'(f >> 9) << (5'd23 - (m0 ? 5'd1 : man_bits_i));
        v   = {f[0], f[8:1], man};
      end else begin
        sg  = sbits ? f[0] : sign_i == sfp2_pkg::SignNeg;
        man = m0 ? ((kind == 2'd2) ? {quiet, 22'd0} : 23'd0) :
                   23'((f >> sbits) << (5'd23 - man_bits_i));
        v   = (kind == 2'd0) ? 32'd0 : {sg, exp, man};
      end
      own[l*32+:32] = v;
      hasv[l] = LaneCntW'(l) < fb.cnt && (fb.raw || kind != 2'd1);
    end
    for (int d = 1; d < L; d = d * 2) begin
      for (int l = L - 1; l >= d; l--) begin
        if (!hasv[l]) begin
          own[l*32+:32] = own[(l-d)*32+:32];
          hasv[l] = hasv[l-d];
        end
      end
    end
    for (int unsigned l = 0; l < L; l++) begin
      v = hasv[l] ? own[l*32+:32] : cur;
      if (LaneCntW'(l) < fb.cnt) vals[l*32+:32] = fb.zero ? 32'd0 : bf16_i ? {16'd0, v[31:16]} : v;
      else vals[l*32+:32] = 32'd0;
    end
    prev_d = hasv[L-1] ? own[(L-1)*32+:32] : cur;
  end
  always_ff @(posedge clk_i) begin
    if (v_valid && v_ready) prev_q <= prev_d;
  end

  typedef struct packed {
    logic [L*32-1:0]     data;
    logic [LaneCntW-1:0] lanes;
    logic                chunk_end, last;
  } val_beat_t;
  val_beat_t val_in, val_out;
  always_comb begin
    val_in.data      = vals;
    val_in.lanes     = fb.cnt;
    val_in.chunk_end = fb.last;
    val_in.last      = fb.tlast;
  end
  sfp_stage #(.Width($bits(val_in)), .Spill(1)) u_vals (
    .clk_i, .rst_ni,
    .in_valid_i (v_valid), .in_ready_o(v_ready), .in_data_i(val_in),
    .out_valid_o(values_valid_o), .out_ready_i(values_ready_i), .out_data_o(val_out)
  );
  assign values_data_o      = val_out.data;
  assign values_lanes_o     = val_out.lanes;
  assign values_chunk_end_o = val_out.chunk_end;
  assign values_last_o      = val_out.last;

  // The value stage reads the configuration and the table too.
  assign idle_o = cst_q == CIdle && !i_valid && !s1_valid && !s_valid && !v_valid;

  `SFP_ASSUME(PlaneCount_M, plane_valid_i |-> plane_count_i != '0 &&
              plane_count_i <= CountW'(BeatWords))
  `SFP_ASSERT_INIT(StepBits_A, L * LR + SideW == RecBits)
  `SFP_ASSERT(PlaneFill_A, pfill_q <= PfW'(PB))
  `SFP_ASSERT(IdleNoStep_A, !(cst_q == CIdle && fire))
endmodule
