"""The official JSON Schema Test Suite (draft-07), every case through the loader and the checker.

Each group of a suite file becomes a user contract in a ``--contracts-dir`` (its
schema verbatim); each test is a payload checked with ``Checker.check_text``, the
path a file read by ``validate`` takes. ``remotes/`` (what ``refRemote.json`` fetches
from ``http://localhost:1234/``) becomes contracts too, each under that URI as its
``$id``: references resolve among loaded contracts, never over the network.

Run: every required case, every optional one but ``optional/format/`` (draft-07 leaves
``format`` assertion optional and the checker does not assert it). A sample goes through
the real CLI with ``--contracts-dir``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.conftest import run_in_process
from woowup_contract.checker import Checker
from woowup_contract.loader import Registry, load_registry

SUITE = Path(__file__).resolve().parents[1] / "json-schema-test-suite"
DRAFT7 = SUITE / "tests" / "draft7"
REMOTES = SUITE / "remotes"
REMOTE_BASE = "http://localhost:1234/"
FILES = sorted(p for p in DRAFT7.rglob("*.json") if "format" not in p.relative_to(DRAFT7).parts[:-1])


def _contract(contract_id: str, title: str, document: Any) -> str:
    """A payload contract holding ``document`` verbatim. YAML written by PyYAML: JSON text would be
    YAML too, but YAML 1.1 reads JSON's ``1e-08`` as a string (the loader refuses it, as it should)."""
    return yaml.dump({
        "format": "woowup-contract/1", "id": contract_id, "kind": "payload", "title": title,
        "source": {"doc": "JSON Schema Test Suite", "section": title, "url": "https://github.com/json-schema-org/"
                   "JSON-Schema-Test-Suite/tree/44401e0c046704b476ec9d2e2fccdaee618f259d"},
        "schema": {"provenance": "assumption", "dialect": "draft-07", "document": document},
    }, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False)


_OTHER_DRAFTS = ("draft3", "draft4", "draft6", "draft2019-09", "draft2020-12", "v1")


def _remotes() -> Iterator[tuple[str, Any]]:
    """(URI, document) of each remote the draft-07 suite fetches: every one outside the other drafts'
    folders, and those the draft-07 schemas name themselves (cross-draft refs); its $id is its URI."""
    named = set(re.findall(re.escape(REMOTE_BASE) + r'[^"#]+', "".join(p.read_text("utf-8") for p in FILES)))
    for path in sorted(REMOTES.rglob("*.json")):
        relative = path.relative_to(REMOTES).as_posix()
        if relative.split("/")[0] in _OTHER_DRAFTS and REMOTE_BASE + relative not in named:
            continue
        uri = REMOTE_BASE + relative
        document = json.loads(path.read_text("utf-8"))
        if isinstance(document, dict) and document.get("$id", uri) == uri:
            yield uri, {**document, "$id": uri}


def _groups() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in FILES:
        name = re.sub("[^a-z0-9.-]", "-", path.relative_to(DRAFT7).with_suffix("").as_posix().replace("/", ".").lower())
        for index, group in enumerate(json.loads(path.read_text("utf-8"))):
            yield f"suite.{name}.{index}", group


GROUPS = dict(_groups())
CASES = [(cid, i) for cid, group in GROUPS.items() for i in range(len(group["tests"]))]


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("suite-contracts")
    for n, (uri, document) in enumerate(_remotes()):
        (directory / f"remote.{n}.yaml").write_text(_contract(f"suite.remote.{n}", uri, document), "utf-8")
    for contract_id, group in GROUPS.items():
        (directory / f"{contract_id}.yaml").write_text(_contract(contract_id, group["description"], group["schema"]),
                                                       "utf-8")
    return directory


@pytest.fixture(scope="module")
def registry(suite_dir: Path) -> Registry:
    return load_registry([suite_dir])


@pytest.fixture(scope="module")
def checkers() -> dict[str, Checker]:
    return {}


def test_the_vendored_suite_is_the_pinned_commit() -> None:
    assert "44401e0c046704b476ec9d2e2fccdaee618f259d" in (SUITE / "SOURCE.md").read_text("utf-8")
    assert (SUITE / "LICENSE").read_text("utf-8").startswith("Copyright")
    required = sum(len(g["tests"]) for cid, g in GROUPS.items() if not cid.startswith("suite.optional."))
    optional = sum(len(g["tests"]) for cid, g in GROUPS.items() if cid.startswith("suite.optional."))
    assert (required, optional) == (927, 118)  # 904 + refRemote.json's 23


@pytest.mark.parametrize(("contract_id", "index"), CASES, ids=[f"{c}.{i}" for c, i in CASES])
def test_suite_case(registry: Registry, checkers: dict[str, Checker], contract_id: str, index: int) -> None:
    checker = checkers.get(contract_id)
    if checker is None:
        checker = checkers[contract_id] = Checker(registry, contract_id)
    group = GROUPS[contract_id]
    case = group["tests"][index]
    result = checker.check_text(json.dumps(case["data"], ensure_ascii=False))
    assert result.valid is case["valid"], (group["description"], case["description"], result.violations)
    assert not any(v.rule == "parse" for v in result.violations)


SAMPLE = [("suite.ref.14", 0), ("suite.ref.14", 1), ("suite.ref.20", 0), ("suite.ref.20", 1), ("suite.pattern.0", 1), ("suite.refremote.0", 0),
          ("suite.refremote.0", 1), ("suite.optional.ecmascript-regex.1", 0)]


def test_a_sample_through_the_cli(suite_dir: Path, tmp_path: Path) -> None:
    """``validate --contracts-dir`` as a connector's CI runs it: one run per contract in the sample."""
    for contract_id, index in SAMPLE:
        case = GROUPS[contract_id]["tests"][index]
        payload = tmp_path / f"{contract_id}.{index}.json"
        payload.write_text(json.dumps(case["data"], ensure_ascii=False), "utf-8")
    by_contract: dict[str, list[tuple[int, Path]]] = {}
    for contract_id, index in SAMPLE:
        by_contract.setdefault(contract_id, []).append((index, tmp_path / f"{contract_id}.{index}.json"))
    for contract_id, items in by_contract.items():
        proc = run_in_process(["validate", "--contracts-dir", str(suite_dir), "--contract", contract_id,
                               "--format", "json", *(str(p) for _, p in items)])
        assert proc.returncode in (0, 1), proc.stderr
        report = json.loads(proc.stdout)
        verdicts = {r["source"]: r["valid"] for r in report["results"]}
        for index, path in items:
            assert verdicts[str(path)] is GROUPS[contract_id]["tests"][index]["valid"], (contract_id, index, proc.stdout)
