// SPDX-License-Identifier: Apache-2.0
//
// sfp-train: the trainer, which `sfp train` runs (sfp itself does not load libtorch). Takes the
// arguments of `sfp train`, with or without the leading "train".
#include <CLI/CLI.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "sfp/train/command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sfp train: the libtorch trainer", "sfp"};
  sfp::train::register_command(app);
  app.require_subcommand(1);
  std::vector<char*> args(argv, argv + argc);
  if (argc < 2 || std::strcmp(argv[1], "train") != 0) {
    args.insert(args.begin() + 1, const_cast<char*>("train"));
  }
  try {
    // The command runs from its callback and exits 1 itself on failure.
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}
