"""Data quality of the B2B base: great-expectations suites as blocking Dagster asset checks.

Each JSON suite under `expectations/` protects one table (`<schema>.<table>.json`, the suite's
name) and becomes one asset check, `gx_expectations`, on that table's asset (`raw/contacts`,
`staging/stg_landing__contacts`, `marts/dim_contacts`). An expectation's `severity` decides what
its failure does: `critical` fails the check with ERROR severity, which blocks everything
downstream (the models, publication); `warning` fails it with WARN severity and blocks nothing.

Why it is built this way:
- GX validates with SQL pushdown on the DuckDB file (aggregates, never a table pulled into
  pandas), so the checks scale with the warehouse. duckdb-engine needs GX to keep its connection
  (without it every metric fails with `list index out of range`): `_persist_duckdb_connections`
  registers the dialect.
- Each check opens the warehouse read-only and closes every connection before it returns, so no
  lock outlives it while dbt or a load writes.
- Results are stored in a GX project under `FUNNEL_HOME/gx` and rendered as Data Docs into
  `FUNNEL_HOME/reports/data_docs/` at every run.
- "Row count within a tolerance of the previous run" needs the previous run: the check records
  the row count it accepted in its metadata, and the next evaluation reads it back from the
  Dagster instance.

The modules, one job each (the asset checks themselves are in
`orchestration/defs/quality_checks.py`):
- `suites`: the suite model (`Suite`, `load_suites`, an expectation's severity);
- `parameters`: the `$PARAMETER` values of a suite's run (as-of day, row-count bounds);
- `baselines`: the row count each suite accepted last time, read from the Dagster instance;
- `failing_rows`: the SQL that shows an operator the rows an expectation found;
- `outcomes`: a suite's and an expectation's result, as an operator needs it;
- `gx_runner`: runs suites with great-expectations on DuckDB and builds the Data Docs;
- `failures`: what `funnel run` prints for each failed check.
"""
