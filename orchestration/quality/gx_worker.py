"""great-expectations in a process of its own, imported while the run starts.

Importing great-expectations costs about 2 s of one core, paid by every run before its raw
checks; at the scale of a small base that is a tenth of a run. `funnel run` starts this worker
first thing, so the import happens on another core while the run's own process imports Dagster
and dbt and loads the landing files; the checks then hand their suites to the warm worker. One
worker, one call at a time (a home has one GX project). Runs started elsewhere (the UI, a
schedule) start it on their first check, which costs what an import in their own process did.
Within `funnel run`, the checks' Data Docs are rendered by the worker while the run goes on
(`call_later`, about half a second per check step); the run's end waits for them.

The worker runs each call in the caller's environment and working directory as they are when
the call is made, and dies with the process that started it (a run killed midway leaves no
worker writing to the home).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from orchestration.child_process import die_with_parent

T = TypeVar("T")

_executor: ProcessPoolExecutor | None = None
_worker: set[multiprocessing.process.BaseProcess] = set()
_running: set[Future] = set()
_later: list[tuple[str, Future]] = []
# How many `running()` blocks are open: one will wait for what `call_later` gives.
_waited_for = 0


def _warm_up() -> None:
    die_with_parent()
    _thread_lock_for_progress_bars()
    from orchestration.quality.gx_runner import import_great_expectations

    import_great_expectations()


def _thread_lock_for_progress_bars() -> None:
    """tqdm (great-expectations' progress bars, off but still created) guards its bars with a
    multiprocessing lock by default, a semaphore the killed worker would leave registered (and
    Python would warn of a leak when the run ends). The worker starts no processes: a thread
    lock is enough."""
    with contextlib.suppress(ImportError):
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())


def start() -> ProcessPoolExecutor:
    """The worker, started now if it is not yet: a fresh interpreter (Dagster's threads make a
    fork unsafe), from this thread (it dies when this thread ends: call it from the main one)."""
    global _executor, _worker
    if _executor is None:
        _executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_up,
        )
        # the process is started by the first call, in the caller's thread
        before = set(multiprocessing.active_children())
        _executor.submit(int)
        _worker = set(multiprocessing.active_children()) - before
    return _executor


def stop() -> None:
    """End the worker once what it was given has run. It is then killed rather than asked to
    exit: idle, it holds nothing, and tearing down its interpreter (most of
    great-expectations' modules) took about a second of the run's end."""
    global _executor, _worker
    if _executor is None:
        return
    executor, worker, _executor, _worker = _executor, _worker, None, set()
    for future in list(_running):
        with contextlib.suppress(BaseException):
            future.exception()  # waits; what it raised was raised to its caller
    for name, future in _later:
        with contextlib.suppress(CancelledError):
            if (error := future.exception()) is not None:
                print(f"great-expectations worker: {name} failed: {error!r}", file=sys.stderr)
    _later.clear()
    for process in worker:
        process.kill()
    executor.shutdown(wait=True)


atexit.register(stop)


@contextlib.contextmanager
def running() -> Iterator[None]:
    """The worker started now, and stopped when the block ends once what it was given has run:
    within the block, `call_later` does not wait."""
    global _waited_for
    start()
    _waited_for += 1
    try:
        yield
    finally:
        _waited_for -= 1
        stop()


def _call_as(environ: Mapping[str, str], cwd: str, function: Callable[..., T], kwargs) -> T:
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    return function(**kwargs)


def _submit(function: Callable[..., T], kwargs: Mapping[str, Any]) -> Future[T]:
    """Give the worker `function(**kwargs)` with this process's environment and folder now."""
    return start().submit(_call_as, dict(os.environ), os.getcwd(), function, kwargs)


def call(function: Callable[..., T], **kwargs: Any) -> T:
    """`function(**kwargs)` run by the worker, as if here: its exceptions are raised here."""
    try:
        future = _submit(function, kwargs)
        _running.add(future)
        try:
            return future.result()
        finally:
            _running.discard(future)
    except BrokenProcessPool as error:
        stop()
        raise RuntimeError(
            "the great-expectations worker process ended unexpectedly (killed, or out of"
            " memory); the next call starts a new one"
        ) from error


def call_later(function: Callable[..., Any], **kwargs: Any) -> None:
    """`function(**kwargs)` run by the worker after what it was given before, without waiting
    within a `running()` block, whose end waits for it and reports what it raised. Elsewhere
    (a run's step in a process of its own, which may end without running exit handlers) it is
    a `call`."""
    if not _waited_for:
        call(function, **kwargs)
        return
    _later.append((function.__name__, _submit(function, kwargs)))
