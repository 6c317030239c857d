# Everything a fresh machine needs: `make demo` and `make test` create the virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench bench-large lint install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: generate a month of demo usage, build its report into output/, print where it is
demo: $(STAMP)
	$(BIN)/reportgen demo --out output --data demo-data/demo.db

## test: the whole test suite (integration tests skip unless their server is installed;
## REPORTGEN_REQUIRE_INTEGRATION=1 turns those skips into failures, as CI does)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## bench: build demo sources of 10k and 100k requests; print time, rows/s, pages/s, peak RSS
bench: $(STAMP)
	$(BIN)/python tests/benchmark.py $(BENCH_SIZES)

## bench-large: the same figures for 10k and 1M requests / 4.4M calls (demo data generated in SQL), and the
## render worker's peak at 1M against 10k (17 minutes for the full build here, more with the incremental and
## naive runs)
bench-large: $(STAMP)
	$(BIN)/python tests/benchmark.py 10000 1000000

lint: $(STAMP)
	$(BIN)/ruff check reportgen tests

clean:
	rm -rf $(VENV) output/latest output/snapshots output/.render-cache.sqlite demo-data bench-data .pytest_cache
