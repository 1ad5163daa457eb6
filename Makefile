# Datafab: `make run` sets up and starts Datafab with demo data; `make test` sets up and runs
# the tests. Both create the virtual environment on first use. `make run` installs only what
# serving needs; `make test` adds the test extras (and Chromium for the browser tests);
# `make bench` the benchmark extras. Each install is redone when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
SUM     = $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SERVE_STAMP = $(VENV)/.installed-serve-$(SUM)
TEST_STAMP  = $(VENV)/.installed-test-$(SUM)
BENCH_STAMP = $(VENV)/.installed-bench-$(SUM)
# apt-get waits this long for another install to release the package manager's lock.
APT_LOCK_WAIT ?= 300
APT_GET = apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_WAIT)

.PHONY: run test bench lint install install-test install-bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	rm -f $(VENV)/.installed-serve-*
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-test-*
	touch $@

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	rm -f $(VENV)/.installed-bench-*
	touch $@

install: $(SERVE_STAMP)

install-test: $(TEST_STAMP)

install-bench: $(BENCH_STAMP)

run: install
	$(BIN)/datafab demo
	$(BIN)/datafab serve

# Without a browser: `make install-test` then `.venv/bin/python -m pytest -m "not browser"`.
test: install-test chromium
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (never a downloaded browser build). apt-get
# waits for the package manager's lock rather than failing while another install holds it.
chromium:
	command -v chromium >/dev/null || ($(APT_GET) update -q && $(APT_GET) install -y -q chromium) \
	  || (echo 'Chromium could not be installed. Without the browser tests:' \
	      'make install-test && $(BIN)/python -m pytest -m "not browser"' >&2; exit 1)

bench: install-bench
	$(BIN)/python bench/leasing.py
	$(BIN)/python bench/quality.py

# ruff for style and errors, mypy for types (its settings are in pyproject.toml).
lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) datafab.db datafab.db-wal datafab.db-shm
