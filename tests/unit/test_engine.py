"""One engine for every verdict: each wrong verdict or crash the hand-written engine had, as a test.

Each case is a user contract in a ``--contracts-dir`` (tmp), loaded and checked the way
``validate`` does it; load errors are checked for file, line and what is wrong.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from woowup_contract.checker import Checker
from woowup_contract.engine import BACKTRACK_LIMIT, CompiledSchema, SchemaCompileError
from woowup_contract.lint import lint
from woowup_contract.loader import MAX_DEPTH, MAX_EXPANSIONS, ContractError, load_registry


def contract(document: Any, contract_id: str = "acme.thing") -> str:
    """A payload contract around ``document``, as YAML a person writes (block style, one key a line)."""
    return yaml.safe_dump({
        "format": "woowup-contract/1", "id": contract_id, "kind": "payload", "title": "A thing",
        "source": {"doc": "Acme", "section": "Things", "url": "https://example.com/things"},
        "schema": {"provenance": "assumption", "dialect": "draft-07", "document": document},
    }, sort_keys=False, allow_unicode=True)


def write(directory: Path, text: str, name: str = "thing.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def checker(tmp_path: Path, document: Any) -> Checker:
    write(tmp_path / "contracts", contract(document))
    return Checker(load_registry([tmp_path / "contracts"]), "acme.thing")


def load_error(tmp_path: Path, text: str) -> ContractError:
    path = write(tmp_path / "contracts", text)
    with pytest.raises(ContractError) as info:
        load_registry([tmp_path / "contracts"])
    assert info.value.path == str(path)
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


# -- references ----------------------------------------------------------------------------------


def test_a_ref_resolves_within_its_own_id_scope(tmp_path: Path) -> None:
    check = checker(tmp_path, {
        "$id": "http://example.com/order.json",
        "definitions": {"id": {"type": "string"}},
        "properties": {"address": {
            "$id": "http://example.com/address.json",
            "definitions": {"id": {"type": "integer"}},
            "properties": {"id": {"$ref": "#/definitions/id"}}}}})
    assert [(v.pointer, v.rule) for v in check.check_text('{"address": {"id": "A-1"}}').errors] == [
        ("/address/id", "type")]
    assert check.check_text('{"address": {"id": 7}}').valid


def test_a_plain_name_id_is_a_ref_target(tmp_path: Path) -> None:
    check = checker(tmp_path, {"definitions": {"q": {"$id": "#qty", "type": "integer"}},
                               "properties": {"qty": {"$ref": "#qty"}}})
    assert check.check_text('{"qty": 3}').valid
    assert [v.rule for v in check.check_text('{"qty": "3"}').errors] == ["type"]


def test_the_draft7_meta_schema_is_a_ref_target_offline(tmp_path: Path) -> None:
    check = checker(tmp_path, {"properties": {"schema": {"$ref": "http://json-schema.org/draft-07/schema#"}}})
    assert check.check_text('{"schema": {"type": "integer"}}').valid
    assert not check.check_text('{"schema": {"type": 5}}').valid


def test_a_ref_to_another_contract_resolves_by_its_id(tmp_path: Path) -> None:
    write(tmp_path / "contracts", contract({"$id": "http://example.com/money.json", "type": "integer"}, "acme.money"),
          "money.yaml")
    check = checker(tmp_path, {"properties": {"total": {"$ref": "http://example.com/money.json"}}})
    assert check.check_text('{"total": 3}').valid
    assert [v.pointer for v in check.check_text('{"total": 3.5}').errors] == ["/total"]


@pytest.mark.parametrize("ref", ["#/definitions/missing", "http://example.com/nowhere.json", "#nobody"])
def test_a_ref_that_resolves_nowhere_is_a_load_error_at_its_line(tmp_path: Path, ref: str) -> None:
    text = contract({"definitions": {}, "properties": {"a": {"type": "object"}, "b": {"$ref": ref}}})
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "$ref")
    assert repr(ref) in error.message and "resolves nowhere" in error.message


# -- patterns ------------------------------------------------------------------------------------


def test_negated_classes_inside_a_class_read_as_ecma(tmp_path: Path) -> None:
    check = checker(tmp_path, {"properties": {"code1": {"pattern": "^[\\D]{3}-[0-9]+$"}},
                               "patternProperties": {"^[\\D]+$": {"type": "integer"}}})
    assert check.check_text('{"code1": "ABC-12"}').valid
    assert [(v.pointer, v.rule) for v in check.check_text('{"apples": "lots"}').errors] == [("/apples", "type")]


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    ("^\\s$", "\ufeff", True),  # ECMA's \s has the BOM; Python's does not
    ("^\\s$", "\u00a0", True),
    ("\\bx", "x", True),
    ("^\\w$", "é", False),  # ECMA's \w is ASCII
    ("^(.*)$", "a.csv\n", False), ("^(.*)$", "Palermo\r", False), ("^(.*)$", "x\u2028", False),
    ("^(.*)$", "Palermo", True),
])
def test_patterns_follow_ecma_262(tmp_path: Path, pattern: str, text: str, matches: bool) -> None:
    check = checker(tmp_path, {"properties": {"v": {"pattern": pattern}}})
    assert check.check_document({"v": text}).valid is matches


@pytest.mark.parametrize("pattern", ["(?i)abc", "\\Aabc", "abc\\Z", "[unclosed", "a{2,1}"])
def test_a_pattern_with_no_ecma_meaning_is_a_load_error_at_its_line(tmp_path: Path, pattern: str) -> None:
    text = contract({"properties": {"a": {"type": "string"}, "v": {"pattern": pattern}}})
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "pattern:")
    assert "/properties/v/pattern" in error.message and '"regex"' in error.message


def test_a_pattern_properties_key_with_no_ecma_meaning_is_a_load_error_at_its_line(tmp_path: Path) -> None:
    text = contract({"type": "object", "patternProperties": {"(?i)^x": {"type": "integer"}}})
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "(?i)^x")


def test_backtracking_is_bounded(tmp_path: Path) -> None:
    """^(a+)+$ takes the linear engine; with a backreference the backtracking one gives up and says so."""
    near_miss = "a" * 30 + "!"
    check = checker(tmp_path, {"properties": {"v": {"pattern": "^(a+)+$"}, "w": {"pattern": "^(a|a)*\\1$"}}})
    assert [(v.pointer, v.rule) for v in check.check_document({"v": near_miss}).errors] == [("/v", "pattern")]
    [error] = check.check_document({"w": near_miss}).errors
    assert (error.pointer, error.rule) == ("/w", "pattern")
    assert "too much backtracking" in error.message and BACKTRACK_LIMIT > 0


# -- the loader checks what it loads ------------------------------------------------------------


@pytest.mark.parametrize(("document", "needle", "says"), [
    ({"type": "object", "properties": {"n": {"minimum": "5"}}}, "minimum:", '"5" is not of type "number"'),
    ({"type": "object", "properties": {"n": {"multipleOf": "1e-8"}}}, "multipleOf:", "is not of type \"number\""),
    ({"type": "objet"}, "type: objet", "is not a draft-07 type"),
    ({"required": "id"}, "required:", 'is not of type "array"'),
])
def test_a_schema_is_checked_against_the_draft7_meta_schema(tmp_path: Path, document: Any, needle: str,
                                                             says: str) -> None:
    text = contract(document)
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, needle)
    assert says in error.message


def test_a_yaml_exponent_without_a_dot_is_text_and_so_refused(tmp_path: Path) -> None:
    """YAML 1.1 reads ``1e-8`` as a string: the meta-check says so instead of a TypeError later."""
    text = contract({"properties": {"n": {"type": "number"}}}).replace("type: number", "multipleOf: 1e-8")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "multipleOf") and "not of type" in error.message


def test_deep_nesting_is_a_load_error_at_its_line(tmp_path: Path) -> None:
    document: Any = {"type": "integer"}
    for _ in range(600):
        document = {"items": document}
    text = json.dumps({"format": "woowup-contract/1", "id": "acme.thing", "kind": "payload", "title": "t",
                       "source": {"doc": "d", "section": "s", "url": "https://example.com"},
                       "schema": {"provenance": "assumption", "dialect": "draft-07", "document": document}},
                      indent=0)
    error = load_error(tmp_path, text)
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message
    assert error.line is not None and error.line > 10


def test_contract_expansion_is_counted_across_files(tmp_path: Path) -> None:
    """Ten contracts each embedding the previous one ten times: 10**10 schemas, refused at the limit."""
    directory = tmp_path / "contracts"
    write(directory, contract({"type": "integer"}, "acme.c0"), "c0.yaml")
    for level in range(1, 10):
        write(directory, contract({"type": "array", "items": [{"$ref": "#/definitions/x"}],
                                   "definitions": {"x": {}}}, f"acme.c{level}x"), f"c{level}x.yaml")
    endpoint = textwrap.dedent("""\
        format: woowup-contract/1
        id: acme.get
        kind: endpoint
        title: Get
        source: {doc: Acme, section: Things, url: https://example.com/things}
        endpoint:
          provenance: assumption
          method: GET
          host: https://api.example.com
          path: /things
          parameters: []
          payload: "200"
          responses:
            - status: "200"
              provenance: assumption
              description: many
              body: {type: array, items: [BODY]}
        """).replace("BODY", ", ".join(["{$contract: acme.c0}"] * (MAX_EXPANSIONS + 1)))
    write(directory, endpoint, "get.yaml")
    with pytest.raises(ContractError, match=f"more than {MAX_EXPANSIONS} \\$contract expansions"):
        Checker(load_registry([directory]), "acme.get")


def test_lint_warns_about_keywords_draft7_does_not_define(tmp_path: Path) -> None:
    text = contract({"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "object",
                     "requried": "id", "properties": {"id": {"type": "string", "format": "date-time"},
                                                         "n": {"dependentRequired": {"a": ["b"]}}}})
    path = write(tmp_path / "contracts", text)
    out = io.StringIO()
    lint([str(tmp_path / "contracts")], out)
    report = out.getvalue()
    assert f"warning: {path}:{line_of(text, 'requried')}: schema /requried: 'requried' is not a draft-07 keyword" \
        in report
    assert f"warning: {path}:{line_of(text, 'dependentRequired')}: schema /properties/n/dependentRequired:" in report
    assert f"warning: {path}:{line_of(text, '$schema')}: schema /$schema: $schema " in report
    assert f"note: {path}:{line_of(text, 'format: date-time')}: schema /properties/id/format: format 'date-time' is not " \
           "asserted" in report


# -- verdicts depend on the payload and the contract only --------------------------------------


def test_forty_identical_prices_get_forty_identical_verdicts_under_any_jobs(tmp_path: Path) -> None:
    write(tmp_path / "contracts", contract({"type": "object", "properties": {"price": {"multipleOf": 0.01}}}))
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for i in range(40):
        (payloads / f"p{i:02}.json").write_text('{"price": 19.99}', encoding="utf-8")
    summaries = []
    for jobs in ("1", "2"):
        proc = subprocess.run([sys.executable, "-m", "woowup_contract", "validate", "--contracts-dir",
                               str(tmp_path / "contracts"), "--contract", "acme.thing", "--jobs", jobs,
                               "--format", "json", str(payloads)], capture_output=True, text=True, check=False)
        report = json.loads(proc.stdout)
        summaries.append((proc.returncode, report["summary"]))
    assert summaries == [(0, {"payloads": 40, "valid": 40, "invalid": 0})] * 2, summaries


def test_a_lone_surrogate_gets_a_verdict(tmp_path: Path) -> None:
    check = checker(tmp_path, {"properties": {"v": {"maxLength": 1, "pattern": "^(.*)$"}}})
    assert check.check_text('{"v": "\\ud800"}').valid
    assert [v.rule for v in check.check_text('{"v": "\\ud800\\ud800"}').errors] == ["maxLength"]


def test_the_engine_refuses_a_schema_with_where_and_why() -> None:
    with pytest.raises(SchemaCompileError) as info:
        CompiledSchema({"properties": {"a": {"minimum": "5"}}})
    assert info.value.pointer == "/properties/a/minimum"
