"""Load an entity and stop inside one file's transaction, to be killed there (test_crash.py).

    python crash_loader.py WAREHOUSE LANDING_DIR ENTITY FILE_NAME READY_MARKER

Just before that file's commit, the load writes its process id to READY_MARKER and sleeps until
it is killed; the other files load as usual.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from orchestration.loading import load_entity


def main(warehouse: str, landing_dir: str, entity: str, file_name: str, marker: str) -> None:
    def wait_to_be_killed(path: Path) -> None:
        if path.name == file_name:
            Path(marker).write_text(str(os.getpid()))
            time.sleep(600)

    load_entity(Path(warehouse), Path(landing_dir), entity, before_commit=wait_to_be_killed)


if __name__ == "__main__":
    main(*sys.argv[1:])
