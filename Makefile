# The two commands of the README, and the steps they are made of.
#   make demo   set up, generate a small synthetic base, run the whole pipeline, print a summary
#   make test   set up, then lint (ruff, sqlfluff) and run the test suite

VENV        ?= .venv
PYTHON      ?= python3
BIN         := $(VENV)/bin
FUNNEL_HOME ?= $(CURDIR)/data
CONTACTS    ?= 5000
export FUNNEL_HOME

.PHONY: setup spark-setup demo test test-fast test-setup lint format benchmark docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: setup
	@if [ -d "$(FUNNEL_HOME)/landing" ]; then \
		echo "Landing files already in $(FUNNEL_HOME)/landing: running on them."; \
	else \
		$(BIN)/funnel generate --contacts $(CONTACTS) --seed 42; \
	fi
	$(BIN)/funnel run

# sqlfluff compiles the models, and those pivoting on the funnel states read the seeds' tables:
# it runs on a scratch warehouse holding just the seeds, one process per core (`--processes 0`).
with_seeds = export FUNNEL_HOME=$$(mktemp -d) && \
	$(BIN)/dbt seed --quiet --profiles-dir . --target-path $$FUNNEL_HOME/target && $(1)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(call with_seeds,$(BIN)/sqlfluff lint --processes 0 models tests/dbt)

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(call with_seeds,$(BIN)/sqlfluff fix --processes 0 models tests/dbt)

# The report and Data Docs tests open their pages in Debian's headless Chromium (driven by
# playwright, which downloads no browser). Installed once, when missing; CI runs as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-setup:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests (report, Data Docs)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

# The Spark environment of the Spark parity test (tests/e2e/test_spark_parity.py): dbt-spark and
# pyspark in a venv of their own (they cannot share dbt-duckdb's), and Debian's Java 17 when
# there is no Java.
SPARK_VENV := .venv-spark
spark-setup: $(SPARK_VENV)/.installed

$(SPARK_VENV)/.installed: requirements-spark.txt
	@if ! java -version >/dev/null 2>&1; then \
		echo "Installing Debian's Java 17 for Spark"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openjdk-17-jre-headless; \
	fi
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/pip install --quiet --upgrade pip
	$(SPARK_VENV)/bin/pip install --quiet -r requirements-spark.txt
	touch $@

# Two processes, each running whole test files (`--dist loadfile`), so that a file's module
# fixtures (a pipeline run, a dbt build) are made once; the files sharing a session fixture run
# in one process, the longest first (tests/conftest.py). `PYTEST_WORKERS=0` runs in this process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)

test: lint test-setup spark-setup
	$(BIN)/pytest $(PYTEST_PARALLEL) --durations=15

# The fast lane for changing code: no pipeline run, no repeated dbt builds (a few minutes).
test-fast: setup test-setup
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not e2e and not slow" --durations=10

benchmark: setup
	$(BIN)/python benchmarks/generate.py

clean:
	rm -rf target logs
