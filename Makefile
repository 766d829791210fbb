# syncops.btsync: the user's entry points.
#   make test   set everything up (system packages, venv) and run the whole suite
#   make demo   the fleet demo: three lab hosts meshed by playbooks/mesh.yml
# Every other target is a piece of those two; `make help` lists them.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT         := $(abspath .)
VENV         ?= $(ROOT)/.venv
PYTHON       ?= python3
BIN          := $(VENV)/bin
BUILD        := $(ROOT)/build
COLLECTIONS  := $(BUILD)/collections
SYNC_VERSION ?= 1.4.111
SYNC_ARCHIVE ?= $(BUILD)/btsync_x64.tar.gz
# ansible-core releases that run on Python 3.11; units run on each of them.
CORE_VERSIONS := 2.16.19 2.17.14 2.18.19 2.19.14
PYTEST_ARGS  ?=

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PATH := $(BIN):$(PATH)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 22

# --- setup --------------------------------------------------------------------

$(VENV)/.installed: requirements/test.txt tests/tools/install-system-deps.sh
	bash tests/tools/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.2
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
	touch $@

$(COLLECTIONS)/ansible_collections/syncops/btsync:
	mkdir -p $(COLLECTIONS)/ansible_collections/syncops
	ln -sfn ../../../.. $@

.PHONY: venv
venv: $(VENV)/.installed $(COLLECTIONS)/ansible_collections/syncops/btsync ## create .venv from the pinned requirements

.PHONY: sync-archive
sync-archive: venv ## build the simulator, packed like the vendor's tarball (SYNC_VERSION=x.y.z)
	$(BIN)/python tests/simulator/build_archive.py --version $(SYNC_VERSION) --out $(SYNC_ARCHIVE)

# --- the whole suite ----------------------------------------------------------

.PHONY: test
test: venv sync-archive ## run every test and gate (what CI runs)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# --- single gates (each also runs inside `make test`) -------------------------

.PHONY: test-simulator
test-simulator: venv sync-archive ## the simulator's own suite
	$(BIN)/python -m pytest tests/simulator/tests $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: venv ## unit tests with the venv's ansible-core
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: lint
lint: venv ## ruff, mypy, yamllint, ansible-lint --profile production
	$(BIN)/ruff check plugins tests
	$(BIN)/mypy
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production

.PHONY: sanity
sanity: venv ## ansible-test sanity in a temporary collection layout
	$(BIN)/python tests/tools/ansible_test_offline.py
	dir=$$(bash tests/tools/collection_layout.sh $(BUILD)/ansible-test) && cd $$dir && \
	  $(BIN)/ansible-test sanity --venv --python 3.11 --color no

.PHONY: units
units: venv ## ansible-test units on every ansible-core from 2.16 to 2.19
	$(BIN)/python tests/tools/ansible_test_offline.py
	for v in $(CORE_VERSIONS); do \
	  venv=$(BUILD)/venvs/ansible-core-$$v; \
	  test -x $$venv/bin/ansible-test || { $(PYTHON) -m venv $$venv && \
	    $$venv/bin/pip install --quiet --disable-pip-version-check ansible-core==$$v; }; \
	  dir=$$(bash tests/tools/collection_layout.sh $(BUILD)/ansible-test-$$v) && \
	  ( cd $$dir && $$venv/bin/ansible-test units --venv --python 3.11 --color no ) || exit 1; \
	done

.PHONY: clean
clean: ## remove build output (keeps .venv and the lab's rootfs cache)
	rm -rf $(BUILD) tests/output

# Area-specific targets (integration, ecosystem, lab, bench) live beside this file.
-include mk/*.mk
