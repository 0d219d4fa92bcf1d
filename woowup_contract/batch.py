"""The validate job: inputs → payloads → checker → reporter → exit code.

No printing outside the reporter and no exiting: the CLI and other callers
get an exit code back.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from typing import IO, Any, Iterable, Iterator, Literal, Sequence

from .checker import Checker
from .loader import Registry
from .exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from .model import Result
from .report import Progress, Report, ansi, make_reporter, plain
from .sources import DEFAULT_MAX_BYTES, iter_inputs, iter_payloads, iter_units, parse_raw, read_file



def check_files(checker: Checker, files: Iterable[str | None], max_bytes: int) -> Iterator[Result]:
    for payload in iter_payloads(files, max_bytes):
        yield checker.check(payload)


# -- parallel checking ------------------------------------------------------------
# Workers are forked after the checker is compiled, so they inherit it instead of
# rebuilding it; results come back in input order (imap), so the report is the same
# byte for byte as with --jobs 1.

_worker_checker: Checker | None = None
_worker_max_bytes = DEFAULT_MAX_BYTES
# Units per task: each task costs the parent a few thread hand-offs (feeder, result handler),
# which at 64 units took a fifth of its time; 256 leaves few, and two tasks in flight per
# worker keep the workers busy while a JSONL file's lines wait in memory only a window at a time.
_CHUNK = 256


def _check_chunk(units: list[Any]) -> list[Result | None]:
    """Each unit's result; None for a clean one (no violation, nothing else to say), which the
    parent rebuilds from the unit: most results are clean, and unpickling each would cost the
    parent time it needs for the report."""
    checker = _worker_checker
    assert checker is not None
    out: list[Result | None] = []
    for unit in units:
        if isinstance(unit, str):
            [result] = [checker.check(p) for p in read_file(unit, _worker_max_bytes)]  # JSON: one payload
        else:
            result = checker.check(parse_raw(unit))
        out.append(None if not result.violations and result.envelope is None and not result.unreadable
                   else result)
    return out


def _clean(unit: Any) -> Result:
    if isinstance(unit, str):
        return Result(unit, (), unit)
    source, path = unit[0], unit[1]  # a RawLine (error payloads are never clean)
    return Result(source, (), path)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
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
    """Several workers only when the input is big enough to pay for starting them."""
    cpus = os.cpu_count() or 1
    if size < _PARALLEL_FROM_BYTES or cpus < 2 or not _can_fork():
        return 1
    return min(cpus, 8)


_PARALLEL_FROM_BYTES = 4 * 1024 * 1024


def _can_fork() -> bool:
    import multiprocessing  # only here: a small run never pays for the import

    return "fork" in multiprocessing.get_all_start_methods()


def check_parallel(checker: Checker, files: Iterable[str | None], max_bytes: int, jobs: int) -> Iterator[Result]:
    import multiprocessing
    import threading

    global _worker_checker, _worker_max_bytes
    _worker_checker, _worker_max_bytes = checker, max_bytes
    context = multiprocessing.get_context("fork")
    # imap's feeder would read the whole input ahead of the workers (a big JSONL file
    # would sit in memory); a window of chunks in flight keeps memory flat.
    window = threading.BoundedSemaphore(jobs * 2)
    stopped = threading.Event()  # the reader gave up (error, ^C): do not wait for a window forever

    sent: deque[list[Any]] = deque()  # chunks in flight, in order, to rebuild clean results

    def paced() -> Iterator[list[Any]]:
        for chunk in _chunks(iter_units(files, max_bytes), _CHUNK):
            while not window.acquire(timeout=0.1):
                if stopped.is_set():
                    return
            sent.append(chunk)
            yield chunk

    with context.Pool(jobs) as pool:
        try:
            for results in pool.imap(_check_chunk, paced()):
                window.release()
                units = sent.popleft()
                for unit, result in zip(units, results):
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
    # the files are walked as they are checked (100,000 paths are not held), but the first
    # few are looked at now: is there any input at all, and is it big enough for workers?
    head: list[str | None] = []
    size = 0
    for path in walk:
        head.append(path)
        if jobs != 0:
            break
        size += _size(path)
        if size >= _PARALLEL_FROM_BYTES:
            break
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
    results = check_parallel(checker, files, limit, jobs) if jobs > 1 else check_files(checker, files, limit)
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
    if unmatched:
        import sys

        sys.stderr.write("woowup-contract: error: no input matched: " + ", ".join(unmatched) + "\n")
        return EXIT_USAGE
    if unreadable:
        return EXIT_USAGE
    return EXIT_OK if report.summary.invalid == 0 else EXIT_FAILED
