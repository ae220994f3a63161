// GENERATED from docs/format.md by docs/tools/gen_format.py -- do not edit
#pragma once

namespace sfp {

// newest format version of this document (the default); versions 1 and 2 stay defined
inline constexpr unsigned kFormatVersion = 3;
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
// version 2: width of every word (lane words, plane words, headers)
inline constexpr unsigned kV2WordBits = 32;
// version 2: a lane with fewer bits than this takes a word before its step
inline constexpr unsigned kV2LaneRefillBits = 32;
// version 2: the most bits a lane can hold (refill threshold + one word)
inline constexpr unsigned kV2LaneBufferBits = 64;
// version 2: fewest lanes, log2 (L = 4)
inline constexpr unsigned kV2MinLanesLog2 = 2;
// version 2: most lanes, log2 (L = 32)
inline constexpr unsigned kV2MaxLanesLog2 = 5;
// version 2: default number of lanes L
inline constexpr unsigned kV2DefaultLanes = 16;
// version 2: default chunk size C
inline constexpr unsigned kV2DefaultChunkValues = 16384;
// version 2: longest codeword of the exponent code
inline constexpr unsigned kMaxCodeBits = 12;
// version 2: bits of one code length in the table
inline constexpr unsigned kCodeLengthBits = 4;
// version 2: most distance symbols in a table
inline constexpr unsigned kMaxDistSymbols = 48;
// version 2: bits of the distance symbol count in the table
inline constexpr unsigned kDistCountBits = 6;
// version 2: bits of an escaped exponent
inline constexpr unsigned kEscExpBits = 8;
// version 2: a chunk uses fewer lanes than L when each would get fewer values
inline constexpr unsigned kV2MinLaneValues = 32;
// version 3: width of a lane word, the word of a version 3 chunk
inline constexpr unsigned kV3WordBits = 32;
// version 3: a lane with fewer bits than this takes a word before its value
inline constexpr unsigned kV3LaneRefillBits = 44;
// version 3: the most words a lane takes before one value
inline constexpr unsigned kV3MaxRefillWords = 2;
// version 3: a lane holds at most 43 + 2 · 32 = 107 bits
inline constexpr unsigned kV3LaneBufferBits = 128;
// version 3: a lane's word expires once the stream is this many words past it
inline constexpr unsigned kV3WindowWords = 512;
// version 3: the most lane bits of one value (12 + 8 + 24)
inline constexpr unsigned kV3MaxValueBits = 44;
// version 3: a chunk uses fewer lanes than L when each would get fewer values
inline constexpr unsigned kV3MinLaneValues = 64;
// version 3: default number of lanes L
inline constexpr unsigned kV3DefaultLanes = 16;
// version 3: default chunk size C
inline constexpr unsigned kV3DefaultChunkValues = 16384;
// version 3: bits of a reference to an earlier table of the file
inline constexpr unsigned kV3TableRefBits = 15;
// version 3: the encoder weighs the file's last this many tables for a tensor
inline constexpr unsigned kV3TableCandidates = 16;

}  // namespace sfp
