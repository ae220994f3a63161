// GENERATED from docs/format.md by docs/tools/gen_format.py -- do not edit
#pragma once

namespace sfp {

// version of this document and of every stream it defines
inline constexpr unsigned kFormatVersion = 1;
// exponent field width, FP32 and BF16
inline constexpr unsigned kExpBits = 8;
// mantissa field width of FP32
inline constexpr unsigned kManBitsFp32 = 23;
// mantissa field width of BF16
inline constexpr unsigned kManBitsBf16 = 7;
// smallest group size, log2 (G = 4)
inline constexpr unsigned kMinGroupLog2 = 2;
// largest group size, log2 (G = 32)
inline constexpr unsigned kMaxGroupLog2 = 5;
// smallest word width, log2 (W = 32)
inline constexpr unsigned kMinWordLog2 = 5;
// largest word width, log2 (W = 512)
inline constexpr unsigned kMaxWordLog2 = 9;
// largest chunk size, log2 (C = 1048576 values)
inline constexpr unsigned kMaxChunkLog2 = 20;
// bits of the delta-width code
inline constexpr unsigned kWidthCodeBits = 3;
// bits of a raw base exponent
inline constexpr unsigned kRawBaseBits = 8;
// base predictor state at the start of every chunk
inline constexpr unsigned kInitialBase = 127;
// longest legal run of leading zeros in a gamma base code
inline constexpr unsigned kGammaMaxZeros = 8;
// default group size G
inline constexpr unsigned kDefaultGroupLanes = 16;
// default base code (1 = delta)
inline constexpr unsigned kDefaultBaseCode = 1;
// default zero code (2 = mode)
inline constexpr unsigned kDefaultZeroCode = 2;
// default chunk size C
inline constexpr unsigned kDefaultChunkValues = 4096;
// default word width W
inline constexpr unsigned kDefaultWordBits = 256;

}  // namespace sfp
