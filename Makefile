# lbp-kg developer commands. `make serve` and `make test` set up everything they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# `make test` runs the suite in TEST_WORKERS processes (pytest-xdist; "auto": one per core). With
# worksteal an idle worker takes tests queued on a busy one, so slow files do not leave a core idle
# at the end. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto

.PHONY: setup serve test bench check-system clean

$(BIN)/lbp-kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(BIN)/lbp-kg node_modules/.package-lock.json ## install Python and JavaScript dependencies

check-system: ## install Java (HermiT) and Chromium (browser tests) when missing
	bash scripts/install-system-deps

serve: setup ## run the service on the bundled ontology
	$(BIN)/lbp-kg serve --host $(HOST) --port $(PORT)

test: check-system setup ## run the whole test suite, one worker per core
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

bench: setup ## benchmark the service against its floor and peers (bench/README.md)
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk; } || { echo "install wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/lbp-kg bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var build test-artifacts .hypothesis
