#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Trains each network under FP32, Quantum Mantissa and BitChop with the same seed, then writes
# docs/training_results.md (table) and docs/img/train_*.png (plots) from the run folders.
#
# Environment (defaults in brackets):
#   BUILD [build]  SFP [$BUILD/sfp]  RUNS [runs/results]  NETS [cnn vit]
#   POLICIES [fp32 qm bitchop]  EPOCHS [5]  SEED [1]  TRAIN_SUBSET [0 = all]  TEST_SUBSET [0]
#   THREADS [2]  EXTRA_ARGS [] (passed to every `sfp train`)  SKIP_TRAIN [0] (1: only redo the
#   table and plots from existing runs)  MD [docs/training_results.md]  IMG [docs/img]
#   PYTHON [a python3 that has matplotlib]  OMP_WAIT_POLICY [PASSIVE]
# A smaller setting for a quick look: EPOCHS=1 TRAIN_SUBSET=10000 TEST_SUBSET=2000.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SFP=${SFP:-$BUILD/sfp}
RUNS=${RUNS:-runs/results}
NETS=${NETS:-cnn vit}
POLICIES=${POLICIES:-fp32 qm bitchop}
EPOCHS=${EPOCHS:-5}
SEED=${SEED:-1}
TRAIN_SUBSET=${TRAIN_SUBSET:-0}
TEST_SUBSET=${TEST_SUBSET:-0}
THREADS=${THREADS:-2}
EXTRA_ARGS=${EXTRA_ARGS:-}
SKIP_TRAIN=${SKIP_TRAIN:-0}
MD=${MD:-docs/training_results.md}
IMG=${IMG:-docs/img}
# libgomp threads sleep instead of spinning while they wait: on a busy 2-core machine spinning
# threads make a 2-thread run several times slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

# The plots need matplotlib (Debian: python3-matplotlib, scripts/deps.sh report); a python3
# earlier on PATH (e.g. a virtualenv) may not have it.
if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
if [ -z "${PYTHON:-}" ]; then
  echo "train_results.sh: no python3 with matplotlib (install python3-matplotlib: scripts/deps.sh report)" >&2
  exit 1
fi

if [ "$SKIP_TRAIN" != 1 ]; then
  if [ ! -x "$SFP" ]; then
    echo "train_results.sh: $SFP not found; build it first (cmake --build $BUILD --target sfp)" >&2
    exit 1
  fi
  mkdir -p "$RUNS"
  for net in $NETS; do
    for policy in $POLICIES; do
      out="$RUNS/$net-${policy//:/_}"
      cmd=("$SFP" train --net "$net" --policy "$policy" --epochs "$EPOCHS" --seed "$SEED"
           --train-subset "$TRAIN_SUBSET" --test-subset "$TEST_SUBSET" --threads "$THREADS"
           --out "$out")
      # shellcheck disable=SC2206
      cmd+=($EXTRA_ARGS)
      echo "+ ${cmd[*]}" >&2
      "${cmd[@]}"
    done
  done
fi

echo "+ $PYTHON scripts/train_results.py --runs $RUNS --md $MD --img $IMG" >&2
"$PYTHON" scripts/train_results.py --runs "$RUNS" --md "$MD" --img "$IMG"
