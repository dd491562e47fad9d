# The two commands: `make run` and `make test`. Everything else they need they set up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(PLUGINS))
EXAMPLE := tests/example_plugin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast test-browser test-load test-postgres test-api lint install bench bench-quick clean help

help:
	@echo "make run        set up .venv and ./var, load demo data, serve http://$(HOST):$(PORT)"
	@echo "make test       set up, then run the whole test suite"
	@echo "make test-fast  the quick inner-loop subset on every core (no subprocess or browser tests)"
	@echo "make test-browser  the real-browser journeys (Playwright + Debian chromium)"
	@echo "make test-postgres the suite on PostgreSQL (a private server on loopback), but portable tests"
	@echo "make test-load  the load tests (uvicorn workers, concurrent posts)"
	@echo "make test-api   the API contract: schemathesis against a real server"
	@echo "make lint       ruff"
	@echo "make bench      benchmarks (bench/), several minutes"
	@echo "make bench-quick   the same benchmarks on smaller data, under 5 minutes"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Core and every plugin under plugins/, editable; re-run when a pyproject changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]' $(addprefix -e ,$(PLUGIN_DIRS))
	touch $@

# The test suite also needs the example plugin distribution that proves the contract.
$(VENV)/.installed-test: $(VENV)/.installed $(EXAMPLE)/pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps -e $(EXAMPLE)
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/rse init
	$(BIN)/rse demo
	$(BIN)/rse serve --host $(HOST) --port $(PORT)

# SQLite (browser journeys included) and PostgreSQL side by side, then what must run alone.
test: $(VENV)/.installed-test
	scripts/ensure-chromium
	scripts/ensure-clamd
	scripts/ensure-slapd >/dev/null
	scripts/test-all

# The load tests alone: several uvicorn workers under concurrent posts and searches.
test-load: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m load

# The suite on PostgreSQL with its full-text search backend, but the browser journeys and the
# tests marked portable (their outcome does not depend on the database): scripts/ensure-postgres
# installs and starts a private server on loopback.
test-postgres: $(VENV)/.installed-test
	scripts/ensure-postgres >/dev/null
	RSE_TEST_DATABASE_URL=$$(scripts/ensure-postgres) $(BIN)/python -m pytest -q \
	  -m "not browser and not portable and not alone"

# The API contract alone: schemathesis, every check and phase, against a server on loopback.
test-api: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/test_api_contract.py

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n auto -m "not slow and not browser" -x

test-browser: $(VENV)/.installed-test
	scripts/ensure-chromium
	$(BIN)/python -m pytest -q -m browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks are measurements, not tests: see bench/ and the figures in docs/performance.md.
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/stream_bench.py
	$(BIN)/python bench/blog_bench.py
	$(BIN)/python bench/wiki_bench.py
	$(BIN)/python bench/events_bench.py
	$(BIN)/python bench/search_bench.py --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/jobs_bench.py --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/rebuild_bench.py
	$(BIN)/python bench/start_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/scale_bench.py --sizes 1000000 --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/load_bench.py --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/expertise_bench.py
	$(BIN)/python bench/expertise_bench.py --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/upload_bench.py
	$(BIN)/python bench/adoption_bench.py
	$(BIN)/python bench/adoption_bench.py --activities 500000 --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/ideas_bench.py
	$(BIN)/python bench/scim_bench.py
	$(BIN)/python bench/export_bench.py --postgres "$$(scripts/ensure-postgres)"

# The same benchmarks on smaller data and shorter runs: a first look, not the figures of record.
bench-quick: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/stream_bench.py --sizes 10000,50000 --seconds 2
	$(BIN)/python bench/blog_bench.py --activities 20000 --posts 0,2000 --seconds 2
	$(BIN)/python bench/wiki_bench.py --pages 10000 --revisions 200 --lines 2000 --requests 100
	$(BIN)/python bench/events_bench.py --requests 100
	$(BIN)/python bench/search_bench.py --docs 10000 --queries 30 --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/jobs_bench.py --jobs 500 --writes 300 --postgres "$$(scripts/ensure-postgres)"
	$(BIN)/python bench/rebuild_bench.py --people 20000
	$(BIN)/python bench/start_bench.py --activities 20000 --starts 3
	$(BIN)/python bench/scale_bench.py --sizes 100000 --users 10000 --spaces 500 --requests 50 --seconds 1
	$(BIN)/python bench/load_bench.py --activities 100000 --users 10000 --spaces 500 --workers 1,2 --seconds 2
	$(BIN)/python bench/expertise_bench.py --activities 100000 --users 10000 --spaces 500 --repeat 50
	$(BIN)/python bench/upload_bench.py --size-mb 256 --runs 1
	$(BIN)/python bench/adoption_bench.py --activities 50000 --users 10000 --spaces 500 --requests 20
	$(BIN)/python bench/ideas_bench.py --ideas 1000 --votes 20000 --campaigns 50 --requests 50
	$(BIN)/python bench/scim_bench.py --users 20000 --requests 50
	$(BIN)/python bench/export_bench.py --activities 50000 --postgres "$$(scripts/ensure-postgres)"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
