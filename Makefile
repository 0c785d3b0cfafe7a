# One command each: `make demo` sets up and runs the main job on the sample workbooks;
# `make test` sets up and runs the test suite. Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/coverage-xl validate workbooks/units --as-of 2020-09-30 || true
	$(BIN)/coverage-xl consolidate workbooks/units --as-of 2020-09-30 -o out/汇总.xlsx --json out/summary.json || true

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check coverage_xl tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf out .pytest_cache
