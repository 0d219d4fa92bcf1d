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
from typing import IO, Any, Callable, ClassVar, Iterable

from .model import Result, Violation

FORMATS = ("text", "json", "junit", "github", "sarif")
TOOL_URI = "https://pypi.org/project/woowup-contract/"


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
        errors = result.error_count
        if errors:
            self.invalid += 1
        else:
            self.valid += 1
        self.errors += errors
        self.warnings += len(result.violations) - errors
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


Paint = Callable[[str, str], str]


def plain(text: str, role: str) -> str:
    """No colour: the text as it is, whatever its role."""
    return text


_ANSI = {"error": "\x1b[31m", "warning": "\x1b[33m", "pointer": "\x1b[1m", "hint": "\x1b[2m",
         "ok": "\x1b[32m"}


def ansi(text: str, role: str) -> str:
    """Colour for a terminal; the text was escaped first, so the only escapes are these."""
    code = _ANSI.get(role)
    return f"{code}{text}\x1b[0m" if code else text


def format_violation(v: Violation, source: str | None = None, *, hints: bool = True,
                     paint: Paint = plain) -> list[str]:
    """The one way every surface says a violation (CLI, plugin, mock, endpoint checks):
    ``[SOURCE: ]POINTER: [warning: ]MESSAGE [RULE] (line L, column C)``, then the hint
    indented on its own line. Control characters and ANSI escapes from the payload are
    escaped, so a key cannot split a line or drive the terminal."""
    where = f" (line {v.line}, column {v.column})" if v.line is not None else ""
    head = paint(one_line(source) + ": ", "source") if source else ""
    level = "" if v.severity == "error" else paint("warning:", "warning") + " "
    lines = [f"{head}{paint(one_line(pointer_label(v.pointer)), 'pointer')}: {level}"
             f"{one_line(v.message)} [{one_line(v.rule)}]{where}"]
    if hints and v.hint:
        lines.append(paint(f"    hint: {one_line(v.hint)}", "hint"))
    return lines


def format_violations(violations: Iterable[Violation], source: str | None = None) -> str:
    """``format_violation`` for each, one per line (no trailing newline)."""
    return "\n".join(line for v in violations for line in format_violation(v, source))


class Reporter(ABC):
    """Writes results as they come; ``finish`` writes what needs the totals."""

    name: ClassVar[str]

    def __init__(self, stream: IO[str], report: Report) -> None:
        self.stream = stream
        self.report = report

    def start(self) -> None:  # noqa: B027 -- an optional hook: most reporters need no start
        """Called once before the first result."""

    @abstractmethod
    def add(self, result: Result) -> None: ...

    @abstractmethod
    def finish(self) -> None: ...


class TextReporter(Reporter):
    """``SOURCE: POINTER: MESSAGE`` per violation, hints indented below, then a summary line.

    ``verbosity`` -1 (``--quiet``) keeps only the errors: no warnings, hints or summary;
    1 (``--verbose``) adds a line for each valid payload. ``paint`` colours a terminal.
    """

    name = "text"

    def __init__(self, stream: IO[str], report: Report, *, verbosity: int = 0, paint: Paint = plain) -> None:
        super().__init__(stream, report)
        self.verbosity = verbosity
        self.paint = paint

    def add(self, result: Result) -> None:
        write = self.stream.write
        quiet = self.verbosity < 0
        for v in result.violations:
            if quiet and v.severity != "error":
                continue
            for line in format_violation(v, result.source, hints=not quiet, paint=self.paint):
                write(line + "\n")
        if self.verbosity > 0 and result.valid:
            write(f"{one_line(result.source)}: {self.paint('ok', 'ok')}\n")

    def finish(self) -> None:
        if self.verbosity < 0:
            return
        s = self.report.summary
        plural = "" if s.payloads == 1 else "s"
        extra = []
        if s.errors:
            extra.append(f"{s.errors} error{'s' if s.errors != 1 else ''}")
        if s.warnings:
            extra.append(f"{s.warnings} warning{'s' if s.warnings != 1 else ''}")
        tail = f" ({', '.join(extra)})" if extra else ""
        invalid = f"{s.invalid} invalid"
        self.stream.write(
            f"{s.payloads} payload{plural} checked against {self.report.contract} ({self.report.profile}): "
            f"{s.valid} valid, {self.paint(invalid, 'error') if s.invalid else invalid}{tail}\n"
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
        lines = [line for v in result.violations for line in format_violation(v)]
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
            shown = result.source if result.source != (result.path or result.source) else None
            # the hint becomes the annotation's second line
            text = "%0A".join(_gh_data(line) for line in format_violation(v, shown))
            self.stream.write(f"::{level} {','.join(props)}::{text}\n")

    def finish(self) -> None:
        s = self.report.summary
        self.stream.write(f"{s.payloads} payloads checked against {self.report.contract}: "
                          f"{s.valid} valid, {s.invalid} invalid\n")


class SarifReporter(Reporter):
    """SARIF 2.1.0 for code scanning: one result per violation, one rule per rule id seen.

    The log is one document whose rules are known only at the end, so results are kept
    (as small dicts) until ``finish``.
    """

    name = "sarif"

    def start(self) -> None:
        self._results: list[dict[str, Any]] = []
        self._rules: dict[str, int] = {}

    def add(self, result: Result) -> None:
        for v in result.violations:
            index = self._rules.setdefault(v.rule, len(self._rules))
            location: dict[str, Any] = {"artifactLocation": {"uri": _sarif_uri(result.path or result.source)}}
            if v.line is not None:
                location["region"] = {"startLine": v.line, "startColumn": v.column or 1}
            self._results.append({
                "ruleId": v.rule, "ruleIndex": index, "level": "error" if v.severity == "error" else "warning",
                "message": {"text": "\n".join(format_violation(v))},
                "locations": [{"physicalLocation": location}],
                "properties": {"pointer": safe(v.pointer), "source": safe(result.source)},
            })

    def finish(self) -> None:
        from . import __version__

        rules = [{"id": rule, "name": rule, "shortDescription": {"text": _rule_text(rule)},
                  "helpUri": TOOL_URI} for rule in self._rules]
        log = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "woowup-contract", "version": __version__,
                                    "informationUri": TOOL_URI, "rules": rules}},
                "results": self._results,
                "properties": {"contract": self.report.contract, "profile": self.report.profile,
                               "summary": self.report.summary.to_dict()},
            }],
        }
        self.stream.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")


_RULE_TEXT = {"parse": "the payload is not one JSON document", "read": "the payload could not be read",
              "size": "the payload is larger than --max-bytes"}


def _rule_text(rule: str) -> str:
    return _RULE_TEXT.get(rule, f"the contract's {safe(rule)} rule")


def _sarif_uri(path: str) -> str:
    """A relative URI reference, as code scanning wants: '/' separators, percent-escaped."""
    from urllib.parse import quote

    return quote(safe(path).replace("\\", "/"), safe="/:@")


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


REPORTERS: dict[str, type[Reporter]] = {
    cls.name: cls for cls in (TextReporter, JsonReporter, JunitReporter, GithubReporter, SarifReporter)
}


def make_reporter(name: str, stream: IO[str], report: Report, *, verbosity: int = 0,
                  paint: Paint = plain) -> Reporter:
    """The reporter ``name``; verbosity and colour matter to the text report only."""
    try:
        cls = REPORTERS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None
    if cls is TextReporter:
        return TextReporter(stream, report, verbosity=verbosity, paint=paint)
    return cls(stream, report)


def use_colour(stream: IO[str], no_color: bool = False) -> bool:
    """Colour only on a terminal, never with ``--no-color`` or ``NO_COLOR`` set (no-color.org)."""
    import os

    if no_color or os.environ.get("NO_COLOR", ""):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """The one progress line on a terminal: redrawn in place (at most every ``every`` seconds),
    wiped before a line that stays, and nothing at all off a terminal. ``validate`` draws its
    counts with ``update``; ``check`` calls it with each step (``done`` for a verdict line)."""

    def __init__(self, stream: IO[str] | None = None, *, every: float = 0.25) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self._last = 0.0
        self._start = 0.0
        self._width = 0

    def update(self, summary: Summary) -> None:
        """Payloads so far, their rate and how many are invalid (from the second call: the first
        starts the clock)."""
        if not self.enabled:
            return
        import time

        now = time.monotonic()
        if not self._start:
            self._start = self._last = now
            return
        if now - self._last >= self.every:
            rate = summary.payloads / max(now - self._start, 1e-9)
            self._draw(f"{summary.payloads} payloads, {rate:,.0f}/s, {summary.invalid} invalid  ", now)

    def __call__(self, text: str, done: bool = False) -> None:
        """A step: the progress line shows ``text``; with ``done`` it stays as a line of its own."""
        if not self.enabled:
            return
        import time

        now = time.monotonic()
        if done:
            self.clear()
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last = now
        elif now - self._last >= self.every:
            self._draw(text, now)

    def _draw(self, text: str, now: float) -> None:
        self.stream.write("\r" + " " * self._width + "\r" + text if self._width else "\r" + text)
        self.stream.flush()
        self._width = len(text)
        self._last = now

    def clear(self) -> None:
        """Wipe the line before a report line shares the terminal with it; the next update redraws."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    close = clear
