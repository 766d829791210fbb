# Ecosystem gates: docs site, docs lint, changelog, Galaxy build, AWX execution
# environment.  Included by the main Makefile, which defines ROOT, BUILD, BIN,
# PYTHON, VENV and COLLECTIONS, exports ANSIBLE_COLLECTIONS_PATH (the checkout
# linked as build/collections/ansible_collections/syncops/btsync) and puts
# $(BIN) on PATH.  Each target is also run by a pytest gate in tests/gates/.

COLLECTION_FQCN    := syncops.btsync
COLLECTION_VERSION  = $(shell sed -nE 's/^version:[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p' $(ROOT)/galaxy.yml)
GALAXY_OUT         := $(BUILD)/galaxy
COLLECTION_TARBALL  = $(GALAXY_OUT)/syncops-btsync-$(COLLECTION_VERSION).tar.gz
DOCS_OUT           := $(BUILD)/docs
EE_DEF             := $(BUILD)/ee-definition
EE_CONTEXT         := $(BUILD)/ee
# Paths that must never be inside the built collection (a venv, build output,
# caches, ansible-test output, VCS data).
TARBALL_FORBIDDEN  := (^|/)(\.venv|venv|build|__pycache__|\.mypy_cache|\.pytest_cache|\.ruff_cache|\.hypothesis|\.tox|\.git|\.ci|docs/_build)(/|$$)|(^|/)tests/output(/|$$)|\.py[co]$$|(^|/)syncops-btsync-[^/]*\.tar\.gz$$

.PHONY: docs
docs: venv ## docs site: antsibull-docs reference + docs/ guides -> build/docs/html
	rm -rf $(DOCS_OUT)
	mkdir -p $(DOCS_OUT)/src/collection
	chmod 755 $(DOCS_OUT)/src/collection  # antsibull-docs refuses group/world-writable dirs
	cp -R $(ROOT)/docs/. $(DOCS_OUT)/src/
	$(BIN)/antsibull-docs collection --use-current --squash-hierarchy --fail-on-error \
	  --dest-dir $(DOCS_OUT)/src/collection $(COLLECTION_FQCN)
	$(BIN)/sphinx-build -b html -W --keep-going -q -c $(DOCS_OUT)/src \
	  $(DOCS_OUT)/src $(DOCS_OUT)/html
	@echo "docs site: $(DOCS_OUT)/html/index.html"

.PHONY: docs-lint
docs-lint: venv ## antsibull-docs lint-collection-docs --plugin-docs (docs of every module and role)
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
	  --disallow-unknown-collection-refs $(COLLECTIONS)/ansible_collections/syncops/btsync

.PHONY: changelog
changelog: venv ## regenerate CHANGELOG.rst from changelogs/changelog.yaml
	cd $(ROOT) && $(BIN)/antsibull-changelog generate

.PHONY: changelog-release
changelog-release: venv ## add the fragments and new modules/roles to the release named by galaxy.yml's version
	cd $(ROOT) && $(BIN)/antsibull-changelog release --update-existing --reload-plugins

.PHONY: changelog-lint
changelog-lint: venv ## antsibull-changelog lint (fragments + changelog.yaml); CHANGELOG.rst up to date
	cd $(ROOT) && $(BIN)/antsibull-changelog lint
	cd $(ROOT) && $(BIN)/antsibull-changelog lint-changelog-yaml --no-semantic-versioning changelogs/changelog.yaml
	rm -rf $(BUILD)/changelog-check && mkdir -p $(BUILD)/changelog-check
	cp -R $(ROOT)/galaxy.yml $(ROOT)/changelogs $(ROOT)/CHANGELOG.rst $(BUILD)/changelog-check/
	cd $(BUILD)/changelog-check && $(BIN)/antsibull-changelog generate
	diff -u $(ROOT)/CHANGELOG.rst $(BUILD)/changelog-check/CHANGELOG.rst \
	  || { echo "CHANGELOG.rst is stale: run 'make changelog'"; exit 1; }

.PHONY: build-check
build-check: venv ## ansible-galaxy build + install; ansible-doc lists every module and renders the role; no junk in the tarball
	rm -rf $(GALAXY_OUT)
	mkdir -p $(GALAXY_OUT)
	cd $(ROOT) && $(BIN)/ansible-galaxy collection build --force --output-path $(GALAXY_OUT) .
	test -f $(COLLECTION_TARBALL)
	tar -tzf $(COLLECTION_TARBALL) | sed 's|^\./||' | sort > $(GALAXY_OUT)/contents.txt
	if grep -E '$(TARBALL_FORBIDDEN)' $(GALAXY_OUT)/contents.txt; then \
	  echo "the tarball holds the files above, which must not ship (galaxy.yml build_ignore)"; exit 1; fi
	for f in MANIFEST.json FILES.json meta/runtime.yml meta/execution-environment.yml \
	         requirements.txt bindep.txt CHANGELOG.rst; do \
	  grep -qxF "$$f" $(GALAXY_OUT)/contents.txt || { echo "missing from the tarball: $$f"; exit 1; }; done
	$(BIN)/ansible-galaxy collection install --force --no-deps \
	  --collections-path $(GALAXY_OUT)/installed $(COLLECTION_TARBALL)
	export ANSIBLE_COLLECTIONS_PATH=$(GALAXY_OUT)/installed ANSIBLE_NOCOLOR=1; \
	$(BIN)/ansible-doc -t module -l $(COLLECTION_FQCN) | tee $(GALAXY_OUT)/ansible-doc-list.txt; \
	ls $(ROOT)/plugins/modules/*.py > /dev/null || { echo "no modules in plugins/modules"; exit 1; }; \
	missing=0; for m in $(ROOT)/plugins/modules/*.py; do \
	  name=$$(basename $$m .py); case $$name in __init__) continue;; esac; \
	  grep -qE "^$(COLLECTION_FQCN)\.$$name[[:space:]]" $(GALAXY_OUT)/ansible-doc-list.txt \
	    || { echo "ansible-doc -l does not list $(COLLECTION_FQCN).$$name"; missing=1; }; \
	  $(BIN)/ansible-doc -t module $(COLLECTION_FQCN).$$name > /dev/null \
	    || { echo "ansible-doc cannot render $(COLLECTION_FQCN).$$name"; missing=1; }; \
	done; \
	$(BIN)/ansible-doc -t role $(COLLECTION_FQCN).btsync 2>&1 | tee $(GALAXY_OUT)/ansible-doc-role.txt; \
	grep -q 'ENTRY POINT: \*\?main' $(GALAXY_OUT)/ansible-doc-role.txt \
	  || { echo "ansible-doc -t role $(COLLECTION_FQCN).btsync shows no main entry point (is there roles/btsync/meta/argument_specs.yml?)"; missing=1; }; \
	exit $$missing
	@echo "built and checked $(COLLECTION_TARBALL)"

.PHONY: ee-context
ee-context: venv ## ansible-builder create: AWX execution environment build context in build/ee
	rm -rf $(EE_DEF) $(EE_CONTEXT)
	mkdir -p $(EE_DEF)
	# meta/execution-environment.yml names requirements.txt and bindep.txt relative
	# to the collection root (where ansible-builder's introspection reads them from
	# an installed collection); stage it beside them so the same paths resolve.
	cp $(ROOT)/meta/execution-environment.yml $(ROOT)/requirements.txt $(ROOT)/bindep.txt $(EE_DEF)/
	$(BIN)/ansible-builder create -v 2 --file $(EE_DEF)/execution-environment.yml \
	  --context $(EE_CONTEXT) --output-filename Containerfile
	test -s $(EE_CONTEXT)/Containerfile
	test -d $(EE_CONTEXT)/_build/scripts
	cmp $(ROOT)/requirements.txt $(EE_CONTEXT)/_build/requirements.txt
	cmp $(ROOT)/bindep.txt $(EE_CONTEXT)/_build/bindep.txt
	grep -q 'syncops.btsync' $(EE_CONTEXT)/_build/requirements.yml
	grep -q 'ansible-core==' $(EE_CONTEXT)/Containerfile
	# What ansible-builder reads from the installed collection (the checkout,
	# linked under $(COLLECTIONS)) when an EE pulls syncops.btsync in.
	$(BIN)/python $(EE_CONTEXT)/_build/scripts/introspect.py introspect $(COLLECTIONS) \
	  | tee $(EE_DEF)/introspect.yml
	grep -q "requests.*from collection syncops.btsync" $(EE_DEF)/introspect.yml
	@echo "execution environment build context: $(EE_CONTEXT) (podman build -t btsync-ee $(EE_CONTEXT))"

.PHONY: awx-credential
awx-credential: venv ## an AWX-style job with only the credential type's BTSYNC_API_* variables reaches the API
	$(BIN)/python -m pytest tests/gates/test_gate_awx_credential.py $(PYTEST_ARGS)

.PHONY: ecosystem
ecosystem: venv ## every ecosystem gate (docs, docs-lint, changelog, build, EE, AWX credential) as pytest runs them
	$(BIN)/python -m pytest tests/gates/test_gate_docs.py tests/gates/test_gate_changelog.py \
	  tests/gates/test_gate_build.py tests/gates/test_gate_ee.py tests/gates/test_gate_awx_credential.py $(PYTEST_ARGS)
