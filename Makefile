# Quickstart targets: `make demo` (set up + main analysis), `make test` (set up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	-$(BIN)/python scripts/fetch_assets.py
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/supplyline data status
	$(BIN)/supplyline status Pokrovsk --date 2025-01-31
	$(BIN)/supplyline routes Pokrovsk --date 2025-01-31 --to Dnipro --to Pavlohrad
	$(BIN)/supplyline encirclement Pokrovsk --date 2025-10-15
	mkdir -p out
	$(BIN)/supplyline map Pokrovsk --date 2025-06-01 -o out/pokrovsk-2025-06-01.png

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
