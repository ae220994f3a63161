// GENERATED from docs/format.md by docs/tools/gen_format.py -- do not edit
package sfp_fmt_pkg;
  // newest format version of this document (the default); versions 1 and 2 stay defined
  parameter int unsigned FormatVersion /*verilator public*/ = 3;
  // exponent field width, FP32 and BF16
  parameter int unsigned ExpBits /*verilator public*/ = 8;
  // mantissa field width of FP32
  parameter int unsigned ManBitsFp32 /*verilator public*/ = 23;
  // mantissa field width of BF16
  parameter int unsigned ManBitsBf16 /*verilator public*/ = 7;
  // smallest group size, log2 (G = 4)
  parameter int unsigned MinGroupLog2 /*verilator public*/ = 2;
  // largest group size, log2 (G = 32)
  parameter int unsigned MaxGroupLog2 /*verilator public*/ = 5;
  // smallest word width, log2 (W = 32)
  parameter int unsigned MinWordLog2 /*verilator public*/ = 5;
  // largest word width, log2 (W = 512)
  parameter int unsigned MaxWordLog2 /*verilator public*/ = 9;
  // largest chunk size, log2 (C = 1048576 values)
  parameter int unsigned MaxChunkLog2 /*verilator public*/ = 20;
  // bits of the delta-width code
  parameter int unsigned WidthCodeBits /*verilator public*/ = 3;
  // bits of a raw base exponent
  parameter int unsigned RawBaseBits /*verilator public*/ = 8;
  // base predictor state at the start of every chunk
  parameter int unsigned InitialBase /*verilator public*/ = 127;
  // longest legal run of leading zeros in a gamma base code
  parameter int unsigned GammaMaxZeros /*verilator public*/ = 8;
  // default group size G
  parameter int unsigned DefaultGroupLanes /*verilator public*/ = 16;
  // default base code (1 = delta)
  parameter int unsigned DefaultBaseCode /*verilator public*/ = 1;
  // default zero code (2 = mode)
  parameter int unsigned DefaultZeroCode /*verilator public*/ = 2;
  // default chunk size C
  parameter int unsigned DefaultChunkValues /*verilator public*/ = 4096;
  // default word width W
  parameter int unsigned DefaultWordBits /*verilator public*/ = 256;
  // version 2: width of every word (lane words, plane words, headers)
  parameter int unsigned V2WordBits /*verilator public*/ = 32;
  // version 2: a lane with fewer bits than this takes a word before its step
  parameter int unsigned V2LaneRefillBits /*verilator public*/ = 32;
  // version 2: the most bits a lane can hold (refill threshold + one word)
  parameter int unsigned V2LaneBufferBits /*verilator public*/ = 64;
  // version 2: fewest lanes, log2 (L = 4)
  parameter int unsigned V2MinLanesLog2 /*verilator public*/ = 2;
  // version 2: most lanes, log2 (L = 32)
  parameter int unsigned V2MaxLanesLog2 /*verilator public*/ = 5;
  // version 2: default number of lanes L
  parameter int unsigned V2DefaultLanes /*verilator public*/ = 16;
  // version 2: default chunk size C
  parameter int unsigned V2DefaultChunkValues /*verilator public*/ = 16384;
  // version 2: longest codeword of the exponent code
  parameter int unsigned MaxCodeBits /*verilator public*/ = 12;
  // version 2: bits of one code length in the table
  parameter int unsigned CodeLengthBits /*verilator public*/ = 4;
  // version 2: most distance symbols in a table
  parameter int unsigned MaxDistSymbols /*verilator public*/ = 48;
  // version 2: bits of the distance symbol count in the table
  parameter int unsigned DistCountBits /*verilator public*/ = 6;
  // version 2: bits of an escaped exponent
  parameter int unsigned EscExpBits /*verilator public*/ = 8;
  // version 2: a chunk uses fewer lanes than L when each would get fewer values
  parameter int unsigned V2MinLaneValues /*verilator public*/ = 32;
  // version 3: width of a lane word, the word of a version 3 chunk
  parameter int unsigned V3WordBits /*verilator public*/ = 32;
  // version 3: a lane with fewer bits than this takes a word before its value
  parameter int unsigned V3LaneRefillBits /*verilator public*/ = 44;
  // version 3: the most words a lane takes before one value
  parameter int unsigned V3MaxRefillWords /*verilator public*/ = 2;
  // version 3: a lane holds at most 43 + 2 · 32 = 107 bits
  parameter int unsigned V3LaneBufferBits /*verilator public*/ = 128;
  // version 3: a lane's word expires once the stream is this many words past it
  parameter int unsigned V3WindowWords /*verilator public*/ = 512;
  // version 3: the most lane bits of one value (12 + 8 + 24)
  parameter int unsigned V3MaxValueBits /*verilator public*/ = 44;
  // version 3: a chunk uses fewer lanes than L when each would get fewer values
  parameter int unsigned V3MinLaneValues /*verilator public*/ = 64;
  // version 3: default number of lanes L
  parameter int unsigned V3DefaultLanes /*verilator public*/ = 16;
  // version 3: default chunk size C
  parameter int unsigned V3DefaultChunkValues /*verilator public*/ = 16384;
  // version 3: bits of a reference to an earlier table of the file
  parameter int unsigned V3TableRefBits /*verilator public*/ = 15;
  // version 3: the encoder weighs the file's last this many tables for a tensor
  parameter int unsigned V3TableCandidates /*verilator public*/ = 16;
endpackage
