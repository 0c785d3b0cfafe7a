# One command each: `make demo` sets up and runs the main job on a full-size fictitious campaign;
# `make test` sets up and runs the test suite. Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo demo-small test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# The main job on a full-size fictitious campaign: 120,087 survey rows (the Annex 1 tasks) and exports with
# every counting case, generated on first run under benchmarks/corpus/ (not in git, reused later); the whole
# chain runs into out/demo/ and each step's time is printed (benchmarks/demo.py).
demo: $(STAMP)
	$(BIN)/python benchmarks/demo.py

# The main job on the shipped sample (14 fictitious unit workbooks + registration/payment exports):
# validate (exit 1 is expected: the samples carry planted mistakes), build the master workbook,
# consolidate into it (附件4), dispatch into it (附件5/进度/调度历史) with follow-up lists, notices, and the
# ledger (台账.sqlite beside the master, its exports in out/台账, 台账汇总 in the master). notices exits 1
# because the benefit-estimate letters are withheld while the bureau's local parameters are blank (every
# other document is written); --allow-incomplete would print them with a warning on each page.
AS_OF := 2020-09-30
MASTER := out/城乡居保全覆盖.xlsm
EXPORTS := -r workbooks/exports/参保登记.xlsx -p workbooks/exports/缴费明细.csv
demo-small: $(STAMP)
	@mkdir -p out
	$(BIN)/coverage-xl validate workbooks/units --as-of $(AS_OF) --annotate out/校验标注 || [ $$? -eq 1 ]
	$(BIN)/coverage-xl master $(MASTER) --survey-dir workbooks/units --force
	$(BIN)/coverage-xl consolidate workbooks/units --as-of $(AS_OF) -o $(MASTER) --json out/summary.json
	$(BIN)/coverage-xl dispatch --survey workbooks/units $(EXPORTS) --as-of $(AS_OF) -o $(MASTER) --lists out/跟进名单
	$(BIN)/coverage-xl notices all --survey workbooks/units $(EXPORTS) --as-of $(AS_OF) -o out/通报 || [ $$? -eq 1 ]
	$(BIN)/coverage-xl ledger update --survey workbooks/units $(EXPORTS) --as-of $(AS_OF) --master $(MASTER) --json out/台账摘要.json
	$(BIN)/coverage-xl ledger export -o out/台账 --master $(MASTER) --to-master
	@echo "完成：总表 $(MASTER)，校验标注 out/校验标注/，跟进名单 out/跟进名单/，通报 out/通报/，台账 out/台账/"

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The inner loop: everything but the tests marked slow (LibreOffice, killed subprocesses). `make test`
# (and CI) still runs them all.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check coverage_xl tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf out .pytest_cache
