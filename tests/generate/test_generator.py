"""The synthetic generator: deterministic, on contract, exact counts, and realistic enough to test.

Files are read back with DuckDB (materialised as text tables first: DuckDB 2.0.1 pushes TRY_CAST
into the CSV scan and then raises instead of returning null).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration import contract
from orchestration.synthetic import SYNONYMS, GenerationSummary, generate
from orchestration.synthetic._reference import CANONICAL, FREE_MAIL_DOMAINS

END = dt.date(2025, 6, 30)
EMAIL_RE = r"[^@\s]+@[^@\s]+\.[a-z]{2,}"
TIMESTAMP_COLUMNS = {
    e.name: [c.name for c in e.columns if c.kind in ("timestamp", "date")]
    for e in contract.ENTITIES.values()
}
VOCABULARY_COLUMNS = [
    ("engagement_events", "event_type", "event_type"),
    ("sales_activities", "activity_type", "activity_type"),
    ("sales_activities", "outcome", "outcome"),
    ("contacts", "seniority", "seniority"),
    ("contacts", "department", "department"),
    ("contacts", "country", "country"),
    ("companies", "country", "country"),
    ("contacts", "opted_out", "boolean"),
    ("sales_activities", "need_identified", "boolean"),
    ("sales_activities", "budget_confirmed", "boolean"),
    ("sales_activities", "decision_capacity", "boolean"),
    ("opportunities", "is_won", "boolean"),
]


def load(summary: GenerationSummary) -> duckdb.DuckDBPyConnection:
    """One text table per entity, read from exactly the files the summary lists."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for entity, files in summary.files.items():
        paths = [str(p) for p in files]
        if summary.file_format == "csv":
            source = f"read_csv({paths}, all_varchar = true, header = true)"
        else:
            source = f"read_parquet({paths})"
        con.execute(f"create table {entity} as select * from {source}")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[GenerationSummary, duckdb.DuckDBPyConnection]:
    """CSV, 3% bad rows: enough of each kind to count them back."""
    summary = generate(
        tmp_path_factory.mktemp("dirty"),
        contacts=3000,
        events=60_000,
        seed=7,
        end_date=END,
        bad_row_share=0.03,
    )
    return summary, load(summary)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[GenerationSummary, duckdb.DuckDBPyConnection]:
    """Parquet, no bad rows, small chunks so that entities span several part files."""
    summary = generate(
        tmp_path_factory.mktemp("clean"),
        contacts=2500,
        companies=400,
        events=50_000,
        seed=11,
        end_date=END,
        file_format="parquet",
        bad_row_share=0,
        chunk_rows=7_000,
    )
    return summary, load(summary)


BASES = ["dirty", "clean"]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_arguments_give_identical_files_and_another_seed_differs(tmp_path, file_format):
    kwargs = dict(
        contacts=400, events=5_000, end_date=END, file_format=file_format, chunk_rows=2_000
    )
    generate(tmp_path / "a", seed=3, **kwargs)
    generate(tmp_path / "b", seed=3, **kwargs)
    generate(tmp_path / "c", seed=4, **kwargs)
    first, again, other = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert len(first) == 5 + 2  # events in three parts
    assert first == again
    for name, content in first.items():
        assert other[name.replace("-3-", "-4-")] != content


@pytest.mark.parametrize("base", BASES)
def test_every_file_has_exactly_the_contract_columns_in_order(base, request):
    summary, _ = request.getfixturevalue(base)
    for entity, files in summary.files.items():
        assert files, entity
        expected = list(contract.ENTITIES[entity].column_names)
        for path in files:
            if summary.file_format == "csv":
                header = path.read_text(encoding="utf-8").split("\n", 1)[0]
                assert header.replace('"', "").split(",") == expected, path
            else:
                assert pq.read_schema(path).names == expected, path


@pytest.mark.parametrize("base", BASES)
def test_rows_in_the_summary_are_the_rows_in_the_files(base, request):
    summary, con = request.getfixturevalue(base)
    for entity, files in summary.files.items():
        assert sorted(files) == sorted((summary.landing_dir / entity).glob(f"{entity}-*")), entity
        assert scalar(con, f"select count(*) from {entity}") == summary.rows[entity], entity
    assert summary.rows["engagement_events"] == (60_000 if base == "dirty" else 50_000)
    assert summary.rows["contacts"] == (3000 if base == "dirty" else 2500)
    assert summary.rows["companies"] == (600 if base == "dirty" else 400)
    assert summary.rows["opportunities"] > 10
    assert summary.rows["sales_activities"] > summary.rows["opportunities"]


@pytest.mark.parametrize("base", BASES)
def test_required_columns_and_one_of_groups_are_filled_in_every_row(base, request):
    summary, con = request.getfixturevalue(base)
    for entity in contract.ENTITIES.values():
        conditions = [f"nullif(trim({c}), '') is null" for c in entity.required]
        conditions += [
            "(" + " and ".join(f"nullif(trim({c}), '') is null" for c in group) + ")"
            for group in entity.required_one_of
        ]
        where = " or ".join(conditions)
        assert scalar(con, f"select count(*) from {entity.name} where {where}") == 0, entity.name
        assert (
            scalar(con, f"select count(distinct {entity.key}) from {entity.name}")
            == (summary.rows[entity.name])
        ), f"{entity.name} keys are not unique"


def test_parquet_parts_hold_at_most_chunk_rows_text_columns(clean):
    summary, _ = clean
    events = summary.files["engagement_events"]
    assert [p.name for p in events] == [f"engagement_events-11-{i:04d}.parquet" for i in range(8)]
    for path in events:
        table = pq.read_table(path)
        assert table.num_rows <= 7_000
        assert all(str(t) == "string" for t in table.schema.types)


def _bad_counts(con: duckdb.DuckDBPyConnection, entity: str, end: dt.date) -> dict[str, int]:
    """Bad rows of each kind found by reading the files, the way the checks will find them."""
    columns = TIMESTAMP_COLUMNS[entity]
    unparseable = " or ".join(
        f"({c} is not null and try_cast({c} as timestamptz) is null)" for c in columns
    )
    out_of_range = " or ".join(
        f"try_cast({c} as timestamptz) < '2000-01-01' "
        f"or try_cast({c} as timestamptz) >= '{end + dt.timedelta(days=1)}'"
        for c in columns
    )
    counts = {
        "impossible_date": scalar(con, f"select count(*) from {entity} where {unparseable}"),
        "out_of_range_date": scalar(
            con, f"select count(*) from {entity} where not ({unparseable}) and ({out_of_range})"
        ),
    }
    if entity == "contacts":
        counts["invalid_email"] = scalar(
            con,
            f"select count(*) from contacts where email is not null "
            f"and not regexp_full_match(lower(trim(email)), '{EMAIL_RE}')",
        )
    if entity in ("engagement_events", "sales_activities"):
        counts["unknown_contact_id"] = scalar(
            con,
            f"select count(*) from {entity} where contact_id is not null "
            "and contact_id not in (select contact_id from contacts)",
        )
    return counts


def test_bad_rows_are_counted_exactly_and_only_impossible_dates_are_unparseable(dirty):
    summary, con = dirty
    for entity in contract.ENTITIES:
        found = _bad_counts(con, entity, END)
        assert found == summary.bad_rows[entity], entity
        assert summary.unparseable_rows(entity) == found["impossible_date"]
        expected_total = round(0.03 * summary.rows[entity])
        assert sum(summary.bad_rows[entity].values()) == expected_total, entity
    assert all(n > 0 for n in summary.bad_rows["contacts"].values())
    assert all(n > 0 for n in summary.bad_rows["engagement_events"].values())


def test_no_bad_rows_of_any_kind_when_the_share_is_zero(clean):
    summary, con = clean
    for entity in contract.ENTITIES:
        assert _bad_counts(con, entity, END) == dict.fromkeys(summary.bad_rows[entity], 0), entity
        assert summary.unparseable_rows(entity) == 0
        assert set(summary.bad_rows[entity].values()) == {0}
    # Events identified by email reach a contact whose email it is.
    unmatched = scalar(
        con,
        "select count(*) from engagement_events where contact_id is null and lower(trim(email)) "
        "not in (select lower(trim(email)) from contacts where email is not null)",
    )
    assert unmatched == 0
    assert scalar(con, "select count(*) from engagement_events where contact_id is null") > 500


def test_refuses_to_write_a_seed_twice_but_accepts_another_seed(tmp_path):
    generate(tmp_path, contacts=100, events=500, seed=5, end_date=END)
    before = _tree(tmp_path)
    with pytest.raises(ValueError, match=r"seed 5.*another seed"):
        generate(tmp_path, contacts=100, events=500, seed=5, end_date=END)
    assert _tree(tmp_path) == before
    summary = generate(tmp_path, contacts=100, events=500, seed=6, end_date=END)
    assert len(list((tmp_path / "contacts").iterdir())) == 2
    assert summary.rows["engagement_events"] == 500


def test_invalid_arguments_say_what_to_change(tmp_path):
    with pytest.raises(ValueError, match="file_format"):
        generate(tmp_path, contacts=10, file_format="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bad_row_share"):
        generate(tmp_path, contacts=10, bad_row_share=2)


# --- realism ---------------------------------------------------------------------------------


def test_a_realistic_share_of_emails_is_on_free_mail(dirty):
    _, con = dirty
    domains = ", ".join(f"'{d}'" for d in sorted(set(FREE_MAIL_DOMAINS)))
    share = scalar(
        con,
        f"select avg((split_part(lower(trim(email)), '@', 2) in ({domains}))::int) "
        "from contacts where email is not null",
    )
    assert 0.08 <= share <= 0.18


def test_duplicate_people_exist_under_two_ids_with_email_variants(dirty):
    summary, con = dirty
    pairs = con.execute(
        "select count(*), count(*) filter (where n_spellings > 1), "
        "count(*) filter (where n_phones < n) from ("
        "  select count(*) n, count(distinct email) n_spellings, count(phone) n_phones"
        "  from contacts where email is not null group by lower(trim(email)) having count(*) > 1)"
    ).fetchone()
    assert pairs[0] == summary.duplicate_contacts >= 0.02 * summary.rows["contacts"]
    assert pairs[1] == pairs[0]  # every duplicate spells the email differently
    assert pairs[2] > 0  # some fields are filled in only one of the two records
    bad_in_pairs = scalar(
        con,
        "select count(*) from contacts where lower(trim(email)) in ("
        "  select lower(trim(email)) from contacts group by 1 having count(*) > 1)"
        f" and (not regexp_full_match(lower(trim(email)), '{EMAIL_RE}')"
        "   or try_cast(created_at as timestamptz) is null"
        "   or try_cast(updated_at as timestamptz) is null"
        "   or try_cast(created_at as timestamptz) < '2000-01-01'"
        f"  or try_cast(updated_at as timestamptz) > '{END + dt.timedelta(days=1)}')",
    )
    assert bad_in_pairs == 0  # bad rows are never the duplicates


def test_bad_rows_never_hit_a_duplicate_or_its_original(tmp_path):
    summary = generate(tmp_path, contacts=1200, events=1000, end_date=END, bad_row_share=0.3)
    con = load(summary)
    assert summary.duplicate_contacts == 30
    spelled = con.execute(
        "select count(*), count(*) filter (where bad) from ("
        f"  select not regexp_full_match(lower(trim(email)), '{EMAIL_RE}')"
        "    or try_cast(created_at as timestamptz) is null"
        "    or try_cast(updated_at as timestamptz) is null"
        "    or try_cast(created_at as timestamptz) < '2000-01-01'"
        f"   or try_cast(updated_at as timestamptz) > '{END + dt.timedelta(days=1)}' bad"
        "  from contacts where lower(trim(email)) in ("
        "    select lower(trim(email)) from contacts group by 1 having count(*) > 1))"
    ).fetchone()
    assert spelled == (60, 0)


def test_opted_out_share_is_small_but_present(dirty):
    _, con = dirty
    share = scalar(
        con, "select avg((lower(opted_out) in ('true', 'oui', 'yes', '1'))::int) from contacts"
    )
    assert 0.01 <= share <= 0.06


def test_contacts_that_sales_pursues_engage_much_more(dirty):
    _, con = dirty
    per_contact = con.execute(
        "with counts as (select c.contact_id, count(e.event_id) n from contacts c"
        "  left join engagement_events e using (contact_id) group by 1)"
        " select"
        "  avg(n) filter (where contact_id in (select contact_id from opportunities)),"
        "  avg(n) filter (where contact_id not in (select contact_id from sales_activities)),"
        "  avg((n = 0)::int)"
        " from counts"
    ).fetchone()
    with_opportunity, never_worked, share_silent = per_contact
    assert with_opportunity > 3 * never_worked
    assert 0.15 <= share_silent <= 0.6  # prospects who never showed interest


def test_sales_activities_follow_the_contact_first_engagement(dirty):
    _, con = dirty
    share = scalar(
        con,
        "with first_event as (select contact_id, min(try_cast(occurred_at as timestamptz)) t"
        "  from engagement_events group by 1),"
        " first_activity as (select contact_id, min(try_cast(occurred_at as timestamptz)) t"
        "  from sales_activities group by 1)"
        " select avg((e.t < a.t)::int) from first_activity a join first_event e using (contact_id)",
    )
    assert share >= 0.9


def test_events_happen_mostly_on_weekdays_in_working_hours_within_two_years(dirty):
    _, con = dirty
    weekday, working, first, last = con.execute(
        "with t as (select try_cast(occurred_at as timestamptz) t from engagement_events)"
        " select avg((isodow(t) <= 5)::int), avg((hour(t) between 6 and 18)::int), min(t), max(t)"
        " from t where t between '2000-01-01' and '2025-07-01'"
    ).fetchone()
    assert weekday >= 0.85
    assert working >= 0.75
    assert (END - last.date()).days <= 2
    assert 600 <= (END - first.date()).days <= 820


def test_companies_look_like_a_french_weighted_b2b_base(dirty):
    _, con = dirty
    france = scalar(con, "select avg((country in ('FR', 'France'))::int) from companies")
    assert 0.45 <= france <= 0.7
    median, top = con.execute(
        "select median(employee_count::int), max(employee_count::int) from companies"
    ).fetchone()
    assert top > 25 * median  # long tail
    stale = scalar(
        con,
        "select avg((try_cast(updated_at as timestamptz) < date '2024-06-30')::int) from companies",
    )
    assert 0.1 <= stale <= 0.35
    assert scalar(con, "select count(distinct domain) = count(domain) from companies")
    funded = scalar(con, "select avg((last_funding_date is not null)::int) from companies")
    assert 0.03 <= funded <= 0.3


def test_every_canonical_event_type_appears(dirty):
    _, con = dirty
    values = [
        r[0] for r in con.execute("select distinct event_type from engagement_events").fetchall()
    ]
    canonical = {SYNONYMS["event_type"].get(v, v) for v in values}
    assert canonical == set(contract.EVENT_TYPES)


@pytest.mark.parametrize("domain", sorted(SYNONYMS))
def test_every_non_canonical_spelling_written_is_a_synonym(dirty, domain):
    _, con = dirty
    values: set[str] = set()
    for entity, column, column_domain in VOCABULARY_COLUMNS:
        if column_domain == domain:
            rows = con.execute(f"select distinct {column} from {entity}").fetchall()
            values |= {r[0] for r in rows if r[0] is not None}
    canonical = set(CANONICAL[domain])
    spelled = values - canonical
    assert spelled <= set(SYNONYMS[domain]), spelled - set(SYNONYMS[domain])
    assert spelled, f"no export spelling of {domain} written: the test would prove nothing"
    assert values & canonical


def test_synonyms_map_to_canonical_values():
    assert set(SYNONYMS) == {
        "event_type", "activity_type", "outcome", "seniority", "department", "country", "boolean",
    }  # fmt: skip
    for domain, mapping in SYNONYMS.items():
        assert set(mapping.values()) <= set(CANONICAL[domain]), domain
        assert not set(mapping) & set(CANONICAL[domain]), domain
    assert SYNONYMS["country"]["France"] == "FR"
    assert SYNONYMS["boolean"]["oui"] == "true"


def test_opportunities_are_created_after_a_qualifying_activity_and_some_are_won(clean):
    _, con = clean
    qualified = ", ".join(
        f"'{v}'"
        for v in ["qualified", *(k for k, c in SYNONYMS["outcome"].items() if c == "qualified")]
    )
    orphans = scalar(
        con,
        "select count(*) from opportunities o where o.contact_id is not null and not exists ("
        "  select 1 from sales_activities a where a.contact_id = o.contact_id"
        f"  and a.outcome in ({qualified})"
        "  and a.occurred_at::timestamptz < o.created_at::timestamptz)",
    )
    assert orphans == 0
    won, closed = con.execute(
        "select count(*) filter (where lower(is_won) in ('true', 'oui', 'yes', '1')),"
        " count(is_won) from opportunities"
    ).fetchone()
    assert 0.1 <= won / closed <= 0.6
