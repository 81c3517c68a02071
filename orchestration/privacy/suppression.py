"""The suppression list: people erased, kept only as keyed hashes of their emails and ids.

A person erased must not come back with the next export that still holds them. The list keeps
no email and no id, only HMAC-SHA256(secret, "email:" + normalised email) and
HMAC-SHA256(secret, "contact_id:" + id): the secret is generated once per home
(`privacy/suppression.key`, readable by its owner only) and never leaves it. This is
pseudonymisation, not anonymisation: whoever holds the key and an email can tell whether that
email is on the list, which is exactly its use, and why the key stays in the home.

The load computes the same HMAC in SQL (`hash_sql`, DuckDB's vectorised sha256: no Python per
row) and quarantines the rows it finds with reason `suppressed`, keeping no value of them.

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

    def hashes(self) -> set[str]:
        if not self.list_path.exists():
            return set()
        with self.list_path.open(newline="", encoding="utf-8") as stream:
            return {row["hmac"] for row in csv.DictReader(stream)}

    def add(self, values: dict[str, list[str]], reason: str) -> int:
        """Add the hashes of values by kind (EMAIL, CONTACT_ID), once each; how many were new."""
        known = self.hashes()
        new = sorted(
            {
                h
                for kind, kind_values in values.items()
                for v in kind_values
                if (h := self.hash(kind, v)) and h not in known
            }
        )
        if not new:
            return 0
        rows = []
        if self.list_path.exists():
            with self.list_path.open(newline="", encoding="utf-8") as stream:
                rows = list(csv.DictReader(stream))
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

    def register(self, connection) -> bool:
        """The list as the temp table `suppressed_hashes` of a connection; whether it holds any
        (an empty list costs the load nothing)."""
        hashes = sorted(self.hashes())
        connection.execute("create or replace temp table suppressed_hashes (hmac varchar)")
        if hashes:
            connection.executemany(
                "insert into suppressed_hashes values (?)", [[h] for h in hashes]
            )
        return bool(hashes)
