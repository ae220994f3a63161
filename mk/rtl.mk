# SPDX-License-Identifier: Apache-2.0
#
# RTL lint, simulation and coverage; included from the top-level Makefile. Every target echoes
# the commands it runs.
#   make lint-rtl        Verilator -Wall --assert on each module as top, then on each top with
#                        each shipped parameter set (rtl/param_sets_v3.txt for sfp3_encoder,
#                        rtl/param_sets_v3_dec.txt for sfp3_decoder); Yosys reads each top
#   make sim             build the testbenches in $(BUILD) and run `ctest -L sim`
#                        SEED=<n> replays a seed; TRACE=1 writes FST waves to $(BUILD)/waves/
#   make cov             coverage build in $(BUILD)-cov, run, merge, annotate and summarise
BUILD ?= build
JOBS  ?= $(shell nproc)
SEED  ?=
TRACE ?=

RTL_FILES   := $(shell grep -v '^\#' rtl/sfp.f)
RTL_VLT     := rtl/lint/verilator.vlt
RTL_MODULES := sfp_stage sfp_fifo sfp_prefix_count sfp_popcount sfp_row_pack sfp_beat_unpack sfp_ram \
               sfp_crc_window sfp_crc_beat sfp_dec_table sfp_enc_table \
               sfp3_enc_front sfp3_enc_sym sfp3_enc_lanes sfp3_enc_out \
               sfp3_dec_lanes sfp3_dec_build
# The version 3 tops and their parameter sets (rtl/param_sets_v3.txt).
RTL_TOPS_V3 := sfp3_encoder
RTL_SETS_V3 := $(shell awk '/^[a-z]/ {print $$1}' rtl/param_sets_v3.txt)
rtl_set_params_v3 = $(shell awk '$$1 == "$(1)" {for (i = 2; i <= NF; i++) printf " -G%s", $$i}' \
                         rtl/param_sets_v3.txt)
VERILATOR_LINT := verilator --lint-only -Wall --assert -Irtl $(RTL_VLT) $(RTL_FILES)
SIM_ENV := $(if $(SEED),SEED=$(SEED)) $(if $(TRACE),TRACE=$(TRACE))
# The version 3 decoder and its parameter sets (rtl/param_sets_v3_dec.txt).
RTL_TOPS_V3DEC := sfp3_decoder
RTL_SETS_V3DEC := $(shell awk '/^[a-z]/ {print $$1}' rtl/param_sets_v3_dec.txt)
rtl_set_params_v3dec = $(shell awk '$$1 == "$(1)" {for (i = 2; i <= NF; i++) printf " -G%s", $$i}' \
                            rtl/param_sets_v3_dec.txt)
SIM_TARGETS := tb_prim tb_enc3 tb_dec3 tb_loop3

.PHONY: lint-rtl sim cov deps-sim deps-synth
.PHONY: $(addprefix lint-rtl-,$(RTL_MODULES)) \
        $(foreach t,$(RTL_TOPS_V3),$(addprefix lint-rtl-$(t)-,$(RTL_SETS_V3))) \
        $(foreach t,$(RTL_TOPS_V3DEC),$(addprefix lint-rtl-$(t)-,$(RTL_SETS_V3DEC))) \
        $(addprefix yosys-read-,$(RTL_TOPS_V3) $(RTL_TOPS_V3DEC))

deps-sim:
	scripts/deps.sh core sim

deps-synth:
	scripts/deps.sh synth

lint-rtl: $(addprefix lint-rtl-,$(RTL_MODULES)) \
          $(foreach t,$(RTL_TOPS_V3),$(addprefix lint-rtl-$(t)-,$(RTL_SETS_V3))) \
          $(foreach t,$(RTL_TOPS_V3DEC),$(addprefix lint-rtl-$(t)-,$(RTL_SETS_V3DEC))) \
          $(addprefix yosys-read-,$(RTL_TOPS_V3) $(RTL_TOPS_V3DEC))

$(addprefix lint-rtl-,$(RTL_MODULES)): lint-rtl-%: deps-sim
	$(VERILATOR_LINT) --top-module $*

define rtl_top_lint_v3
lint-rtl-$(1)-$(2): deps-sim
	$$(VERILATOR_LINT) --top-module $(1)$$(call rtl_set_params_v3,$(2))
endef
$(foreach t,$(RTL_TOPS_V3),$(foreach s,$(RTL_SETS_V3),$(eval $(call rtl_top_lint_v3,$(t),$(s)))))
define rtl_top_lint_v3dec
lint-rtl-$(1)-$(2): deps-sim
	$$(VERILATOR_LINT) --top-module $(1)$$(call rtl_set_params_v3dec,$(2))
endef
$(foreach t,$(RTL_TOPS_V3DEC),$(foreach s,$(RTL_SETS_V3DEC),$(eval $(call rtl_top_lint_v3dec,$(t),$(s)))))

# Yosys 0.23 reads only a subset of SystemVerilog (docs/architecture.md): each top must
# elaborate with no implicit nets, pass `check -assert` and hold no latch. The tops keep their
# memories in sfp_ram, a memory macro to synthesis: read as a black box. The read elaborates
# the smallest shipped set, v4 (every top has it; Verilator lints every set above): at v16 the
# v3 decoder alone took four times as long.
YOSYS_READ_PARAMS := -chparam NumLanes 4 -chparam ChunkValues 256 -chparam BeatWords 4
$(addprefix yosys-read-,$(RTL_TOPS_V3) $(RTL_TOPS_V3DEC)): yosys-read-%: deps-synth
	yosys -q -p "read_verilog -sv -noautowire -DSYNTHESIS $(RTL_FILES); blackbox sfp_ram; hierarchy -check -top $* $(YOSYS_READ_PARAMS); proc; check -assert; select -assert-none t:\$$dlatch t:\$$adlatch t:\$$dlatchsr"

sim: deps-sim
	cmake -S . -B $(BUILD) -DSFP_BUILD_TB=ON -DSFP_TB_SETS= $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target $(SIM_TARGETS)
	cd $(BUILD) && $(SIM_ENV) ctest -L sim --output-on-failure -j $(JOBS)

cov: deps-sim
	cmake -S . -B $(BUILD)-cov -DSFP_BUILD_TB=ON -DSFP_TB_SETS= -DSFP_TB_COVERAGE=ON -DSFP_BUILD_TRAIN=OFF -DSFP_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD)-cov -j $(JOBS) --target $(SIM_TARGETS)
	rm -rf $(BUILD)-cov/coverage $(BUILD)-cov/coverage-annotated
	cd $(BUILD)-cov && $(SIM_ENV) ctest -L sim --output-on-failure -j $(JOBS)
	verilator_coverage --write $(BUILD)-cov/coverage.dat $(BUILD)-cov/coverage/*.dat
	verilator_coverage --annotate $(BUILD)-cov/coverage-annotated --annotate-min 1 $(BUILD)-cov/coverage.dat
	python3 tb/coverage_summary.py $(BUILD)-cov/coverage.dat | tee $(BUILD)-cov/coverage.txt
