"""``woowup-contract generate``, the way a non-Python connector team uses it.

The fixtures it writes must be reproducible (same seed, same files) and
honest: every invalid payload fails ``woowup-contract validate`` with exactly
the violations its ``.expected.json`` lists, and every valid one passes.
The commands run in process (``run_in_process``); one test pipes a real
``generate`` process into a real ``validate`` process, as a shell would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun, run_in_process
from woowup_contract.sources import parse_json


def cli(*args: str, stdin: str | None = None) -> CliRun:
    run = run_in_process(args, stdin=stdin)
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run
    return run


def generated(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        run = cli("generate", "-n", "12", "--seed", "42", "--profile", "strict", "--out", str(tmp_path / name))
        assert run.returncode == 0, run
        assert "wrote 12 valid connectors.log-record payloads" in run.stdout
    first, second = generated(tmp_path / "a"), generated(tmp_path / "b")
    assert list(first) == [f"payload-{i:04d}.json" for i in range(1, 13)]
    assert first == second
    other = cli("generate", "-n", "12", "--seed", "43", "--profile", "strict", "--out", str(tmp_path / "c"))
    assert other.returncode == 0, other
    assert generated(tmp_path / "c") != first


@pytest.mark.parametrize("profile", ["official", "strict"])
def test_generated_valid_files_pass_validate(tmp_path: Path, profile: str) -> None:
    run = cli("generate", "-n", "25", "--seed", "5", "--profile", profile, "--out", str(tmp_path))
    assert run.returncode == 0, run
    check = cli("validate", "--format", "json", *(["--strict"] if profile == "strict" else []), str(tmp_path))
    assert check.returncode == 0, check
    report = json.loads(check.stdout)
    assert report["summary"]["payloads"] == 25 and report["summary"]["valid"] == 25
    if profile == "strict":
        assert all(result["violations"] == [] for result in report["results"])


@pytest.mark.parametrize("profile", ["official", "strict"])
def test_invalid_files_fail_validate_with_exactly_their_expected_violations(tmp_path: Path, profile: str) -> None:
    run = cli("generate", "-n", "40", "--invalid", "--seed", "9", "--profile", profile, "--out", str(tmp_path))
    assert run.returncode == 0, run
    payloads = sorted(p for p in tmp_path.glob("payload-*.json") if not p.name.endswith(".expected.json"))
    assert len(payloads) == 40
    assert all(p.with_suffix(".expected.json").is_file() for p in payloads)
    check = cli("validate", "--format", "json", *(["--strict"] if profile == "strict" else []),
                *(str(p) for p in payloads))
    assert check.returncode == 1, check
    results = {Path(r["source"]).name: r for r in json.loads(check.stdout)["results"]}
    mutations = set()
    for payload in payloads:
        expected = json.loads(payload.with_suffix(".expected.json").read_text("utf-8"))
        assert expected["payload"] == payload.name and expected["profile"] == profile
        result = results[payload.name]
        assert result["valid"] is False
        found = {(v["pointer"], v["rule"]) for v in result["violations"] if v["severity"] == "error"}
        assert found == {(v["pointer"], v["rule"]) for v in expected["violations"]}, (payload.name, result)
        mutations.add((expected["mutation"]["pointer"], expected["mutation"]["rule"]))
    assert len(mutations) >= 10  # a spread of constraints, not one mutation forty times


def test_jsonl_on_stdout_pipes_into_validate() -> None:
    command = [sys.executable, "-m", "woowup_contract"]
    run = subprocess.run([*command, "generate", "-n", "30", "--seed", "3", "--profile", "strict", "--out", "-"],
                         capture_output=True, text=True, encoding="utf-8", timeout=300, check=False)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run
    lines = run.stdout.splitlines()
    assert len(lines) == 30
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert run.stdout.isascii()  # safe on any terminal encoding, one payload per line
    check = subprocess.run([*command, "validate", "--strict", "-"], input=run.stdout, capture_output=True,
                           text=True, encoding="utf-8", timeout=300, check=False)
    assert check.returncode == 0 and "Traceback" not in check.stderr, check
    assert "30 payloads checked against connectors.log-record (strict): 30 valid, 0 invalid" in check.stdout


def test_invalid_jsonl_lines_carry_their_labels() -> None:
    run = cli("generate", "-n", "30", "--invalid", "--seed", "11", "--profile", "strict")
    assert run.returncode == 0, run
    lines = run.stdout.splitlines()
    assert len(lines) == 30
    for number, line in enumerate(lines, 1):
        record, _ = parse_json(line)  # a duplicate-key payload stays visible inside its line
        assert record["name"] == f"payload-{number:04d}"
        assert record["violations"] and all(v["severity"] == "error" for v in record["violations"])
        assert {"pointer", "rule", "description"} <= set(record["mutation"])
        assert "payload" in record


def test_an_endpoint_contract_generates_what_validate_accepts(tmp_path: Path) -> None:
    for contract in ("apiv3.account-stats", "connectors.list-logs"):
        out = tmp_path / contract
        run = cli("generate", "--contract", contract, "-n", "10", "--seed", "1", "--out", str(out))
        assert run.returncode == 0, run
        check = cli("validate", "--contract", contract, str(out))
        assert check.returncode == 0, check


@pytest.mark.parametrize(("args", "message"), [
    (["--contract", "connectors.nope"], "unknown contract 'connectors.nope'"),
    (["-n", "0"], "must be at least 1"),
    (["--count", "many"], "not a whole number"),
    (["--profile", "lenient"], "invalid choice: 'lenient'"),
    (["--seed", "abc"], "invalid int value"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_options_exit_2_with_a_message(args: list[str], message: str) -> None:
    run = cli("generate", *args)
    assert run.returncode == 2, run
    assert message in run.stderr
    assert run.stdout == ""


def test_an_unwritable_output_directory_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    run = cli("generate", "-n", "2", "--out", str(blocker / "out"))
    assert run.returncode == 2, run
    assert f"cannot write to {blocker / 'out'}" in run.stderr
    run = cli("generate", "-n", "2", "--out", str(blocker))
    assert run.returncode == 2, run
    assert "not a directory" in run.stderr.lower()


def test_a_broken_contracts_dir_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    run = cli("generate", "--contracts-dir", str(tmp_path), "-n", "1")
    assert run.returncode == 2, run
    assert "broken.yaml" in run.stderr


def test_a_contract_the_generator_cannot_handle_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_text(
        "format: woowup-contract/1\nid: acme.odd\nkind: payload\ntitle: Odd\n"
        "source: {doc: Acme, section: Odd, url: 'https://example.com'}\n"
        "schema:\n  provenance: assumption\n  dialect: draft-07\n"
        "  document: {type: object, properties: {a: {anyOf: [{type: string}, {type: integer}]}}}\n",
        encoding="utf-8")
    run = cli("generate", "--contracts-dir", str(tmp_path), "--contract", "acme.odd", "-n", "1")
    assert run.returncode == 2, run
    assert "cannot generate from keyword 'anyOf' at /a" in run.stderr


def expected_files(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(directory.glob("*.expected.json"))]


def test_a_duplicate_key_fixture_keeps_its_repeated_key_on_disk(tmp_path: Path) -> None:
    run = cli("generate", "-n", "100", "--invalid", "--seed", "2", "--profile", "strict", "--out", str(tmp_path))
    assert run.returncode == 0, run
    duplicates = [e for e in expected_files(tmp_path) if e["mutation"]["rule"] == "no-duplicate-keys"]
    assert duplicates
    for expected in duplicates:
        text = (tmp_path / expected["payload"]).read_text("utf-8")
        _, repeated = parse_json(text)
        assert repeated, expected["payload"]
