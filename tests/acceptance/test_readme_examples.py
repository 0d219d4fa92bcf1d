"""The README's examples, read from README.md itself so they cannot drift from what the code does:
the plugin's ini and pyproject blocks run as written, and the Python API session runs as a doctest."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
RECORD = {"files": ["a.csv"], "processingtime": "2026-11-21T03:15:00+00:00",
          "stats": {"customers": {"total_created": 1, "total_updated": 0, "total_failed": 0}}}


def blocks(language: str) -> list[str]:
    """The README's fenced blocks in ``language``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(encoding="utf-8"), re.S | re.M)


def plugin_configs() -> list[pytest.param]:
    found = [("pytest.ini", b) for b in blocks("ini") if "woowup_" in b]
    found += [("pyproject.toml", b) for b in blocks("toml") if "woowup_" in b]
    assert len(found) >= 2, found  # the ini and the pyproject example
    return [pytest.param(name, text, id=name) for name, text in found]


@pytest.mark.parametrize(("filename", "config"), plugin_configs())
def test_the_readme_plugin_config_collects_every_file_it_names(pytester: pytest.Pytester, filename: str,
                                                               config: str) -> None:
    (pytester.path / filename).write_text(config, encoding="utf-8")
    out = pytester.path / "out"
    (out / "nightly").mkdir(parents=True)
    (out / "errors").mkdir()
    (out / "a.json").write_text(json.dumps(RECORD), encoding="utf-8")
    (out / "nightly" / "batch.jsonl").write_text(json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n",
                                                 encoding="utf-8")
    (out / "errors" / "forbidden.json").write_text(
        '{"payload": [], "message": "Invalid API key", "code": "forbidden"}\n', encoding="utf-8")
    result = pytester.runpytest("-p", "no:randomly", "-W", "error::UserWarning", "-rA")
    text = result.stdout.str()
    assert "matches no file" not in text and "did not collect" not in text, text
    lines = {ln.split()[1] for ln in result.outlines if ln.startswith("PASSED out/nightly/batch.jsonl::")}
    assert len(lines) == 2, text  # out/**/*.jsonl reaches the nested batch: one item per line
    expected = {"out/a.json::payload", *lines}
    if "woowup_payload_contracts" in config:
        expected.add("out/errors/forbidden.json::payload")  # checked against apiv3.error, and valid there
    passed = {ln.split()[1] for ln in result.outlines if ln.startswith("PASSED ")}
    assert passed == expected, text
    result.assert_outcomes(passed=len(expected))


def test_a_payload_contracts_glob_that_matches_nothing_is_a_warning(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payload_contracts = out/errors/*.json = apiv3.error\n")
    result = pytester.runpytest("-p", "no:randomly")
    assert "woowup-contract: ini key woowup_payload_contracts in tox.ini: out/errors/*.json matches no file" \
        in result.stdout.str(), result.stdout.str()


def test_the_readme_python_api_session_runs_as_written() -> None:
    [session] = [b for b in blocks("pycon") if "woowup_contract.validate" in b]
    test = doctest.DocTestParser().get_doctest(session, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    outcome = runner.summarize(verbose=False)
    assert outcome.attempted >= 5 and outcome.failed == 0, outcome
