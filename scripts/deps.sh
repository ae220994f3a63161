#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs the Debian packages sfp needs. Idempotent: packages already installed are skipped,
# and `apt-get update` runs at most once per call, only when something is missing.
#
# Usage: scripts/deps.sh [group...]      groups: core sim synth formal train report python fuzz bench all (default: core)
set -euo pipefail

declare -A groups=(
  [core]="build-essential cmake pkg-config clang-format git catch2 libfmt-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev libzstd-dev liblz4-dev zstd python3"
  [sim]="verilator"
  [synth]="yosys opensta"
  [formal]="yosys z3 boolector cvc4"
  [train]="libtorch-dev dataset-fashion-mnist zlib1g-dev"
  [report]="gnuplot python3-matplotlib"
  [python]="python3-dev python3-pybind11 python3-numpy python3-torch python3-torchvision python3-pytest"
  [fuzz]="clang libfuzzer-14-dev"
  [bench]="lz4 zstd python3-numpy python3-matplotlib"
)

wanted=()
[ $# -eq 0 ] && set -- core
for g in "$@"; do
  if [ "$g" = all ]; then
    for k in core sim synth formal train report python fuzz bench; do wanted+=(${groups[$k]}); done
  elif [ -n "${groups[$g]+x}" ]; then
    wanted+=(${groups[$g]})
  else
    echo "deps.sh: unknown group '$g' (known: core sim synth formal train report python fuzz bench all)" >&2
    exit 2
  fi
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
