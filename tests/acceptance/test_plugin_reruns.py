"""What a rerun repeats: ``--lf`` after the file changed, and the endpoint seed under xdist."""

from __future__ import annotations

import json
import re

import pytest
from plugin_repo import RECORD

GOOD = json.dumps(RECORD)
OTHER_GOOD = json.dumps(dict(RECORD, files=["other.csv"]))
BAD = json.dumps(dict(RECORD, stats={"purchases": {"total_created": 1, "total_updated": 0, "total_failed": 0,
                                                   "total_revenue": 12.5, "total_invoice_items": 1}}))


def test_lf_reruns_the_bad_line_after_a_line_is_inserted_above_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payloads = *.jsonl\n")
    batch = pytester.path / "batch.jsonl"
    batch.write_text(f"{GOOD}\n{BAD}\n", encoding="utf-8")
    first = pytester.runpytest("-p", "no:randomly")
    first.assert_outcomes(passed=1, failed=1)
    assert "batch.jsonl line 2: invalid connectors.log-record payload" in first.stdout.str()

    batch.write_text(f"{GOOD}\n{OTHER_GOOD}\n{BAD}\n", encoding="utf-8")  # the bad line is line 3 now
    rerun = pytester.runpytest("-p", "no:randomly", "--lf")
    rerun.assert_outcomes(failed=1)  # the bad line, not the good one now at its old number
    text = rerun.stdout.str()
    assert "run-last-failure: rerun previous 1 failure" in text, text
    # the location and the failure text give the line as it is now
    assert "batch.jsonl line 3: invalid connectors.log-record payload" in text, text
    assert re.search(r"FAILED batch\.jsonl::payload-[0-9a-f]{8}\b", text), text


def test_repeated_lines_get_distinct_ids(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payloads = *.jsonl\n")
    (pytester.path / "batch.jsonl").write_text(f"{GOOD}\n\n{GOOD}\n{BAD}\n", encoding="utf-8")
    result = pytester.runpytest("-p", "no:randomly", "--collect-only", "-q")
    ids = [ln for ln in result.outlines if ln.startswith("batch.jsonl::")]
    assert len(ids) == len(set(ids)) == 3, ids
    assert ids[1] == ids[0] + "-2", ids


SEED_PROBE = """
import pytest

from woowup_contract.plugin_endpoints import STATE_KEY


def pytest_sessionstart(session):
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is not None:
        out = session.config.rootpath / f"seed-{workerinput['workerid']}.txt"
        out.write_text(str(session.config.stash[STATE_KEY].seed))
"""


def test_every_xdist_worker_uses_the_seed_the_header_shows(pytester: pytest.Pytester,
                                                           only_the_plugin: tuple[str, ...]) -> None:
    pytester.makeconftest(SEED_PROBE)
    pytester.makepyfile("def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    # the controller runs in-process; the two workers it forks are the processes at stake. One
    # endpoint item comes along: the embedded mock starts and answers inside a worker
    result = pytester.runpytest_inprocess(*only_the_plugin, "-p", "no:randomly", "-n", "2", "--dist", "loadgroup", "--woowup-endpoints",
                                          "--woowup-endpoints-max-examples", "2", "-k",
                                          "test_a or test_b or (stats and auth_enforced)")
    result.assert_outcomes(passed=3, deselected=result.parseoutcomes().get("deselected", 0))
    match = re.search(r"woowup-endpoints: the embedded mock \(writes allowed\), seed (\d+)", result.stdout.str())
    assert match, result.stdout.str()
    seeds = {p.name: p.read_text() for p in pytester.path.glob("seed-gw*.txt")}
    assert seeds == {"seed-gw0.txt": match.group(1), "seed-gw1.txt": match.group(1)}, seeds
