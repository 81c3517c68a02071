"""The report's statistics against values published or worked by hand (no report build needed)."""

from __future__ import annotations

import pytest

from orchestration.report.stats import (
    MIN_CONTACTS_FOR_A_READING,
    Rate,
    count_change_p_value,
    two_proportion_p_value,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17, table II, method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
        # symmetric around one half
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_the_wilson_interval_is_the_published_one(successes, trials, low, high) -> None:
    interval = wilson_interval(successes, trials)
    assert interval == pytest.approx((low, high), abs=5e-5)


def test_the_wilson_interval_needs_contacts_and_stays_within_0_and_1() -> None:
    assert wilson_interval(0, 0) is None
    for successes in range(0, 8):
        low, high = wilson_interval(successes, 7)
        assert 0 <= low <= successes / 7 <= high <= 1
    with pytest.raises(ValueError, match="not a proportion"):
        wilson_interval(8, 7)


def test_a_rate_carries_its_counts_and_says_whether_it_can_be_read() -> None:
    rate = Rate(21, 50)
    assert rate.value == pytest.approx(0.42)
    assert rate.interval == wilson_interval(21, 50)
    assert rate.readable
    assert not Rate(3, MIN_CONTACTS_FOR_A_READING - 1).readable
    assert Rate(0, 0).value is None and Rate(0, 0).interval is None


def test_the_two_proportion_test_worked_by_hand() -> None:
    # 30 % of 100 against 50 % of 100: pooled 40 %, SE = sqrt(.4 * .6 * (1/100 + 1/100))
    # = 0.069282, z = 2.88675, two-sided p = 0.0038924
    assert two_proportion_p_value(30, 100, 50, 100) == pytest.approx(0.0038924, abs=1e-6)
    assert two_proportion_p_value(50, 100, 30, 100) == two_proportion_p_value(30, 100, 50, 100)
    assert two_proportion_p_value(0, 40, 0, 60) == 1.0  # both 0 %: nothing differs
    assert two_proportion_p_value(3, 0, 5, 10) is None


def test_the_count_test_worked_by_hand() -> None:
    # 4 then 5 over equal months: 4 is the likeliest split of 9, every outcome counts: p = 1
    assert count_change_p_value(4, 5) == pytest.approx(1.0)
    # 1 then 6: among 7, the splits 0, 1, 6 and 7 are as unlikely or less: (1 + 7 + 7 + 1) / 128
    assert count_change_p_value(1, 6) == pytest.approx(16 / 128)
    assert count_change_p_value(6, 1) == pytest.approx(16 / 128)
    assert count_change_p_value(0, 0) is None
    # a count per day: 31 in a 31-day month is the same pace as 30 in a 30-day month
    assert count_change_p_value(31, 30, 31, 30) == pytest.approx(1.0)


def test_the_count_test_is_the_exact_binomial_test() -> None:
    stats = pytest.importorskip("scipy.stats")
    for count, previous, days, previous_days in [
        (130, 172, 30, 31),
        (12, 3, 31, 30),
        (900, 1000, 28, 31),
    ]:
        expected = stats.binomtest(count, count + previous, days / (days + previous_days)).pvalue
        assert count_change_p_value(count, previous, days, previous_days) == pytest.approx(
            expected, rel=1e-6
        )
