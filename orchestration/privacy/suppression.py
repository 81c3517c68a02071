"""The suppression list: people erased or opted out, kept only as keyed hashes of their emails
and ids.

A person erased must not come back with the next export that still holds them, and a person who
opted out must never become contactable again, whatever a later record of them says. The list keeps
no email and no id, only HMAC-SHA256(secret, "email:" + normalised email) and
HMAC-SHA256(secret, "contact_id:" + id): the secret is generated once per home
(`privacy/suppression.key`, readable by its owner only) and never leaves it. This is
pseudonymisation, not anonymisation: whoever holds the key and an email can tell whether that
email is on the list, which is exactly its use, and why the key stays in the home.

The load computes the same HMAC in SQL (`hash_sql`, DuckDB's vectorised sha256: no Python per
row) and quarantines the rows of people listed as `erased` with reason `suppressed`, keeping no
value of them. The rows of people listed as `opted_out` keep loading (the funnel keeps their
history); the load records their contact ids as opted out (`raw._opted_out_contacts`), and lists
the people a delivery says opted out.

The list is a file of its own (`privacy/suppression.csv`: one hash, its reason and when it was
added, per line), not a warehouse table: a warehouse rewritten, restored or deleted must not
forget who may not come back.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import os
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from orchestration.durable import fsync_path

PRIVACY_FOLDER = "privacy"  # under FUNNEL_HOME: the suppression list, erasures under way
KEY_FILENAME = "suppression.key"
LIST_FILENAME = "suppression.csv"
FIELDS = ("hmac", "reason", "added_at")


def normalise_email(email: str) -> str | None:
    """As the staging models normalise emails: trimmed, lower-cased, Unicode NFC."""
    normalised = unicodedata.normalize("NFC", email.strip().lower())
    return normalised or None


EMAIL, CONTACT_ID = "email", "contact_id"
BLOCK_BYTES = 64  # SHA-256's block: HMAC pads its key to it
# Why a hash is listed. Erasing outranks opting out: a person erased after opting out is listed
# for both, and their rows are quarantined.
ERASED, OPTED_OUT = "erased", "opted_out"
# The list as the temp tables of a connection (`Suppression.register`), one per reason.
ERASED_HASHES, OPTED_OUT_HASHES = "erased_hashes", "opted_out_hashes"


class Suppression:
    """The suppression list of one home (`FUNNEL_HOME/privacy`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key_path = folder / KEY_FILENAME
        self.list_path = folder / LIST_FILENAME

    def _key(self) -> bytes:
        if not self.key_path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = self.key_path.with_name(f".{KEY_FILENAME}.tmp")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process's first: keep theirs
                os.link(staging, self.key_path)
            staging.unlink()
            fsync_path(self.folder)
        return bytes.fromhex(self.key_path.read_text().strip())

    @staticmethod
    def message(kind: str, value: str) -> str | None:
        """What is hashed: the kind and the value as the models compare it."""
        normalised = normalise_email(value) if kind == EMAIL else (value.strip() or None)
        return f"{kind}:{normalised}" if normalised else None

    def hash(self, kind: str, value: str) -> str | None:
        message = self.message(kind, value)
        if message is None:
            return None
        return hmac.new(self._key(), message.encode("utf-8"), hashlib.sha256).hexdigest()

    def hash_sql(self, kind: str, text_sql: str) -> str:
        """SQL computing `hash` of a text expression (null stays null): HMAC-SHA256 written out
        with DuckDB's sha256, H((K xor opad) || H((K xor ipad) || message))."""
        padded = self._key().ljust(BLOCK_BYTES, b"\0")
        ipad = bytes(b ^ 0x36 for b in padded).hex()
        opad = bytes(b ^ 0x5C for b in padded).hex()
        value = (
            f"nullif(nfc_normalize(lower(trim({text_sql}))), '')"
            if kind == EMAIL
            else f"nullif(trim({text_sql}), '')"
        )
        message = f"encode('{kind}:' || {value})"
        return f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || {message})))"

    def _rows(self) -> list[dict[str, str]]:
        if not self.list_path.exists():
            return []
        with self.list_path.open(newline="", encoding="utf-8") as stream:
            return list(csv.DictReader(stream))

    def hashes(self) -> set[str]:
        """Every hash listed, whatever its reason."""
        return {row["hmac"] for row in self._rows()}

    def add(self, values: dict[str, list[str]], reason: str) -> int:
        """Add the hashes of values by kind (EMAIL, CONTACT_ID); how many were new."""
        hashes = {self.hash(kind, v) for kind, kind_values in values.items() for v in kind_values}
        return self.add_hashes(hashes - {None}, reason)

    def add_hashes(self, hashes: set[str], reason: str) -> int:
        """Add hashes already computed (by `hash_sql`), once each: a hash listed for the same
        reason or as erased is not added again; how many were new."""
        rows = self._rows()
        known = {row["hmac"] for row in rows if row["reason"] in {reason, ERASED}}
        new = sorted(hashes - known)
        if not new:
            return 0
        added_at = datetime.now(UTC).isoformat(timespec="seconds")
        rows += [{"hmac": h, "reason": reason, "added_at": added_at} for h in new]
        staging = self.list_path.with_name(f".{LIST_FILENAME}.tmp")
        with staging.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, self.list_path)
        fsync_path(self.folder)
        return len(new)

    def register(self, connection) -> None:
        """The list as temp tables of a connection, one per reason: `erased_hashes`, whose rows
        the load quarantines, and `opted_out_hashes`, whose contacts it records as opted out. A
        reason other than `opted_out` counts as erased: a line the list does not understand
        keeps its person out rather than letting them back in."""
        by_reason: dict[str, set[str]] = {ERASED_HASHES: set(), OPTED_OUT_HASHES: set()}
        for row in self._rows():
            table = OPTED_OUT_HASHES if row["reason"] == OPTED_OUT else ERASED_HASHES
            by_reason[table].add(row["hmac"])
        for table, hashes in by_reason.items():
            connection.execute(f"create or replace temp table {table} (hmac varchar)")
            if hashes:
                connection.execute(f"insert into {table} select unnest(?)", [sorted(hashes)])
