"""The checker: verdicts, pointers, positions and hints, driven by the payload fixture folders.

``tests/fixtures/payloads/{valid,invalid}/NAME.json`` with ``NAME.expected.yaml``
sidecars (see the README there) pin exactly what the official profile reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from woowup_contract.checker import Checker, target_schema
from woowup_contract.ecma import matcher
from woowup_contract.loader import Registry, UnknownContract
from woowup_contract.model import Result
from woowup_contract.sources import read_file

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
VALID = sorted((PAYLOADS / "valid").glob("*.json"))
INVALID = sorted((PAYLOADS / "invalid").glob("*.json"))
PUBLISHED_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "published" / "log-record.schema.json").read_text())


def expected(path: Path) -> dict[str, list[dict[str, Any]]]:
    sidecar = path.with_name(path.stem + ".expected.yaml")
    if not sidecar.exists():
        return {"errors": [], "warnings": []}
    data = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    return {"errors": data.get("errors") or [], "warnings": data.get("warnings") or []}


def check_file(registry: Registry, path: Path, profile: str = "official") -> Result:
    (payload,) = list(read_file(str(path)))
    return Checker(registry, profile=profile).check(payload)  # type: ignore[arg-type]


def assert_matches(result: Result, want: dict[str, list[dict[str, Any]]]) -> None:
    for severity, got in (("errors", result.errors), ("warnings", result.warnings)):
        pinned = want[severity]
        assert sorted((v.pointer, v.rule) for v in got) == sorted((w["pointer"], w["rule"]) for w in pinned), \
            f"{severity} of {result.source}: {[v.to_dict() for v in got]}"
        by_key = {(v.pointer, v.rule): v for v in got}
        for w in pinned:
            v = by_key[(w["pointer"], w["rule"])]
            if "line" in w:
                assert (v.line, v.column) == (w["line"], w["column"]), v
            if "hint" in w:
                assert v.hint is not None and w["hint"] in v.hint, v


def test_the_fixture_folders_are_not_empty() -> None:
    assert len(VALID) >= 5 and len(INVALID) >= 10
    assert [p.name for p in INVALID if not p.with_name(p.stem + ".expected.yaml").exists()] == []


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_payload(registry: Registry, path: Path) -> None:
    result = check_file(registry, path)
    assert result.valid, [v.to_dict() for v in result.violations]
    assert_matches(result, expected(path))
    assert jsonschema.Draft7Validator(PUBLISHED_SCHEMA).is_valid(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_payload_under_the_strict_profile(registry: Registry, path: Path) -> None:
    """Warnings of the official profile are exactly the errors of the strict one."""
    want = expected(path)
    result = check_file(registry, path, "strict")
    assert result.valid == (not want["warnings"])
    assert result.warnings == ()
    assert sorted((v.pointer, v.rule) for v in result.errors) == sorted(
        (w["pointer"], w["rule"]) for w in want["warnings"])


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_payload(registry: Registry, path: Path) -> None:
    result = check_file(registry, path)
    assert not result.valid
    assert_matches(result, expected(path))
    assert all(v.line is not None and v.column is not None for v in result.violations)


# -- pointers (DESIGN.md) -------------------------------------------------------------


def test_missing_required_points_at_parent_plus_name(registry: Registry, record: dict[str, Any]) -> None:
    del record["stats"]["purchases"]["per_branches"][0]["total_invoice_items"]
    del record["files"]
    result = Checker(registry).check_document(record)
    assert sorted(v.pointer for v in result.errors) == [
        "/files", "/stats/purchases/per_branches/0/total_invoice_items"]
    assert {v.rule for v in result.errors} == {"required"}


def test_a_wrong_value_points_at_the_value(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["customers"]["per_branches"][1]["total_failed"] = "0"
    (error,) = Checker(registry).check_document(record).errors
    assert (error.pointer, error.rule, error.severity) == ("/stats/customers/per_branches/1/total_failed", "type",
                                                           "error")
    assert error.message == '"0" is not of type "integer"'  # JSON spelling, as PHP and TypeScript teams read it


def test_the_document_itself_is_the_empty_pointer(registry: Registry) -> None:
    (error,) = Checker(registry).check_document("a string").errors
    assert (error.pointer, error.rule) == ("", "type")


def test_check_document_has_no_positions(registry: Registry, record: dict[str, Any]) -> None:
    del record["stats"]
    (error,) = Checker(registry).check_document(record).errors
    assert (error.line, error.column) == (None, None)


def test_positions_are_line_and_column_of_the_value(registry: Registry) -> None:
    text = ('{\n  "files": ["a.csv"],\n  "processingtime": "2019-03-12T12:30:00Z",\n'
            '  "stats": {\n    "products": {"total_created": 1, "total_updated": 2.5, "total_failed": 0}\n  }\n}\n')
    (error,) = Checker(registry).check_text(text, "p.json").errors
    assert (error.pointer, error.line, error.column) == ("/stats/products/total_updated", 5, 55)
    assert text.splitlines()[4][54:57] == "2.5"


def test_missing_member_is_located_at_its_parent_object(registry: Registry) -> None:
    text = ('{"files": ["a"], "processingtime": "2019-03-12T12:30:00Z",\n'
            ' "stats": {"branches":\n    {"total_created": 1}}}')
    (error,) = Checker(registry).check_text(text).errors
    assert (error.pointer, error.line, error.column) == ("/stats/branches/total_updated", 3, 5)


MANY = """{
  "files": ["a.csv", 7, "b.csv\\r"],
  "processingtime": 1552393800,
  "stats": {
    "customers": {"total_created": "1", "total_updated": 0, "total_failed": 0,
      "per_branches": [
        {"branch": "Palermo", "total_created": 1, "total_updated": 0, "total_failed": 0},
        {"branch": "Belgrano\\r", "total_created": 1.5, "total_updated": 0}
      ]},
    "purchases": {"total_created": 0, "total_updated": 0, "total_failed": 0, "total_revenue": 10.5,
      "total_invoice_items": 0, "per_branches": [{"bra\\u006ech": "Centro", "total_created": 0,
      "total_updated": 0, "total_failed": "0", "total_revenue": 0, "total_invoice_items": 0}]},
    "products": {"total_created": 0, "total_updated": 0},
    "branches": {"total_created": 0, "total_updated": null}
  }
}
"""


def test_a_payload_with_many_violations_gets_each_line_and_column(registry: Registry) -> None:
    """One walk over the text locates every violation: siblings skipped, an escaped key read,
    a missing member at its parent, each value where a person would fix it."""
    result = Checker(registry).check_text(MANY, "many.json")
    assert [(v.pointer, v.rule, v.line, v.column) for v in result.violations] == [
        ("/files/1", "type", 2, 22),
        ("/files/2", "pattern", 2, 25),
        ("/processingtime", "type", 3, 21),
        ("/stats/customers/total_created", "type", 5, 36),
        ("/stats/customers/per_branches/1/total_failed", "required", 8, 9),
        ("/stats/customers/per_branches/1/branch", "pattern", 8, 20),
        ("/stats/customers/per_branches/1/total_created", "type", 8, 51),
        ("/stats/purchases/total_revenue", "type", 10, 95),
        ("/stats/purchases/per_branches/0/total_failed", "type", 12, 43),
        ("/stats/products/total_failed", "required", 13, 17),
        ("/stats/branches/total_updated", "type", 14, 55),
    ]
    lines = MANY.splitlines()
    starts = [lines[v.line - 1][v.column - 1:] for v in result.violations if v.line is not None]
    assert [s[:4] for s in starts] == ["7, \"", '"b.c', "1552", '"1",', '{"br', '"Bel', "1.5,", "10.5", '"0",',
                                       '{"to', "null"]


# -- hints ----------------------------------------------------------------------------


def hints(result: Result) -> dict[str, str | None]:
    return {v.pointer: v.hint for v in result.errors}


def test_hint_created_to_total_created(registry: Registry, record: dict[str, Any]) -> None:
    branch = record["stats"]["customers"]["per_branches"][0]
    branch["created"] = branch.pop("total_created")
    assert hints(Checker(registry).check_document(record)) == {
        "/stats/customers/per_branches/0/total_created":
            "rename created to total_created (the documented example uses the wrong key)"}


def test_no_rename_hint_without_the_misnamed_sibling(registry: Registry, record: dict[str, Any]) -> None:
    del record["stats"]["customers"]["per_branches"][0]["total_created"]
    assert hints(Checker(registry).check_document(record)) == {"/stats/customers/per_branches/0/total_created": None}


def test_hint_processedtime(registry: Registry, record: dict[str, Any]) -> None:
    record["processedtime"] = record.pop("processingtime")
    (error,) = Checker(registry).check_document(record).errors
    assert error.pointer == "/processingtime"
    assert error.hint is not None and error.hint.startswith("rename processedtime to processingtime")


@pytest.mark.parametrize("value", ["Palermo\r", "Palermo\r\n"])
def test_hint_for_a_crlf_leftover(registry: Registry, record: dict[str, Any], value: str) -> None:
    record["stats"]["customers"]["per_branches"][0]["branch"] = value
    (error,) = Checker(registry).check_document(record).errors
    assert error.rule == "pattern"
    assert error.hint is not None and "carriage return" in error.hint and "CRLF" in error.hint


@pytest.mark.parametrize("value", ["a.csv\n", "line one\nline two", "x\u2028", "x\u2029y"])
def test_hint_for_other_line_breaks(registry: Registry, record: dict[str, Any], value: str) -> None:
    record["files"] = [value]
    (error,) = Checker(registry).check_document(record).errors
    assert (error.pointer, error.rule) == ("/files/0", "pattern")
    assert error.hint is not None and "line break" in error.hint and "CRLF" not in error.hint


@pytest.mark.parametrize("pointer", ["/stats/purchases/total_revenue", "/stats/purchases/per_branches/0/total_revenue"])
def test_hint_integer_revenue(registry: Registry, record: dict[str, Any], pointer: str) -> None:
    purchases = record["stats"]["purchases"]
    target = purchases if pointer.count("/") == 3 else purchases["per_branches"][0]
    target["total_revenue"] = 12345.67
    result = Checker(registry).check_document(record)
    assert list(hints(result)) == [pointer]
    assert "whole units" in (hints(result)[pointer] or "")


def test_no_revenue_hint_for_other_integer_fields(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["purchases"]["total_invoice_items"] = 1.5
    assert hints(Checker(registry).check_document(record)) == {"/stats/purchases/total_invoice_items": None}


def test_hints_apply_inside_a_list_of_records(registry: Registry, record: dict[str, Any]) -> None:
    """connectors.list-logs embeds the record under /*: its hints follow it there."""
    record["createtime"] = "2026-11-20T06:15:02+00:00"
    bad = json.loads(json.dumps(record))
    bad["processedtime"] = bad.pop("processingtime")
    result = Checker(registry, "connectors.list-logs").check_document([record, bad])
    (error,) = result.errors
    assert error.pointer == "/1/processingtime"
    assert error.hint is not None and "processedtime" in error.hint


def test_list_logs_requires_the_server_set_createtime(registry: Registry, record: dict[str, Any]) -> None:
    (error,) = Checker(registry, "connectors.list-logs").check_document([record]).errors
    assert (error.pointer, error.rule) == ("/0/createtime", "required")


def test_strict_rules_apply_inside_a_list_of_records(registry: Registry, record: dict[str, Any]) -> None:
    record["createtime"] = "2026-11-20T06:15:02+00:00"
    record["files"] = []
    result = Checker(registry, "connectors.list-logs").check_document([record, record])
    assert sorted(v.pointer for v in result.warnings if v.rule == "files-non-empty") == ["/0/files", "/1/files"]


# -- ECMA-262 patterns: the one place the official verdict differs from Python's re ---------


@pytest.mark.parametrize("value", ["a.csv\n", "Palermo\r", "x\u2028", "x\u2029", "\n", "a\r\n"])
def test_line_terminators_fail_the_official_pattern(registry: Registry, record: dict[str, Any], value: str) -> None:
    record["files"] = [value]
    record["processingtime"] = value
    record["stats"]["customers"]["per_branches"][0]["branch"] = value
    result = Checker(registry).check_document(record)
    assert {(v.pointer, v.rule) for v in result.errors} == {
        ("/files/0", "pattern"), ("/processingtime", "pattern"),
        ("/stats/customers/per_branches/0/branch", "pattern")}
    # the documented exception: jsonschema uses Python's re, where . matches \r, U+2028 and
    # U+2029 and $ matches before a final \n, so it accepts every one of these
    assert jsonschema.Draft7Validator(PUBLISHED_SCHEMA).is_valid(record)


def test_a_line_break_inside_fails_for_both_engines(registry: Registry, record: dict[str, Any]) -> None:
    record["files"] = ["a\nb"]
    assert [(v.pointer, v.rule) for v in Checker(registry).check_document(record).errors] == [("/files/0", "pattern")]
    assert not jsonschema.Draft7Validator(PUBLISHED_SCHEMA).is_valid(record)


@pytest.mark.parametrize("value", ["", "plain.csv", "tab\tseparated", "Córdoba", "北京 🛍", "\u0085", "x\x0b\x0c",
                                   "ends with a backslash \\", "$^.*"])
def test_single_line_strings_pass_the_official_pattern(registry: Registry, record: dict[str, Any],
                                                       value: str) -> None:
    record["files"] = [value]
    record["stats"]["purchases"]["per_branches"][0]["branch"] = value
    result = Checker(registry).check_document(record)
    assert result.errors == ()
    assert jsonschema.Draft7Validator(PUBLISHED_SCHEMA).is_valid(record)


@pytest.mark.parametrize(("pattern", "value", "matches"), [
    ("^(.*)$", "a\n", False), ("^a$", "a\n", False), ("^a$", "a", True), ("a.c", "a\rc", False),
    ("a.c", "abc", True), (r"^\d+$", "123", True), (r"^\d+$", "\u0663", False), (r"^\w+$", "é", False),
    (r"^[\d]+$", "12", True), (r"^[^\d]+$", "ab", True), ("^[.]$", ".", True), ("^[.]$", "x", False),
    (r"^[\D]{3}-[0-9]+$", "ABC-12", True), (r"^[\W]$", "-", True), (r"^[\W]$", "a", False),
    ("a\\.c", "a.c", True), ("a\\.c", "abc", False), ("^(.*)$", "Palermo\r", False), ("^(.*)$", "x\u2028", False),
    ("^(.*)$", "x\u2029", False), (r"^\s$", "\ufeff", True), (r"^\s$", "\u00a0", True),
])
def test_ecma_regex(pattern: str, value: str, matches: bool) -> None:
    assert matcher(pattern)(value) is matches


# -- contracts other than the record --------------------------------------------------


def test_post_log_checks_what_a_connector_sends(registry: Registry, record: dict[str, Any]) -> None:
    checker = Checker(registry, "connectors.post-log")
    assert checker.check_document(record).valid
    del record["stats"]
    assert [(v.pointer, v.rule) for v in checker.check_document(record).errors] == [("/stats", "required")]


def test_api_v3_error_envelope(registry: Registry) -> None:
    checker = Checker(registry, "apiv3.error")
    assert checker.check_document({"payload": [], "message": "Invalid API key", "code": "forbidden"}).valid
    result = checker.check_document({"payload": [], "message": "x", "code": "Forbidden!"})
    assert [(v.pointer, v.rule) for v in result.errors] == [("/code", "pattern")]


def test_target_schema_of_an_endpoint_is_resolved(registry: Registry) -> None:
    schema, envelope = target_schema(registry, registry.get("connectors.list-logs"))
    assert envelope is None
    assert "$contract" not in json.dumps(schema)
    assert schema["items"]["allOf"][0]["required"] == ["files", "processingtime", "stats"]


def test_an_unknown_contract_is_a_lookup_error(registry: Registry) -> None:
    with pytest.raises(UnknownContract, match="unknown contract 'connectors.nope'"):
        Checker(registry, "connectors.nope")


def test_a_payload_that_could_not_be_read_keeps_its_error(registry: Registry, tmp_path: Path) -> None:
    (payload,) = list(read_file(str(tmp_path / "missing.json")))
    result = Checker(registry).check(payload)
    assert result.unreadable and not result.valid
    assert [(v.rule, v.message) for v in result.errors] == [("read", "no such file")]


def test_positions_are_computed_only_for_payloads_that_fail(registry: Registry, record: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid files stay on the fast path: the locator is never called for them."""
    calls: list[Any] = []

    def counting_offsets_of(text: str, paths: Any, unique_keys: bool = False, document: Any = None) -> dict[Any, int]:
        calls.append(list(paths))
        return {path: 0 for path in calls[-1]}

    monkeypatch.setattr("woowup_contract.checker.offsets_of", counting_offsets_of)
    checker = Checker(registry)
    assert checker.check_text(json.dumps(record, indent=2)).valid
    assert calls == []
    del record["stats"]
    del record["processingtime"]
    assert not checker.check_text(json.dumps(record, indent=2)).valid
    assert calls == [[("processingtime",), ("stats",)]]  # one walk for every failing place
