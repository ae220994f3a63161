// SPDX-License-Identifier: Apache-2.0
//
// Encoder stage 6, field coding: builds the group header (zero information, base code, width
// code) and one value field per lane (sign, delta or raw exponent, mantissa bits), each with its
// length. Holds the base predictor P, the only state carried from group to group.
// Spec: "Group record" ("Zero information", "Base code", "Width code", "Value fields"),
// "Encoder obligations". Latency 1, throughput 1 group/cycle.
// Paths: out_* registered; in_ready_o = out_ready_i | ~out_valid_o (combinational).
`include "sfp_assert.svh"

module sfp_enc_code #(
  parameter  int unsigned NumLanes = sfp_fmt_pkg::DefaultGroupLanes,
  parameter  int unsigned BaseCode = sfp_fmt_pkg::DefaultBaseCode,
  parameter  int unsigned ZeroCode = sfp_fmt_pkg::DefaultZeroCode,
  localparam int unsigned LaneCntW = $clog2(NumLanes + 1),
  localparam int unsigned VW       = sfp_pkg::ValueBits,
  localparam int unsigned EW       = sfp_fmt_pkg::ExpBits,
  localparam int unsigned HdrBits  = sfp_pkg::hdr_max_bits(NumLanes, BaseCode, ZeroCode),
  localparam int unsigned HdrLenW  = $clog2(HdrBits + 1),
  localparam int unsigned FLenW    = $clog2(VW + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,   // a group and its plan
  output logic                      in_ready_o,
  input  logic [NumLanes*VW-1:0]    in_data_i,
  input  logic [LaneCntW-1:0]       in_lanes_i,
  input  sfp_pkg::cfg_t             in_cfg_i,
  input  sfp_pkg::grp_flags_t       in_flags_i,
  input  logic [NumLanes-1:0]       in_zero_mask_i,
  input  logic [LaneCntW-1:0]       in_nonzero_i,
  input  logic [EW-1:0]             in_base_i,
  input  logic [2:0]                in_width_code_i,
  output logic                      out_valid_o,  // header and value fields, LSB-aligned
  input  logic                      out_ready_i,
  output sfp_pkg::grp_flags_t       out_flags_o,
  output logic [HdrBits-1:0]        out_hdr_o,    // zero info, base code, width code
  output logic [HdrLenW-1:0]        out_hdr_len_o,
  output logic [NumLanes*VW-1:0]    out_fields_o, // lane l's field in [l*32 +: 32], 0 above it
  output logic [NumLanes*FLenW-1:0] out_lens_o    // lane l's field length (0: no field)
);
  logic                      in_ack, valid_q;
  logic [EW-1:0]             pred_q, pred, pred_d;
  // Delta code tests against P, registered with P so that none needs B - P first: P + 1, P - 1
  // (9 bits; P - 1 of 0 is 0x1FF and matches no B), max(P - 5, 0), min(P + 5, 255).
  logic [8:0]                p_inc_q, p_dec_q, p_inc, p_dec;
  logic [EW-1:0]             p_lo_q, p_hi_q, p_lo, p_hi;
  logic                      d_zero, d_one, d_small;
  logic                      has_hdr;
  logic [NumLanes-1:0]       lane_mask, live;
  logic [HdrBits-1:0]        zero_bits, bw_bits, hdr_d;
  logic [HdrLenW-1:0]        zero_len, bw_len, hdr_len_d;
  logic [8:0]                diff;            // D = B - P as 9-bit two's complement
  logic [7:0]                mag;             // |D|
  logic                      neg;
  logic [1:0]                mag_lo;          // low bits of |D|, from D alone
  logic [8:0]                gamma_v;         // zigzag(D) + 1
  logic [8:0]                gamma_low;       // its low gamma_k bits
  logic [3:0]                gamma_k;         // floor(log2(gamma_v))
  logic [3:0]                ew;              // exponent field width: w, or 8 without Gecko
  logic [EW-1:0]             base_e;          // subtracted from each exponent
  logic [4:0]                man;             // m
  logic [NumLanes*VW-1:0]    fields_d;
  logic [NumLanes*FLenW-1:0] lens_d;
  logic [NumLanes-1:0]       delta_fits;      // assertion only

  sfp_pkg::grp_flags_t       flags_q;
  logic [HdrBits-1:0]        hdr_q;
  logic [HdrLenW-1:0]        hdr_len_q;
  logic [NumLanes*VW-1:0]    fields_q;
  logic [NumLanes*FLenW-1:0] lens_q;

  assign in_ready_o = out_ready_i | ~valid_q;
  assign in_ack     = in_valid_i & in_ready_o;

  // Spec "Base code": P restarts at InitialBase in every chunk.
  assign pred    = in_flags_i.chunk_first ? EW'(sfp_fmt_pkg::InitialBase) : pred_q;
  assign p_inc   = in_flags_i.chunk_first ? 9'(sfp_fmt_pkg::InitialBase + 1) : p_inc_q;
  assign p_dec   = in_flags_i.chunk_first ? 9'(sfp_fmt_pkg::InitialBase - 1) : p_dec_q;
  assign p_lo    = in_flags_i.chunk_first ? EW'(sfp_fmt_pkg::InitialBase - 5) : p_lo_q;
  assign p_hi    = in_flags_i.chunk_first ? EW'(sfp_fmt_pkg::InitialBase + 5) : p_hi_q;
  assign pred_d  = has_hdr ? in_base_i : pred;
  assign has_hdr = in_cfg_i.gecko && (in_nonzero_i != '0);
  assign man     = sfp_pkg::eff_man_bits(in_cfg_i.man_bits, in_cfg_i.bf16);

  // Zero information //
  always_comb begin
    for (int unsigned l = 0; l < NumLanes; l++) lane_mask[l] = LaneCntW'(l) < in_lanes_i;
    live      = lane_mask & ~in_zero_mask_i;
    zero_bits = '0;
    zero_len  = '0;
    if (ZeroCode == sfp_pkg::ZeroMask) begin
      if (in_zero_mask_i != '0) begin  // "1" + mask
        zero_bits = HdrBits'(1) | (HdrBits'(in_zero_mask_i) << 1);
        zero_len  = HdrLenW'(1) + HdrLenW'(in_lanes_i);
      end else begin  // "0"
        zero_len = HdrLenW'(1);
      end
    end else if (ZeroCode == sfp_pkg::ZeroMode) begin
      if (in_zero_mask_i == '0) begin  // "0"
        zero_len = HdrLenW'(1);
      end else if (in_nonzero_i == '0) begin  // "10"
        zero_bits = HdrBits'(1);
        zero_len  = HdrLenW'(2);
      end else begin  // "11" + mask
        zero_bits = HdrBits'(3) | (HdrBits'(in_zero_mask_i) << 2);
        zero_len  = HdrLenW'(2) + HdrLenW'(in_lanes_i);
      end
    end
  end

  // Base code and width code //
  // Written together as one string bw (base code, then wc) so that the header is zero info |
  // bw << zero_len, with zero_len known early; for delta and raw every case places wc at a
  // constant offset.
  always_comb begin
    diff      = {1'b0, in_base_i} - {1'b0, pred};
    neg       = in_base_i < pred;
    d_zero    = in_base_i == pred;
    d_one     = {1'b0, in_base_i} == p_inc || {1'b0, in_base_i} == p_dec;
    d_small   = in_base_i >= p_lo && in_base_i <= p_hi;
    mag       = neg ? pred - in_base_i : in_base_i - pred;  // two subtractions, no negation
    mag_lo    = neg ? 2'd0 - diff[1:0] : diff[1:0];
    gamma_v   = {mag, ~neg};  // zigzag(D) + 1: 2|D| for D < 0, 2D + 1 otherwise
    gamma_k   = 4'd0;
    gamma_low = '0;
    for (int unsigned b = 1; b < 9; b++) begin
      if (gamma_v[b]) gamma_k = 4'(b);
    end
    bw_bits = '0;
    bw_len  = '0;
    if (BaseCode == sfp_pkg::BaseRaw) begin
      bw_bits = HdrBits'({in_width_code_i, in_base_i});
      bw_len  = HdrLenW'(sfp_fmt_pkg::RawBaseBits + sfp_fmt_pkg::WidthCodeBits);
    end else if (BaseCode == sfp_pkg::BaseDelta) begin
      // Spec "Encoder obligations": the shortest code that can express D.
      if (d_zero) begin  // "0"
        bw_bits = HdrBits'({in_width_code_i, 1'b0});
        bw_len  = HdrLenW'(1 + sfp_fmt_pkg::WidthCodeBits);
      end else if (d_one) begin  // "1 0 s"
        bw_bits = HdrBits'({in_width_code_i, neg, 2'b01});
        bw_len  = HdrLenW'(3 + sfp_fmt_pkg::WidthCodeBits);
      end else if (d_small) begin  // "1 1 0 s x0 x1"
        bw_bits = HdrBits'({in_width_code_i, mag_lo - 2'd2, neg, 3'b011});
        bw_len  = HdrLenW'(6 + sfp_fmt_pkg::WidthCodeBits);
      end else begin  // "1 1 1" + B
        bw_bits = HdrBits'({in_width_code_i, in_base_i, 3'b111});
        bw_len  = HdrLenW'(3 + sfp_fmt_pkg::RawBaseBits + sfp_fmt_pkg::WidthCodeBits);
      end
    end else begin
      // k zeros, a one, then the low k bits of v, least significant first.
      gamma_low = gamma_v & ~(9'h1FF << gamma_k);
      bw_bits   = (HdrBits'(1) << gamma_k) | (HdrBits'(gamma_low) << (gamma_k + 4'd1)) |
                  (HdrBits'(in_width_code_i) << {gamma_k, 1'b1});
      bw_len    = HdrLenW'({gamma_k, 1'b1}) + HdrLenW'(sfp_fmt_pkg::WidthCodeBits);
    end
  end

  // Header: zero info, then (when some lane has a value field and Gecko is on) base and width.
  always_comb begin
    hdr_d     = zero_bits;
    hdr_len_d = zero_len;
    if (has_hdr) begin
      hdr_d     = zero_bits | (bw_bits << zero_len);
      hdr_len_d = zero_len + bw_len;
    end
  end

  // Value fields: sign | delta << 1 | mantissa << (1 + ew) //
  assign ew     = !in_cfg_i.gecko ? 4'd8 : (in_width_code_i == 3'd7) ? 4'd8 : {1'b0, in_width_code_i};
  assign base_e = in_cfg_i.gecko ? in_base_i : '0;

  always_comb begin
    logic [VW-1:0]    v;
    logic [EW-1:0]    delta;
    logic [22:0]      man_field;
    logic [FLenW-1:0] man_len;
    logic             special;
    fields_d   = '0;
    lens_d     = '0;
    delta_fits = '1;
    for (int unsigned l = 0; l < NumLanes; l++) begin
      v       = in_data_i[l*VW +: VW];
      delta   = v[30:23] - base_e;
      // Spec "Value fields": with m = 0, Inf and NaN still carry one mantissa bit.
      special = (man == 5'd0) && (v[30:23] == sfp_pkg::ExpMax);
      if (man == 5'd0) begin
        man_field = {22'd0, special & v[22]};
        man_len   = FLenW'(special);
      end else begin
        man_field = v[22:0] >> (5'd23 - man);
        man_len   = FLenW'(man);
      end
      if (live[l]) begin
        delta_fits[l] = (ew == 4'd8) || ((9'(delta) >> ew) == 9'd0);
        fields_d[l*VW +: VW] = VW'(v[31]) | (VW'(delta) << 1) | (VW'(man_field) << (ew + 4'd1));
        lens_d[l*FLenW +: FLenW] = FLenW'(1) + FLenW'(ew) + man_len;
      end
    end
  end

  // Control: async reset. Payload: no reset, loads only on a handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
      pred_q  <= EW'(sfp_fmt_pkg::InitialBase);
      p_inc_q <= 9'(sfp_fmt_pkg::InitialBase + 1);
      p_dec_q <= 9'(sfp_fmt_pkg::InitialBase - 1);
      p_lo_q  <= EW'(sfp_fmt_pkg::InitialBase - 5);
      p_hi_q  <= EW'(sfp_fmt_pkg::InitialBase + 5);
    end else begin
      if (in_ready_o) valid_q <= in_valid_i;
      if (in_ack) begin
        pred_q  <= pred_d;
        p_inc_q <= {1'b0, pred_d} + 9'd1;
        p_dec_q <= {1'b0, pred_d} - 9'd1;
        p_lo_q  <= (pred_d >= EW'(5)) ? pred_d - EW'(5) : '0;
        p_hi_q  <= (pred_d <= EW'(250)) ? pred_d + EW'(5) : '1;
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (in_ack) begin
      flags_q   <= in_flags_i;
      hdr_q     <= hdr_d;
      hdr_len_q <= hdr_len_d;
      fields_q  <= fields_d;
      lens_q    <= lens_d;
    end
  end

  assign out_valid_o   = valid_q;
  assign out_flags_o   = flags_q;
  assign out_hdr_o     = hdr_q;
  assign out_hdr_len_o = hdr_len_q;
  assign out_fields_o  = fields_q;
  assign out_lens_o    = lens_q;

  `SFP_ASSERT_STABLE(OutStable_A, out_valid_o, out_ready_i,
                     {out_flags_o, out_hdr_o, out_hdr_len_o, out_fields_o, out_lens_o})
  `SFP_ASSUME_STABLE(InStable_M, in_valid_i, in_ready_o,
                     {in_data_i, in_lanes_i, in_cfg_i, in_flags_i, in_zero_mask_i, in_nonzero_i,
                      in_base_i, in_width_code_i})
  `SFP_ASSERT(HdrLen_A, out_valid_o |-> out_hdr_len_o <= HdrLenW'(HdrBits))
  // The registered bounds give the same delta code tests as D = B - P.
  `SFP_ASSERT(DeltaTests_A, in_valid_i |-> d_zero == (diff == 9'd0) &&
              d_one == (diff == 9'd1 || diff == 9'h1FF) &&
              d_small == ((!diff[8] && diff <= 9'd5) || (diff[8] && diff >= 9'h1FB)) &&
              neg == diff[8])
  // Spec "Width code": every delta fits the width chosen for the group.
  `SFP_ASSERT(DeltaFits_A, in_valid_i |-> &delta_fits)
endmodule
