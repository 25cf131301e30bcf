# Two commands are all the set-up anyone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///$(CURDIR)/instance/demo.db
SEED ?= 2026
# Test workers (pytest-xdist): the suite runs on both cores; 0 runs it in one process.
PYTEST_WORKERS ?= 2

.PHONY: install demo serve test lint format bench load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p instance
	rm -f instance/demo.db
	DATABASE_URL=$(DEMO_DB) $(BIN)/assessor init
	DATABASE_URL=$(DEMO_DB) $(BIN)/assessor demo --seed $(SEED)
	# `assessor serve` runs gunicorn (two workers), as production does: no development server.
	ASSESSOR_DEMO=1 DATABASE_URL=$(DEMO_DB) $(BIN)/assessor serve --host 127.0.0.1 --port 5000

# Production-like: gunicorn workers on PostgreSQL. Needs DATABASE_URL and SECRET_KEY (see
# README, "Serving"); run `assessor init` against the database first.
serve: $(STAMP)
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(STAMP)
	$(BIN)/ruff check assessor tests benchmarks
	$(BIN)/ruff format --check assessor tests benchmarks
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check assessor tests benchmarks
	$(BIN)/ruff format --check assessor tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format assessor tests benchmarks
	$(BIN)/ruff check --fix assessor tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/scoring.py

load: $(STAMP)
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache
