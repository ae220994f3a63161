// SPDX-License-Identifier: Apache-2.0
//
// The verilated sfp_encoder parameter sets (tb/CMakeLists.txt, "Shipped parameter sets").
#pragma once

#include "Vsfp_encoder_g16.h"
#include "Vsfp_encoder_g16_sfp_encoder.h"
#include "Vsfp_encoder_g16_sfp_fmt_pkg.h"
#include "Vsfp_encoder_g32.h"
#include "Vsfp_encoder_g32_sfp_encoder.h"
#include "Vsfp_encoder_g32_sfp_fmt_pkg.h"
#include "Vsfp_encoder_g4.h"
#include "Vsfp_encoder_g4_sfp_encoder.h"
#include "Vsfp_encoder_g4_sfp_fmt_pkg.h"
#include "Vsfp_encoder_g8.h"
#include "Vsfp_encoder_g8_sfp_encoder.h"
#include "Vsfp_encoder_g8_sfp_fmt_pkg.h"
#include "dut.hpp"

namespace sfp::tb {
SFP_TB_DUT(Vsfp_encoder_g16, sfp_encoder);
SFP_TB_DUT(Vsfp_encoder_g8, sfp_encoder);
SFP_TB_DUT(Vsfp_encoder_g4, sfp_encoder);
SFP_TB_DUT(Vsfp_encoder_g32, sfp_encoder);
}  // namespace sfp::tb

#define SFP_TB_ENCODERS Vsfp_encoder_g16, Vsfp_encoder_g8, Vsfp_encoder_g4, Vsfp_encoder_g32
