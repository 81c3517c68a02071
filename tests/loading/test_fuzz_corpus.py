"""A corpus of malformed landing files: whatever its bytes, every file ends in the manifest as
loaded or rejected, with rows read = loaded + quarantined and a reason a person can read, and the
good file after them all still loads.

The corpus is built here, seeded, so a failure names a file that can be rebuilt at will.
"""

from __future__ import annotations

import codecs
import gzip
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.loading import MANIFEST_TABLE, QUARANTINE_TABLE, connect, load_entity, reconcile
from orchestration.loading.reasons import REASON_MAX_CHARS

ENTITY = "engagement_events"
HEADER = ",".join(EVENT_HEADER)
MB = 1 << 20


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    status: str | None = None  # None: loaded or rejected, whichever (random damage)
    reason: str = ""  # a part of the rejected file's reason
    rows_loaded: int | None = None


def _valid(n: int = 30, first: int = 0) -> bytes:
    return csv_text(EVENT_HEADER, [event_row(i) for i in range(first, first + n)]).encode()


def _rows(*lines: str, header: str = HEADER, end: str = "\n") -> bytes:
    return "".join(line + end for line in [header, *lines]).encode()


def _good(i: int) -> str:
    return ",".join(event_row(i))


def _parquet(tmp: Path, rows: int = 200) -> bytes:
    path = tmp / "valid.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select 'e' || i as event_id, 'page_viewed' as event_type,"
            f" '2025-01-01' as occurred_at, 'c' || i as contact_id from range({rows}) t(i))"
            f" to '{path}' (format parquet)"
        )
    return path.read_bytes()


def _flipped(seed: int, flips: int) -> bytes:
    """The valid file with `flips` bytes set to random values at random positions."""
    rng = random.Random(seed)
    data = bytearray(_valid(40, first=1000 * seed))
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _bit_flipped(seed: int, share: float) -> bytes:
    """The valid file with one bit flipped in about `share` of its bytes."""
    rng = random.Random(seed)
    data = bytearray(_valid(40, first=1000 * seed))
    for position in range(len(data)):
        if rng.random() < share:
            data[position] ^= 1 << rng.randrange(8)
    return bytes(data)


def corpus(tmp: Path) -> list[Case]:
    rng = random.Random(20251201)
    parquet = _parquet(tmp)
    valid = _valid()
    cases = [
        # The cases seen in production.
        Case("poison_64mb_one_line.csv", b"x" * (64 * MB), "rejected", "first line is over"),
        Case(
            "large_field_30mb.csv",
            _rows(f'e1,page_viewed,2025-01-01,c1,,"{"y" * (30 * MB)}"', _good(2)),
            "loaded",
            rows_loaded=2,
        ),
        Case("header_foo_bar_baz.csv", b"foo,bar,baz\n1,2,3\n", "rejected", "no column matches"),
        # Noise.
        Case("random_bytes.csv", rng.randbytes(64 * 1024), "rejected"),
        Case("random_bytes.jsonl", rng.randbytes(16 * 1024), "rejected"),
        Case("random_bytes.parquet", rng.randbytes(16 * 1024), "rejected", "not a Parquet file"),
        Case("random_printable.csv", bytes(rng.choice(b"a,;\"'\n\r\t") for _ in range(50_000))),
        *(
            Case(f"flipped_{flips}_bytes_seed{seed}.csv", _flipped(seed, flips))
            for seed, flips in [(1, 1), (2, 3), (3, 10), (4, 30), (5, 100), (6, 400)]
        ),
        *(Case(f"bit_flips_seed{seed}.csv", _bit_flipped(seed, 0.02)) for seed in (7, 8, 9)),
        # Compressed and truncated.
        Case("gzip_of_garbage.csv", gzip.compress(rng.randbytes(4096)), "rejected", "gzip"),
        Case("gzip_of_valid.csv", gzip.compress(_valid(10, first=50)), "rejected", "gunzip"),
        Case("zip_named.csv", b"PK\x03\x04" + rng.randbytes(500), "rejected", "ZIP"),
        Case("truncated_half.parquet", parquet[: len(parquet) // 2], "rejected", "Parquet"),
        Case("truncated_head.parquet", parquet[:64], "rejected", "Parquet"),
        Case("truncated_tail.parquet", parquet[:-9], "rejected", "Parquet"),
        Case("empty.parquet", b"", "rejected", "empty file"),
        Case("truncated_mid_row.csv", _valid(20, first=100)[:-25], "loaded", rows_loaded=19),
        # Long lines and wide headers.
        Case(
            "line_10mb_valid.csv",
            _rows(_good(200), f"e201,page_viewed,2025-01-01,c1,,{'z' * (10 * MB)}", _good(202)),
            "loaded",
            rows_loaded=3,
        ),
        Case(
            "line_10mb_no_delimiter.csv",
            _rows(_good(300), "w" * (10 * MB), _good(302)),
            "loaded",
            rows_loaded=2,
        ),
        Case(
            "header_1m_columns.csv",
            (",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2\n").encode(),
            "rejected",
            "first line is over",
        ),
        Case(
            "header_100k_columns.csv",
            (HEADER + "," + ",".join("x" for _ in range(100_000)) + "\n").encode(),
            "rejected",
            "too many columns",
        ),
        Case(
            "row_100k_fields.csv",
            _rows(_good(400), ",".join(["v"] * 100_000)),
            "loaded",
            rows_loaded=1,
        ),
        # Bytes and encodings.
        Case(
            "nul_in_values.csv",
            _rows(_good(500), "e501,page\x00viewed,2025-01-01,c501,,web", _good(502)),
            "loaded",
        ),
        Case("nul_heavy.csv", b"\x00" * 4000 + valid, "rejected", "not a text file"),
        Case(
            "utf16_le_bom.csv",
            codecs.BOM_UTF16_LE + _valid(5, 600).decode().encode("utf-16-le"),
            "loaded",
            rows_loaded=5,
        ),
        Case(
            "utf16_be_bom.csv",
            codecs.BOM_UTF16_BE + _valid(5, 610).decode().encode("utf-16-be"),
            "loaded",
            rows_loaded=5,
        ),
        Case(
            "utf16_le_no_bom.csv",
            _valid(5, 620).decode().encode("utf-16-le"),
            "loaded",
            rows_loaded=5,
        ),
        Case(
            "cp1252.csv",
            _rows("e630,page_viewed,2025-01-01,c630,,Zoé €").decode().encode("cp1252"),
            "loaded",
            rows_loaded=1,
        ),
        Case("utf8_bom.csv", codecs.BOM_UTF8 + _valid(5, 640), "loaded", rows_loaded=5),
        Case(
            "utf8_bom_then_invalid.csv",
            codecs.BOM_UTF8 + _rows(_good(645)) + b"e646,\xff,x\n",
            "rejected",
            "byte order mark",
        ),
        Case("invalid_utf8_and_cp1252.csv", _rows(_good(650)) + b"e651,\x81\x8d\x8f,x\n", "loaded"),
        # Empty and nearly so.
        Case("empty.csv", b"", "rejected", "empty file"),
        Case("blank_lines.csv", b"\n\n\r\n  \n", "rejected", "empty file"),
        Case("header_only.csv", _rows(header=HEADER + ",note"), "loaded", rows_loaded=0),
        # Line ends.
        Case("crlf.csv", _rows(_good(700), _good(701), end="\r\n"), "loaded", rows_loaded=2),
        Case("cr_only.csv", _rows(_good(710), _good(711), end="\r"), "loaded", rows_loaded=2),
        Case(
            "mixed_line_ends.csv",
            _rows(_good(720)) + f"{_good(721)}\r\n{_good(722)}\r".encode(),
            "loaded",
            rows_loaded=3,
        ),
        # Quoting.
        Case(
            "unclosed_quote_to_the_end.csv",
            _rows(_good(800), 'e801,"page_viewed,2025-01-01', *(_good(i) for i in range(802, 900))),
            "loaded",
            rows_loaded=99,
        ),
        Case(
            "every_line_unclosed.csv",
            _rows(*(f'e{i},"x,2025-01-01,c{i},,web' for i in range(900, 1500))),
            "loaded",
            rows_loaded=0,
        ),
        # JSON Lines.
        Case(
            "broken_line_among_good.jsonl",
            b'{"event_id":"j1","event_type":"page_viewed","occurred_at":"2025-01-01",'
            b'"contact_id":"c1"}\n{"event_id": "j2", "event_type\n[1,2]\n\x00\x01\n'
            b'{"event_id":"j3","event_type":"page_viewed","occurred_at":"2025-01-02",'
            b'"contact_id":"c3"}\n{"event_id":"j4","occ',
            "loaded",
            rows_loaded=2,
        ),
        Case(
            "many_keys.jsonl",
            ("{" + ",".join(f'"k{i}":{i}' for i in range(5000)) + "}\n").encode(),
            "rejected",
            "too many keys",
        ),
        Case(
            "odd_keys_cr_line_ends.jsonl",
            b'{"event_id":"j5","event_type":"x","occurred_at":"2025-01-01","contact_id":"c5",'
            b'"we\\"ird":1,"":2,"a.b":3,"x/y~":4}\r{"event_id":"j6"}\r',
            "loaded",
            rows_loaded=1,
        ),
        Case("not_objects.jsonl", b'[1]\n2\n"x"\n', "rejected", "no line is a JSON object"),
    ]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names)
    return cases


GOOD_LAST = "zz_good_after_everything.csv"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Landing, list[Case], dict]:
    root = tmp_path_factory.mktemp("fuzz")
    landing = Landing(root)
    cases = corpus(root)
    for case in cases:
        landing.write(ENTITY, case.name, case.content)
    landing.write(ENTITY, GOOD_LAST, _valid(3, first=9000))
    result = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)
    return landing, cases, {f.path.name: f for f in result.files}


def test_the_corpus_is_large_enough(loaded) -> None:
    _, cases, _ = loaded
    assert len(cases) >= 30


def test_every_file_ends_in_the_manifest_loaded_or_rejected(loaded) -> None:
    landing, cases, files = loaded
    manifest = {
        name: (status, read, ok, bad)
        for name, status, read, ok, bad in landing.query(
            f"select file_name, status, rows_read, rows_loaded, rows_quarantined"
            f" from {MANIFEST_TABLE}"
        )
    }
    assert set(manifest) == {c.name for c in cases} | {GOOD_LAST}
    for case in cases:
        status, read, ok, bad = manifest[case.name]
        assert status in ("loaded", "rejected"), case.name
        assert read == ok + bad, case.name
        if case.status is not None:
            assert status == case.status, (case.name, files[case.name].reason)
        if case.rows_loaded is not None:
            assert ok == case.rows_loaded, case.name
        assert case.reason in (files[case.name].reason or ""), case.name


def test_every_reason_is_one_short_line_without_internal_paths(loaded) -> None:
    landing, _, _ = loaded
    reasons = landing.query(f"select file_name, reason from {MANIFEST_TABLE}")
    reasons += landing.query(f"select file_path, reason from {QUARANTINE_TABLE}")
    root = str(landing.dir.parent)
    for name, reason in reasons:
        if reason is None:
            continue
        assert len(reason) < REASON_MAX_CHARS, (name, reason)
        assert "\n" not in reason and "\r" not in reason, (name, reason)
        for internal in (root, "/tmp", ".loading-", "max_line_size", "Original Line"):
            assert internal not in reason, (name, reason)


def test_rows_reconcile_with_the_raw_table_and_the_quarantine(loaded) -> None:
    landing, _, _ = loaded
    with connect(landing.warehouse) as connection:
        assert reconcile(connection, ENTITY) == []


def test_the_good_file_after_them_loads(loaded) -> None:
    landing, _, files = loaded
    assert files[GOOD_LAST].status == "loaded"
    assert (
        landing.scalar(
            "select count(*) from raw.engagement_events where _file_path like ?", [f"%{GOOD_LAST}"]
        )
        == 3
    )


def test_quarantined_rows_keep_their_line_numbers(loaded) -> None:
    landing, _, _ = loaded
    rows = landing.query(
        f"select line_number, reason_kind from {QUARANTINE_TABLE}"
        " where file_path like '%unclosed_quote_to_the_end.csv'"
    )
    assert rows == [(3, "broken_quoting")]
    rows = landing.query(
        f"select line_number, reason_kind from {QUARANTINE_TABLE}"
        " where file_path like '%line_10mb_no_delimiter.csv'"
    )
    assert rows == [(3, "wrong_field_count")]


def test_a_rerun_changes_nothing(loaded) -> None:
    landing, _, _ = loaded
    assert load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0).files == []
