# The fleet demo: three lab hosts (systemd-nspawn guests, the role's molecule
# hosts, same script) meshed by playbooks/mesh.yml with examples/lab/.
# Included by the main Makefile (ROOT, BUILD, BIN, SYNC_ARCHIVE come from it).

DEMO_LAB      := demo
DEMO_SUBNET   := 10.77.9
DEMO_DIR      := $(BUILD)/demo
DEMO_VARS     := $(DEMO_DIR)/lab-vars.yml
LAB           := bash $(ROOT)/tests/lab/lab.sh --name $(DEMO_LAB) --count 3 --subnet $(DEMO_SUBNET)
DEMO_PLAYBOOK  = $(BIN)/ansible-playbook syncops.btsync.mesh \
                   -i "$$($(LAB) inventory)" -i $(ROOT)/examples/lab/inventory.yml -e @$(DEMO_VARS)

.PHONY: demo
demo: venv sync-archive ## the fleet demo: boot 3 lab hosts, mesh two folders across them, print the summary
	$(LAB) up
	$(MAKE) --no-print-directory demo-vars
	$(DEMO_PLAYBOOK) | tee $(DEMO_DIR)/mesh.log
	@echo
	@echo "The mesh is up: demo-1 read-write, demo-2 read-only, demo-3 encrypted."
	@echo "  look around:   make demo-shell            (a shell on demo-1; HOST=demo-2 for another)"
	@echo "  facts:         make demo-facts            (ansible -m syncops.btsync.btsync_facts on every host)"
	@echo "  rerun:         make demo                  (changes nothing: changed=0)"
	@echo "  stop the lab:  make demo-down"

.PHONY: demo-vars
demo-vars:
	mkdir -p $(DEMO_DIR)
	# Credentials are made once per lab and kept 0600: a rerun must find the same ones.
	test -s $(DEMO_VARS) || ( umask 077; \
	  printf 'btsync_archive_src: %s\nlab_api_password: %s\nlab_api_key: %s\n' \
	    "$(SYNC_ARCHIVE)" "$$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
	    "$$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" > $(DEMO_VARS) )

.PHONY: demo-facts
demo-facts: venv ## ad-hoc btsync_facts on the demo hosts
	# The password comes from the 0600 vars file through a template, never on the command line.
	$(BIN)/ansible btsync -i "$$($(LAB) inventory)" -i $(ROOT)/examples/lab/inventory.yml -e @$(DEMO_VARS) \
	  -m syncops.btsync.btsync_facts \
	  -a 'gather_subset=version,folders,folder_peers api_user=api api_password={{ lab_api_password }}'

.PHONY: demo-shell
demo-shell: ## a root shell on a demo host (HOST=demo-1)
	$(LAB) ssh $(or $(HOST),demo-1)

.PHONY: demo-down
demo-down: ## stop the demo's lab hosts
	$(LAB) down
