# Quickstart targets: `make demo` (set up + main analysis), `make serve` (set up + the
# dashboard in a browser), `make test` (set up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo serve test lint bench load screenshots clean

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

# the board, city pages and the API on http://127.0.0.1:8000/ (the first start builds the
# board's tables from the shared data: the near-front sweep, a few minutes)
serve: $(STAMP)
	$(BIN)/supplyline serve --open

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# load test of the web service (20 users, 60 s) on the board tables `make serve` built
load: $(STAMP)
	$(BIN)/python benchmarks/load.py

# the README's screenshots, made by the browser test on the full board (run `make serve` once)
screenshots: $(STAMP)
	SUPPLYLINE_SCREENSHOT_DIR=docs SUPPLYLINE_TEST_BOARD="$$($(BIN)/python -c \
	  'from supplyline.analysis.board import default_tables_dir; print(default_tables_dir())')" \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_web_browser.py -k slider

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
