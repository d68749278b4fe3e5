# Semantik developer and CI entry points. `make help` lists them.
# Other parts append their own targets below the "More targets" line.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
PIP_EXTRAS ?= vecpipe,demo-model,dev
TIMED := $(CURDIR)/.ci/timed
# molecule, ansible-lint and testinfra call ansible-* by name: the venv comes first.
export PATH := $(BIN):$(PATH)

# Molecule scenarios (molecule/<name>/) that `make test` runs.
# Add yours on its own line: MOLECULE_SCENARIOS += name
MOLECULE_SCENARIOS := common
MOLECULE_SCENARIOS += nvidia
MOLECULE_SCENARIOS += frontdoor
# compose: builds semantik:cpu in its prepare (make docker-build, cached) and saves it (docker-save);
# by default it converges with no route out from build/bundle: `make bundle` first (CI does).
MOLECULE_SCENARIOS += compose
MOLECULE_SCENARIOS += qdrant
# qdrant-cluster: 3 real Qdrant peers; without QDRANT_ARTIFACT it skips before creating any host.
MOLECULE_SCENARIOS += qdrant-cluster
# default: the whole site.yml on 4 hosts; like compose, with no route out from build/bundle.
MOLECULE_SCENARIOS += default
# The no-egress scenarios install from build/bundle: built first when missing (CI builds it before
# `make test`; `make bundle` refreshes a stale one).
BUNDLE_SCENARIOS := compose default

# Scenarios run at once by `make test` (CI sets it from the core count).
MOLECULE_JOBS ?= 1

.PHONY: help venv images lint lint-yaml lint-ansible lint-python pytest monitoring-test molecule molecule-all test clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{ printf "  %-22s %s\n", $$1, $$2 }'

venv: $(VENV)/.installed ## Create the venv with the app, the model and the dev tools
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e '.[$(PIP_EXTRAS)]'
	touch $@

images: ## Build the molecule test-host images (only when their recipe changed)
	molecule/resources/build-testhost-images.sh

lint: lint-yaml lint-ansible lint-python ## yamllint, ansible-lint (production profile) and ruff
lint-yaml: venv
	$(TIMED) yamllint $(BIN)/yamllint -s .
lint-ansible: venv
	$(TIMED) ansible-lint $(BIN)/ansible-lint
lint-python: venv
	$(TIMED) ruff $(BIN)/ruff check .

pytest: venv ## The Python test suite (tests/, without tests/molecule)
	# tests/roles load Ansible plugins, which patch sys.intern and break torch: own process.
	$(TIMED) pytest $(BIN)/python -m pytest -q --ignore=tests/roles --ignore=tests/monitoring   # -m: repo root importable
	$(TIMED) pytest-roles $(BIN)/python -m pytest -q tests/roles

# promtool and amtool come from Debian (apt-get install --no-install-recommends prometheus
# prometheus-alertmanager; .ci/run installs them).
monitoring-test: venv ## Alert rules under promtool (check + unit tests of every alert), GPU metrics parser, dashboard PromQL
	$(TIMED) monitoring-test $(BIN)/python -m pytest -q tests/monitoring

molecule: venv images $(if $(filter $(BUNDLE_SCENARIOS),$(SCENARIO)),build/bundle/MANIFEST.sha256) ## One scenario in full: make molecule SCENARIO=name
	@test -n "$(SCENARIO)" || { echo "usage: make molecule SCENARIO=<name>; scenarios: $(MOLECULE_SCENARIOS)" >&2; exit 2; }
	$(TIMED) molecule:$(SCENARIO) $(BIN)/molecule test -s $(SCENARIO)

# One target per scenario, so `make -k` reports every failing one and
# `make -j N -O` may run several at once.
molecule-all: $(addprefix molecule-,$(MOLECULE_SCENARIOS)) ## Every scenario in MOLECULE_SCENARIOS
molecule-%: venv images
	$(TIMED) molecule:$* $(BIN)/molecule test -s $*
$(addprefix molecule-,$(BUNDLE_SCENARIOS)): build/bundle/MANIFEST.sha256
build/bundle/MANIFEST.sha256: | venv
	$(TIMED) bundle scripts/bundle.sh
# Its reason is printed; a supplied artifact runs it like any other scenario.
molecule-qdrant-cluster: venv images
	@if [ -z "$${QDRANT_ARTIFACT:-}" ]; then \
	  echo "molecule:qdrant-cluster SKIPPED: no QDRANT_ARTIFACT (no Qdrant server binary here;" \
	    "QDRANT_ARTIFACT=/path/qdrant-...tar.gz QDRANT_ARTIFACT_SHA256=<sha256> runs it)"; \
	else $(TIMED) molecule:qdrant-cluster $(BIN)/molecule test -s qdrant-cluster; fi

# Every stage runs even when an earlier one fails; the exit status reports any failure.
test: venv images frontend-deps ## Everything CI runs: lint, pytest (browser e2e included), frontend tests, every molecule scenario
	@rc=0; \
	$(MAKE) --no-print-directory -k lint || rc=1; \
	$(MAKE) --no-print-directory pytest || rc=1; \
	$(MAKE) --no-print-directory monitoring-test || rc=1; \
	$(MAKE) --no-print-directory frontend-test || rc=1; \
	$(MAKE) --no-print-directory collection || rc=1; \
	$(MAKE) --no-print-directory -k -j$(MOLECULE_JOBS) -O molecule-all || rc=1; \
	$(MAKE) --no-print-directory -k supply-chain || rc=1; \
	exit $$rc

clean: ## Destroy molecule test hosts and remove caches
	-for s in $(MOLECULE_SCENARIOS); do $(BIN)/molecule destroy -s $$s; done
	rm -rf .pytest_cache .ruff_cache .cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- More targets (run, demo, bench, docker-*): append below ----

.PHONY: run
run: venv ## vecpipe + webui on loopback over the sample documents (state in ./var); Ctrl-C stops
	scripts/run-local.sh

# ---- frontend: app/frontend (React + Vite) built into app/semantik/webui/static ----
FRONTEND := app/frontend
NPM_CI := npm ci --no-audit --no-fund
.PHONY: frontend frontend-deps frontend-test e2e

frontend-deps: $(FRONTEND)/node_modules/.package-lock.json
$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM_CI)

frontend: frontend-deps ## Build the browser app into app/semantik/webui/static (commit the result)
	cd $(FRONTEND) && $(TIMED) frontend-build npm run build

frontend-test: frontend-deps venv ## Type-check + Vitest unit tests; the committed build must match the sources
	cd $(FRONTEND) && $(TIMED) frontend-typecheck npm run typecheck
	cd $(FRONTEND) && $(TIMED) vitest npm test
	$(TIMED) frontend-stamp $(BIN)/pytest -q tests/frontend/test_build_stamp.py

e2e: frontend-deps venv ## Browser end-to-end test in headless chromium (apt-get install chromium); screenshots in out/screenshots/
	SEMANTIK_E2E_REQUIRED=1 $(TIMED) e2e $(BIN)/pytest -q tests/frontend/test_browser_e2e.py

# ---- deploy: wheelhouse for the semantik role, the local demo ----
.PHONY: wheelhouse demo demo-down demo-noop
wheelhouse: venv ## Wheels of the app and its pinned deps in build/wheelhouse.tar (CPU torch; TORCH_VARIANT=cuda TORCH_INDEX_URL=...)
	$(TIMED) wheelhouse scripts/build-wheelhouse.sh

demo: venv images wheelhouse ## Deploy the whole site to a local container (inventories/demo); prints the URL and login
	$(TIMED) demo scripts/demo.sh

demo-down: ## Remove the demo container
	scripts/demo.sh down

demo-noop: venv images wheelhouse ## No-op figures on the demo: a second site.yml and upgrade.yml to the running release (DEMO_NAME, DEMO_PORT)
	bench/noop-converge.sh

# ---- containers: app/docker images and the app/compose project ----
COMPOSE_DIR := app/compose
COMPOSE_FILES ?= -f docker-compose.yml
BASE_IMAGE ?= semantik-base:bookworm
DOCKER_COMPOSE = cd $(COMPOSE_DIR) && docker compose $(COMPOSE_FILES)
.PHONY: docker-build docker-save docker-push docker-up docker-down docker-logs docker-ps

docker-build: ## Build semantik:cpu from build/wheelhouse (BASE_IMAGE=debian:bookworm-slim where a registry is reachable)
	scripts/build-wheelhouse.sh
	app/docker/fetch-cli-plugins.sh >/dev/null
	test "$(BASE_IMAGE)" != semantik-base:bookworm || app/docker/build-base-image.sh
	DOCKER_BUILDKIT=1 docker build -f app/docker/Dockerfile --build-arg BASE_IMAGE=$(BASE_IMAGE) -t semantik:cpu .
	docker image ls semantik:cpu

docker-save: ## Build semantik:cpu and save it to build/images/semantik-cpu.tar for the compose runtime (rewritten only when the image changed)
	$(TIMED) docker-save app/docker/save-image.sh

docker-push: ## Tag and push semantik:cpu to REGISTRY=host:port (REGISTRY_USER/REGISTRY_PASSWORD or a docker login before; docs/airgap.md)
	scripts/docker-push.sh

docker-up: ## Start the compose project (COMPOSE_FILES="-f docker-compose.yml -f docker-compose.prod.yml"), wait for health; CPU limits fit the host
	cd $(COMPOSE_DIR) && limits="$$(sh ./cpu-limits.sh)" && eval "$$limits" && docker compose $(COMPOSE_FILES) up -d --wait
docker-down: ## Stop the compose project (volumes kept)
	$(DOCKER_COMPOSE) down
docker-logs: ## Follow the compose project's logs
	$(DOCKER_COMPOSE) logs -f --tail=100
docker-ps: ## The compose project's containers and their health
	$(DOCKER_COMPOSE) ps

# ---- the repository as an Ansible collection (galaxy.yml) and its generated docs ----
COLLECTION_DIR := build/collection
.PHONY: collection docs
collection: venv ## Build the collection, install it into build/collection and syntax-check semantik.appliance.site
	rm -rf $(COLLECTION_DIR) && mkdir -p $(COLLECTION_DIR)
	$(TIMED) collection-build $(BIN)/ansible-galaxy collection build --output-path $(COLLECTION_DIR) .
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTION_DIR)/installed $(COLLECTION_DIR)/semantik-appliance-*.tar.gz
	# From a folder without ansible.cfg: roles must come from the installed collection.
	cd $(COLLECTION_DIR) && ANSIBLE_COLLECTIONS_PATH=$(abspath $(COLLECTION_DIR))/installed \
	  $(TIMED) collection-syntax $(BIN)/ansible-playbook semantik.appliance.site --syntax-check -i $(CURDIR)/inventories/demo/hosts.yml

docs: venv ## Regenerate the variables sections of roles/*/README.md and docs/variables.md from meta/argument_specs.yml
	$(BIN)/python scripts/gen-role-docs.py

# ---- supply chain (docs/airgap.md): SBOMs, secret scan, container lint, audit; offline ----
.PHONY: supply-chain sbom secret-scan secrets-baseline lint-containers audit
# Last in `make test`: by then the compose scenario has built semantik:cpu for the image SBOM.
supply-chain: sbom secret-scan lint-containers ## Offline supply-chain checks: CycloneDX SBOMs in build/sbom/, secret scan, Dockerfile + compose lint

sbom: venv ## CycloneDX SBOMs of the Python env, the frontend and semantik:cpu (when built) in build/sbom/
	$(TIMED) sbom scripts/sbom.sh

secret-scan: venv ## detect-secrets over the tree; known test values are in .secrets.baseline
	$(TIMED) secret-scan scripts/secret-scan.sh

secrets-baseline: venv ## Rewrite .secrets.baseline after a reviewed new test value (keeps audit marks)
	scripts/secret-scan.sh --update

lint-containers: venv ## hadolint over the Dockerfiles, docker compose config over the compose project
	$(TIMED) lint-containers scripts/lint-containers.sh

audit: venv ## pip-audit, npm audit (and grype/trivy when installed) where a feed is reachable; says NOT AUDITED when not
	scripts/audit.sh

# ---- air-gap bundle (docs/airgap.md): wheels + hash-pinned lock, apt repositories, image, manifest ----
.PHONY: bundle bundle-verify
bundle: venv ## Everything a site installs from, under build/bundle/ with MANIFEST.sha256 (QDRANT_ARTIFACT=… to add Qdrant)
	$(TIMED) bundle scripts/bundle.sh

bundle-verify: venv ## Check build/bundle (or BUNDLE_DIR) against its manifest; the lock must resolve offline with --require-hashes
	scripts/bundle.sh --verify
