# The role on three systemd hosts (molecule scenario roles/btsync/molecule/default,
# lab hosts from tests/lab/lab.sh). Included by the main Makefile.

.PHONY: molecule
molecule: venv sync-archive ## the role on 3 systemd-nspawn hosts: check, converge, idempotence, verify, destroy
	cd $(ROOT)/roles/btsync && $(BIN)/molecule test

.PHONY: test-role
test-role: venv sync-archive ## argument specs, lab script and the molecule scenario, as make test runs them
	$(BIN)/python -m pytest tests/role $(PYTEST_ARGS)
