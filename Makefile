# Two commands: `make run` serves the demo on SQLite; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/forecourt db upgrade
	$(BIN)/forecourt demo load --if-empty
	$(BIN)/forecourt serve

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/quotes.py
	$(BIN)/python bench/attribution.py

clean:
	rm -rf $(VENV) var .pytest_cache
