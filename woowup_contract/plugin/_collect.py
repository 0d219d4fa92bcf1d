"""Payload files as test items: one per JSON file, one per line of a JSONL/NDJSON file.

Only files that a ``woowup_payloads`` or ``woowup_payload_contracts`` glob selects are
collected: an installed plugin sees every project's files.
"""

from __future__ import annotations

import os
import re
from typing import IO, TYPE_CHECKING, Any, Iterator

import pytest

from ._findings import FINDINGS_SECTION, PayloadInvalid, violation_lines
from ._globs import posix
from ._run import RUN_KEY, run_of
from ._settings import DEFAULT_CONTRACT, Settings, WoowupContractWarning

if TYPE_CHECKING:
    from ..sources import Payload, Unit

LINE_SUFFIXES = (".jsonl", ".ndjson")


class Matcher:
    """Which collected files are payloads, and which contract each one uses."""

    def __init__(self, settings: Settings) -> None:
        flags = re.IGNORECASE if os.name == "nt" else 0
        self.globs = settings.selection
        # one group per glob: the match says which glob selected the file
        self.selected = re.compile("|".join(f"({g.regex()})" for g, _ in self.globs),
                                   flags) if self.globs else None
        self.mapping = [(re.compile(g.regex(), flags), c) for g, c in settings.payload_contracts]
        self._mapping_offset = None if settings.payloads_by_option else len(settings.payload_globs)
        self.default = settings.contract
        self.used: set[int] = set()  # indexes of the globs that selected a collected file

    def contract_for(self, path: str) -> str | None:
        """The contract id for ``path``, or None when it is not a payload file."""
        if self.selected is None:
            return None
        path = posix(path)
        match = self.selected.fullmatch(path)
        if match is None:
            return None
        self.used.add((match.lastindex or 1) - 1)
        found = None
        for index, (rx, contract) in enumerate(self.mapping):
            if rx.fullmatch(path):
                if self._mapping_offset is not None:  # its glob selected a file, whichever group matched
                    self.used.add(self._mapping_offset + index)
                found = found or contract
        return found or self.default


MATCHER_KEY = pytest.StashKey[Matcher]()


def _matcher(config: pytest.Config) -> Matcher | None:
    """The run's matcher, built on first use; None when our ``pytest_configure`` did not run."""
    matcher = config.stash.get(MATCHER_KEY, None)
    if matcher is None and RUN_KEY in config.stash:
        matcher = config.stash[MATCHER_KEY] = Matcher(config.stash[RUN_KEY].settings)
    return matcher


def pytest_collect_file(file_path: Any, parent: pytest.Collector) -> PayloadFile | None:
    matcher = _matcher(parent.config)
    contract = matcher.contract_for(os.fspath(file_path)) if matcher is not None else None
    if contract is None:
        return None
    node: PayloadFile = PayloadFile.from_parent(parent, path=file_path)
    node.contract = contract
    return node


def pytest_collection_finish(session: pytest.Session) -> None:
    """Warn about a glob whose files exist but were not collected (outside testpaths, say)."""
    config = session.config
    matcher = _matcher(config)
    if matcher is None or not matcher.globs or config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # paths named on the command line narrow the run on purpose
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get("workerid") != "gw0":
        return  # xdist: every worker collects the same; one says it
    import warnings

    for index, (pattern, origin) in enumerate(matcher.globs):
        if index not in matcher.used and pattern.matches_a_file():
            warnings.warn(WoowupContractWarning(
                f"woowup-contract: {origin}: {pattern.shown(str(config.rootpath))} matches files "
                "that pytest did not collect: add their folder to testpaths or to the command line"), stacklevel=1)


class PayloadFile(pytest.File):
    """A payload file: one item for a JSON file, one per non-blank line for JSONL/NDJSON.

    A line's item is named for its content (``payload-`` and 8 hex digits of its SHA-256,
    ``-2``… for a repeat), not its number: inserting a line above keeps every id, so
    ``--lf`` reruns the line that failed. The line number is shown in the location and
    the failure text.
    """

    contract: str = DEFAULT_CONTRACT

    def collect(self) -> Iterator[PayloadItem]:
        path = os.fspath(self.path)
        if not path.lower().endswith(LINE_SUFFIXES):
            # read when run, not when collected: collection stays as cheap as a file listing
            yield PayloadItem.from_parent(self, name="payload")
            return
        from ..sources import DEFAULT_MAX_BYTES, Unit, raw_lines, read_file

        handle: IO[bytes] | None = None
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is drained
        except OSError:
            items: Any = map(Unit.of, read_file(path))  # an error payload that says why
        else:
            items = raw_lines(handle, path, DEFAULT_MAX_BYTES)
        try:
            yield from self._line_items(path, items)
        finally:
            if handle is not None:
                handle.close()

    def _line_items(self, path: str, items: Iterator[Unit]) -> Iterator[PayloadItem]:
        """One item per raw line (or per error payload), named for its content."""
        import hashlib

        seen: dict[str, int] = {}
        for unit in items:
            payload = unit.read()
            if unit.data is None:  # a line too long, or no line at all: named by what it is
                key = payload.error.rule if payload.error else "payload"
            else:
                key = hashlib.sha256(unit.data).hexdigest()[:8]
            seen[key] = seen.get(key, 0) + 1
            name = f"payload-{key}" + (f"-{seen[key]}" if seen[key] > 1 else "")
            suffix = payload.source[len(path) + 1:] if payload.source.startswith(path + ":") else ""
            entry: PayloadItem = PayloadItem.from_parent(self, name=name)
            entry.payload, entry.line = payload, int(suffix) if suffix.isdigit() else None
            yield entry


class PayloadItem(pytest.Item):
    """One payload checked against its file's contract."""

    payload: Payload | None = None
    line: int | None = None

    @property
    def source(self) -> str:
        """The file relative to rootdir, with ``:LINE`` for a JSONL line."""
        name = self.nodeid.rpartition("::")[0]
        return f"{name}:{self.line}" if self.line else name

    def runtest(self) -> None:
        run = run_of(self.config)
        contract = self.parent.contract if isinstance(self.parent, PayloadFile) else run.settings.contract
        profile = run.settings.profile
        payload = self.payload
        if payload is None:
            from ..sources import read_file

            payload = next(iter(read_file(os.fspath(self.path))))
        self.payload = None  # checked once; do not hold every document until the session ends
        result = run.checker(contract, profile).check(payload)
        if not result.valid:
            raise PayloadInvalid([result], contract, profile, self.source)
        if result.warnings:
            self.add_report_section("call", FINDINGS_SECTION, violation_lines(result.warnings))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, PayloadInvalid):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, (self.line - 1 if self.line else None), self.source
