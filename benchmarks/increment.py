"""A next-day delivery of engagement events, as a team's daily export writes it.

.venv/bin/python benchmarks/increment.py --home /tmp/funnel --day 2026-07-01 --share 0.01

New events for contacts the landing files already hold, all dated `day` (UTC), in a new file
`landing/engagement_events/engagement_events-next-<day>.<csv|parquet>` (the format of the files
already there), as many as `share` of the events already delivered. Each new event copies the
type, channel and contact (by id or email) of an event drawn from the landing files, so the mix of
the delivery is the base's; ids are new, so nothing is a duplicate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import duckdb

from orchestration.settings import landing_min_age_seconds

EVENTS = "engagement_events"


def write_next_day_events(home: Path, day: dt.date, share: float, seed: int = 1) -> Path:
    """Write the delivery; returns its path. Its rows: round(share * events delivered so far)."""
    folder = home / "landing" / EVENTS
    existing = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    suffix = existing[0].suffix
    path = folder / f"{EVENTS}-next-{day.isoformat()}{suffix}"
    temporary = folder / f".{path.name}.tmp"
    events = [str(p) for p in existing]
    contacts = [
        str(p) for p in sorted((home / "landing" / "contacts").iterdir()) if p.suffix == suffix
    ]
    read = "read_csv({}, all_varchar = true)" if suffix == ".csv" else "read_parquet({})"
    with duckdb.connect() as connection:
        connection.execute("select setseed(?)", [seed / 1000])
        connection.execute(f"create temp table events as select * from {read.format(events)}")
        delivered = connection.execute("select count(*) from events").fetchone()[0]
        rows = max(1, round(share * delivered))
        connection.execute(
            f"""
            create temp table known as
            select distinct trim(contact_id) as contact_id from {read.format(contacts)}
            """
        )
        # drawn among events of known contacts; each draw is dated at a random second of `day`
        connection.execute(
            f"""
            create temp table delivery as
            with drawn as (
                select events.*
                from events
                semi join known on trim(events.contact_id) = known.contact_id
                using sample reservoir({rows} rows) repeatable ({seed})
            )
            select
                'EVT-NEXT-{day:%Y%m%d}-' || lpad(cast(row_number() over () as varchar), 9, '0')
                    as event_id,
                event_type,
                strftime(
                    cast('{day}' as timestamp) + to_seconds(floor(random() * 86400)::bigint),
                    '%Y-%m-%dT%H:%M:%SZ'
                ) as occurred_at,
                contact_id, email, channel, campaign, asset, url
            from drawn
            """
        )
        options = "(header)" if suffix == ".csv" else "(format parquet)"
        connection.execute(f"copy delivery to '{temporary}' {options}")
    os.replace(temporary, path)
    # dated as settled, like `funnel generate`'s files: the next load takes it without waiting
    settled = path.stat().st_mtime - landing_min_age_seconds() - 1
    os.utime(path, (settled, settled))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--share", type=float, default=0.01, help="of the events delivered")
    args = parser.parse_args(argv)
    print(write_next_day_events(args.home, args.day, args.share))


if __name__ == "__main__":
    main()
