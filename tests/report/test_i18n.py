"""Months and days as each language writes them (no report build needed)."""

from __future__ import annotations

from datetime import date

from orchestration.report.i18n import Formatter


def test_each_month_of_a_year_has_its_own_short_label_in_each_language() -> None:
    for lang in ("en", "fr"):
        fmt = Formatter(lang)
        labels = [fmt.short_month(date(2026, month, 1)) for month in range(1, 13)]
        assert len(set(labels)) == 12, (lang, labels)


def test_french_months_and_days_are_written_as_french_readers_write_them() -> None:
    fr = Formatter("fr")
    assert [fr.short_month(date(2026, m, 1)) for m in (5, 6, 7, 8)] == [
        "mai 2026",
        "juin 2026",
        "juil. 2026",
        "août 2026",
    ]
    assert fr.month(date(2026, 2, 1)) == "février 2026"
    assert fr.day(date(2026, 12, 1)) == "1er décembre 2026"
    assert fr.day(date(2026, 12, 2)) == "2 décembre 2026"


def test_english_days_and_months() -> None:
    en = Formatter("en")
    assert en.day(date(2026, 12, 1)) == "December 1, 2026"
    assert en.month(date(2026, 6, 1)) == "June 2026"
    assert en.short_month(date(2026, 7, 1)) == "Jul 2026"
