"""The project's manifest (target/manifest.json), parsed again when stale, one process at a
time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from orchestration.dbt_project import dbt_project, manifest_is_stale, prepare_manifest_if_needed
from orchestration.settings import PROJECT_DIR

# A reader that does not parse: it waits until the manifest's time changes (a parse wrote it),
# then reads it over and over for a second, as commands started meanwhile would.
READ_WHILE_ANOTHER_PARSES = (
    "import json, time\n"
    "from orchestration.dbt_project import dbt_project\n"
    "path = dbt_project.manifest_path\n"
    "while path.stat().st_mtime == 0:\n"
    "    pass\n"
    "end = time.monotonic() + 1\n"
    "while time.monotonic() < end:\n"
    "    json.loads(path.read_text())\n"
)


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_stale_manifest_is_parsed_once_and_never_read_half_written() -> None:
    """Test workers and `funnel` commands started together may all find the manifest stale:
    one parses, the others wait for it; and a process reading it meanwhile reads it whole."""
    prepare_manifest_if_needed()
    os.utime(dbt_project.manifest_path, (0, 0))  # older than every project file: stale
    assert manifest_is_stale()
    readers = [_python(READ_WHILE_ANOTHER_PARSES) for _ in range(2)]
    parsers = [
        _python(
            "from orchestration.dbt_project import prepare_manifest_if_needed\n"
            "prepare_manifest_if_needed()\n"
        )
        for _ in range(3)
    ]
    for process in [*parsers, *readers]:
        _, error = process.communicate(timeout=300)
        assert process.returncode == 0, error[-2000:]
    assert not manifest_is_stale()
    assert len(json.loads(dbt_project.manifest_path.read_text())["nodes"]) > 100
    assert [p.name for p in dbt_project.target_path.glob(".parse-*")] == []
