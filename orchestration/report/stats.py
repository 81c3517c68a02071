"""How sure the report is of a number: the minimum group size, intervals and tests.

The report shows a rate only with its denominator, draws its 95 % interval, and comments on a
change only when chance alone would rarely move the number that much. The rules, stated once:

- **Minimum group.** A rate over fewer than `MIN_CONTACTS_FOR_A_READING` contacts is shown
  greyed, as "too few to read": around 50 %, the 95 % interval of a rate over 30 contacts
  spans about ±17 points. A change whose base (last month's count, or either rate's
  denominator) is under the minimum is "too small to read" and is never given as a percentage.
- **Interval.** Wilson's score interval at 95 % (`wilson_interval`): unlike "p ± 1.96·SE" it
  stays within 0-100 % and is right for small groups and rates near 0 or 1.
- **Is a count's change chance?** An exact test of two Poisson counts: given the two months'
  total, this month's count is binomial with the share of days this month has
  (`count_change_p_value`). 4 customers then 5 is well within chance.
- **Is a rate's change chance?** The two-proportion z test, pooled (`two_proportion_p_value`).
- A change is significant when its p-value is under `SIGNIFICANCE_LEVEL` (5 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_CONTACTS_FOR_A_READING = 30
SIGNIFICANCE_LEVEL = 0.05
Z_95 = 1.959963984540054  # the standard normal quantile of 97.5 %


@dataclass(frozen=True)
class Rate:
    """A share of contacts: how many converted, over how many could."""

    converted: int
    contacts: int

    @property
    def value(self) -> float | None:
        return self.converted / self.contacts if self.contacts else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.converted, self.contacts)

    @property
    def readable(self) -> bool:
        """Enough contacts for the rate to be read (otherwise shown as too few)."""
        return self.contacts >= MIN_CONTACTS_FOR_A_READING


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (None without trials)."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials is not a proportion")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # exact at the edges: 0 successes cannot have a lower bound above 0 (nor n an upper below 1)
    return (0.0 if successes == 0 else low, 1.0 if successes == trials else high)


def _normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def two_proportion_p_value(
    converted: int, contacts: int, previous_converted: int, previous_contacts: int
) -> float | None:
    """Two-sided p-value of the pooled two-proportion z test (None when a group is empty)."""
    if contacts <= 0 or previous_contacts <= 0:
        return None
    pooled = (converted + previous_converted) / (contacts + previous_contacts)
    variance = pooled * (1 - pooled) * (1 / contacts + 1 / previous_contacts)
    difference = converted / contacts - previous_converted / previous_contacts
    if variance == 0:  # both 0 % or both 100 %: no difference at all
        return 1.0
    return _normal_two_sided(difference / math.sqrt(variance))


def _binomial_log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def count_change_p_value(
    count: int, previous: int, exposure: float = 1.0, previous_exposure: float = 1.0
) -> float | None:
    """Two-sided p-value of the exact test that two Poisson counts have the same rate per unit
    of exposure (days of each month): conditional on their total, `count` is binomial with
    probability exposure / (exposure + previous_exposure). None when both counts are 0."""
    total = count + previous
    if total == 0:
        return None
    share = exposure / (exposure + previous_exposure)
    observed = _binomial_log_pmf(count, total, share)
    # the outcomes at most as likely as the one observed (a relative tolerance for rounding)
    p_value = sum(
        math.exp(log_pmf)
        for k in range(total + 1)
        if (log_pmf := _binomial_log_pmf(k, total, share)) <= observed + 1e-7
    )
    return min(1.0, p_value)
