"""The validate job: inputs → payloads → checker → reporter → exit code.

No printing outside the reporter and no exiting: the CLI and other callers
get an exit code back.
"""

from __future__ import annotations

from typing import IO, Iterable, Iterator, Sequence

from .checker import Checker
from .loader import Registry
from .model import Result
from .report import Progress, Report, make_reporter
from .sources import DEFAULT_MAX_BYTES, expand, iter_payloads

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class NoInput(Exception):
    """No input matched: a usage error."""


def check_files(checker: Checker, files: Iterable[str | None], max_bytes: int) -> Iterator[Result]:
    for payload in iter_payloads(files, max_bytes):
        yield checker.check(payload)


def validate_paths(registry: Registry, inputs: Sequence[str], *, contract: str = "connectors.log-record",
                   strict: bool = False, fmt: str = "text", stream: IO[str], max_bytes: int | None = None,
                   jobs: int = 0, progress: Progress | None = None) -> int:
    """Validate every payload the inputs name; write the report; return the exit code."""
    from .cli import UsageError

    files, unmatched = expand(inputs)
    if unmatched and not files:
        raise UsageError("no input matched: " + ", ".join(unmatched))
    profile = "strict" if strict else "official"
    checker = Checker(registry, contract, profile=profile)
    report = Report(contract=contract, profile=profile)
    reporter = make_reporter(fmt, stream, report)
    progress = progress or Progress()
    limit = max_bytes or DEFAULT_MAX_BYTES
    reporter.start()
    unreadable = 0
    try:
        for result in check_files(checker, files, limit):
            report.summary.add(result)
            unreadable += result.unreadable
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
