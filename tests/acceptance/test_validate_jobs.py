"""``validate --jobs N``: several worker processes, one report, the same as ``--jobs 1`` byte for byte.

The corpus mixes every kind of result a worker can send back (clean, invalid,
valid with strict warnings, unreadable, unparseable, too large, JSONL lines) so
that each is rebuilt in input order across chunk and worker boundaries.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import VALID_RECORD

FORMATS = ("text", "json", "junit", "github")


def _record(i: int) -> dict[str, Any]:
    record = copy.deepcopy(VALID_RECORD)
    record["files"] = [f"customers-{i:04d}.csv"]
    return record


def write_corpus(root: Path, count: int) -> list[str]:
    """``count`` files of every kind, in a fixed order, plus a JSONL file; returns the CLI inputs."""
    payloads = root / "payloads"
    payloads.mkdir()
    for i in range(count):
        kind = i % 11
        record = _record(i)
        path = payloads / f"p{i:04d}.json"
        if kind == 1:
            del record["stats"]  # invalid
        elif kind == 2:
            record["stats"]["customers"]["total_failed"] = -1  # a strict warning (and a sum that does not add up)
        elif kind == 3:
            record["stats"]["customers"]["per_branches"][1]["branch"] = "Palermo"  # a repeated branch
        elif kind == 4:
            path.write_text('{"files": ["a.csv"], "files": ["b.csv"]}')  # duplicate key, invalid
            continue
        elif kind == 5:
            path.write_text('{"files": [1,], ')  # not JSON
            continue
        elif kind == 6:
            path.write_bytes(b"\x00\x01\xff" * 50)  # binary
            continue
        elif kind == 7:
            path.write_text("")
            continue
        elif kind == 8:
            record["padding"] = "x" * 5000  # over --max-bytes
        elif kind == 9:
            record["processingtime"] = "yesterday"  # a strict warning
        elif kind == 10 and i % 4 == 0:
            path.write_text("[" * 1500 + "]" * 1500)  # nested too deep to parse (and under --max-bytes)
            continue
        elif kind == 10 and i % 4 == 1:  # parseable, and deep where the schema looks
            deep = '{"per_branches": [' * 120 + '"deep"' + "]}" * 120
            path.write_text(json.dumps(record).replace('"products": {', f'"products": {deep}, "x": {{', 1))
            continue
        path.write_text(json.dumps(record, indent=2 if i % 2 else None))
    (root / "empty.json").mkdir()  # a directory named like a payload, with nothing in it: "no input matched"
    lines = []
    for i in range(150):
        record = _record(i)
        if i % 7 == 3:
            record["stats"] = "none"
        lines.append(json.dumps(record) if i % 13 else "{not json")
    lines.insert(40, "")
    lines.insert(80, json.dumps({**_record(0), "padding": "y" * 5000}))
    (payloads / "batch.jsonl").write_text("\n".join(lines) + "\n")
    return ["payloads", "empty.json", "missing.json"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("jobs")
    return root, write_corpus(root, 330)


@pytest.mark.parametrize("fmt", FORMATS)
def test_several_jobs_print_what_one_job_prints(run_module: Any, corpus: tuple[Path, list[str]], fmt: str) -> None:
    root, inputs = corpus
    common = ("validate", *inputs, "--format", fmt, "--max-bytes", "4000")
    one = run_module(*common, "--jobs", "1", cwd=root)
    assert one.returncode == 2, one  # missing.json is a usage error, after the report
    assert "Traceback" not in one.stderr, one
    for jobs in ("2", "3") if fmt == "text" else ("2",):  # an uneven split once; each format at two
        many = run_module(*common, "--jobs", jobs, cwd=root)
        assert many.returncode == one.returncode, many
        assert many.stdout == one.stdout, f"--jobs {jobs} differs from --jobs 1{many}"
        assert many.stderr == one.stderr, many


def test_the_parallel_report_holds_every_kind_of_result(run_module: Any, corpus: tuple[Path, list[str]]) -> None:
    """The comparison above means something only if the corpus has every kind of result in it."""
    root, inputs = corpus
    run = run_module("validate", *inputs, "--format", "json", "--max-bytes", "4000", "--jobs", "2", cwd=root)
    results = run.json()["results"]
    rules = {v["rule"] for r in results for v in r["violations"]}
    assert {"required", "type", "parse", "size", "read", "non-negative-counts", "branch-sums", "branch-name-unique",
            "processingtime-iso8601", "no-duplicate-keys"} <= rules, rules
    clean = [r for r in results if r["valid"] and not r["violations"]]
    assert len(clean) > 150
    messages = [v["message"] for r in results for v in r["violations"]]
    assert any("nesting too deep" in m for m in messages), messages[:5]
    assert any(v["pointer"] == "/stats/products/total_created" for r in results for v in r["violations"])
    sources = [r["source"] for r in results]
    assert sources.index("payloads/batch.jsonl:1") < sources.index("payloads/batch.jsonl:150") \
        < sources.index("payloads/p0000.json") < sources.index("payloads/p0329.json") < sources.index("missing.json")
    assert len(sources) == 150 + 1 + 330 + 1  # the blank line is skipped; every other line and file is there


def test_the_envelope_form_survives_the_workers(run_module: Any, tmp_path: Path) -> None:
    body = {"total_customers": 1, "total_purchases": 2, "total_revenue": 3, "total_invoice_items": 4,
            "per_branches": [{"branch": "Palermo", "total_customers": 1, "total_purchases": 2, "total_revenue": 3,
                              "total_invoice_items": 4}]}
    for i in range(200):
        document = {"payload": body, "message": "ok", "code": "ok"} if i % 3 == 0 else body
        (tmp_path / f"s{i:03d}.json").write_text(json.dumps(document))
    common = ("validate", ".", "--contract", "apiv3.account-stats", "--format", "json")
    one = run_module(*common, "--jobs", "1", cwd=tmp_path)
    many = run_module(*common, "--jobs", "2", cwd=tmp_path)
    assert one.returncode == many.returncode == 0, many
    assert many.stdout == one.stdout
    forms = [r.get("envelope") for r in many.json()["results"]]
    assert forms.count("enveloped") == 67 and forms.count("bare") == 133, forms[:5]


def test_a_large_input_is_split_across_workers_by_default(run_module: Any, tmp_path: Path) -> None:
    """Over a few MiB, the default is several workers: the report is still the one of --jobs 1."""
    text = json.dumps(_record(1), indent=2)
    for i in range(1200):  # about 5 MiB
        (tmp_path / f"r{i:04d}.json").write_text(text if i % 97 else text.replace('"stats"', '"stat"'))
    auto = run_module("validate", ".", "--format", "json", cwd=tmp_path)
    one = run_module("validate", ".", "--format", "json", "--jobs", "1", cwd=tmp_path)
    assert auto.returncode == one.returncode == 1, auto
    assert auto.stdout == one.stdout
    assert auto.json()["summary"]["invalid"] == 13


def test_a_process_with_other_threads_checks_serially_by_default() -> None:
    """Forking a process whose other threads may hold a lock can deadlock the child, so a
    program that embeds the CLI (a test run, a server) gets one worker unless it asks."""
    import threading

    from woowup_contract import batch

    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert batch._jobs_for(64 * 1024 * 1024) == 1
    finally:
        release.set()
        other.join()
