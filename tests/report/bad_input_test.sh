#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# make report on bad input (issue: "Bad input"): a missing dataset and an unreadable snapshot each
# stop scripts/report.sh with a message naming the stage and the cause, a non-zero exit, and no
# report.md (an older one included) or report.md.tmp left behind.
#   bad_input_test.sh <source dir> <path of the built sfp>
set -uo pipefail
src="$1"
sfp="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check <name> <stage> <cause pattern> <log>
  local ok=1
  grep -q "report: stage '$2' failed" "$4" || { echo "FAIL $1: no message naming stage '$2'"; ok=0; }
  grep -q -- "$3" "$4" || { echo "FAIL $1: no message with the cause ('$3')"; ok=0; }
  [ ! -e "$tmp/b/report/report.md" ] || { echo "FAIL $1: report.md left in place"; ok=0; }
  [ ! -e "$tmp/b/report/report.md.tmp" ] || { echo "FAIL $1: report.md.tmp left in place"; ok=0; }
  [ $ok = 1 ] && echo "ok   $1" || { fails=$((fails + 1)); sed 's/^/     | /' "$4" | tail -n 20; }
}
fresh() {  # a build folder holding only the sfp binary and an old report
  rm -rf "$tmp/b" && mkdir -p "$tmp/b/report" && ln -s "$sfp" "$tmp/b/sfp"
  echo "an older report" > "$tmp/b/report/report.md"
}
cd "$src" || exit 1

# 1. Missing dataset: the train stage stops, naming the missing file.
fresh
if DATASET="$tmp/no-such-dataset" NETS=cnn POLICIES=fp32 SYNTH=0 scripts/report.sh "$tmp/b" \
  > "$tmp/1.log" 2>&1; then
  echo "FAIL missing dataset: report.sh exited 0"; fails=$((fails + 1))
fi
check "missing dataset" train "no-such-dataset.*Fashion-MNIST file missing" "$tmp/1.log"

# 2. Unreadable snapshot: the eval stage stops, naming the file.
fresh
mkdir -p "$tmp/b/report/runs/cnn-fp32/snapshots"
head -c 100 /dev/urandom > "$tmp/b/report/runs/cnn-fp32/snapshots/step_000000.safetensors"
if TRAIN=0 SYNTH=0 scripts/report.sh "$tmp/b" > "$tmp/2.log" 2>&1; then
  echo "FAIL unreadable snapshot: report.sh exited 0"; fails=$((fails + 1))
fi
check "unreadable snapshot" eval "step_000000.safetensors" "$tmp/2.log"

# 3. TRAIN=0 with nothing to reuse: the train stage stops and says so.
fresh
if TRAIN=0 SYNTH=0 scripts/report.sh "$tmp/b" > "$tmp/3.log" 2>&1; then
  echo "FAIL no runs: report.sh exited 0"; fails=$((fails + 1))
fi
check "TRAIN=0 without runs" train "holds no training runs" "$tmp/3.log"

[ $fails = 0 ] && echo "all report bad-input checks passed" && exit 0
echo "$fails report bad-input check(s) failed"
exit 1
