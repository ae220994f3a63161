// SPDX-License-Identifier: Apache-2.0
//
// The verilated sfp_decoder parameter sets (tb/CMakeLists.txt, "Shipped parameter sets").
#pragma once

#include "Vsfp_decoder_g16.h"
#include "Vsfp_decoder_g16_sfp_decoder.h"
#include "Vsfp_decoder_g16_sfp_fmt_pkg.h"
#include "Vsfp_decoder_g32.h"
#include "Vsfp_decoder_g32_sfp_decoder.h"
#include "Vsfp_decoder_g32_sfp_fmt_pkg.h"
#include "Vsfp_decoder_g4.h"
#include "Vsfp_decoder_g4_sfp_decoder.h"
#include "Vsfp_decoder_g4_sfp_fmt_pkg.h"
#include "Vsfp_decoder_g8.h"
#include "Vsfp_decoder_g8_sfp_decoder.h"
#include "Vsfp_decoder_g8_sfp_fmt_pkg.h"
#include "dut.hpp"

namespace sfp::tb {
SFP_TB_DUT(Vsfp_decoder_g16, sfp_decoder);
SFP_TB_DUT(Vsfp_decoder_g8, sfp_decoder);
SFP_TB_DUT(Vsfp_decoder_g4, sfp_decoder);
SFP_TB_DUT(Vsfp_decoder_g32, sfp_decoder);
}  // namespace sfp::tb

#define SFP_TB_DECODERS Vsfp_decoder_g16, Vsfp_decoder_g8, Vsfp_decoder_g4, Vsfp_decoder_g32
