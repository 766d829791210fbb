# Reliability and security suite (tests/reliability): faults, bad input,
# concurrency, data and secrets, in real ansible-playbook runs against
# simulators. Writes build/reliability/report.json (and the captured outputs,
# *.log, and probe records, *.probe.jsonl) and regenerates docs/reliability.md
# from a complete run.
# Included by the main Makefile, which defines ROOT, BUILD, BIN and
# SYNC_ARCHIVE, exports ANSIBLE_COLLECTIONS_PATH and puts $(BIN) on PATH.
#   make reliability                                    the suite, 2 workers
#   make reliability RELIABILITY_ARGS='-n0 -k faults'   some of it, serially (docs/reliability.md is kept)

RELIABILITY_ARGS ?= -n 2

.PHONY: reliability
reliability: venv sync-archive ## faults, bad input, concurrency, data, secrets; regenerates docs/reliability.md
	rm -rf $(BUILD)/reliability
	cd $(ROOT) && SYNC_ARCHIVE=$(SYNC_ARCHIVE) $(BIN)/python -m pytest tests/reliability $(RELIABILITY_ARGS) $(PYTEST_ARGS)
