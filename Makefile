# SPDX-License-Identifier: Apache-2.0
# Thin wrapper around CMake/CTest. Every target echoes the commands it runs.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=
SEED  ?=

.PHONY: all deps configure build test gen gen-check lint format bench report clean asan

all: gen-check lint test

# RTL lint, simulation and coverage: lint-rtl, sim, cov (docs/architecture.md).
include mk/rtl.mk
# Synthesis and gate-level simulation: synth, gate (docs/architecture.md, "Area and timing").
include mk/synth.mk

deps:
	scripts/deps.sh core train python

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest -L unit --output-on-failure -j $(JOBS) $(if $(SEED),--test-arguments "--rng-seed $(SEED)")

# AddressSanitizer + UndefinedBehaviorSanitizer build of the model, parsers and their tests.
asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSFP_SANITIZE=ON -DSFP_BUILD_TRAIN=OFF -DSFP_BUILD_BENCH=OFF
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest -L unit --output-on-failure -j $(JOBS)

gen:
	python3 docs/tools/gen_format.py

gen-check:
	python3 docs/tools/gen_format.py --check

lint: deps lint-rtl
	clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

bench: build
	$(BUILD)/bench/sfp_bench --benchmark_min_time=0.2

# Trains briefly, evaluates the snapshots, runs the RTL on them, synthesizes, and writes
# $(BUILD)/report/report.md (scripts/report.sh lists its settings: EPOCHS, NETS, POLICIES, SEED,
# TRAIN_SUBSET, LIBERTY, ...).
report:
	scripts/deps.sh core train report sim synth
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSFP_BUILD_TRAIN=ON -DSFP_BUILD_TB=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target sfp sfp_bench tb_encoder tb_loopback
	scripts/report.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
