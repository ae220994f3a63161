# SPDX-License-Identifier: Apache-2.0
# Thin wrapper around CMake/CTest. Every target echoes the commands it runs.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=
SEED  ?=

.PHONY: all deps configure build test gen gen-check lint format bench report clean asan fuzz

all: gen-check lint test

# RTL lint, simulation and coverage: lint-rtl, sim, cov (docs/architecture.md).
include mk/rtl.mk
# Synthesis and gate-level simulation: synth, gate (docs/architecture.md, "Area and timing").
include mk/synth.mk
# Formal proofs of the primitives: formal (docs/architecture.md, "Bit-stream primitives and their
# proofs").
include mk/formal.mk

deps:
	scripts/deps.sh core train python

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest -L unit --output-on-failure -j $(JOBS) $(if $(SEED),--test-arguments "--rng-seed $(SEED)")

# AddressSanitizer + UndefinedBehaviorSanitizer build of the model, parsers and their tests, at
# -O1 with line tables only (-g1): 40 % less compile time than -O2 -g, reports still name lines.
asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
	  -DSFP_SANITIZE=ON -DSFP_BUILD_TRAIN=OFF -DSFP_BUILD_BENCH=OFF
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest -L unit --output-on-failure -j $(JOBS)

# libFuzzer harnesses of tests/fuzz (container reader + decoder, safetensors, .npy, chunk decoders
# with a re-encode check, the fast v3 path against the reference), built with clang under
# AddressSanitizer and UBSan, each run for FUZZ_SECONDS from the seed corpora of
# tests/fuzz/corpus, JOBS harnesses at a time. New inputs go to $(BUILD)-fuzz/corpus, a crash or
# timeout stops with its input in $(BUILD)-fuzz/ (make it a corpus file and a test).
FUZZ_SECONDS ?= 30
FUZZERS := container safetensors npy chunk lanes chunk_v3 v3_fast
FUZZ_RUNS := $(addprefix fuzz-run-,$(FUZZERS))
.PHONY: fuzz-build $(FUZZ_RUNS)
fuzz: fuzz-build
	@$(MAKE) --no-print-directory -j $(JOBS) $(FUZZ_RUNS)
	@echo "fuzz: $(words $(FUZZERS)) passed, 0 failed"

fuzz-build:
	scripts/deps.sh core fuzz
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFP_FUZZ=ON \
	  -DSFP_BUILD_TRAIN=OFF -DSFP_BUILD_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZERS))

# One harness; its summary (or the tail of its log on a finding) is printed when it ends.
$(FUZZ_RUNS): fuzz-run-%:
	@mkdir -p $(BUILD)-fuzz/corpus/$*
	@if $(BUILD)-fuzz/tests/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	     -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	     -artifact_prefix=$(BUILD)-fuzz/$*- $(BUILD)-fuzz/corpus/$* tests/fuzz/corpus/$* \
	     > $(BUILD)-fuzz/$*.log 2>&1; then \
	  echo "== fuzz_$* for $(FUZZ_SECONDS) s"; \
	  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" $(BUILD)-fuzz/$*.log; \
	else \
	  tail -n 40 $(BUILD)-fuzz/$*.log; \
	  echo "fuzz_$*: finding (input in $(BUILD)-fuzz/, log $(BUILD)-fuzz/$*.log)"; exit 1; \
	fi

gen:
	python3 docs/tools/gen_format.py

gen-check:
	python3 docs/tools/gen_format.py --check

lint: deps
	clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# The model's Google benchmarks, then the sfp command beside zstd and lz4 on generated weights and
# activations and on make report's last FP32 snapshots (scripts/bench_cli.py: MB/s each way,
# ratio and peak memory; build/bench/cli.md and cli.png).
bench: build
	scripts/deps.sh bench
	$(BUILD)/bench/sfp_bench --benchmark_min_time=0.2
	$${PYTHON:-/usr/bin/python3} scripts/bench_cli.py $(BUILD)

# Trains briefly, evaluates the snapshots, runs the RTL on them, synthesizes, and writes
# $(BUILD)/report/report.md (scripts/report.sh lists its settings: EPOCHS, NETS, POLICIES, SEED,
# TRAIN_SUBSET, LIBERTY, ...).
# The report runs the RTL of the default set (the first of rtl/param_sets_v3.txt, which the
# decoder's rtl/param_sets_v3_dec.txt ships too) only, so it verilates only that set's models
# (`make sim` verilates them all).
REPORT_TB_SET := $(shell awk '/^[a-z]/ {print $$1; exit}' rtl/param_sets_v3.txt)
report:
	scripts/deps.sh core train report sim synth python
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSFP_BUILD_TRAIN=ON -DSFP_BUILD_TB=ON \
	  -DSFP_TB_SETS=$(REPORT_TB_SET) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target sfp sfp_bench sfp_python tb_enc3 tb_loop3
	scripts/report.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(FORMAL_DIR)
