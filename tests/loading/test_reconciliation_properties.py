"""Property: whatever rows are corrupted, and however, every row is loaded or quarantined once,
at its physical line, and the reconciliation holds."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loading_builders import EVENT_HEADER, Landing, event_row

from orchestration.loading import QUARANTINE_TABLE, connect, load_entity, reconcile

# How a row can be spoiled: the cell changes, and whether the row must then be quarantined.
CORRUPTIONS = {
    "bad_date": (lambda r: [r[0], r[1], "32/13/2025", *r[3:]], "unparseable_value"),
    "missing_id": (lambda r: ["", *r[1:]], "missing_required_value"),
    "missing_contact": (lambda r: [*r[:3], "", "", r[5]], "missing_required_value"),
    "broken_quote": (lambda r: [r[0], '"' + r[1], *r[2:]], "broken_quoting"),
    "extra_field": (lambda r: [*r, "surplus"], "wrong_field_count"),
    "short_row": (lambda r: r[:4], "wrong_field_count"),
}
HARMLESS = {
    "multiline_channel": lambda r: [*r[:5], '"web\nmobile"'],
    "quoted_delimiter": lambda r: [*r[:5], '"web{d} mobile"'],
}


@st.composite
def landing_file(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    fates = draw(
        st.lists(
            st.sampled_from([None, None, None, *CORRUPTIONS, *HARMLESS]), min_size=n, max_size=n
        )
    )
    blank_after = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=3))
    return delimiter, encoding, fates, blank_after


def _build(delimiter, fates, blank_after) -> tuple[str, dict[int, str | None]]:
    """The file text and, per event id, its physical line and expected reason kind."""
    lines, expected, line = [delimiter.join(EVENT_HEADER)], {}, 2
    for i, fate in enumerate(fates):
        row = event_row(i)
        row[4] = "é€"  # a value that only the right encoding keeps
        kind = None
        if fate in CORRUPTIONS:
            spoil, kind = CORRUPTIONS[fate]
            row = spoil(row)
        elif fate in HARMLESS:
            row = [cell.replace("{d}", delimiter) for cell in HARMLESS[fate](row)]
        text = delimiter.join(row)
        lines.append(text)
        expected[line] = kind
        line += text.count("\n") + 1
        if i in blank_after:
            lines.append("")
            line += 1
    return "\n".join(lines) + "\n", expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(landing_file())
def test_every_row_is_loaded_or_quarantined_at_its_line(case) -> None:
    delimiter, encoding, fates, blank_after = case
    text, expected = _build(delimiter, fates, blank_after)
    with tempfile.TemporaryDirectory() as folder:
        landing = Landing(Path(folder))
        landing.write("engagement_events", "events.csv", text, encoding)
        [file] = load_entity(landing.warehouse, landing.dir, "engagement_events").files

        assert file.status == "loaded", file.reason
        assert file.rows_read == len(fates) == file.rows_loaded + file.rows_quarantined
        loaded = landing.query("select _line_number, email from raw.engagement_events")
        quarantined = landing.query(f"select line_number, reason_kind from {QUARANTINE_TABLE}")
        assert sorted(loaded) == [(n, "é€") for n, kind in expected.items() if kind is None]
        assert sorted(quarantined) == sorted((n, k) for n, k in expected.items() if k)
        with connect(landing.warehouse) as connection:
            assert reconcile(connection, "engagement_events") == []
