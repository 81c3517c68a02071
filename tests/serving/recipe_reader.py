"""The notebook recipe of docs/serving.md, run as documented, by the serving tests.

It takes the pandas + SQLAlchemy recipe's code block from the docs (the block after the
`<!-- recipe: notebook-sqlalchemy -->` marker), points it at the serving file under test, runs
it, then reads the as-of day through the recipe's `engine` in a loop (bounded in time and
count), as a notebook left open during a run would. It writes what it saw as JSON and never
raises: errors are part of what it reports.

    python recipe_reader.py DOCS SERVING OUT_JSON [--seconds S] [--max-reads N] [--stop-file F]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

MARKER = "<!-- recipe: notebook-sqlalchemy -->"
DOCUMENTED_PATH = "/abs/path/data/serving.duckdb"
AS_OF = "select max(as_of_date) as as_of from marts.dim_contacts"


def recipe(docs: Path, serving: Path) -> str:
    """The recipe's code, pointed at `serving`; fails loudly when the docs lost it."""
    text = docs.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)```", text, re.DOTALL)
    if not found or DOCUMENTED_PATH not in found.group(1):
        raise SystemExit(f"no python block with {DOCUMENTED_PATH} after {MARKER} in {docs}")
    return found.group(1).replace(DOCUMENTED_PATH, str(serving.resolve()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("docs", type=Path)
    parser.add_argument("serving", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-reads", type=int, default=100_000)
    parser.add_argument("--stop-file", type=Path)
    args = parser.parse_args()
    code = recipe(args.docs, args.serving)
    while not args.serving.exists():  # the recipe's first query needs a publication
        time.sleep(0.05)
    namespace: dict = {}
    exec(code, namespace)  # the documented recipe, as a user runs it
    engine, read_sql = namespace["engine"], namespace["pd"].read_sql
    deadline = time.monotonic() + args.seconds
    reads, errors, as_of_days = 0, [], []
    while time.monotonic() < deadline and reads < args.max_reads:
        if args.stop_file and args.stop_file.exists():
            break
        try:
            as_of = str(read_sql(AS_OF, engine)["as_of"].iloc[0])
        except Exception as error:  # what the notebook would show
            errors.append(f"{type(error).__name__}: {error}")
            time.sleep(0.02)
            continue
        reads += 1
        if not as_of_days or as_of_days[-1] != as_of:
            as_of_days.append(as_of)
    args.out.write_text(
        json.dumps(
            {
                "reads": reads,
                "errors": errors[:20],
                "error_count": len(errors),
                "as_of_days": as_of_days,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
