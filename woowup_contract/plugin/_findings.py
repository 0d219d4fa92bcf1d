"""What the plugin reports: a payload's failure as plain violation lines, and the strict
findings of passing payloads summed up at the end of the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import pytest

if TYPE_CHECKING:
    from ..model import Result, Violation

FINDINGS_SECTION = "woowup-contract strict findings"
SUMMARY_LIMIT = 20


class PayloadInvalid(AssertionError):
    """A payload breaks its contract; the message lists every violation with its pointer."""

    def __init__(self, results: Sequence[Result], contract: str, profile: str, source: str | None = None) -> None:
        self.results = tuple(results)
        self.contract = contract
        self.profile = profile
        super().__init__("\n".join(describe_result(r, contract, profile, source) for r in self.results
                                   if not r.valid))


PayloadInvalid.__module__ = "woowup_contract.plugin"  # tracebacks name it where users import it from


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe_result(result: Result, contract: str, profile: str, source: str | None = None) -> str:
    """The source, the contract and profile, then ``POINTER: MESSAGE`` per violation."""
    source = source or result.source
    name, _, line = source.rpartition(":")
    where = f"{name} line {line}" if name and line.isdigit() else source
    counts = plural(len(result.errors), "error")
    if result.warnings:
        counts += ", " + plural(len(result.warnings), "warning")
    from ..report import one_line

    head = one_line(f"{where}: invalid {contract} payload ({profile} profile): {counts}")
    return head + "\n" + violation_lines(result.violations)


def violation_lines(violations: Sequence[Violation]) -> str:
    from ..report import format_violations

    return format_violations(violations)


class FindingsReport:
    """Collects the strict findings of passing payloads and prints them at the end.

    It reads them from the reports' sections, so under xdist the controller sees the
    findings of every worker.
    """

    def __init__(self) -> None:
        self.by_node: dict[str, list[str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, content in report.sections:
            if FINDINGS_SECTION in name:
                self.by_node.setdefault(report.nodeid, []).append(content)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if not self.by_node:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "woowup-contract strict findings (warnings, not failures)", yellow=True)
        nodeids = sorted(self.by_node)
        shown = nodeids if config.getoption("verbose", 0) > 0 else nodeids[:SUMMARY_LIMIT]
        for nodeid in shown:
            write(nodeid)
            for line in self._lines(nodeid):
                write("  " + line)
        count = sum(1 for nodeid in nodeids for line in self._lines(nodeid)
                    if ": warning: " in line and not line.startswith(" "))
        more = len(nodeids) - len(shown)
        tail = f" ({more} more not shown; -v shows all)" if more else ""
        write(f"{plural(count, 'strict finding')} in {plural(len(nodeids), 'test')}{tail}; "
              "--woowup-strict (ini woowup_strict = true) makes them failures")

    def _lines(self, nodeid: str) -> list[str]:
        return [line for text in self.by_node[nodeid] for line in text.splitlines()]
