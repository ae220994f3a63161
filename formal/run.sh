#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Formal proofs of the stream and bit-stream primitives (docs/architecture.md, "Bit-stream
# primitives and their proofs") with Yosys and yosys-smtbmc, no SymbiYosys. Each property set is
# one wrapper of formal/ with one of FV_ORDER, FV_STABLE, FV_LIVE defined: Yosys reads it with
# the design, flattens, connects the wrapper's f_* signals to the design's registers, writes
# SMT-LIB 2, and yosys-smtbmc runs a bounded model check from reset, then k-induction.
#
# Usage: formal/run.sh [--bug] [-j N] SET... | all      one PASS/FAIL line per set
#        formal/run.sh --list                           the sets
#   --bug   inject the set's deliberate bug (a sed edit of a copy of the design in the work
#           directory; rtl/ is not touched): every set must then FAIL, and the run succeeds only
#           if each one does.
# Environment: FORMAL_DIR (work directory, default build-formal), FORMAL_IND_SOLVER (cvc4),
# FORMAL_BMC_SOLVER (z3), FORMAL_BUG_SOLVER (per set: cvc4, or z3 where noted). Traces of a failure: <FORMAL_DIR>/<set>[-bug]/{bmc,ind,base}.vcd.
set -euo pipefail
cd "$(dirname "$0")/.."

SETS="stage0.order stage0.stable stage0.live stage1.order stage1.stable stage1.live
      fifo.order fifo.stable fifo.live row_pack.order row_pack.stable row_pack.live
      beat_unpack.order beat_unpack.stable beat_unpack.live"
OUT=${FORMAL_DIR:-build-formal}
# The induction steps and their base cases close fastest with cvc4, deep BMC with z3.
IND_SOLVER=${FORMAL_IND_SOLVER:-cvc4}
BMC_SOLVER=${FORMAL_BMC_SOLVER:-z3}

# smtbmc LOG SOLVER ARGS...: yosys-smtbmc on the set's model, its log and trace at LOG.{log,vcd}.
smtbmc() {
  local log=$1 solver=$2
  shift 2
  yosys-smtbmc -s "$solver" --noprogress "$@" --dump-vcd "$log.vcd" "${log%/*}/model.smt2" >"$log.log" 2>&1
}

# conf SET: the wrapper (top), the design file, the parameters, the connections f_*=<design
# register> (generate scopes as Yosys flattens them), the BMC depth, the induction depth, and
# the deliberate bug (sed expression on the design file, and what it does).
conf() {
  local mod=${1%.*} prop=${1#*.}
  define=FV_$(tr a-z A-Z <<<"$prop")
  bmc=20
  ind=4
  bugsolver=cvc4  # finds most bugs' shallow counterexamples fastest
  case $mod in
    stage0|stage1)
      top=fv_stage
      rtl=rtl/sfp_stage.sv
      if [ "$mod" = stage0 ]; then
        params="Fifo=0 Spill=0"
        conn="f_a_valid=g_stage.dut.g_reg.valid_q f_a_data=g_stage.dut.g_reg.data_q f_b_valid=1'0"
      else
        params="Fifo=0 Spill=1"
        conn="f_a_valid=g_stage.dut.g_spill.a_valid_q f_a_data=g_stage.dut.g_spill.a_data_q
              f_b_valid=g_stage.dut.g_spill.b_valid_q f_b_data=g_stage.dut.g_spill.b_data_q"
      fi ;;
    fifo)
      top=fv_stage
      rtl=rtl/sfp_fifo.sv
      params="Fifo=1 Depth=3"
      conn="f_cnt=g_fifo.dut.cnt_q f_rd=g_fifo.dut.rd_q f_wr=g_fifo.dut.wr_q
            f_mem0=g_fifo.dut.mem_q[0] f_mem1=g_fifo.dut.mem_q[1] f_mem2=g_fifo.dut.mem_q[2]" ;;
    row_pack)
      top=fv_row_pack
      rtl=rtl/sfp_row_pack.sv
      params=""
      conn="f_buf=dut.buf_q f_fill=dut.fill_q f_flush=dut.flush_q" ;;
    beat_unpack)
      top=fv_beat_unpack
      rtl=rtl/sfp_beat_unpack.sv
      params=""
      conn="f_buf=dut.buf_q f_fill=dut.fill_q f_end=dut.end_q" ;;
    *) return 1 ;;
  esac
  case $1 in
    stage0.order)   bug='s/if (in_ack) data_q <= in_data_i;/if (in_valid_i) data_q <= in_data_i;/'
                    what="the register loads on every offer: a held item is overwritten" ;;
    stage0.stable)  bug='s/else if (in_ready_o) valid_q <= in_valid_i;/else valid_q <= in_valid_i \&\& in_ready_o;/'
                    what="valid falls without ready when the producer is stalled" ;;
    stage0.live)    bug='s/assign out_valid_o = valid_q;/assign out_valid_o = valid_q \&\& in_valid_i;/'
                    what="an item is offered only while the producer offers the next one" ;;
    stage1.order)   bug='s/a_data_q <= b_valid_q ? b_data_q : in_data_i;/a_data_q <= b_valid_q ? in_data_i : b_data_q;/'
                    what="the output entry loads from the wrong entry" ;;
    stage1.stable)  bug='s/assign out_valid_o = a_valid_q;/assign out_valid_o = a_valid_q \&\& (out_ready_i || !b_valid_q);/'
                    what="valid falls without ready while the skid entry is full" ;;
    stage1.live)    bug='s/assign out_valid_o = a_valid_q;/assign out_valid_o = a_valid_q \&\& b_valid_q;/'
                    what="an item is offered only once a second one is held" ;;
    fifo.order)     bug='s/if (in_ack) mem_q\[wr_q\] <= in_data_i;/if (in_valid_i) mem_q[wr_q] <= in_data_i;/'
                    what="a full FIFO writes an offered item over its oldest" ;;
    fifo.stable)    bug="s/assign out_data_o  = mem_q\[rd_q\];/assign out_data_o  = (cnt_q == CntW'(1) \&\& in_valid_i) ? in_data_i : mem_q[rd_q];/"
                    what="the output shows an offered item while the head waits" ;;
    fifo.live)      bug="s/assign out_valid_o = cnt_q != '0;/assign out_valid_o = cnt_q == CntW'(Depth);/"
                    what="the FIFO offers its head only when full" ;;
    row_pack.order) bug="s/fill_d  = kept_fill + FillW'(in_nbits_i);/fill_d  = kept_fill + FillW'(in_nbits_i) - FillW'(in_nbits_i == NW'(InW));/"
                    what="the last bit of a full-width beat is dropped" ;;
    row_pack.stable) bug="s/assign in_ready_o  = !flush_q \&\& /assign in_ready_o  = /"
                    what="a beat is accepted while a flush drains: it lands in the offered row" ;;
    row_pack.live)  bug="s/assign out_valid_o = flush_q || (fill_q >= FillW'(RowW));/assign out_valid_o = flush_q || (fill_q > FillW'(RowW));/"
                    what="a row is offered only once a bit beyond it is held"
                    bugsolver=z3 ;;  # a counterexample of 14 cycles
    beat_unpack.order) bug="s/kept      = buf_q >> take_i;/kept      = buf_q >> (take_i + TakeW'(take_i == TakeW'(MaxTake)));/"
                    what="a take of MaxTake bits drops one bit more" ;;
    beat_unpack.stable) bug="s/assign in_ready_o  = !end_q \&\& /assign in_ready_o  = /"
                    what="a beat is accepted after the last one: it lands in the window" ;;
    beat_unpack.live) bug="s/(fill_q <= FillW'(BufW - InW))/(fill_q <= FillW'(MaxTake \/ 2))/"
                    what="the input stalls from half a window on: a partial window waits forever" ;;
    *) return 1 ;;
  esac
}

# run_set SET BUG: prints one line, returns 0 on PASS (BUG = 0) or on FAIL (BUG = 1).
run_set() {
  local set=$1 bugmode=$2 top rtl params conn bmc ind bug what define dir bugsolver solver
  conf "$set" || { echo "formal/run.sh: unknown set '$set' (--list)" >&2; return 2; }
  dir=$OUT/$set; [ "$bugmode" = 1 ] && dir=$dir-bug
  rm -rf "$dir"
  mkdir -p "$dir"
  local design=$dir/$(basename "$rtl")
  cp "$rtl" "$design"
  if [ "$bugmode" = 1 ]; then
    sed -i -e "$bug" "$design"
    if cmp -s "$rtl" "$design"; then
      echo "ERROR $set: the bug's edit does not apply to $rtl"
      return 2
    fi
  fi
  local ys=$dir/model.ys p c
  {
    echo "read_verilog -formal -sv -DSYNTHESIS -D$define -Irtl -Iformal $design formal/$top.sv"
    for p in $params; do echo "chparam -set ${p%=*} ${p#*=} $top"; done
    echo "hierarchy -check -top $top"
    echo "proc"
    echo "memory -nomap"
    echo "memory_map"
    echo "flatten"
    echo "cd $top"
    local i=0
    for c in $conn; do
      # rename first: a flattened name may hold brackets, which a signal expression would parse
      if [[ ${c#*=} == *"'"* ]]; then
        echo "connect -set ${c%%=*} ${c#*=}"
      else
        echo "rename ${c#*=} fv_conn_$i"
        echo "connect -set ${c%%=*} fv_conn_$i"
        i=$((i + 1))
      fi
    done
    echo "cd .."
    echo "opt_clean"
    echo "setundef -undriven -anyseq"
    echo "check -assert"
    echo "async2sync"
    echo "dffunmap"
    echo "write_smt2 -wires $dir/model.smt2"
  } >"$ys"
  local t0=$SECONDS status detail
  if ! yosys -q -l "$dir/yosys.log" -s "$ys" >/dev/null 2>&1; then
    echo "ERROR $set: Yosys failed ($dir/yosys.log)"
    return 2
  fi
  # Without a bug: k-induction (the induction step, then its base case: BMC from reset to the
  # same depth) proves the set; where the step does not close, BMC to $bmc steps bounds it.
  # With a bug: BMC from reset to $bmc steps must find the failure.
  solver=$BMC_SOLVER
  [ "$bugmode" = 1 ] && solver=${FORMAL_BUG_SOLVER:-$bugsolver}
  if [ "$bugmode" = 0 ] && smtbmc "$dir/ind" "$IND_SOLVER" -i -t "$ind" &&
     smtbmc "$dir/base" "$IND_SOLVER" -t "$ind"; then
    status=PASS
    detail="proven: $ind-induction (step and base case)"
  elif smtbmc "$dir/bmc" "$solver" -t "$bmc"; then
    status=PASS
    detail="BMC $bmc steps"
    [ "$bugmode" = 0 ] && detail="$detail (induction to $ind steps does not close: bounded proof only)"
  elif grep -q "Status: FAILED" "$dir/bmc.log"; then
    status=FAIL
    detail="BMC: $(awk '/Checking assert/ {s = $(NF)} /Assert failed in/ {print "step " s " " $(NF - 1); exit}' "$dir/bmc.log" | sed 's/\.\. / /'); trace $dir/bmc.vcd"
  else
    status=ERROR
    detail="the solver stopped ($dir/bmc.log)"
  fi
  local secs=$((SECONDS - t0))
  if [ "$bugmode" = 1 ]; then
    printf '%-5s %-19s %3ss  bug: %s -> %s\n' "$status" "$set" "$secs" "$what" "$detail"
    [ "$status" = FAIL ]
  else
    printf '%-5s %-19s %3ss  %s\n' "$status" "$set" "$secs" "$detail"
    [ "$status" = PASS ]
  fi
}

bugmode=0
jobs=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --bug) bugmode=1 ;;
    -j) shift; jobs=$1 ;;
    --list) echo $SETS; exit 0 ;;
    --run-one) shift; run_set "$1" "$2"; exit $? ;;
    all) args+=($SETS) ;;
    *) args+=("$1") ;;
  esac
  shift
done
[ ${#args[@]} -gt 0 ] || { echo "usage: formal/run.sh [--bug] [-j N] SET... | all | --list" >&2; exit 2; }
mkdir -p "$OUT"

# The sets in parallel, each line printed as its set ends; the run fails if any set does.
t0=$SECONDS
results=$OUT/results.txt
[ "$bugmode" = 1 ] && results=$OUT/results-bug.txt
: >"$results"
printf '%s\n' "${args[@]}" |
  xargs -P "$jobs" -I{} sh -c "formal/run.sh --run-one {} $bugmode || true" | tee "$results"
total=${#args[@]}
if [ "$bugmode" = 1 ]; then
  n=$(grep -c '^FAIL' "$results" || true)
  echo "formal (bugs injected): $n of $total sets fail on their bug ($((SECONDS - t0)) s)"
else
  n=$(grep -c '^PASS' "$results" || true)
  echo "formal: $n of $total sets pass ($((SECONDS - t0)) s)"
fi
[ "$n" -eq "$total" ]
