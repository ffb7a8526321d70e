"""Work split across forked processes: each inherits what it needs from the parent, nothing is pickled
on the way in, and only results come back."""
from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any, Callable

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_work: Callable[[int, int], list[Any]] | None = None  # set in the parent just before the workers are forked


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def map_ranges(work: Callable[[int, int], list[Any]], count: int, jobs: int) -> list[Any]:
    """work(start, end) over consecutive ranges covering range(count), run in `jobs` forked worker
    processes; the results, concatenated in order. An exception in a worker is raised here."""
    global _work
    step = -(-count // (jobs * 4))  # a few ranges per worker, so one slow range does not hold up the rest
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_quiet, initargs=(os.getpid(),)) as pool:
            chunks = pool.map(_run, [(start, min(start + step, count)) for start in range(0, count, step)])
    finally:
        _work = None
    return [item for chunk in chunks for item in chunk]


def _run(bounds: tuple[int, int]) -> list[Any]:
    assert _work is not None
    return _work(*bounds)


def _quiet(parent: int) -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool), ends on SIGTERM (how the pool
    stops it, whatever handler the parent had installed, such as the preview's), and ends with the
    parent: killed with it on Linux, and without a traceback when its results have nowhere to go."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        import ctypes  # only in workers: a plain build of a small site never needs it

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: a worker whose parent died waits until it is stopped
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
