"""Each strict rule of connectors.log-record: what it reports, and what it leaves alone.

Strict findings are warnings in the official profile (the record stays valid)
and errors in the strict profile.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Callable

import pytest

from woowup_contract.checker import Checker
from woowup_contract.loader import Registry
from woowup_contract.model import StrictRule
from woowup_contract.engine import CompiledSchema
from woowup_contract.pointers import pointer_from_parts
from woowup_contract.datetimes import parse_iso_datetime
from woowup_contract.rules import KINDS, Context, PointerPattern, compile_rule, overlay_at

Edit = Callable[[dict[str, Any]], None]


def findings(registry: Registry, document: Any, rule: str, *, profile: str = "official") -> set[str]:
    """Pointers the rule reports for the document (checked from its JSON text)."""
    result = Checker(registry, profile=profile).check_text(json.dumps(document, indent=2))  # type: ignore[arg-type]
    return {v.pointer for v in result.violations if v.rule == rule}


def edited(record: dict[str, Any], edit: Edit) -> dict[str, Any]:
    edit(record)
    return record


def test_the_sample_record_has_no_finding_at_all(registry: Registry, record: dict[str, Any]) -> None:
    result = Checker(registry, profile="strict").check_text(json.dumps(record))
    assert result.violations == ()


def test_every_bundled_rule_kind_is_implemented(registry: Registry) -> None:
    kinds = {r.kind for c in registry for r in c.strict}
    assert kinds <= set(KINDS)
    assert {r.id for r in registry.get("connectors.log-record").strict} == {
        "processingtime-iso8601", "non-negative-counts", "int64", "branch-sums", "branch-name-non-empty",
        "branch-name-unique", "files-non-empty", "files-unique", "no-duplicate-keys"}


def test_an_unknown_rule_kind_is_refused() -> None:
    rule = StrictRule(id="x", kind="telepathy", severity="warning", message="m", provenance="assumption")
    with pytest.raises(ValueError, match="unknown strict rule kind 'telepathy'"):
        compile_rule(rule)


# -- processingtime-iso8601 ----------------------------------------------------------


@pytest.mark.parametrize("value", [
    "2019-03-12 12:30:00", "12/03/2019 12:30", "2019-03-12T12:30:00", "2019-03-12", "2019-02-30T12:30:00Z",
    "2019-03-12T25:00:00Z", "2019-03-12T12:30:00+25:00", "", "yesterday", "2019-03-12t12:30:00Z",
])
def test_processingtime_that_is_not_iso8601_with_offset(registry: Registry, record: dict[str, Any],
                                                        value: str) -> None:
    record["processingtime"] = value
    assert findings(registry, record, "processingtime-iso8601") == {"/processingtime"}


@pytest.mark.parametrize("value", [
    "2019-03-12T12:30:00+00:00", "2019-03-12T12:30:00Z", "2019-03-12T12:30:00.123456-03:00",
    "2019-03-12T12:30:00.123456789+05:30", "2019-03-12T12:30-03:00", "2019-03-12T12:30:00-0300",
])
def test_processingtime_in_iso8601_with_offset(registry: Registry, record: dict[str, Any], value: str) -> None:
    record["processingtime"] = value
    assert findings(registry, record, "processingtime-iso8601") == set()


def test_processingtime_of_the_wrong_type_is_left_to_the_schema(registry: Registry, record: dict[str, Any]) -> None:
    record["processingtime"] = 1552393800
    assert findings(registry, record, "processingtime-iso8601") == set()
    assert findings(registry, record, "type") == {"/processingtime"}


def test_parse_iso_datetime_keeps_the_offset() -> None:
    parsed = parse_iso_datetime("2019-03-12T12:30:00.5-03:00")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=-3)
    assert parsed.microsecond == 500000
    assert parse_iso_datetime("2019-03-12T12:30:00") is None


# -- non-negative-counts -------------------------------------------------------------


@pytest.mark.parametrize(("edit", "pointer"), [
    (lambda r: r["stats"]["products"].update(total_failed=-1), "/stats/products/total_failed"),
    (lambda r: r["stats"]["purchases"].update(total_revenue=-100), "/stats/purchases/total_revenue"),
    (lambda r: r["stats"]["customers"]["per_branches"][1].update(total_created=-1),
     "/stats/customers/per_branches/1/total_created"),
])
def test_negative_counts_are_reported(registry: Registry, record: dict[str, Any], edit: Edit, pointer: str) -> None:
    assert pointer in findings(registry, edited(record, edit), "non-negative-counts")


def test_zero_counts_are_fine(registry: Registry, record: dict[str, Any]) -> None:
    for entity in record["stats"].values():
        for key in entity:
            if key.startswith("total_"):
                entity[key] = 0
        entity.pop("per_branches", None)
    assert findings(registry, record, "non-negative-counts") == set()


def test_a_negative_count_next_to_a_string_count_is_still_found(registry: Registry,
                                                                record: dict[str, Any]) -> None:
    """Mixed types defeat the all-values fast path; the value-by-value walk must still run."""
    record["stats"]["customers"]["total_created"] = "3"
    record["stats"]["customers"]["total_failed"] = -1
    assert findings(registry, record, "non-negative-counts") == {"/stats/customers/total_failed"}
    assert findings(registry, record, "type") == {"/stats/customers/total_created"}


# -- int64 -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "reported"), [
    (2**63 - 1, False), (2**63, True), (-(2**63), False), (-(2**63) - 1, True), (10**30, True),
])
def test_integers_must_fit_signed_64_bit(registry: Registry, record: dict[str, Any], value: int,
                                         reported: bool) -> None:
    record["stats"]["purchases"]["total_revenue"] = value
    record["stats"]["purchases"]["per_branches"][0]["total_revenue"] = value
    expected = {"/stats/purchases/total_revenue", "/stats/purchases/per_branches/0/total_revenue"}
    assert findings(registry, record, "int64") == (expected if reported else set())


def test_int64_looks_at_the_counts_only(registry: Registry, record: dict[str, Any]) -> None:
    record["connector"] = {"build": 2**70}
    assert findings(registry, record, "int64") == set()


# -- branch-sums -------------------------------------------------------------------


def test_per_branch_figures_that_do_not_add_up(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["customers"]["total_created"] = 4  # branches say 2 + 1
    record["stats"]["purchases"]["total_revenue"] = 1
    assert findings(registry, record, "branch-sums") == {"/stats/customers/total_created",
                                                          "/stats/purchases/total_revenue"}


def test_per_branch_figures_that_add_up(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["customers"]["per_branches"][0]["total_created"] = 2.0
    assert findings(registry, record, "branch-sums") == set()


def test_no_per_branches_no_sum(registry: Registry, record: dict[str, Any]) -> None:
    del record["stats"]["customers"]["per_branches"]
    record["stats"]["customers"]["total_created"] = 1000
    assert findings(registry, record, "branch-sums") == set()


def test_sum_message_says_both_figures(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["customers"]["total_created"] = 4
    result = Checker(registry).check_document(record)
    (finding,) = [v for v in result.violations if v.rule == "branch-sums"]
    assert "add up to 3 for total_created, but total_created is 4" in finding.message


# -- branch names ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", " ", "\t"])
def test_blank_branch_names(registry: Registry, record: dict[str, Any], name: str) -> None:
    record["stats"]["purchases"]["per_branches"][0]["branch"] = name
    assert findings(registry, record, "branch-name-non-empty") == {"/stats/purchases/per_branches/0/branch"}


def test_named_branches_are_fine(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["purchases"]["per_branches"][0]["branch"] = "X"
    assert findings(registry, record, "branch-name-non-empty") == set()


def test_a_branch_twice_in_one_list(registry: Registry, record: dict[str, Any]) -> None:
    record["stats"]["customers"]["per_branches"][1]["branch"] = "Palermo"
    assert findings(registry, record, "branch-name-unique") == {"/stats/customers/per_branches/1/branch"}


def test_the_same_branch_in_two_entities_is_fine(registry: Registry, record: dict[str, Any]) -> None:
    assert record["stats"]["customers"]["per_branches"][0]["branch"] == \
        record["stats"]["purchases"]["per_branches"][0]["branch"]
    assert findings(registry, record, "branch-name-unique") == set()


def test_a_duplicate_branch_is_found_next_to_an_entry_without_a_name(registry: Registry,
                                                                     record: dict[str, Any]) -> None:
    branches = record["stats"]["customers"]["per_branches"]
    branches.append({"total_created": 0, "total_updated": 0, "total_failed": 0})
    branches.append({"branch": "Belgrano", "total_created": 0, "total_updated": 0, "total_failed": 0})
    assert findings(registry, record, "branch-name-unique") == {"/stats/customers/per_branches/3/branch"}


# -- files -------------------------------------------------------------------------


def test_no_files(registry: Registry, record: dict[str, Any]) -> None:
    record["files"] = []
    assert findings(registry, record, "files-non-empty") == {"/files"}


def test_one_file_is_enough(registry: Registry, record: dict[str, Any]) -> None:
    record["files"] = ["a.csv"]
    assert findings(registry, record, "files-non-empty") == set()
    assert findings(registry, record, "files-unique") == set()


def test_a_file_named_twice(registry: Registry, record: dict[str, Any]) -> None:
    record["files"] = ["a.csv", "b.csv", "a.csv", "a.csv"]
    assert findings(registry, record, "files-unique") == {"/files/2", "/files/3"}


# -- no-duplicate-keys -------------------------------------------------------------


def test_duplicate_keys_are_seen_by_the_strict_rule(registry: Registry) -> None:
    text = ('{"files": ["a.csv"], "processingtime": "2019-03-12T12:30:00Z", "stats": {"customers": '
            '{"total_created": 1, "total_updated": 0, "total_failed": 0, "per_branches": ['
            '{"branch": "A", "branch": "B", "total_created": 1, "total_updated": 0, "total_failed": 0}]}},'
            ' "files": ["b.csv"]}')
    result = Checker(registry).check_text(text)
    assert result.valid
    found = {v.pointer for v in result.violations if v.rule == "no-duplicate-keys"}
    assert found == {"/files", "/stats/customers/per_branches/0/branch"}


def test_duplicate_keys_are_pointed_at_with_rfc6901_escapes(registry: Registry) -> None:
    text = '{"files": ["a"], "processingtime": "2019-03-12T12:30:00Z", "stats": {}, "a/b~c": 1, "a/b~c": 2}'
    result = Checker(registry).check_text(text)
    assert [v.pointer for v in result.violations if v.rule == "no-duplicate-keys"] == ["/a~1b~0c"]


def test_a_parsed_document_has_no_duplicate_keys_to_report(registry: Registry, record: dict[str, Any]) -> None:
    result = Checker(registry).check_document(record)
    assert [v for v in result.violations if v.rule == "no-duplicate-keys"] == []


# -- profiles ----------------------------------------------------------------------


def broken_everywhere(record: dict[str, Any]) -> dict[str, Any]:
    record["files"] = ["a.csv", "a.csv"]
    record["processingtime"] = "yesterday"
    record["stats"]["products"]["total_failed"] = -1
    record["stats"]["customers"]["total_created"] = 9
    record["stats"]["customers"]["per_branches"][1]["branch"] = " "
    return record


def test_official_profile_reports_strict_findings_as_warnings(registry: Registry, record: dict[str, Any]) -> None:
    result = Checker(registry, profile="official").check_document(broken_everywhere(record))
    assert result.valid
    assert result.errors == ()
    assert {v.rule for v in result.warnings} == {"files-unique", "processingtime-iso8601", "non-negative-counts",
                                                 "branch-sums", "branch-name-non-empty"}


def test_strict_profile_turns_them_into_errors(registry: Registry, record: dict[str, Any]) -> None:
    official = Checker(registry, profile="official").check_document(broken_everywhere(record))
    strict = Checker(registry, profile="strict").check_document(broken_everywhere(record))
    assert not strict.valid
    assert strict.warnings == ()
    assert [(v.pointer, v.rule, v.message) for v in strict.errors] == \
        [(v.pointer, v.rule, v.message) for v in official.warnings]


def test_strict_profile_keeps_a_clean_record_valid(registry: Registry, record: dict[str, Any]) -> None:
    assert Checker(registry, profile="strict").check_document(record).valid


def test_an_unknown_profile_is_refused(registry: Registry) -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        Checker(registry, profile="lenient")  # type: ignore[arg-type]


# -- pointer patterns --------------------------------------------------------------

PATTERNS = ["/stats/*/total_*", "/stats/*/per_branches/*/total_*", "/stats/*/per_branches", "/files",
            "/stats/*/per_branches/*/branch", "/stats/customers/per_branches/1", "/stats/*/per_branches/?/branch",
            "/stats/[cp]*/total_created", "/nothing/*"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_an_overlay_applies_where_the_pattern_selects(record: dict[str, Any], pattern: str) -> None:
    """One meaning of a pointer pattern: the places the Python rules walk are the places the engine
    applies an overlay (a false schema there fails exactly at each selected place)."""
    p = PointerPattern(pattern)
    walked = {pointer_from_parts(parts) for parts, _ in p.select(record)}
    judged = {e.pointer for e in CompiledSchema(overlay_at(pattern, False)).errors(record)}  # type: ignore[arg-type]
    assert judged == walked
    assert all(p.matches(parts) for parts, _ in p.select(record))


def test_pointer_pattern_selects_keys_and_indices(record: dict[str, Any]) -> None:
    selected = dict(PointerPattern("/stats/*/per_branches/*/branch").select(record))
    assert selected == {
        ("stats", "customers", "per_branches", 0, "branch"): "Palermo",
        ("stats", "customers", "per_branches", 1, "branch"): "Belgrano",
        ("stats", "purchases", "per_branches", 0, "branch"): "Palermo",
    }
    assert not PointerPattern("/stats/*/total_*").matches(("stats", "customers", "per_branches"))
    assert PointerPattern("/stats/*/total_*").matches(("stats", "customers", "total_failed"))


def test_rules_run_without_a_checker_context(record: dict[str, Any]) -> None:
    """An overlay kind is JSON Schema; a Python kind runs on a bare document and context."""
    minimum = StrictRule(id="neg", kind="minimum", severity="warning", message="m", provenance="assumption",
                         options={"at": ["/stats/*/total_*"], "minimum": 0})
    assert compile_rule(minimum).overlay == {"minimum": 0} and compile_rule(minimum).check is None
    when = StrictRule(id="when", kind="datetime", severity="warning", message="m", provenance="assumption",
                      options={"at": ["/processingtime"]})
    record["processingtime"] = "12/03/2019"
    check = compile_rule(when).check
    assert check is not None
    assert check(record, Context()) == [(("processingtime",), "'12/03/2019' is not an ISO-8601 date-time with an offset")]
