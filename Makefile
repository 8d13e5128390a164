# lbp-kg developer commands. `make serve` and `make test` set up everything they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

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

test: check-system setup ## run the whole test suite
	$(BIN)/pytest

bench: setup ## benchmark the service against its floor and peers (bench/README.md)
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk; } || { echo "install wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/lbp-kg bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var build test-artifacts .hypothesis
