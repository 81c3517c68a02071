"""The Dagster wiring: assets, asset checks, the job, its schedule and sensor, the resources, and
`definitions.py`, which assembles them into the code location. The logic they call lives outside
this folder (loading, quality, publishing, report), as plain modules."""
