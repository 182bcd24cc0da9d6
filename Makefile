# Two commands: `make run` serves the demo on SQLite; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench lint fmt fleet prod-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/forecourt db upgrade
	$(BIN)/forecourt demo load --if-empty
	$(BIN)/forecourt serve

test: lint
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff format --check --quiet src tests bench migrations deploy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench migrations deploy

# A simulated fleet through a broker of its own into ./var/forecourt.db (run `make run` in another terminal to watch).
fleet: $(STAMP)
	$(BIN)/forecourt db upgrade
	$(BIN)/forecourt demo load --if-empty
	$(BIN)/forecourt telematics fleet --vehicles 10 --minutes 120 --speedup 30

# compose.yaml's topology as local processes (two web, one worker, Mosquitto, a scratch PostgreSQL database) and a
# smoke test across them; see docs/production.md.
prod-smoke: $(STAMP)
	$(BIN)/python deploy/prod_smoke.py

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/quotes.py
	$(BIN)/python bench/attribution.py
	$(BIN)/python bench/telematics.py

clean:
	rm -rf $(VENV) var .pytest_cache
