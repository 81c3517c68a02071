"""Fixtures for the loading tests: a landing folder with a warehouse next to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from loading_builders import Landing


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path)
