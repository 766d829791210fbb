# Integration tests: each target in tests/integration/targets/ runs in a real
# `ansible-playbook -vvv --diff` against a simulator of its own
# (tests/integration/test_targets.py); logs go to build/integration/<target>.log.
# Included by the main Makefile, which defines ROOT, BUILD and BIN, exports
# ANSIBLE_COLLECTIONS_PATH and puts $(BIN) on PATH.
#   make integration                              all targets, in parallel
#   make integration INTEGRATION_ARGS='-n0 -k btsync_folder'   one target, serially

INTEGRATION_ARGS ?= -n 4

.PHONY: integration
integration: venv ## integration targets: ansible-playbook -vvv against the simulator, no secret in the output
	rm -rf $(BUILD)/integration
	cd $(ROOT) && $(BIN)/python -m pytest tests/integration $(INTEGRATION_ARGS) $(PYTEST_ARGS)
