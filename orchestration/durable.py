"""Writes that survive a crash: a file or folder flushed to disk before the next step relies on
it (a rename is durable only once its folder is)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
