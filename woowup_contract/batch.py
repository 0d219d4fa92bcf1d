"""The validate job: inputs → payloads → checker → reporter → exit code.

No printing outside the reporter and no exiting: the CLI and other callers
get an exit code back.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from typing import IO, Iterable, Iterator, Literal, Sequence

from .checker import Checker
from .loader import Registry
from .exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from .model import Result
from .report import Progress, Report, ansi, make_reporter, plain
from .sources import DEFAULT_MAX_BYTES, Unit, iter_inputs, iter_units


def check_unit(checker: Checker, unit: Unit, max_bytes: int) -> Result:
    """The verdict on one unit of work: how a payload is read and checked, in one process or in
    a worker."""
    return checker.check(unit.read(max_bytes))


def check_units(checker: Checker, units: Iterable[Unit], max_bytes: int) -> Iterator[Result]:
    for unit in units:
        yield check_unit(checker, unit, max_bytes)


# -- parallel checking ------------------------------------------------------------
# Workers are forked after the checker is compiled, and the pool's initializer hands each
# worker the checker (fork: inherited, never pickled); results come back in input order
# (imap), so the report is the same byte for byte as with --jobs 1.

# Units per task: each task costs the parent a few thread hand-offs (feeder, result handler),
# which at 64 units took a fifth of its time; 256 leaves few, and two tasks in flight per
# worker keep the workers busy while a JSONL file's lines wait in memory only a window at a time.
_CHUNK = 256


class _Worker:
    """What a worker process checks with: set once in each worker, by the pool's initializer."""

    checker: Checker | None = None
    max_bytes: int = DEFAULT_MAX_BYTES

    def start(self, checker: Checker, max_bytes: int) -> None:
        self.checker, self.max_bytes = checker, max_bytes

    def check_chunk(self, units: list[Unit]) -> list[Result | None]:
        """Each unit's result; None for a clean one (no violation, nothing else to say), which the
        parent rebuilds from the unit: most results are clean, and unpickling each would cost the
        parent time it needs for the report."""
        checker = self.checker
        assert checker is not None, "the pool's initializer sets the checker"
        out: list[Result | None] = []
        for unit in units:
            result = check_unit(checker, unit, self.max_bytes)
            out.append(None if not result.violations and result.envelope is None and not result.unreadable
                       else result)
        return out


_WORKER = _Worker()


def _check_chunk(units: list[Unit]) -> list[Result | None]:
    return _WORKER.check_chunk(units)


def _clean(unit: Unit) -> Result:
    """The result a worker left out: a clean payload's, named as the unit names it."""
    return Result(unit.source, (), unit.path)


def _chunks(items: Iterable[Unit], size: int) -> Iterator[list[Unit]]:
    chunk: list[Unit] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _size(path: str | None) -> int:
    """The file's size, 0 for stdin or what cannot be stat'ed (the reader reports why)."""
    if path is None:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _jobs_for(size: int) -> int:
    """Several workers only when the input is big enough to pay for starting them, and
    only from a process with one thread: forking a process whose other threads may hold a
    lock can deadlock the child (a program that embeds the CLI checks serially instead)."""
    cpus = os.cpu_count() or 1
    if size < _PARALLEL_FROM_BYTES or cpus < 2 or _threads() > 1 or not _can_fork():
        return 1
    return min(cpus, 8)


def _threads() -> int:
    """The process' threads, native ones included (a library's own threads hold locks too)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no procfs: the threads Python knows of
        import threading

        return threading.active_count()


_PARALLEL_FROM_BYTES = 4 * 1024 * 1024


def _can_fork() -> bool:
    import multiprocessing  # only here: a small run never pays for the import

    return "fork" in multiprocessing.get_all_start_methods()


def check_parallel(checker: Checker, units: Iterable[Unit], max_bytes: int, jobs: int) -> Iterator[Result]:
    import multiprocessing
    import threading

    context = multiprocessing.get_context("fork")
    # imap's feeder would read the whole input ahead of the workers (a big JSONL file
    # would sit in memory); a window of chunks in flight keeps memory flat.
    window = threading.BoundedSemaphore(jobs * 2)
    stopped = threading.Event()  # the reader gave up (error, ^C): do not wait for a window forever

    sent: deque[list[Unit]] = deque()  # chunks in flight, in order, to rebuild clean results

    def paced() -> Iterator[list[Unit]]:
        for chunk in _chunks(units, _CHUNK):
            while not window.acquire(timeout=0.1):
                if stopped.is_set():
                    return
            sent.append(chunk)
            yield chunk

    with context.Pool(jobs, initializer=_WORKER.start, initargs=(checker, max_bytes)) as pool:
        try:
            for results in pool.imap(_check_chunk, paced()):
                window.release()
                for unit, result in zip(sent.popleft(), results):
                    yield _clean(unit) if result is None else result
        finally:
            stopped.set()


def validate_paths(registry: Registry, inputs: Sequence[str], *, contract: str = "connectors.log-record",
                   strict: bool = False, fmt: str = "text", stream: IO[str], max_bytes: int | None = None,
                   jobs: int = 0, progress: Progress | None = None, verbosity: int = 0,
                   colour: bool = False) -> int:
    """Validate every payload the inputs name; write the report; return the exit code.

    ``verbosity`` -1/0/1 is ``--quiet``/default/``--verbose`` of the text report;
    ``colour`` paints it (the CLI decides: a terminal, no ``NO_COLOR``)."""
    unmatched: list[str] = []
    walk = iter_inputs(inputs, unmatched)
    head, size = _look_ahead(walk, jobs)
    if not head and unmatched:
        raise UsageError("no input matched: " + ", ".join(unmatched))
    files = itertools.chain(head, walk)
    profile: Literal["official", "strict"] = "strict" if strict else "official"
    checker = Checker(registry, contract, profile=profile)
    report = Report(contract=contract, profile=profile)
    reporter = make_reporter(fmt, stream, report, verbosity=verbosity, paint=ansi if colour else plain)
    progress = progress or Progress()
    if verbosity < 0:
        progress.enabled = False
    limit = max_bytes or DEFAULT_MAX_BYTES
    reporter.start()
    unreadable = 0
    if jobs == 0:
        jobs = _jobs_for(size)
    if jobs > 1 and not _can_fork():
        jobs = 1  # workers inherit the compiled checker by fork; elsewhere check in one process
    units = iter_units(files, limit)
    results = check_parallel(checker, units, limit, jobs) if jobs > 1 else check_units(checker, units, limit)
    try:
        for result in results:
            report.summary.add(result)
            unreadable += result.unreadable
            if result.violations:
                progress.clear()  # the report's lines never land after a half-drawn progress line
            reporter.add(result)
            progress.update(report.summary)
    finally:
        progress.close()
    reporter.finish()
    stream.flush()
    return _exit_code(unmatched, unreadable, report.summary.invalid)


def _look_ahead(walk: Iterator[str | None], jobs: int) -> tuple[list[str | None], int]:
    """The first paths and their bytes: the files are walked as they are checked (100,000 paths
    are not held), but the first few are looked at now: is there any input at all, and (when
    ``jobs`` is left to us) is it big enough for workers?"""
    head: list[str | None] = []
    size = 0
    for path in walk:
        head.append(path)
        if jobs != 0:
            break
        size += _size(path)
        if size >= _PARALLEL_FROM_BYTES:
            break
    return head, size


def _exit_code(unmatched: list[str], unreadable: int, invalid: int) -> int:
    """Usage for an input that matched nothing or could not be read, else failed for any invalid payload."""
    if unmatched:
        import sys

        sys.stderr.write("woowup-contract: error: no input matched: " + ", ".join(unmatched) + "\n")
        return EXIT_USAGE
    if unreadable:
        return EXIT_USAGE
    return EXIT_OK if invalid == 0 else EXIT_FAILED
