# Two commands on a fresh machine:  make run   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DAGSTER_HOME := $(CURDIR)/.dagster_home
export DAGSTER_HOME

.PHONY: run run-year profile-pdfs test check dev lint demo-data bench screenshots handbook clean help

help:
	@echo "make run   - set up .venv, materialise every asset on the bundled data, print where outputs are"
	@echo "make test  - set up .venv with the dev extra, run ruff and the whole test suite (what CI runs)"
	@echo "make profile-pdfs - the county PDFs of the municipality profiles (make run leaves them out)"
	@echo "make check - ruff and the fast tests (no tests marked slow or browser), for while you work"
	@echo "make dev   - dagster dev: the Dagster UI on http://127.0.0.1:3000 and the daemon"
	@echo "make demo-data - regenerate the synthetic demo data in data/demo/"
	@echo "make bench - every benchmark, the UI click and both test tiers; writes bench/results.md and .json (~40 min)"
	@echo "make handbook - regenerate the indicator handbook docs/indikatorer.md/.html (after make run)"
	@echo "make screenshots - refresh the UI pictures in docs/img/ (runs the browser test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@ln -sf ../dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Run config for the terminal: warnings and errors only (every event stays in the run's log in the UI).
QUIET := "loggers": {"console": {"config": {"log_level": "WARNING"}}}

# Every asset, every reporting year, as one run — but the yearly-only assets (tag bolig/run=yearly:
# the county PDFs), which the yearly schedules and `make run-year` materialise. The selection is
# QUICK_RUN_SELECTION in pipelines/metadata.py. A run killed earlier (kill -9) is marked failed first.
run: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/python -m pipelines.runs
	$(BIN)/dagster asset materialize --select 'not tag:bolig/run=yearly' -m pipelines.definitions \
		--config-json '{$(QUIET)}'
	@$(BIN)/python -m pipelines.outputs

# One reporting year recomputed and everything downstream (the county PDFs too, as the yearly
# schedules do), e.g.  make run-year YEAR=2024
run-year: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/python -m pipelines.runs
	$(BIN)/dagster asset materialize --select '*' -m pipelines.definitions \
		--config-json '{$(QUIET), "resources": {"reporting": {"config": {"years": [$(YEAR)]}}}}'

# The county PDFs of the municipality profiles alone (from the published release; a few minutes).
profile-pdfs: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster asset materialize --select county_profile_pdfs -m pipelines.definitions \
		--config-json '{$(QUIET)}'

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The fast tier: everything but the tests marked slow (full pipeline runs in subprocesses) and
# browser (headless Chromium).
check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

dev: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# Speed and memory targets (not part of the tests: timings belong to a quiet machine).
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run

# Refresh the Dagster UI pictures in docs/img/ (taken by the browser test; needs /usr/bin/chromium).
screenshots: $(VENV)/.installed-dev
	mkdir -p docs/img
	BOLIG_GUIDE_SCREENSHOTS=$(CURDIR)/docs/img $(BIN)/python -m pytest -m browser -q tests/test_ui_browser.py

# Regenerate docs/indikatorer.md and .html from the catalogue and the latest release (after make run).
handbook: $(VENV)/.installed
	$(BIN)/python -m pipelines.handbook

demo-data: $(VENV)/.installed
	$(BIN)/python -m pipelines.demo

clean:
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.duckdb.lock data/exports data/charts data/profiles data/reports
