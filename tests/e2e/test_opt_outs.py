"""An opted-out person never becomes contactable again, end to end.

A person opts out in one delivery. That delivery is then undone (`funnel forget FILE`, the file
moved out of landing), and a later export brings the same person back under another contact id,
their email spelt in another case, and `opted_out` false. Without the suppression list the
warehouse would hold nothing of the opt-out any more; with it, the new record is loaded (the
funnel keeps counting the person) and the person is not contactable, for the reason
`suppressed`.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from privacy_home import funnel, query

from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

AS_OF = date.today()  # the suppression list holds what the loads saw: a run as of their day
EMAIL = "ombeline.tessier-varangot@opt-out-test.fr"


def write_contact(path: Path, contact_id: str, email: str, opted_out: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["contact_id", "email", "first_name", "last_name", "opted_out"])
        writer.writerow([contact_id, email, "Ombeline", "Tessier-Varangot", opted_out])
        writer.writerow([f"{contact_id}-OTHER", f"other.{email}", "Aubin", "Roque", "false"])


def reason(home: Path, contact_id: str) -> list[tuple]:
    return query(
        home,
        "select not_contactable_reason, is_contactable, is_opted_out from marts.dim_contacts"
        " where contact_id = ?",
        [contact_id],
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("opt_outs") / "home"
    generate(home / "landing", contacts=100, seed=33, end_date=AS_OF, bad_row_share=0.0)
    return home


def test_an_opted_out_person_delivered_again_without_the_flag_stays_not_contactable(
    home: Path,
) -> None:
    first = home / "landing" / "contacts" / "opt-out.csv"
    write_contact(first, "OPT-1", EMAIL, "true")
    funnel(home, "run", "--as-of", AS_OF.isoformat())
    assert reason(home, "OPT-1") == [("opted_out", False, True)]

    funnel(home, "forget", str(first), "--yes")
    first.unlink()
    write_contact(home / "landing" / "contacts" / "later.csv", "OPT-2", EMAIL.upper(), "false")
    funnel(home, "run", "--as-of", AS_OF.isoformat())

    assert query(home, "select count(*) from raw.contacts where contact_id = 'OPT-1'") == [(0,)]
    assert reason(home, "OPT-2") == [("suppressed", False, False)]
    # the other contact of both files was never opted out
    assert reason(home, "OPT-2-OTHER") == [(None, True, False)]
