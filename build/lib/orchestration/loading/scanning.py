"""Reading new landing files ahead, in a thread pool, while the warehouse loads the current one.

A file is hashed, UTF-8-checked and its lines counted (`sniffing.scan_file`) before it is loaded.
Hashing releases the interpreter lock and DuckDB's work does too, so scanning the next files
overlaps with loading this one; the warehouse's writes stay serial, one transaction per file.
Only a few files are scanned ahead, as each scan holds the file's first megabyte.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

SCAN_THREADS = max(1, min(4, os.cpu_count() or 1))
SCANS_AHEAD = SCAN_THREADS + 1
T = TypeVar("T")


def scanned_ahead(paths: Iterable[Path], scan: Callable[[Path], T]) -> Iterator[T]:
    """`scan(path)` for each path, in order, computed up to SCANS_AHEAD files ahead."""
    remaining = iter(paths)
    pool = ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix="landing-scan")
    pending: deque[Future[T]] = deque()
    try:
        for path in remaining:
            pending.append(pool.submit(scan, path))
            if len(pending) >= SCANS_AHEAD:
                break
        while pending:
            result = pending.popleft().result()
            following = next(remaining, None)
            if following is not None:
                pending.append(pool.submit(scan, following))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
