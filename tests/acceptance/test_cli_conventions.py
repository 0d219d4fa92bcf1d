"""CLI conventions: SARIF and GitHub output, --quiet/--verbose, colour on terminals only, and the
small things a new user trips on (suffix case, .txt batches, generate's folder, hints, rates)."""

from __future__ import annotations

import copy
import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from woowup_contract.cli import main

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif" / "sarif-2.1.0-rtm.5.json"
ESC_KEY = "\x1b[31mred"


def record(**stats: Any) -> dict[str, Any]:
    return {"files": ["a.csv"], "processingtime": "2026-11-21T03:15:00+00:00",
            "stats": {"customers": {"total_created": 1, "total_updated": 0, "total_failed": 0}, **stats}}


def purchases(revenue: Any) -> dict[str, Any]:
    return {"total_created": 1, "total_updated": 0, "total_failed": 0, "total_revenue": revenue,
            "total_invoice_items": 1, "per_branches": []}


def hostile_text() -> str:
    """A record whose repeated key is an ANSI escape: the pointer and message carry it."""
    key = json.dumps(ESC_KEY)
    return ('{"files": ["a.csv"], "processingtime": "2026-11-21T03:15:00+00:00", "stats": {"customers": '
            f'{{"total_created": 1, "total_updated": 0, "total_failed": 0, {key}: 1, {key}: 2}}}}}}\n')


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "good.json").write_text(json.dumps(record()), encoding="utf-8")
    bad = record(purchases=purchases(12.5))
    (tmp_path / "bad.json").write_text(json.dumps(bad, indent=1), encoding="utf-8")
    (tmp_path / "dup.json").write_text(hostile_text(), encoding="utf-8")
    return tmp_path


def sarif_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


# -- sarif and github ---------------------------------------------------------------------


def test_validate_sarif_is_a_valid_sarif_2_1_0_log(capsys: pytest.CaptureFixture[str], folder: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    code, out, _ = cli(capsys, "validate", "--format", "sarif", ".")
    assert code == 1
    log = json.loads(out)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, [e.message for e in errors]
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "woowup-contract"
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == set(rules) == {"type", "no-duplicate-keys"}
    revenue = by_rule["type"]
    assert revenue["level"] == "error" and rules[revenue["ruleIndex"]] == "type"
    location = revenue["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "./bad.json"
    assert location["region"]["startLine"] > 1
    assert revenue["message"]["text"].startswith('/stats/purchases/total_revenue: 12.5 is not of type "integer"')
    assert "\n    hint: total_revenue is an integer" in revenue["message"]["text"]
    assert by_rule["no-duplicate-keys"]["level"] == "warning"  # a strict finding, in the official profile
    assert run["properties"]["summary"] == {"payloads": 3, "valid": 2, "invalid": 1}
    assert "\x1b" not in out  # the escape in dup.json's key is shown escaped


# -- quiet and verbose ------------------------------------------------------------------------


def test_quiet_prints_only_the_errors_and_verbose_names_every_payload(capsys: pytest.CaptureFixture[str],
                                                                      folder: Path) -> None:
    (folder / "warn.json").write_text(json.dumps(dict(record(), processingtime="yesterday")), encoding="utf-8")
    code, normal, _ = cli(capsys, "validate", folder)
    q_code, quiet, _ = cli(capsys, "validate", "--quiet", folder)
    v_code, verbose, _ = cli(capsys, "validate", "-v", folder)
    assert code == q_code == v_code == 1
    assert "warning:" in normal and "hint:" in normal and "payloads checked against" in normal
    assert quiet.splitlines() == [ln for ln in normal.splitlines() if ln.startswith(str(folder))
                                  and ": warning: " not in ln]
    assert quiet and "warning" not in quiet and "hint" not in quiet
    assert f"{folder / 'good.json'}: ok" in verbose.splitlines()
    assert f"{folder / 'warn.json'}: ok" in verbose.splitlines()  # valid, with a warning
    assert set(normal.splitlines()) <= set(verbose.splitlines())


def test_quiet_and_verbose_together_are_a_usage_error(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "-q", "-v", str(folder)])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# -- colour -----------------------------------------------------------------------------------


def on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What the CLI writes to a real pseudo-terminal (stdout and stderr both on it)."""
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(env)
    proc = subprocess.Popen([sys.executable, "-m", "woowup_contract", *args], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=environment)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 1
    return b"".join(chunks).decode("utf-8")


def test_colour_only_on_a_terminal_and_never_with_no_color(folder: Path, capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    args = ["validate", str(folder)]
    coloured = on_a_terminal(args, {})
    assert "\x1b[31m" in coloured and "\x1b[0m" in coloured, coloured
    # the payload's own escape is never passed through, coloured or not
    assert ESC_KEY not in coloured and "\\x1b[31mred" in coloured
    for env, extra in (({"NO_COLOR": "1"}, []), ({}, ["--no-color"])):
        plain = on_a_terminal([*args, *extra], env)
        assert "\x1b" not in plain, (env, extra, plain)
        assert "\\x1b[31mred" in plain
    _, piped, _ = cli(capsys, *args)  # not a terminal
    assert "\x1b" not in piped


def test_the_plugin_escapes_terminal_codes_in_failure_text(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwoowup_payloads = *.json\nwoowup_strict = true\n")
    (pytester.path / "dup.json").write_text(hostile_text(), encoding="utf-8")
    result = pytester.runpytest("-p", "no:randomly", "--junitxml=report.xml")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "/stats/customers/\\x1b[31mred: the object has the same key twice" in text, text
    assert "\x1b[31mred" not in text
    assert "\x1b" not in (pytester.path / "report.xml").read_text(encoding="utf-8")


# -- the progress line ---------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_cleared_before_the_first_error(folder: Path) -> None:
    from woowup_contract.batch import validate_paths
    from woowup_contract.loader import load_registry
    from woowup_contract.report import Progress

    screen = Terminal()  # the report and the progress line share one terminal
    for i in range(5):
        (folder / f"a{i}.json").write_text(json.dumps(record()), encoding="utf-8")
    (folder / "bad.json").unlink()
    (folder / "dup.json").unlink()
    (folder / "z.json").write_text("{", encoding="utf-8")
    progress = Progress(screen, every=0)
    progress._start = -1.0  # drawn from the first payload on  # noqa: SLF001
    assert validate_paths(load_registry(), [str(folder)], stream=screen, progress=progress, jobs=1) == 1
    text = screen.getvalue()
    first_error = text.index(str(folder / "z.json") + ": (root)")
    assert "payloads, " in text[:first_error]  # the progress line was shown
    before = text[:first_error]
    wiped = re.search(r"\r([^\r]+)\r( +)\r\Z", before)  # the last line drawn, then as many spaces
    assert wiped is not None and "payloads, " in wiped[1] and len(wiped[2]) == len(wiped[1]), repr(before[-80:])


# -- the "Wrong" list -----------------------------------------------------------------------


def test_folder_walks_take_suffixes_in_any_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "UPPER.JSON").write_text(json.dumps(record()), encoding="utf-8")
    (tmp_path / "Batch.JsonL").write_text(json.dumps(record()) + "\n{\n", encoding="utf-8")
    code, out, _ = cli(capsys, "validate", tmp_path)
    assert code == 1
    assert f"{tmp_path / 'Batch.JsonL'}:2: (root): invalid JSON" in out
    assert out.endswith("3 payloads checked against connectors.log-record (official): 2 valid, 1 invalid "
                        "(1 error)\n"), out


def test_a_jsonl_batch_saved_as_txt_gets_a_hint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    batch = tmp_path / "batch.txt"
    batch.write_text(json.dumps(record()) + "\n" + json.dumps(record()) + "\n", encoding="utf-8")
    code, out, _ = cli(capsys, "validate", batch)
    assert code == 1
    assert f"{batch}: (root): invalid JSON: Extra data [parse] (line 2, column 1)\n" \
           "    hint: this looks like JSONL, one payload per line: name the file .jsonl or .ndjson\n" in out


def test_validate_on_a_generated_invalid_folder_skips_the_labels(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    out_dir = tmp_path / "fixtures"
    assert cli(capsys, "generate", "--invalid", "-n", "3", "--out", out_dir)[0] == 0
    assert len(list(out_dir.glob("*.expected.json"))) == 3
    code, out, _ = cli(capsys, "validate", out_dir)
    assert code == 1
    assert "3 payloads checked" in out and ".expected.json" not in out, out


def test_generate_into_a_used_folder_leaves_no_stale_files(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    out_dir = tmp_path / "fixtures"
    assert cli(capsys, "generate", "--invalid", "-n", "5", "--out", out_dir)[0] == 0
    (out_dir / "README.txt").write_text("ours, not generate's\n", encoding="utf-8")
    assert cli(capsys, "generate", "-n", "2", "--out", out_dir)[0] == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["README.txt", "payload-0001.json", "payload-0002.json"]
    assert cli(capsys, "validate", out_dir)[0] == 0


@pytest.mark.parametrize(("revenue", "hint"), [
    (12.5, "send whole units"), ("12345", 'total_revenue is a JSON number, not a string'),
])
def test_the_total_revenue_hint_fits_the_value(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               revenue: Any, hint: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record(purchases=purchases(revenue))), encoding="utf-8")
    _, out, _ = cli(capsys, "validate", path)
    hints = [ln for ln in out.splitlines() if ln.startswith("    hint: ")]
    assert len(hints) == 1 and hint in hints[0], out
    if isinstance(revenue, str):
        assert "round" not in out


@pytest.mark.parametrize("rate", ["5", "140"])
def test_a_rate_limit_without_a_unit_is_a_usage_error(capsys: pytest.CaptureFixture[str], rate: str) -> None:
    code, _, err = cli(capsys, "check", "--base-url", "http://127.0.0.1:9", "--api-key", "k", "--rate-limit", rate)
    assert code == 2
    assert f"--rate-limit: expected N/min, N/s or N/h with a whole N > 0, such as 140/min or 5/s (or none), " \
           f"got '{rate}'" in err


@pytest.mark.parametrize(("url", "paced"), [("http://127.0.0.1:8080", None), ("http://localhost:1", None),
                                             ("http://[::1]:8080", None), ("https://api.example.test", 60.0)])
def test_check_paces_only_a_remote_base_url(url: str, paced: float | None) -> None:
    from woowup_contract.cli import build_parser
    from woowup_contract.endpoints._cli import settings_from_args

    args = build_parser().parse_args(["check", "--base-url", url])
    assert settings_from_args(args, base_url=url, api_key="k", live=True).rate_per_minute == paced
    args = build_parser().parse_args(["check", "--base-url", url, "--rate-limit", "5/s"])
    assert settings_from_args(args, base_url=url, api_key="k", live=True).rate_per_minute == 300.0


def test_the_python_api_gives_the_cli_s_violations(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    import woowup_contract

    for path in sorted(folder.iterdir()):
        _, out, _ = cli(capsys, "validate", "--strict", "--format", "json", path)
        [reported] = json.loads(out)["results"]
        result = woowup_contract.validate(path.read_text(encoding="utf-8"), strict=True, source=str(path))
        assert result.to_dict() == reported
    parsed = woowup_contract.validate(copy.deepcopy(record(purchases=purchases(12.5))))
    assert [(v.pointer, v.rule) for v in parsed.violations] == [("/stats/purchases/total_revenue", "type")]


# -- Hypothesis' caches --------------------------------------------------------------------------


def test_check_leaves_no_hypothesis_folder_in_the_project_and_keeps_its_caches_for_the_next_run(
        tmp_path: Path) -> None:
    import shutil

    project, cache = tmp_path / "connector", tmp_path / "cache"
    project.mkdir()
    home = cache / "woowup-contract" / "hypothesis"
    shared = Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]) / "unicode_data"
    if shared.is_dir():  # the suite's tables, so the run does not spend seconds building them again
        shutil.copytree(shared, home / "unicode_data")
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["XDG_CACHE_HOME"] = str(cache)
    proc = subprocess.run([sys.executable, "-m", "woowup_contract", "check", "--max-examples", "1", "--seed", "1"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # without the cache home, Hypothesis would have built its tables in the project's .hypothesis
    assert sorted(p.name for p in project.iterdir()) == [], list(project.iterdir())
    assert list((home / "unicode_data").glob("*/codec-*utf-8*")), list(home.rglob("*"))


@pytest.mark.parametrize(("platform", "environ", "expected"), [
    ("linux", {"HYPOTHESIS_STORAGE_DIRECTORY": "/srv/h"}, None),  # said already: left alone
    ("win32", {"HYPOTHESIS_STORAGE_DIRECTORY": "/srv/h", "LOCALAPPDATA": "/srv/local"}, None),
    ("linux", {"XDG_CACHE_HOME": "/srv/cache"}, "/srv/cache/woowup-contract/hypothesis"),
    ("linux", {"XDG_CACHE_HOME": "relative/cache"}, "~/.cache/woowup-contract/hypothesis"),  # ignored, as the spec says
    ("linux", {}, "~/.cache/woowup-contract/hypothesis"),
    ("darwin", {"XDG_CACHE_HOME": "/srv/cache"}, "~/Library/Caches/woowup-contract/hypothesis"),
    ("win32", {"LOCALAPPDATA": "/srv/local", "XDG_CACHE_HOME": "/srv/cache"}, "/srv/local/woowup-contract/hypothesis"),
    ("win32", {}, "~/AppData/Local/woowup-contract/hypothesis"),
])
def test_the_program_s_hypothesis_home(platform: str, environ: dict[str, str], expected: str | None,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from woowup_contract.cli import hypothesis_home

    monkeypatch.setattr(sys, "platform", platform)
    assert hypothesis_home(environ) == (expected and os.path.expanduser(expected))
