"""One clean generated base, run once through `funnel run`, shared by the quality tests."""

from __future__ import annotations

import shutil

import pytest
from quality_base import AS_OF, CleanBase

from orchestration.synthetic import generate


@pytest.fixture(scope="session")
def clean_base(tmp_path_factory: pytest.TempPathFactory) -> CleanBase:
    """A small base without deliberately bad rows, through the whole pipeline once."""
    home = tmp_path_factory.mktemp("quality_home")
    generate(home / "landing", contacts=300, seed=5, end_date=AS_OF, bad_row_share=0.0)
    base = CleanBase(home, home.parent / "pristine.duckdb", None, None)  # type: ignore[arg-type]
    base.result = base.run()
    assert base.result.returncode == 0, base.result.stderr[-4000:]
    shutil.copy(home / "warehouse.duckdb", base.pristine)
    serving = home / "serving.duckdb"
    base.serving_bytes = serving.read_bytes() if serving.exists() else None
    return base
