"""Reports: one ``Report`` of ``Result``s, written by reporters chosen by name.

Reporters stream: each result is written as it arrives, so memory stays flat
over 100,000 payloads (JUnit, whose header carries the counts, keeps only the
lines it will print). Every reporter writes text that is safe for its format:
lone surrogates and control characters never break the output.
"""

from __future__ import annotations

import json
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import IO, Callable, ClassVar

from .model import Result, Violation

FORMATS = ("text", "json", "junit", "github")


@dataclass
class Summary:
    payloads: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0
    unreadable: int = 0

    def add(self, result: Result) -> None:
        self.payloads += 1
        if result.valid:
            self.valid += 1
        else:
            self.invalid += 1
        for v in result.violations:
            if v.severity == "error":
                self.errors += 1
            else:
                self.warnings += 1
        if result.unreadable:
            self.unreadable += 1

    def to_dict(self) -> dict[str, int]:
        return {"payloads": self.payloads, "valid": self.valid, "invalid": self.invalid}


@dataclass
class Report:
    """What a run judged: the contract, the profile, and a summary of the results seen."""

    contract: str
    profile: str
    summary: Summary = field(default_factory=Summary)


def safe(text: str) -> str:
    """Text any terminal/encoder accepts: lone surrogates become \\udxxx escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# C0/C1 controls and the Unicode line separators, shown escaped: a key such as
# "a\n..." or "\x1b[31m" must not split a line or drive the terminal.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}
_CONTROLS.update({0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    """``safe`` text that stays on one line and holds no control characters."""
    return safe(text).translate(_CONTROLS)


def pointer_label(pointer: str) -> str:
    return pointer if pointer else "(root)"


class Reporter(ABC):
    """Writes results as they come; ``finish`` writes what needs the totals."""

    name: ClassVar[str]

    def __init__(self, stream: IO[str], report: Report) -> None:
        self.stream = stream
        self.report = report

    def start(self) -> None:
        """Called once before the first result."""

    @abstractmethod
    def add(self, result: Result) -> None: ...

    @abstractmethod
    def finish(self) -> None: ...


class TextReporter(Reporter):
    """``SOURCE: POINTER: MESSAGE`` per violation, hints indented below, then a summary line."""

    name = "text"

    def add(self, result: Result) -> None:
        write = self.stream.write
        for v in result.violations:
            where = f" (line {v.line}, column {v.column})" if v.line is not None else ""
            level = "" if v.severity == "error" else "warning: "
            write(one_line(f"{result.source}: {pointer_label(v.pointer)}: {level}{v.message} [{v.rule}]{where}") + "\n")
            if v.hint:
                write(one_line(f"    hint: {v.hint}") + "\n")

    def finish(self) -> None:
        s = self.report.summary
        plural = "" if s.payloads == 1 else "s"
        extra = []
        if s.errors:
            extra.append(f"{s.errors} error{'s' if s.errors != 1 else ''}")
        if s.warnings:
            extra.append(f"{s.warnings} warning{'s' if s.warnings != 1 else ''}")
        tail = f" ({', '.join(extra)})" if extra else ""
        self.stream.write(
            f"{s.payloads} payload{plural} checked against {self.report.contract} ({self.report.profile}): "
            f"{s.valid} valid, {s.invalid} invalid{tail}\n"
        )


class JsonReporter(Reporter):
    """The documented JSON report, streamed: results first, the summary once they are all known."""

    name = "json"

    def start(self) -> None:
        self.stream.write(
            "{" + f'"contract": {json.dumps(self.report.contract)}, "profile": {json.dumps(self.report.profile)}, '
            + '"results": ['
        )
        self._first = True

    def add(self, result: Result) -> None:
        self.stream.write(("\n  " if self._first else ",\n  ") + json.dumps(result.to_dict()))
        self._first = False

    def finish(self) -> None:
        summary = json.dumps(self.report.summary.to_dict())
        self.stream.write(("\n" if not self._first else "") + f'], "summary": {summary}}}\n')


class JunitReporter(Reporter):
    """One ``<testcase>`` per payload; the failure text lists every violation."""

    name = "junit"

    def start(self) -> None:
        self._cases: list[str] = []

    def add(self, result: Result) -> None:
        from xml.sax.saxutils import escape, quoteattr  # only here: it pulls in urllib

        name = quoteattr(_xml_text(result.source))
        classname = quoteattr(self.report.contract)
        lines = [_violation_line(v) for v in result.violations]
        body = ""
        if not result.valid:
            first = result.errors[0]
            message = quoteattr(_xml_text(f"{pointer_label(first.pointer)}: {first.message}"))
            text = escape(_xml_text("\n".join(lines)))
            body = f'<failure message={message} type="{first.rule}">{text}</failure>'
        elif lines:
            body = f"<system-out>{escape(_xml_text(chr(10).join(lines)))}</system-out>"
        self._cases.append(f"  <testcase classname={classname} name={name}>{body}</testcase>\n")

    def finish(self) -> None:
        from xml.sax.saxutils import quoteattr

        s = self.report.summary
        self.stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
        self.stream.write(
            f'<testsuites><testsuite name={quoteattr("woowup-contract " + self.report.contract)} '
            f'tests="{s.payloads}" failures="{s.invalid}" errors="0" skipped="0">\n'
        )
        self.stream.writelines(self._cases)
        self.stream.write("</testsuite></testsuites>\n")


class GithubReporter(Reporter):
    """GitHub Actions workflow commands: the annotation lands on the file and line."""

    name = "github"

    def add(self, result: Result) -> None:
        for v in result.violations:
            level = "error" if v.severity == "error" else "warning"
            props = [f"file={_gh_prop(result.path or result.source)}"]
            if v.line is not None:
                props.append(f"line={v.line}")
                props.append(f"col={v.column}")
            props.append(f"title={_gh_prop('woowup-contract ' + v.rule)}")
            text = f"{pointer_label(v.pointer)}: {v.message}"
            if v.hint:
                text += f" (hint: {v.hint})"
            if result.source != (result.path or result.source):
                text = f"{result.source}: {text}"
            self.stream.write(f"::{level} {','.join(props)}::{_gh_data(text)}\n")

    def finish(self) -> None:
        s = self.report.summary
        self.stream.write(f"{s.payloads} payloads checked against {self.report.contract}: "
                          f"{s.valid} valid, {s.invalid} invalid\n")


def _violation_line(v: Violation) -> str:
    where = f" (line {v.line}, column {v.column})" if v.line is not None else ""
    level = "" if v.severity == "error" else "warning: "
    text = one_line(f"{pointer_label(v.pointer)}: {level}{v.message} [{v.rule}]{where}")
    return text + (f"\n    hint: {one_line(v.hint)}" if v.hint else "")


def _xml_text(text: str) -> str:
    """XML 1.0 forbids most control characters and lone surrogates: escape them visibly."""
    out = []
    for ch in safe(text):
        code = ord(ch)
        if code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code > 0xFFFF:
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}")
    return "".join(out)


def _gh_data(text: str) -> str:
    # one_line: no raw control codes (a key holding ESC [31m would colour the log)
    return one_line(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


REPORTERS: dict[str, Callable[[IO[str], Report], Reporter]] = {
    cls.name: cls for cls in (TextReporter, JsonReporter, JunitReporter, GithubReporter)
}


def make_reporter(name: str, stream: IO[str], report: Report) -> Reporter:
    try:
        return REPORTERS[name](stream, report)
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None


class Progress:
    """Files done, rate and invalid so far, on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str] | None = None, *, every: float = 0.25) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self._last = 0.0
        self._start = 0.0
        self._shown = False

    def update(self, summary: Summary) -> None:
        if not self.enabled:
            return
        import time

        now = time.monotonic()
        if not self._start:
            self._start = now
            self._last = now
            return
        if now - self._last < self.every:
            return
        self._last = now
        rate = summary.payloads / max(now - self._start, 1e-9)
        self.stream.write(f"\r{summary.payloads} payloads, {rate:,.0f}/s, {summary.invalid} invalid  ")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()
