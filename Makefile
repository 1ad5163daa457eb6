# Datafab: `make run` sets up and starts Datafab with demo data; `make test` sets up and runs
# the tests. Both create the virtual environment on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench lint install clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(BIN)/datafab demo
	$(BIN)/datafab serve

test: install chromium
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

bench: install
	$(BIN)/python bench/leasing.py
	$(BIN)/python bench/quality.py

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) datafab.db datafab.db-wal datafab.db-shm
