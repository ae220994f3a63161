# SPDX-License-Identifier: Apache-2.0
#
# Synthesis and gate-level simulation; included from the top-level Makefile. Every target echoes
# the commands it runs (docs/architecture.md, "Area and timing").
#   make synth           Yosys 0.23 for sfp3_encoder and sfp3_decoder in each set of SYNTH_SETS:
#                        check -assert, no latch, generic gate netlist (the memories, sfp_ram,
#                        black boxes counted in bits); then mapping to the Liberty library (by
#                        default the committed sky130hd typical corner, synth/pdk/), area and
#                        OpenSTA fmax and power, against the targets. Writes
#                        $(BUILD)/synth/report.md and report.json. With LIBERTY=none the area is
#                        a labelled generic estimate and there is no timing.
#   make gate            simulates the generic gate netlists of GATE_SETS against the golden
#                        model (ctest -L gate) under the RTL benches' own test cases (tb/gate3/)
#   make synth-hier      maps the tops of each set of HIER_SETS without flattening and writes
#                        each submodule's area, flip-flops and memory bits to
#                        $(BUILD)/synth/hier.md (synth.py hier, hier-report); no timing
#   make power           power from simulated activity (synth/power.py, tb/power/): the mapped
#                        version 3 netlists of POWER_SETS, flattened into one assignment per cell
#                        output, simulated on a training snapshot (outputs checked against the
#                        golden model), each net's toggles weighed by OpenSTA's per-instance
#                        power; writes $(BUILD)/synth/power.md and power.json beside the
#                        vectorless figure (docs/architecture.md, "Power from simulated
#                        activity", gives the times). Not part of CI.
# Variables:
#   SYNTH_SETS=default   set names (v3-<name> for the sets of rtl/param_sets_v3.txt) or aliases:
#                        default (v3-v4, the set CI and make report synthesize: 4 to 6
#                        minutes per top on an idle core; synth/synth.py, DEFAULT_SETS, says
#                        why), shipped, all; v3-v16, the format's L and C at which the targets
#                        are stated, is estimated at about 28 minutes on two idle cores
#   LIBERTY=<lib[.gz]>   Liberty library (default synth/pdk/sky130hd_tt.lib.gz; `none`: the
#                        generic estimate); a copy without the lpflow cells goes to
#                        $(BUILD)/synth/lib/
#   SYNTH_PERIOD_PS=5000 clock period for ABC's delay target and for OpenSTA (200 MHz)
#   GATE_SETS=v3-v4      sets whose netlists `make gate` simulates (v3-<name>)
#   GATE_BENCHES="enc3 dec3"  benches `make gate` runs on them: enc3 (the encoder netlist), dec3
#                        (the decoder's); only the netlists they simulate are synthesized
#   HIER_SETS="v3-v4 v3-v8"  sets `make synth-hier` maps per submodule, one run after another
#                        (each about as long as the flat run of the same set)
#   POWER_SETS=v3-v4     sets whose mapped netlists `make power` simulates (v3-<name> only)
#   POWER_TOPS=          their tops it simulates (empty: both, sfp3_encoder sfp3_decoder)
#   POWER_TRACES=<file>  the training snapshot (.safetensors) it runs; unset: the last snapshot of
#                        a one-epoch QM training run of the CNN ($(BUILD)/synth/power/run/, kept)
#   POWER_VALUES=262144  values taken from the snapshot (no master weights; each tensor cut to
#                        the same length, the largest that fits)
SYNTH_SETS      ?= default
LIBERTY         ?= synth/pdk/sky130hd_tt.lib.gz
SYNTH_PERIOD_PS ?= 5000
GATE_SETS       ?= v3-v4
GATE_BENCHES    ?= enc3 dec3
HIER_SETS       ?= v3-v4 v3-v8
POWER_SETS      ?= v3-v4
POWER_TOPS      ?=
POWER_TRACES    ?=
POWER_VALUES    ?= 262144
SYNTH_DIR       := $(BUILD)/synth

.PHONY: synth synth-runs gate synth-deps power synth-hier

ifneq ($(filter synth synth-runs gate power power-run synth-hier,$(MAKECMDGOALS)),)
SYNTH_SET_LIST := $(shell python3 synth/synth.py sets $(SYNTH_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(SYNTH_SET_LIST)),)
$(error SYNTH_SETS=$(SYNTH_SETS): $(SYNTH_SET_LIST))
endif
GATE_SET_LIST := $(shell python3 synth/synth.py sets $(GATE_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(GATE_SET_LIST)),)
$(error GATE_SETS=$(GATE_SETS): $(GATE_SET_LIST))
endif
POWER_SET_LIST := $(shell python3 synth/synth.py sets $(POWER_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(POWER_SET_LIST)),)
$(error POWER_SETS=$(POWER_SETS): $(POWER_SET_LIST))
endif
POWER_RUN_LIST := $(shell python3 synth/synth.py runs $(POWER_SET_LIST))
ifneq ($(POWER_TOPS),)
POWER_RUN_LIST := $(filter $(addprefix %/,$(POWER_TOPS)),$(POWER_RUN_LIST))
endif
SYNTH_RUN_LIST := $(shell python3 synth/synth.py runs $(SYNTH_SET_LIST))
GATE_RUN_LIST := $(shell python3 synth/synth.py runs $(GATE_SET_LIST))
# The tops the chosen benches simulate.
GATE_TOPS := $(if $(filter enc3,$(GATE_BENCHES)),sfp3_encoder) \
             $(if $(filter dec3,$(GATE_BENCHES)),sfp3_decoder)
GATE_RUN_LIST := $(filter $(addprefix %/,$(GATE_TOPS)),$(GATE_RUN_LIST))
HIER_SET_LIST := $(shell python3 synth/synth.py sets $(HIER_SETS) 2>&1)
ifneq ($(findstring synth.py:,$(HIER_SET_LIST)),)
$(error HIER_SETS=$(HIER_SETS): $(HIER_SET_LIST))
endif
HIER_RUN_LIST := $(shell python3 synth/synth.py runs $(HIER_SET_LIST))
ifeq ($(LIBERTY),none)
override LIBERTY :=
endif
ifneq ($(LIBERTY),)
ifeq ($(wildcard $(LIBERTY)),)
$(error LIBERTY=$(LIBERTY): no such file (expected a Liberty library such as sky130hd_tt.lib.gz))
endif
SYNTH_LIB := $(SYNTH_DIR)/lib/$(basename $(notdir $(LIBERTY:.gz=))).nolpflow.lib
endif
ifneq ($(filter synth-hier,$(MAKECMDGOALS)),)
ifeq ($(LIBERTY),)
$(error make synth-hier: needs a Liberty library (LIBERTY=none has no mapping))
endif
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
$(foreach r,$(sort $(SYNTH_RUN_LIST) $(GATE_RUN_LIST) $(POWER_RUN_LIST)),$(eval $(call synth_run,$(r))))

# The runs go in parallel ($(JOBS) at a time), then the report.
synth:
	$(MAKE) --no-print-directory -j$(JOBS) synth-runs
	python3 synth/synth.py report --dir $(SYNTH_DIR) --sets $(SYNTH_SET_LIST) \
	  --period-ps $(SYNTH_PERIOD_PS) --md $(SYNTH_DIR)/report.md --json $(SYNTH_DIR)/report.json

synth-runs: $(foreach r,$(SYNTH_RUN_LIST),$(SYNTH_DIR)/$(r).json)

# The gate-level testbenches (tb/gate3/, label `gate`) verilate $(SYNTH_DIR)/<set>/<top>.gate.v.
gate: deps-sim $(foreach r,$(GATE_RUN_LIST),$(SYNTH_DIR)/$(r).json)
	cmake -S . -B $(BUILD) -DSFP_BUILD_TB=ON -DSFP_GATE_DIR=$(abspath $(SYNTH_DIR)) \
	  "-DSFP_GATE_SETS=$(subst $(eval) ,;,$(GATE_SET_LIST))" \
	  "-DSFP_GATE3_BENCHES=$(subst $(eval) ,;,$(filter %3,$(GATE_BENCHES)))" $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target tb_gate_all
	cd $(BUILD) && $(SIM_ENV) ctest -L gate --output-on-failure -j $(JOBS)

# Area per submodule (docs/architecture.md, "Version 3 area per submodule"): one hierarchical
# mapping per set and top, then the table.
define hier_run
$(SYNTH_DIR)/$(1).hier.json: $$(SYNTH_DEPS) | synth-deps
	python3 synth/synth.py hier --set $(patsubst %/,%,$(dir $(1))) --top $(notdir $(1)) \
	  --out $(SYNTH_DIR) --period-ps $(SYNTH_PERIOD_PS) --liberty $(SYNTH_LIB)
endef
$(foreach r,$(HIER_RUN_LIST),$(eval $(call hier_run,$(r))))

synth-hier: $(foreach r,$(HIER_RUN_LIST),$(SYNTH_DIR)/$(r).hier.json)
	python3 synth/synth.py hier-report --dir $(SYNTH_DIR) --sets $(HIER_SET_LIST) \
	  --md $(SYNTH_DIR)/hier.md

# Power from simulated activity (docs/architecture.md, "Power from simulated activity"): the
# snapshot, the cell models of each set's mapped netlists, the netlist simulation (tb_power, one
# Verilator model per netlist, built one job at a time), then OpenSTA per set and top and the
# report. Needs a mapped flow (LIBERTY not `none`).
POWER_DIR := $(SYNTH_DIR)/power
POWER_SNAPSHOT = $(or $(POWER_TRACES),$(lastword $(sort $(wildcard $(POWER_DIR)/run/snapshots/*.safetensors))))
power: deps-sim $(foreach r,$(POWER_RUN_LIST),$(SYNTH_DIR)/$(r).json)
	@test -n "$(POWER_RUN_LIST)" || { echo "make power: POWER_TOPS=$(POWER_TOPS) names no top of $(POWER_SET_LIST)" >&2; false; }
	@test -n "$(SYNTH_LIB)" || { echo "make power: needs a Liberty library (LIBERTY=none has no mapping)" >&2; false; }
	@test -z "$(POWER_TRACES)" -o -f "$(POWER_TRACES)" || { echo "make power: POWER_TRACES=$(POWER_TRACES): no such file" >&2; false; }
	$(if $(POWER_TRACES),,test -n "$(POWER_SNAPSHOT)" || { \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) && \
	  cmake --build $(BUILD) -j $(JOBS) --target sfp && \
	  rm -rf $(POWER_DIR)/run && \
	  OMP_WAIT_POLICY=PASSIVE $(BUILD)/sfp train --net cnn --policy qm --epochs 1 --seed 1 \
	    --test-subset 1000 --snapshot-every 300 --threads $(JOBS) \
	    --data-dir $(BUILD)/data --out $(POWER_DIR)/run; })
	$(foreach r,$(POWER_RUN_LIST),python3 synth/power.py flatten --liberty $(SYNTH_LIB) \
	  --netlist $(SYNTH_DIR)/$(r).mapped.v --out $(POWER_DIR)/$(r).flat.sv \
	  --nets $(POWER_DIR)/$(r).nets.txt &&) true
	cmake -S . -B $(BUILD) -DSFP_BUILD_TB=ON -DSFP_POWER_DIR=$(abspath $(SYNTH_DIR)) \
	  "-DSFP_POWER_SETS=$(subst $(eval) ,;,$(POWER_SET_LIST))" \
	  "-DSFP_POWER_TOPS=$(subst $(eval) ,;,$(sort $(notdir $(POWER_RUN_LIST))))" $(CMAKE_FLAGS)
	nice -n 10 cmake --build $(BUILD) -j 1 --target tb_power
	$(MAKE) --no-print-directory power-run
	python3 synth/power.py report --dir $(POWER_DIR) --runs $(POWER_RUN_LIST) \
	  --md $(SYNTH_DIR)/power.md --json $(SYNTH_DIR)/power.json

# The simulation and OpenSTA, after the snapshot exists (its name is known only then).
.PHONY: power-run
power-run:
	@test -n "$(POWER_SNAPSHOT)" || { echo "make power: no training snapshot" >&2; false; }
	SFP_TB_TRACES=$(POWER_SNAPSHOT) SFP_POWER_OUT=$(POWER_DIR) SFP_POWER_VALUES=$(POWER_VALUES) \
	  $(BUILD)/tb/tb_power "power: *"
	$(foreach r,$(POWER_RUN_LIST),python3 synth/power.py sta --liberty $(SYNTH_LIB) \
	  --netlist $(SYNTH_DIR)/$(r).sta.v --mapped $(SYNTH_DIR)/$(r).mapped.v \
	  --top $(notdir $(r)) --period-ps $(SYNTH_PERIOD_PS) \
	  --activity $(POWER_DIR)/$(r).activity.tsv --nets $(POWER_DIR)/$(r).nets.txt \
	  --run $(POWER_DIR)/$(r).activity.json \
	  --out $(POWER_DIR)/$(r).power.json &&) true
