# supplier-audit: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The bundled demo world is dated up to this night; `make run AS_OF=` audits as of today.
AS_OF ?= 2026-11-26
AS_OF_ARG := $(if $(AS_OF),--as-of $(AS_OF),)

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: run test test-fast check bench demo train-flagger clean render-tools screenshots check-workbooks lock

# constraints.txt pins every package to the versions the demo night's golden outputs were made
# with (tests/golden/): the same inputs give the same bytes on every machine.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

lock: $(STAMP)  ## re-pin constraints.txt to the newest versions pyproject.toml allows
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev]"
	{ sed -n '1,3p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^supplier'; } > constraints.new
	mv constraints.new constraints.txt
	@echo "constraints.txt re-pinned: run tests/test_output_digests.py; if it fails only on numbers, regenerate the digests and say so"

run: $(STAMP)  ## audit the bundled demo data; reports go to reports/<as-of>/
	$(BIN)/supplier-audit run --data data/demo --out reports $(AS_OF_ARG)

# LibreOffice (headless), CJK fonts and poppler: the tests that print the workbooks
# (tests/test_print.py) use them and are skipped, saying why, where they are missing.
RENDER_PACKAGES := libreoffice-calc-nogui fonts-noto-cjk poppler-utils

render-tools:  ## install what the print tests need (Debian packages; needs root)
	@if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(RENDER_PACKAGES) for the print tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(RENDER_PACKAGES) >/dev/null; } \
		|| echo "render-tools: could not install them; the print tests will be skipped"; \
	else \
		echo "render-tools: not root on Debian; install $(RENDER_PACKAGES) to run the print tests"; \
	fi

# Two worker processes (pytest-xdist), one test module per unit of work (tests/conftest.py says
# which go first); `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder,)

test: $(STAMP) render-tools  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-fast: $(STAMP)  ## unit tests only, without the whole-flow tests
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not flow"

check: $(STAMP)  ## lint, format check, types, tests
	$(BIN)/ruff check src flows tests benchmarks
	$(BIN)/ruff format --check src flows tests benchmarks
	$(BIN)/mypy src
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

bench: $(STAMP)  ## time the hot paths and print figures and ratios
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

train-flagger: $(STAMP)  ## retrain the learned review flagger on data/review_corpus (same data, same bytes)
	$(BIN)/python -m supplier_audit.review_terms.training

demo: $(STAMP)  ## regenerate the bundled demo world in data/demo
	$(BIN)/supplier-audit demo --out data/demo

check-workbooks: $(STAMP) render-tools  ## the print and vocabulary tests on the bundled demo night
	WORKBOOK_TEST_DATA=data/demo $(BIN)/python -m pytest -q tests/test_print.py tests/test_vocabulary.py

screenshots: $(STAMP) render-tools  ## the README's pictures of the workbooks, as LibreOffice prints them
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
