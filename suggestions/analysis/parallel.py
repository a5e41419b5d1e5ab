"""Work shared among a few forked processes, its results given back in the order it was asked for.

The batch path's per-text steps (display and match forms, signatures, near-duplicate look-ups) are pure
functions of their input, so computing them in other processes changes nothing but the time: results come
back in order and are used as if computed here.  Processes are forked (Linux) so that they start at once and
share, without copying, what this process held when they started (hazm's tables, an index built beforehand).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

__all__ = ["Aside", "WorkerLost", "in_order", "on_threads"]

logger = logging.getLogger(__name__)


def in_order[T, R](function: Callable[[T], R], tasks: Iterable[T], *, workers: int = 1) -> Iterator[R]:
    """``function(task)`` for each task, in the tasks' order, in ``workers`` forked processes when above 1.

    Tasks are read as results are taken, a few ahead of them: a caller streaming a million texts from a file
    never holds them all.  With one task, or where a process may not fork (a daemonic Celery worker process,
    a platform without fork), the tasks run here.  ``function`` must be a module's function, found by name.
    """
    tasks = iter(tasks)
    first = next(tasks, _NOTHING)
    if first is _NOTHING:
        return
    second = next(tasks, _NOTHING)
    if second is _NOTHING or workers <= 1 or not _can_fork():
        yield function(first)
        if second is not _NOTHING:
            yield function(second)
            yield from map(function, tasks)
        return
    # What this process holds is left out of the garbage collections of the processes forked here: a collection
    # there would write to every object it goes over, and so copy, page by page, a heap they otherwise share.
    gc.freeze()
    # A process killed meanwhile breaks the pool: a result taken, or a task handed over after it, says so.
    try:
        with _lost_says_so(), _forked(workers) as pool:
            yield from _taken_in_order(pool, function, itertools.chain([first, second], tasks), ahead=2 * workers)
    finally:
        gc.unfreeze()
    _release_freed_memory()


def on_threads[T, R](function: Callable[[T], R], tasks: Iterable[T], *, threads: int = 2) -> Iterator[R]:
    """``function(task)`` for each task, in the tasks' order, on ``threads`` threads of this process, a few tasks
    ahead of the results taken.

    For work that spends much of its time outside the GIL, where forked processes would copy what this process
    holds: while one task's graph search (usearch, on every core, the GIL released) runs, another's Python and
    numpy steps go on.  The results are those of one thread, in the same order.
    """
    with ThreadPoolExecutor(threads) as pool:
        yield from _taken_in_order(pool, function, tasks, ahead=threads)


def _taken_in_order[T, R](pool: Executor, function: Callable[[T], R], tasks: Iterable[T], *, ahead: int) -> Iterator[R]:
    """The results of the tasks handed to ``pool``, in the tasks' order, at most ``ahead`` of them handed over and not
    yet taken: tasks are read only as results are taken."""
    pending: deque = deque()
    for task in tasks:
        pending.append(pool.submit(function, task))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class Aside[R]:
    """``function(*args, **kwargs)`` computed in one forked process while this one goes on with other work, when
    ``fork`` and the platform allow; else here, when first asked for (``result``), so that what it makes is held
    no earlier than the caller would have made it.  A context manager: leaving it ends the forked process,
    whether or not the result was taken.  ``function`` must be a module's function, found by name."""

    def __init__(self, function: Callable[..., R], *args, fork: bool, **kwargs) -> None:
        self._call = (function, args, kwargs)
        self._pool = None
        self._pending = None
        if fork and _can_fork():
            # As for ``in_order``: the forked process leaves what this one holds out of its collections. It is
            # forked when the work is handed over, so the freeze lasts that long only.
            gc.freeze()
            try:
                self._pool = _forked(1)
                self._pending = self._pool.submit(function, *args, **kwargs)
            finally:
                gc.unfreeze()

    def result(self) -> R:
        if self._pending is None:
            function, args, kwargs = self._call
            return function(*args, **kwargs)
        try:
            with _lost_says_so():
                return self._pending.result()
        finally:
            self._close()

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._pending = None
            _release_freed_memory()

    def __enter__(self) -> Aside[R]:
        return self

    def __exit__(self, *exc) -> None:
        self._close()


class WorkerLost(RuntimeError):
    """A forked process ended before it gave back its work (killed by the system for memory, say)."""


def _forked(workers: int) -> ProcessPoolExecutor:
    # An executor, not a multiprocessing.Pool: when one of a Pool's processes is killed, the work it held is
    # never given back and whoever waits for it waits for ever; an executor breaks, and says so.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


@contextlib.contextmanager
def _lost_says_so() -> Iterator[None]:
    """A pool broken by a process that ended (``BrokenProcessPool``, from a result or from a task handed over) as
    ``WorkerLost``."""
    try:
        yield
    except BrokenProcessPool as exc:
        raise WorkerLost(
            "a forked process of the analysis ended before it gave back its work (killed, perhaps for memory)"
        ) from exc


def _release_freed_memory() -> None:
    """Give back to the system what the pool's threads freed. Results are unpickled by one of the pool's threads,
    in that thread's own malloc arena, which this process's main thread does not reuse: freed, it stayed resident
    and added to the peak of the stages that follow (glibc's ``malloc_trim``; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_NOTHING = object()


def _can_fork() -> bool:
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if multiprocessing.current_process().daemon:  # e.g. a Celery prefork child: it may not have children
        logger.info("A daemonic process works alone: no processes forked")
        return False
    return True
