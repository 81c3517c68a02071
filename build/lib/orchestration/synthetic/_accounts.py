"""Companies and contacts: the written tables plus the hidden traits that drive engagement.

Hidden traits (ICP affinity of a company, fit and buying intent of a contact) are never written;
the funnel module uses them so that engagement, sales activity and wins depend on fit and intent
the way the scoring models assume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import contract
from orchestration.synthetic import _bad_rows as bad
from orchestration.synthetic import _reference as ref
from orchestration.synthetic import _text as tx

NAME_GROUPS = ("fr", "de", "en", "es", "it")
DUPLICATE_SHARE = 0.025
FREE_MAIL_PATTERN = "free"


@dataclass(frozen=True)
class Timeline:
    """The two years the data spans, in UTC epoch seconds."""

    end_date: dt.date
    end_day: int
    end_ts: int
    start_ts: int

    @classmethod
    def ending(cls, end_date: dt.date) -> Timeline:
        end_day = (end_date - dt.date(1970, 1, 1)).days
        end_ts = end_day * tx.DAY + 20 * 3600  # nothing after 20:00 UTC on the end date
        return cls(end_date, end_day, end_ts, end_ts - 730 * tx.DAY)


@dataclass(frozen=True)
class Companies:
    table: pa.Table
    bad: bad.BadRows
    country: np.ndarray
    employees: np.ndarray
    fit: np.ndarray
    domain: pa.Array  # always filled, even where the written column is blank
    usable: np.ndarray  # not a bad row: contacts attach only to these


@dataclass(frozen=True)
class Contacts:
    table: pa.Table
    bad: bad.BadRows
    ids: pa.Array
    company: np.ndarray
    fit: np.ndarray
    intent: np.ndarray
    created: np.ndarray
    email: pa.Array  # lower-case, trimmed; null when missing or invalid
    usable: np.ndarray  # not a bad row: only these get events, activities, opportunities
    is_duplicate: np.ndarray
    n_duplicates: int


def _weights(values: tuple[float, ...] | list[float] | np.ndarray) -> np.ndarray:
    weights = np.asarray(values, dtype=np.float64)
    return weights / weights.sum()


def _flat(groups: list[tuple[str, ...]]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Concatenated lists with the offset and size of each, to pick uniformly within a group."""
    flat = [value for group in groups for value in group]
    sizes = np.array([len(group) for group in groups])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return tx.strings(flat), offsets, sizes


def _pick_in_group(
    rng: np.random.Generator, group: np.ndarray, offsets: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    return offsets[group] + np.floor(rng.random(group.size) * sizes[group]).astype(np.int64)


def occurrence_rank(values: pa.Array) -> np.ndarray:
    """0 for the first occurrence of each value, 1 for the second, ... (in row order)."""
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(ordered)) + 1])
    group_start = np.repeat(starts, np.diff(np.concatenate([starts, [codes.size]])))
    rank = np.empty(codes.size, dtype=np.int64)
    rank[order] = np.arange(codes.size) - group_start
    return rank


def make_companies(
    rng: np.random.Generator, n: int, seed: int, timeline: Timeline, bad_share: float
) -> Companies:
    industries = ref.INDUSTRIES
    industry = rng.choice(len(industries), n, p=_weights([w for _, w, _, _ in industries]))
    country = rng.choice(len(ref.COUNTRIES), n, p=_weights([c[1] for c in ref.COUNTRIES]))
    codes = [c[0] for c in ref.COUNTRIES]

    place = np.zeros(n, dtype=np.int64)
    place_country = np.array([p[0] for p in ref.PLACES])
    place_weight = np.array([p[3] for p in ref.PLACES])
    for index, code in enumerate(codes):
        rows = np.flatnonzero(country == index)
        options = np.flatnonzero(place_country == code)
        place[rows] = rng.choice(options, rows.size, p=_weights(place_weight[options]))

    # Sizes are long-tailed; revenue follows size with a sector-specific productivity.
    employees = np.clip(np.round(np.exp(rng.normal(2.8, 1.6, n))), 1, 250_000).astype(np.int64)
    per_employee = np.array([r for *_, r in industries])[industry] * 1000.0
    revenue = np.round(employees * per_employee * np.exp(rng.normal(0, 0.45, n)) / 1000) * 1000
    age = np.clip(np.round(np.exp(rng.normal(2.4 + 0.18 * np.log(employees), 0.75, n))), 0, 160)
    founded = timeline.end_date.year - age.astype(np.int64)

    affinity = np.array([a for _, _, a, _ in industries])[industry]
    funded = rng.random(n) < 0.06 + 0.12 * (affinity >= 0.7) + 0.04 * (employees >= 50)
    funding_age = np.exp(rng.uniform(np.log(15), np.log(2600), n)).astype(np.int64)
    funding_day = timeline.end_day - funding_age
    funding_amount = (
        np.round(np.exp(rng.normal(np.log(1.5e6) + 0.35 * np.log(employees / 20), 0.9)) / 1e4) * 1e4
    )
    recent_funding = funded & (funding_age <= 365)
    growth = np.round(rng.normal(2.0, 9.0, n) + 8.0 * recent_funding, 1)
    hiring = rng.random(n) < np.clip(0.25 + 0.02 * growth + 0.2 * recent_funding, 0.05, 0.9)
    open_jobs = np.where(hiring, np.ceil(np.exp(rng.normal(0, 0.9, n)) * np.sqrt(employees) / 3), 0)
    open_jobs = np.minimum(open_jobs, employees).astype(np.int64)

    stale = rng.random(n) < 0.2
    updated_age = np.where(stale, rng.integers(366, 1100, n), rng.integers(0, 366, n))
    updated = np.minimum(
        tx.business_time(rng, timeline.end_day - updated_age, 0.95), timeline.end_ts
    )

    size_fit = np.select([employees < 10, employees < 50, employees <= 5000], [0.2, 0.6, 1.0], 0.7)
    signals = 0.4 * (open_jobs > 0) + 0.4 * recent_funding + 0.2 * (growth > 10)
    country_fit = np.array([c[2] for c in ref.COUNTRIES])[country]
    fit = 0.45 * affinity + 0.2 * size_fit + 0.2 * country_fit + 0.15 * signals

    # Names: invented root, sometimes a sector word, and a legal form of the country.
    root = tx.concat(
        tx.pick(tx.strings(ref.NAME_PREFIXES), rng.integers(0, len(ref.NAME_PREFIXES), n)),
        tx.pick(tx.strings(ref.NAME_SUFFIXES), rng.integers(0, len(ref.NAME_SUFFIXES), n)),
    )
    with_sector = rng.random(n) < 0.35
    sector = tx.pick(tx.strings(ref.SECTOR_WORDS), industry)
    legal, legal_offsets, legal_sizes = _flat(
        [ref.LEGAL_FORMS.get(code, ref.DEFAULT_LEGAL_FORMS) for code in codes]
    )
    legal_form = tx.pick(legal, _pick_in_group(rng, country, legal_offsets, legal_sizes))
    empty = pa.scalar("", tx.STRING)
    name = tx.concat(
        root, pc.if_else(pa.array(with_sector), tx.concat(" ", sector), empty), " ", legal_form
    )
    sector_slug = tx.pick(tx.strings([tx.slug(w) for w in ref.SECTOR_WORDS]), industry)
    base = tx.concat(
        pc.utf8_lower(root),
        pc.if_else(
            pa.array(with_sector & (rng.random(n) < 0.5)), tx.concat("-", sector_slug), empty
        ),
    )
    tlds, tld_offsets, tld_sizes = _flat([c[5] for c in ref.COUNTRIES])
    tld = tx.pick(tlds, _pick_in_group(rng, country, tld_offsets, tld_sizes))
    rank = occurrence_rank(tx.concat(base, ".", tld))
    number = pc.if_else(pa.array(rank > 0), tx.integers(rank + 1), empty)
    domain = tx.concat(base, number, ".", tld)

    plan = bad.plan(rng, "companies", n, bad_share)
    blank = lambda share: rng.random(n) < share  # noqa: E731
    updated_text = tx.timestamps(updated, rng.choice(3, n, p=[0.6, 0.3, 0.1]))
    funding_text = tx.dates(funding_day, blank=~funded)
    impossible = plan.rows_of(bad.IMPOSSIBLE_DATE)
    on_funding = funded[impossible] & (rng.random(impossible.size) < 0.5)
    funding_text = tx.replace_rows(
        funding_text,
        impossible[on_funding],
        tx.impossible_dates(rng, int(on_funding.sum()), timeline.end_date, with_time=False),
    )
    updated_text = tx.replace_rows(
        updated_text,
        impossible[~on_funding],
        tx.impossible_dates(rng, int((~on_funding).sum()), timeline.end_date, with_time=True),
    )
    out_of_range = plan.rows_of(bad.OUT_OF_RANGE_DATE)
    updated_text = tx.replace_rows(
        updated_text,
        out_of_range,
        tx.out_of_range_dates(rng, out_of_range.size, timeline.end_date, with_time=True),
    )

    columns = {
        "company_id": tx.identifiers("ACC", seed, np.arange(1, n + 1), tx.id_width(n)),
        "name": name,
        "domain": tx.blank_where(domain, blank(0.04)),
        "industry": tx.pick(tx.strings([i[0] for i in industries]), industry, blank(0.06)),
        "employee_count": tx.integers(employees, blank=blank(0.05)),
        "annual_revenue_eur": tx.decimals(revenue, blank=blank(0.15)),
        "country": tx.vocabulary(rng, "country", country, 0.05, blank(0.02)),
        "region": tx.pick(tx.strings([p[1] for p in ref.PLACES]), place, blank(0.10)),
        "city": tx.pick(tx.strings([p[2] for p in ref.PLACES]), place, blank(0.04)),
        "founded_year": tx.integers(founded, blank=blank(0.08)),
        "open_jobs": tx.integers(open_jobs, blank=blank(0.10)),
        "last_funding_date": funding_text,
        "last_funding_amount_eur": tx.decimals(funding_amount, blank=~funded | blank(0.2)),
        "headcount_growth_pct": tx.decimals(growth, blank=blank(0.20)),
        "updated_at": updated_text,
    }
    table = pa.table([columns[c] for c in contract.COMPANIES.column_names],
                     names=list(contract.COMPANIES.column_names))  # fmt: skip
    usable = ~plan.mask(n)
    if not usable.any():
        usable[:] = True
    return Companies(table, plan, country, employees, fit, domain, usable)


def _phones(rng: np.random.Generator, country_codes: list[str], country: np.ndarray) -> pa.Array:
    n = country.size
    pairs = [tx.integers(rng.integers(0, 100, n), 2) for _ in range(4)]
    lead = tx.integers(np.where(rng.random(n) < 0.6, rng.integers(6, 8, n), rng.integers(1, 6, n)))
    tail = [part for pair in pairs for part in (" ", pair)]
    french_international = tx.concat("+33 ", lead, *tail)
    french_national = tx.concat("0", lead, *tail)
    calling = tx.pick(tx.strings([c[4] for c in ref.COUNTRIES]), country)
    other = tx.concat(
        "+", calling, " ", tx.integers(rng.integers(100, 1000, n)), " ",
        tx.integers(rng.integers(100, 1000, n)), " ", tx.integers(rng.integers(0, 10_000, n), 4),
    )  # fmt: skip
    is_fr = country == country_codes.index("FR")
    style = np.where(is_fr, (rng.random(n) < 0.3).astype(np.int64), 2)
    return pc.choose(pa.array(style, pa.int8()), french_international, french_national, other)


def make_contacts(
    rng: np.random.Generator,
    n: int,
    seed: int,
    timeline: Timeline,
    bad_share: float,
    companies: Companies,
) -> Contacts:
    n_dup = int(n * DUPLICATE_SHARE) if n >= 40 else 0
    p = n - n_dup  # distinct people; the duplicates are more records of some of them
    codes = [c[0] for c in ref.COUNTRIES]

    weights = companies.employees.astype(np.float64) ** 0.6 * companies.usable
    company = rng.choice(companies.employees.size, p, p=weights / weights.sum())
    country = companies.country[company]
    group_of_country = np.array([NAME_GROUPS.index(c[3]) for c in ref.COUNTRIES])
    group = np.where(
        rng.random(p) < 0.12, rng.integers(0, len(NAME_GROUPS), p), group_of_country[country]
    )
    firsts, first_offsets, first_sizes = _flat([ref.FIRST_NAMES[g] for g in NAME_GROUPS])
    lasts, last_offsets, last_sizes = _flat([ref.LAST_NAMES[g] for g in NAME_GROUPS])
    first = _pick_in_group(rng, group, first_offsets, first_sizes)
    last = _pick_in_group(rng, group, last_offsets, last_sizes)
    first_slugs = tx.strings([tx.slug(v) for v in firsts.to_pylist()])
    last_slugs = tx.strings([tx.slug(v) for v in lasts.to_pylist()])
    first_slug, last_slug = tx.pick(first_slugs, first), tx.pick(last_slugs, last)

    titles = ref.JOB_TITLES
    title = rng.choice(len(titles), p, p=_weights([t[3] for t in titles]))
    seniority = np.array([contract.SENIORITIES.index(t[1]) for t in titles])[title]
    department = np.array([contract.DEPARTMENTS.index(t[2]) for t in titles])[title]
    seniority_fit = np.array([ref.SENIORITY_FIT[s] for s in contract.SENIORITIES])[seniority]
    department_fit = np.array([ref.DEPARTMENT_FIT[d] for d in contract.DEPARTMENTS])[department]
    fit = np.clip(0.6 * companies.fit[company] + 0.2 * seniority_fit + 0.2 * department_fit, 0, 1)

    sources = [s for s, _ in ref.LEAD_SOURCES]
    source = rng.choice(len(sources), p, p=_weights([w for _, w in ref.LEAD_SOURCES]))
    inbound = np.isin(source, [sources.index(s) for s in ("website", "webinar", "referral")])
    intent = rng.beta(0.6, 3.5, p) + 0.15 * fit * rng.random(p) + 0.08 * inbound
    intent = np.clip(intent, 0, 1)

    # Emails: a pattern on the company domain, or on a free-mail domain for a share (more in
    # small companies); unique, as a mail server would make them.
    has_email = rng.random(p) > 0.03
    employees = companies.employees[company]
    free = rng.random(p) < np.where(employees < 20, 0.25, np.where(employees < 250, 0.12, 0.05))
    initial = pc.utf8_slice_codeunits(first_slug, 0, 1)
    pattern = rng.choice(6, p, p=[0.55, 0.15, 0.10, 0.05, 0.05, 0.10])
    local = pc.choose(
        pa.array(pattern, pa.int8()),
        tx.concat(first_slug, ".", last_slug),
        tx.concat(initial, ".", last_slug),
        tx.concat(first_slug, last_slug),
        first_slug,
        tx.concat(first_slug, "_", last_slug),
        tx.concat(last_slug, ".", first_slug),
    )
    numbered = free & (rng.random(p) < 0.5)
    local = pc.if_else(
        pa.array(numbered), tx.concat(local, tx.integers(rng.integers(1, 99, p))), local
    )
    mail_domain = pc.if_else(
        pa.array(free),
        tx.pick(tx.strings(ref.FREE_MAIL_DOMAINS), rng.integers(0, len(ref.FREE_MAIL_DOMAINS), p)),
        companies.domain.take(pa.array(company)),
    )
    email = tx.concat(local, "@", mail_domain)
    for _ in range(10):
        rank = occurrence_rank(email)
        if not rank.any():
            break
        local = pc.if_else(pa.array(rank > 0), tx.concat(local, tx.integers(rank + 1)), local)
        email = tx.concat(local, "@", mail_domain)
    email = tx.blank_where(email, ~has_email)

    created = timeline.start_ts + (timeline.end_ts - timeline.start_ts) * rng.random(p) ** 0.7
    created = np.minimum(
        tx.business_time(rng, created.astype(np.int64) // tx.DAY, 0.9), timeline.end_ts
    )
    updated = created + (timeline.end_ts - created) * rng.random(p) * (rng.random(p) > 0.2)
    updated = updated.astype(np.int64)

    # Duplicates: a second record of a person with an email, appended after the originals.
    originals = (
        np.sort(rng.choice(np.flatnonzero(has_email), n_dup, replace=False))
        if n_dup
        else np.zeros(0, np.int64)
    )
    person = np.concatenate([np.arange(p), originals])
    is_duplicate = np.arange(n) >= p
    dup_created = created[originals] + (
        (timeline.end_ts - created[originals]) * rng.random(n_dup) * 0.8
    ).astype(np.int64)
    dup_updated = dup_created + ((timeline.end_ts - dup_created) * rng.random(n_dup)).astype(
        np.int64
    )
    created_rows = np.concatenate([created, dup_created])
    updated_rows = np.concatenate([updated, dup_updated])
    dup_sources = [sources.index(s) for s in ("purchased_list", "event", "webinar", "linkedin")]
    source_rows = np.concatenate([source, rng.choice(dup_sources, n_dup)])

    dup_email = email.take(pa.array(originals))
    titled = pc.utf8_title(dup_email)
    variant = pc.choose(
        pa.array(rng.integers(0, 4, n_dup), pa.int8()),
        titled,
        pc.utf8_upper(dup_email),
        tx.concat("  ", dup_email, " "),
        tx.concat(" ", titled, "  "),
    )
    email_rows = pa.concat_arrays([email, variant])
    clean_email = pa.concat_arrays([email, dup_email])

    # Blanks: independent per record, plus one field filled in exactly one record of each pair.
    def blank(share: float) -> np.ndarray:
        return rng.random(n) < share

    blanks = {
        "phone": blank(0.25), "job_title": blank(0.05), "linkedin_url": blank(0.35),
        "company_domain": blank(0.25), "seniority": blank(0.12), "department": blank(0.12),
        "country": blank(0.10), "first_name": blank(0.01), "lead_source": blank(0.05),
    }  # fmt: skip
    paired = ("phone", "job_title", "linkedin_url", "company_domain")
    which_field = rng.integers(0, len(paired), n_dup)
    dup_is_blank = rng.random(n_dup) < 0.6
    for index, field in enumerate(paired):
        chosen = which_field == index
        blanks[field][p + np.flatnonzero(chosen)] = dup_is_blank[chosen]
        blanks[field][originals[chosen]] = ~dup_is_blank[chosen]

    eligible = ~is_duplicate
    eligible[originals] = False
    plan = bad.plan(rng, "contacts", n, bad_share, eligible)
    bad_mask = plan.mask(n)
    no_email_rows = np.concatenate([~has_email, np.zeros(n_dup, bool)])
    company_blank = (
        ~no_email_rows & (rng.random(n) < np.where(is_duplicate, 0.2, 0.02))
    ) & ~bad_mask

    company_rows = company[person]
    country_rows = country[person]
    opted_out = rng.random(n) < 0.03
    first_rows, last_rows = first[person], last[person]
    first_slug_rows, last_slug_rows = (
        first_slug.take(pa.array(person)),
        last_slug.take(pa.array(person)),
    )

    invalid = plan.rows_of(bad.INVALID_EMAIL)
    person_domains = companies.domain.take(pa.array(company_rows[invalid])).to_pylist()
    invalid_firsts = first_slug_rows.take(pa.array(invalid)).to_pylist()
    invalid_lasts = last_slug_rows.take(pa.array(invalid)).to_pylist()
    invalid_locals = [f"{a}.{b}" for a, b in zip(invalid_firsts, invalid_lasts, strict=True)]
    email_rows = tx.replace_rows(
        email_rows, invalid, tx.invalid_emails(rng, invalid_locals, person_domains)
    )
    clean_email = tx.blank_where(clean_email, bad_mask)

    style = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    created_text = tx.timestamps(created_rows, style)
    updated_text = tx.timestamps(updated_rows, style)
    impossible = plan.rows_of(bad.IMPOSSIBLE_DATE)
    on_created = rng.random(impossible.size) < 0.5
    created_text = tx.replace_rows(
        created_text, impossible[on_created],
        tx.impossible_dates(rng, int(on_created.sum()), timeline.end_date, with_time=True),
    )  # fmt: skip
    updated_text = tx.replace_rows(
        updated_text, impossible[~on_created],
        tx.impossible_dates(rng, int((~on_created).sum()), timeline.end_date, with_time=True),
    )  # fmt: skip
    out_of_range = plan.rows_of(bad.OUT_OF_RANGE_DATE)
    values = tx.out_of_range_dates(rng, out_of_range.size, timeline.end_date, with_time=True)
    early = np.array([int(v[:4]) < 2000 for v in values], dtype=bool)
    created_text = tx.replace_rows(
        created_text, out_of_range[early], [v for v, e in zip(values, early, strict=True) if e]
    )
    updated_text = tx.replace_rows(
        updated_text, out_of_range[~early], [v for v, e in zip(values, early, strict=True) if not e]
    )

    company_ids = tx.identifiers(
        "ACC",
        seed,
        np.arange(1, companies.employees.size + 1),
        tx.id_width(companies.employees.size),
    )
    ids = tx.identifiers("CON", seed, np.arange(1, n + 1), tx.id_width(n))
    columns = {
        "contact_id": ids,
        "first_name": tx.pick(firsts, first_rows, blanks["first_name"]),
        "last_name": tx.pick(lasts, last_rows),
        "email": email_rows,
        "phone": tx.blank_where(_phones(rng, codes, country_rows), blanks["phone"]),
        "job_title": tx.pick(
            tx.strings([t[0] for t in titles]), title[person], blanks["job_title"]
        ),
        "seniority": tx.vocabulary(rng, "seniority", seniority[person], 0.15, blanks["seniority"]),
        "department": tx.vocabulary(
            rng, "department", department[person], 0.15, blanks["department"]
        ),
        "linkedin_url": tx.blank_where(
            tx.concat(
                "https://www.linkedin.com/in/",
                first_slug_rows,
                "-",
                last_slug_rows,
                "-",
                tx.integers(rng.integers(10_000, 1_000_000, p)[person]),
            ),
            blanks["linkedin_url"],
        ),
        "company_id": tx.pick(company_ids, company_rows, company_blank),
        "company_domain": tx.pick(companies.domain, company_rows, blanks["company_domain"]),
        "country": tx.vocabulary(rng, "country", country_rows, 0.15, blanks["country"]),
        "lead_source": tx.pick(tx.strings(sources), source_rows, blanks["lead_source"]),
        "opted_out": tx.booleans(rng, opted_out, 0.15, ~opted_out & (rng.random(n) < 0.10)),
        "created_at": created_text,
        "updated_at": updated_text,
    }
    table = pa.table([columns[c] for c in contract.CONTACTS.column_names],
                     names=list(contract.CONTACTS.column_names))  # fmt: skip
    return Contacts(
        table=table,
        bad=plan,
        ids=ids,
        company=company_rows,
        fit=fit[person],
        intent=intent[person],
        created=created_rows,
        email=clean_email,
        usable=~bad_mask,
        is_duplicate=is_duplicate,
        n_duplicates=n_dup,
    )
