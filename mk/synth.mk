# SPDX-License-Identifier: Apache-2.0
#
# Synthesis and gate-level simulation; included from the top-level Makefile. Every target echoes
# the commands it runs (docs/architecture.md, "Area and timing").
#   make synth           Yosys 0.23 for sfp2_encoder and sfp2_decoder in each set of SYNTH_SETS:
#                        check -assert, no latch, generic gate netlist (the memories, sfp_ram,
#                        black boxes counted in bits); then mapping to the Liberty library (by
#                        default the committed sky130hd typical corner, synth/pdk/), area and
#                        OpenSTA fmax and power, against the targets. Writes
#                        $(BUILD)/synth/report.md and report.json. With LIBERTY=none the area is
#                        a labelled generic estimate and there is no timing.
#   make gate            simulates the generic gate netlists of GATE_SETS against the golden
#                        model (ctest -L gate) under the RTL benches' own test cases (tb/gate2/)
# Variables:
#   SYNTH_SETS=default   set names (rtl/param_sets_v2.txt for the v2 tops; v3-<name> for the
#                        sets of rtl/param_sets_v3.txt, the v3 tops) or aliases: default (v16
#                        of v2, the format's default set: about 13 minutes for both tops on two
#                        cores, up to 8 GB of memory per top), shipped, all; v4 takes about 3
#                        minutes; v3-v4 took 39 minutes for the encoder on a loaded machine
#   LIBERTY=<lib[.gz]>   Liberty library (default synth/pdk/sky130hd_tt.lib.gz; `none`: the
#                        generic estimate); a copy without the lpflow cells goes to
#                        $(BUILD)/synth/lib/
#   SYNTH_PERIOD_PS=5000 clock period for ABC's delay target and for OpenSTA (200 MHz)
#   GATE_SETS=v4         shipped sets whose netlists `make gate` simulates
#   GATE_BENCHES="enc2 dec2"  benches `make gate` runs on them: enc2 (the encoder netlist), dec2
#                        (the decoder's), loop2 (both)
SYNTH_SETS      ?= default
LIBERTY         ?= synth/pdk/sky130hd_tt.lib.gz
SYNTH_PERIOD_PS ?= 5000
GATE_SETS       ?= v4
GATE_BENCHES    ?= enc2 dec2
SYNTH_DIR       := $(BUILD)/synth

.PHONY: synth synth-runs gate synth-deps

ifneq ($(filter synth synth-runs gate,$(MAKECMDGOALS)),)
SYNTH_SET_LIST := $(shell python3 synth/synth.py sets $(SYNTH_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(SYNTH_SET_LIST)),)
$(error SYNTH_SETS=$(SYNTH_SETS): $(SYNTH_SET_LIST))
endif
GATE_SET_LIST := $(shell python3 synth/synth.py sets $(GATE_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(GATE_SET_LIST)),)
$(error GATE_SETS=$(GATE_SETS): $(GATE_SET_LIST))
endif
SYNTH_RUN_LIST := $(shell python3 synth/synth.py runs $(SYNTH_SET_LIST))
GATE_RUN_LIST := $(shell python3 synth/synth.py runs $(GATE_SET_LIST))
ifeq ($(LIBERTY),none)
override LIBERTY :=
endif
ifneq ($(LIBERTY),)
ifeq ($(wildcard $(LIBERTY)),)
$(error LIBERTY=$(LIBERTY): no such file (expected a Liberty library such as sky130hd_tt.lib.gz))
endif
SYNTH_LIB := $(SYNTH_DIR)/lib/$(basename $(notdir $(LIBERTY:.gz=))).nolpflow.lib
endif
# Results depend on the flow settings: a stamp that changes only when they do.
SYNTH_FLOW := liberty=$(if $(LIBERTY),$(abspath $(LIBERTY))) period_ps=$(SYNTH_PERIOD_PS)
$(shell mkdir -p $(SYNTH_DIR) && (echo '$(SYNTH_FLOW)' | cmp -s - $(SYNTH_DIR)/flow.stamp || \
        echo '$(SYNTH_FLOW)' > $(SYNTH_DIR)/flow.stamp))
endif

SYNTH_DEPS := $(RTL_FILES) $(wildcard rtl/*.svh) rtl/sfp.f $(wildcard rtl/param_sets*.txt) \
              synth/synth.py $(SYNTH_DIR)/flow.stamp $(SYNTH_LIB)
SYNTH_RUN_ARGS := --out $(SYNTH_DIR) --period-ps $(SYNTH_PERIOD_PS) \
                  $(if $(SYNTH_LIB),--liberty $(SYNTH_LIB))

synth-deps:
	scripts/deps.sh synth

$(SYNTH_LIB): $(LIBERTY) synth/filter_liberty.py
	mkdir -p $(dir $@)
	python3 synth/filter_liberty.py $(LIBERTY) $@

# One run per set and top (a set's family gives its tops: synth.py runs).
define synth_run
$(SYNTH_DIR)/$(1).json: $$(SYNTH_DEPS) | synth-deps
	python3 synth/synth.py run --set $(patsubst %/,%,$(dir $(1))) --top $(notdir $(1)) $$(SYNTH_RUN_ARGS)
endef
$(foreach r,$(sort $(SYNTH_RUN_LIST) $(GATE_RUN_LIST)),$(eval $(call synth_run,$(r))))

# The runs go in parallel ($(JOBS) at a time), then the report.
synth:
	$(MAKE) --no-print-directory -j$(JOBS) synth-runs
	python3 synth/synth.py report --dir $(SYNTH_DIR) --sets $(SYNTH_SET_LIST) \
	  --period-ps $(SYNTH_PERIOD_PS) --md $(SYNTH_DIR)/report.md --json $(SYNTH_DIR)/report.json

synth-runs: $(foreach r,$(SYNTH_RUN_LIST),$(SYNTH_DIR)/$(r).json)

# The gate-level testbenches (tb/gate2/, label `gate`) verilate $(SYNTH_DIR)/<set>/<top>.gate.v.
gate: deps-sim $(foreach r,$(GATE_RUN_LIST),$(SYNTH_DIR)/$(r).json)
	cmake -S . -B $(BUILD) -DSFP_BUILD_TB=ON -DSFP_GATE_DIR=$(abspath $(SYNTH_DIR)) \
	  "-DSFP_GATE_SETS=$(subst $(eval) ,;,$(GATE_SET_LIST))" \
	  "-DSFP_GATE2_BENCHES=$(subst $(eval) ,;,$(strip $(GATE_BENCHES)))" $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target tb_gate_all
	cd $(BUILD) && $(SIM_ENV) ctest -L gate --output-on-failure -j $(JOBS)
