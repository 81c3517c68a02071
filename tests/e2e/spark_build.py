"""Build the dbt project on Spark from raw tables exported as Parquet, in one Spark session.

Run by `test_spark_parity.py` with the Python of the Spark environment (`make spark-setup`:
dbt-spark's `session` method and pyspark, which cannot share dbt-duckdb's environment):

    .venv-spark/bin/python tests/e2e/spark_build.py RAW_DIR OUT_DIR AS_OF WORK_DIR

- every `RAW_DIR/<table>.parquet` becomes the Spark table `raw.<table>` (the file names carry no
  leading underscore, which Spark would skip: `load_manifest.parquet` is `raw._load_manifest`);
- `dbt seed`, `dbt build` (unit tests left out) and `dbt test` of the unit tests run in this
  process, on the one Spark session dbt-spark's `session` method shares;
- every table of schema `marts` is written to `OUT_DIR/<table>/` as Parquet (UTC timestamps).
The Spark warehouse and its metastore live in WORK_DIR. Exit status 1 when a dbt command fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The load's own tables, whose names start with an underscore in DuckDB and in the models.
UNDERSCORED = {"load_manifest", "quarantine", "forgotten_files"}
# Unit tests Spark cannot pass: Spark 4.3 has no Unicode normalisation (`spark__nfc_normalize`).
SPARK_EXCLUDED_UNIT_TESTS = "tag:needs_unicode_normalization"


def main(raw_dir: Path, out_dir: Path, as_of: str, work_dir: Path) -> int:
    os.chdir(work_dir)  # dbt-spark's session keeps spark-warehouse/ and metastore_db/ in the cwd
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sql("create schema if not exists raw")
    for file in sorted(raw_dir.glob("*.parquet")):
        table = f"_{file.stem}" if file.stem in UNDERSCORED else file.stem
        frame = spark.read.parquet(str(file))
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"raw.`{table}`")

    from dbt.cli.main import dbtRunner

    os.environ["FUNNEL_AS_OF"] = as_of
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    common += ["--target", "spark", "--target-path", str(work_dir / "target")]
    common += ["--log-path", str(work_dir / "logs")]
    commands = [
        ["build", "--exclude-resource-type", "unit_test", *common],
        ["test", "--select", "test_type:unit", "--exclude", SPARK_EXCLUDED_UNIT_TESTS, *common],
    ]
    for command in commands:
        result = dbtRunner().invoke(command)
        if not result.success:
            print(f"dbt {command[0]} failed on Spark", file=sys.stderr)
            return 1

    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    for row in spark.sql("show tables in marts").collect():
        spark.table(f"marts.{row.tableName}").write.mode("overwrite").parquet(
            str(out_dir / row.tableName)
        )
    return 0


if __name__ == "__main__":
    raw, out, day, work = sys.argv[1:5]
    sys.exit(main(Path(raw), Path(out), day, Path(work)))
