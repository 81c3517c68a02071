"""Fixtures of the end-to-end tests: one pipeline run for the whole session.

`funnel run` on the generated base takes about 40 s; every end-to-end test file reads the same
run (and none writes to it but the test that runs it a second time, which changes nothing).
"""

from __future__ import annotations

import pytest
from pipeline_run import Run, run_pipeline


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_pipeline(tmp_path_factory.mktemp("funnel_home"))
