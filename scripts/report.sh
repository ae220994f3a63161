#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# make report: trains the networks briefly with each policy on Fashion-MNIST, measures the
# containers on the real snapshots, runs the RTL encoder and decoder in Verilator on the last
# snapshot of every run, synthesizes them, runs the model benchmark, and writes
# build/report/report.md with plots beside it. Every stage prints what it runs and when it started;
# a failing stage stops the report with a message naming the stage and the cause, and no report.md
# is left in place.
#
# Settings (environment): EPOCHS (1), NETS ("cnn vit"), POLICIES ("fp32 qm bitchop"), SEED (1),
# TRAIN_SUBSET (0 = all 60000 images), TEST_SUBSET (0 = all), THREADS (2), SNAPSHOT_EVERY (300),
# DATASET (the folder of the Fashion-MNIST .gz files; the trainer's default is Debian's
# dataset-fashion-mnist), TRAIN (1; 0 reuses the runs already in build/report/runs),
# RTL_SNAPSHOTS (last = the last snapshot of each run; all = every snapshot), LIBERTY (the
# committed synth/pdk/sky130hd_tt.lib.gz by default; `none`: the generic estimate), SYNTH_SETS
# (v3-v4: the format version 3 blocks mapped for area, timing and power in about 5 CPU minutes,
# in the background beside the training; when SYNTH_SETS and LIBERTY are unset and a `make
# synth SYNTH_SETS=v3-v16` left both v3-v16 results newer than the RTL and the flow, they are
# reported beside v3-v4 at no cost), SYNTH (1; 0 skips synthesis), and the
# traffic model's DRAM_PJ_PER_BIT (6.0), PEAK_TFLOPS (100), BANDWIDTH_GBS
# (2000) (scripts/report.py, "Memory traffic"), and the PyTorch stash's TORCH (1; 0 skips
# it), TORCH_NETS (resnet18,vit), TORCH_SEEDS (1), TORCH_STEPS (12)
# (python/examples/stash_fmnist.py, "PyTorch stash").
set -Eeuo pipefail
BUILD="${1:-build}"
OUT="$BUILD/report"
EPOCHS="${EPOCHS:-1}"
NETS="${NETS:-cnn vit}"
POLICIES="${POLICIES:-fp32 qm bitchop}"
SEED="${SEED:-1}"
TRAIN_SUBSET="${TRAIN_SUBSET:-0}"
TEST_SUBSET="${TEST_SUBSET:-0}"
THREADS="${THREADS:-2}"
SNAPSHOT_EVERY="${SNAPSHOT_EVERY:-300}"
SFP="$BUILD/sfp"
# libgomp spin-waits by default, which slows 2-thread training badly on a busy 2-core machine.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

stage=""
synth_pid=""
on_error() {
  echo "report: stage '$stage' failed (see the messages above); no report written" >&2
  rm -f "$OUT/report.md.tmp"
  if [ -n "$synth_pid" ]; then kill -- "-$synth_pid" 2>/dev/null || kill "$synth_pid" 2>/dev/null; fi
}
trap on_error ERR
begin() {
  [ -n "$stage" ] && echo "$stage $((SECONDS - stage_start))" >> "$OUT/stage_seconds.txt"
  stage="$1"
  stage_start=$SECONDS
  echo
  echo "== report: $1 (at ${SECONDS} s)"
}
run() { echo "+ $*" >&2; "$@"; }

SECONDS=0
begin "check"
[ -x "$SFP" ] || { echo "report: $SFP is missing (run make build)" >&2; false; }
"$SFP" train --help >/dev/null 2>&1 || {
  echo "report: $SFP was built without the trainer (libtorch missing?)" >&2; false; }
mkdir -p "$OUT"
rm -f "$OUT/report.md" "$OUT/stage_seconds.txt"

# Synthesis needs no training run: it starts now, in a session of its own (so that a failing
# stage can stop it whole), and runs beside the training; the synth stage waits for it.
rm -f "$OUT/synth.json" "$OUT/synth.log"
# The default set's results, if a `make synth` of the default flow left them up to date: then
# make has nothing to redo for them, and the report shows the set the targets are stated at.
v16_current() {
  local t f
  [ -z "${SYNTH_SETS:-}" ] && [ -z "${LIBERTY:-}" ] || return 1
  for t in sfp3_encoder sfp3_decoder; do
    f="$BUILD/synth/v3-v16/$t.json"
    [ -f "$f" ] || return 1
    [ -z "$(find rtl synth/synth.py synth/pdk "$BUILD/synth/flow.stamp" -newer "$f" -type f \
             -print -quit 2>/dev/null)" ] || return 1
  done
}
if [ -z "${SYNTH_SETS:-}" ] && v16_current; then
  SYNTH_SETS="v3-v16 v3-v4"
fi
if [ "${SYNTH:-1}" != 0 ]; then
  echo "+ make synth BUILD=$BUILD SYNTH_SETS=${SYNTH_SETS:-v3-v4} ${LIBERTY:+LIBERTY=$LIBERTY} (in the background, log $OUT/synth.log)" >&2
  setsid make --no-print-directory synth BUILD="$BUILD" SYNTH_SETS="${SYNTH_SETS:-v3-v4}" \
    ${LIBERTY:+LIBERTY="$LIBERTY"} > "$OUT/synth.log" 2>&1 &
  synth_pid=$!
fi

begin "train"
if [ "${TRAIN:-1}" = 0 ]; then
  ls -d "$OUT"/runs/*/ >/dev/null 2>&1 || {
    echo "report: TRAIN=0 but $OUT/runs holds no training runs to reuse" >&2; false; }
  echo "TRAIN=0: reusing the runs in $OUT/runs"
else
  for net in $NETS; do
    for policy in $POLICIES; do
      run_dir="$OUT/runs/$net-$policy"
      rm -rf "$run_dir"
      run "$SFP" train --net "$net" --policy "$policy" --epochs "$EPOCHS" --seed "$SEED" \
        --train-subset "$TRAIN_SUBSET" --test-subset "$TEST_SUBSET" --threads "$THREADS" \
        --snapshot-every "$SNAPSHOT_EVERY" --data-dir "$BUILD/data" \
        ${DATASET:+--dataset "$DATASET"} --out "$run_dir"
    done
  done
fi

begin "eval"
mapfile -t snaps < <(ls "$OUT"/runs/*/snapshots/*.safetensors)
[ ${#snaps[@]} -gt 0 ] || { echo "report: the training runs wrote no snapshots" >&2; false; }
run "$SFP" eval "${snaps[@]}" --markdown "$OUT/eval.md" --json > "$OUT/eval.json"

begin "stats"
for run_dir in "$OUT"/runs/*; do
  last=$(ls "$run_dir"/snapshots/*.safetensors | tail -n 1)
  run "$SFP" stats --json "$last" > "$run_dir/stats.json"
  run "$SFP" stats --json --format 1 "$last" > "$run_dir/stats_v1.json"
  # Footprint over training: every snapshot at the bitlengths the trainer stored it with.
  for snap in "$run_dir"/snapshots/*.safetensors; do
    run "$SFP" stats --json --stored-bits "$snap" > "${snap%.safetensors}.stats.json"
    run "$SFP" stats --json --stored-bits --format 1 "$snap" > "${snap%.safetensors}.stats_v1.json"
  done
done

begin "rtl"
# The version 3 encoder and decoder of the default parameter set (v16) on real snapshots: every
# payload word, index entry and CRC against the model, every decoded value against Q_m and every
# chunk status 0, cycles counted (tb/enc3/tb_enc3.cpp, tb/loop3/tb_loop3.cpp).
rm -f "$OUT/rtl.jsonl"
for run_dir in "$OUT"/runs/*; do
  if [ "${RTL_SNAPSHOTS:-last}" = all ]; then
    mapfile -t rtl_snaps < <(ls "$run_dir"/snapshots/*.safetensors)
  else
    rtl_snaps=("$(ls "$run_dir"/snapshots/*.safetensors | tail -n 1)")
  fi
  for snap in "${rtl_snaps[@]}"; do
    SFP_TB_TRACES="$snap" SFP_TB_REPORT="$OUT/rtl.jsonl" \
      run "$BUILD/tb/tb_enc3" \
      "report: v3 encoder on a training snapshot at its stored bitlengths"
    SFP_TB_TRACES="$snap" SFP_TB_REPORT="$OUT/rtl.jsonl" \
      run "$BUILD/tb/loop3/tb_loop3" \
      "report: v3 loopback on a training snapshot at its stored bitlengths"
  done
done

begin "synth"
if [ -n "$synth_pid" ]; then
  echo "waiting for the synthesis started before the training (log $OUT/synth.log)"
  if ! wait "$synth_pid"; then
    synth_pid=""
    tail -n 40 "$OUT/synth.log" >&2
    echo "report: make synth failed (log $OUT/synth.log)" >&2
    false
  fi
  synth_pid=""
  tail -n 3 "$OUT/synth.log"
  run cp "$BUILD/synth/report.json" "$OUT/synth.json"
fi
# Power from simulated activity (`make power`, not run here: it takes longer than the report's
# budget) when its results are newer than every netlist they were taken on.
rm -f "$OUT/power.json"
if [ -f "$BUILD/synth/power.json" ]; then
  power_current=1
  for f in "$BUILD"/synth/power/*/*.activity.json; do
    net="$BUILD/synth/$(basename "$(dirname "$f")")/$(basename "$f" .activity.json).mapped.v"
    { [ -f "$net" ] && [ "$BUILD/synth/power.json" -nt "$net" ]; } || power_current=0
  done
  if [ "$power_current" = 1 ]; then
    run cp "$BUILD/synth/power.json" "$OUT/power.json"
  else
    echo "report: $BUILD/synth/power.json is older than its netlists: vectorless codec energy"
  fi
fi

begin "bench"
if [ -x "$BUILD/bench/sfp_bench" ]; then
  run "$BUILD/bench/sfp_bench" --benchmark_min_time=0.2 --benchmark_format=json \
    --benchmark_out="$OUT/bench.json" --benchmark_out_format=json > /dev/null
fi

begin "torch"
# FP32, a lossless stash, QM and BitChop in PyTorch (sfp.torch), a few steps of each network.
rm -rf "$OUT/torch"
if [ "${TORCH:-1}" != 0 ]; then
  PYTHONPATH="$BUILD/python" run "${PYTHON:-/usr/bin/python3}" python/examples/stash_fmnist.py \
    --nets "${TORCH_NETS:-resnet18,vit}" --seeds "${TORCH_SEEDS:-1}" --steps "${TORCH_STEPS:-12}" \
    --threads "$THREADS" --test-images 1000 --log-every 1000 ${DATASET:+--data "$DATASET"} \
    --out "$OUT/torch"
fi

begin "assemble"
run "${PYTHON:-/usr/bin/python3}" scripts/report.py "$OUT"
mv "$OUT/report.md.tmp" "$OUT/report.md"
trap - ERR
echo
echo "report: wrote $OUT/report.md"
