"""Quoting for the SQL the loader writes: identifiers and string literals."""

from __future__ import annotations


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
