#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# BitPruning results: trains an FP32 network per net, then `sfp train --policy bitprune` from its
# checkpoint for a sweep of lambda (SWEEP_REG regularizer) and for the three regularizers at
# one lambda; writes the results section of docs/bitpruning.md and docs/img/bitprune_*.png.
#
# Environment (defaults in brackets):
#   BUILD [build]  SFP [$BUILD/sfp]  RUNS [runs/bitprune]  NETS [cnn vit]  SEED [1]
#   FP32_EPOCHS [3]  LEARN [1]  FINETUNE [1]  (epochs of the FP32 run and the two BitPruning phases)
#   SWEEP_REG [bits]  LAMBDAS_CNN [0.3 1 3]  LAMBDAS_VIT [1 3]  (lambda sweep)
#   MAIN_LAMBDA_CNN [1]  MAIN_LAMBDA_VIT [1]  (the lambda the regularizers are compared at)
#   REGS_CNN [bits bops memory]  REGS_VIT [bits bops]  (regularizers compared at the main lambda)
#   LEARNED_NETS [vit]  (one more run at the main lambda with --bp-act-range learned)
#   THREADS [1]  JOBS [2] (runs side by side)
#   EXTRA_ARGS [] (passed to every bitprune run)  SKIP_TRAIN [0] (1: only redo the tables and
#   plots)  SKIP_EXISTING [1] (keep run folders that have a summary.json)
#   MD [docs/bitpruning.md]  IMG [docs/img]  PYTHON [a python3 with matplotlib]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SFP=${SFP:-$BUILD/sfp}
RUNS=${RUNS:-runs/bitprune}
NETS=${NETS:-cnn vit}
SEED=${SEED:-1}
FP32_EPOCHS=${FP32_EPOCHS:-3}
LEARN=${LEARN:-1}
FINETUNE=${FINETUNE:-1}
SWEEP_REG=${SWEEP_REG:-bits}
LAMBDAS_CNN=${LAMBDAS_CNN:-0.3 1 3}
LAMBDAS_VIT=${LAMBDAS_VIT:-1 3}
MAIN_LAMBDA_CNN=${MAIN_LAMBDA_CNN:-1}
MAIN_LAMBDA_VIT=${MAIN_LAMBDA_VIT:-1}
REGS_CNN=${REGS_CNN:-bits bops memory}
REGS_VIT=${REGS_VIT:-bits bops}
LEARNED_NETS=${LEARNED_NETS:-vit}
THREADS=${THREADS:-1}
JOBS=${JOBS:-2}
EXTRA_ARGS=${EXTRA_ARGS:-}
SKIP_TRAIN=${SKIP_TRAIN:-0}
SKIP_EXISTING=${SKIP_EXISTING:-1}
MD=${MD:-docs/bitpruning.md}
IMG=${IMG:-docs/img}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
if [ -z "${PYTHON:-}" ]; then
  echo "bitprune_results.sh: no python3 with matplotlib (install python3-matplotlib: scripts/deps.sh report)" >&2
  exit 1
fi

# Runs one training unless its folder is complete; logs to RUN.log.
train() {
  local out=$1; shift
  if [ "$SKIP_EXISTING" = 1 ] && [ -f "$out/summary.json" ]; then
    echo "= $out (kept)" >&2
    return 0
  fi
  echo "+ $SFP train $* --out $out" >&2
  "$SFP" train "$@" --out "$out" >"$out.log" 2>&1 || { echo "failed: $out (see $out.log)" >&2; return 1; }
}

if [ "$SKIP_TRAIN" != 1 ]; then
  if [ ! -x "$SFP" ]; then
    echo "bitprune_results.sh: $SFP not found; build it first (cmake --build $BUILD --target sfp)" >&2
    exit 1
  fi
  mkdir -p "$RUNS"
  for net in $NETS; do
    train "$RUNS/$net-fp32" --net "$net" --policy fp32 --epochs "$FP32_EPOCHS" --seed "$SEED" \
      --threads "$THREADS"
  done
  pids=()
  for net in $NETS; do
    up=${net^^}
    lambdas_var=LAMBDAS_$up; main_var=MAIN_LAMBDA_$up; regs_var=REGS_$up
    main=${!main_var}
    jobs_list=()
    for l in ${!lambdas_var}; do jobs_list+=("$SWEEP_REG $l running"); done
    for r in ${!regs_var}; do [ "$r" = "$SWEEP_REG" ] || jobs_list+=("$r $main running"); done
    case " $LEARNED_NETS " in *" $net "*) jobs_list+=("$SWEEP_REG $main learned") ;; esac
    for j in "${jobs_list[@]}"; do
      set -- $j
      reg=$1; l=$2; range=$3
      out="$RUNS/$net-bp-$reg-l$l"
      [ "$range" = running ] || out="$out-$range"
      # shellcheck disable=SC2086
      train "$out" --net "$net" --policy bitprune --init "$RUNS/$net-fp32/model.pt" \
        --bp-reg "$reg" --bp-lambda "$l" --bp-act-range "$range" --bp-learn-epochs "$LEARN" \
        --bp-finetune-epochs "$FINETUNE" --seed "$SEED" --threads "$THREADS" $EXTRA_ARGS &
      pids+=($!)
      while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 2; done
    done
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  [ "$status" = 0 ] || exit 1
fi

echo "+ $PYTHON scripts/bitprune_results.py --runs $RUNS --md $MD --img $IMG" >&2
"$PYTHON" scripts/bitprune_results.py --runs "$RUNS" --md "$MD" --img "$IMG" \
  --main-lambda "cnn=$MAIN_LAMBDA_CNN" --main-lambda "vit=$MAIN_LAMBDA_VIT" --main-reg "$SWEEP_REG"
