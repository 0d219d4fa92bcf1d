"""The check run's reports (text, json, junit, github, sarif)."""

from __future__ import annotations

import io
import json
from typing import IO, Any

from ..model import Result
from ._model import TOOL, RunReport

# -- reports --------------------------------------------------------------------------------


def write_report(report: RunReport, fmt: str, stream: IO[str], *, verbosity: int = 0,
                 colour: bool = False) -> None:
    """The run in the shared report formats; text adds the summary table and the records written
    (``--quiet``, verbosity -1: only the errors and the closing line)."""
    from ..report import Report, TextReporter, ansi, make_reporter, plain

    shared = Report(contract="endpoints", profile="live" if report.settings.live else "mock")
    results = report.results()
    if fmt == "text":
        reporter = TextReporter(stream, shared, verbosity=min(verbosity, 0), paint=ansi if colour else plain)
        _write_text(report, results, reporter, stream, quiet=verbosity < 0)
        return
    buffer = io.StringIO()
    shared_reporter = make_reporter(fmt, buffer, shared)
    shared_reporter.start()
    for result in results:
        shared.summary.add(result)
        shared_reporter.add(result)
    shared_reporter.finish()
    if fmt == "json":
        document = json.loads(buffer.getvalue())
        document.update(_run_facts(report))
        stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        stream.write(buffer.getvalue())


def _run_facts(report: RunReport) -> dict[str, Any]:
    s = report.settings
    return {
        "target": report.target,
        "mode": "live" if s.live else "embedded mock",
        "writes": s.writes,
        "run_id": s.run_id,
        "seed": s.seed,
        "max_examples": s.max_examples,
        "requests": report.requests,
        "checks": [o.to_dict() for o in report.outcomes],
        "records_written": [r.to_dict() for r in report.records],
    }


def _write_text(report: RunReport, results: list[Result], reporter: Any, stream: IO[str], *,
                quiet: bool = False) -> None:
    s = report.settings
    mode = "live" if s.live else "embedded mock"
    writes = "writes allowed" if s.writes else "read-only"
    if not quiet:
        stream.write(f"{TOOL} check: {report.target} ({mode}, {writes}), seed {s.seed}, run {s.run_id}, "
                     f"up to {s.max_examples} examples per operation and mode\n")
    for result in results:
        reporter.add(result)
    if not quiet:
        _write_table(report, stream)
    _write_closing(report, stream)


def _write_table(report: RunReport, stream: IO[str]) -> None:
    s = report.settings
    rows = [("OPERATION", "CHECK", "RESULT", "REQUESTS")]
    for o in report.outcomes:
        result = o.status.upper() if o.status == "failed" else o.status
        if o.status == "failed":
            result += f" ({o.failures})"
        if o.status == "skipped":
            result += f": {o.reason}"
        rows.append((o.operation, o.check, result, str(o.requests) if o.status != "skipped" else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    stream.write("\n")
    for r in rows:
        stream.write(f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[3].rjust(8)}  {r[2]}\n")
    if report.records and not s.live:
        stream.write(f"\n{len(report.records)} records written to the embedded mock (gone when it stops)\n")
    elif report.records:
        stream.write(f"\nrecords written ({len(report.records)}), each with the files entry {s.tag}:\n")
        for rec in report.records:
            when = f", createtime {rec.createtime}" if rec.createtime else ""
            if rec.tagged:
                stream.write(f"  {rec.operation} -> {rec.status}{when}\n")
            else:
                stream.write(f"  {rec.operation} -> {rec.status}{when}, NOT tagged (the server accepted a body "
                             f"without a files list), files={json.dumps(rec.files)[:120]}\n")


def _write_closing(report: RunReport, stream: IO[str]) -> None:
    counts = {k: sum(1 for o in report.outcomes if o.status == k) for k in ("passed", "failed", "skipped")}
    stream.write(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped; "
                 f"{report.requests} requests\n")
