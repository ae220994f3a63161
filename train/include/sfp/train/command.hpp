// SPDX-License-Identifier: Apache-2.0
//
// The `sfp train` subcommand. The command runs from its CLI11 callback: usage errors are thrown
// as CLI::ValidationError (a CLI::ParseError); a failed run prints "sfp train: <reason>" on stderr
// and exits with status 1.
#pragma once

namespace CLI {
class App;
}

namespace sfp::train {

// Registers `train` with all its flags and its callback on the `sfp` command line.
void register_command(CLI::App& app);

}  // namespace sfp::train
