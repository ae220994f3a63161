# SPDX-License-Identifier: Apache-2.0
#
# Formal proofs of the stream and bit-stream primitives (formal/run.sh, docs/architecture.md,
# "Bit-stream primitives and their proofs"); included from the top-level Makefile.
#   make formal               every property set: k-induction, or BMC where it does not close;
#                             one PASS/FAIL line per set, work files in $(FORMAL_DIR)/
#   make formal FORMAL_BUG=1  each set with its deliberate bug injected: every set must FAIL
#   make formal FORMAL_SETS="row_pack.order fifo.live"   only those sets
FORMAL_DIR  ?= build-formal
FORMAL_BUG  ?=
FORMAL_SETS ?= all

.PHONY: formal deps-formal

deps-formal:
	scripts/deps.sh formal

formal: deps-formal
	FORMAL_DIR=$(FORMAL_DIR) formal/run.sh $(if $(FORMAL_BUG),--bug) -j $(JOBS) $(FORMAL_SETS)
