// SPDX-License-Identifier: Apache-2.0
//
// The sfp command: encode, decode and inspect tensor files (docs/cli.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <vector>

#include "cli.hpp"
#include "sfp/gen/format.hpp"
#include "sfp/io/container.hpp"

#ifdef SFP_HAVE_TRAIN
#include "sfp/train/command.hpp"
#endif

int main(int argc, char** argv) {
  CLI::App app{"sfp: floating-point tensor compression (Gecko exponents, mantissa truncation)",
               "sfp"};
  app.set_version_flag("--version",
                       fmt::format("sfp {} (format version {}, .sfp file version {})", SFP_VERSION,
                                   sfp::kFormatVersion, sfp::io::kContainerVersion));
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 bad input, 2 bad usage. See docs/cli.md.");
  std::vector<sfp::cli::Command> commands = {sfp::cli::add_encode(app), sfp::cli::add_decode(app),
                                             sfp::cli::add_stats(app), sfp::cli::add_eval(app)};
#ifdef SFP_HAVE_TRAIN
  sfp::train::register_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const sfp::cli::Command& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const sfp::cli::UsageError& e) {
    fmt::print(stderr, "sfp: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sfp: {}\n", e.what());
    return 1;
  }
  return 0;
}
