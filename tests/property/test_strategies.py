"""Properties of the public strategies: what they draw is what the contracts say.

Valid draws pass the checker (and, for the official profile, jsonschema's own
Draft7Validator); invalid draws fail with exactly the labelled violations;
the catalogue covers every constraint of the official schema and every strict
rule. These run at Hypothesis' default settings on purpose: a health check
that fires here would fire in a connector team's suite too.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from woowup_contract import Checker, load_registry
from woowup_contract.engine import CompiledSchema
from woowup_contract.rules import INT64_MAX
from woowup_contract.strategies import (
    BRANCH_NAMES,
    InvalidPayload,
    InvalidQuery,
    StrategyError,
    account_stats,
    invalid_payloads,
    invalid_query_params,
    log_lists,
    log_responses,
    mutations,
    payloads,
    query_params,
    response_bodies,
)

PUBLISHED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "published" / "log-record.schema.json").read_text("utf-8"))
REGISTRY = load_registry()
OFFICIAL = Checker(REGISTRY, profile="official")
STRICT = Checker(REGISTRY, profile="strict")
REFERENCE = jsonschema.Draft7Validator(PUBLISHED)
CHECKERS = {"official": OFFICIAL, "strict": STRICT}
CONTRACTS = ("connectors.log-record", "connectors.post-log", "connectors.list-logs", "apiv3.account-stats",
             "apiv3.error")


def errors_of(checker: Checker, text: str) -> set[tuple[str, str]]:
    return {(v.pointer, v.rule) for v in checker.check_text(text).errors}


def branches_of(record: Any) -> list[dict[str, Any]]:
    stats = record.get("stats", {})
    out: list[dict[str, Any]] = []
    for entity in ("customers", "purchases"):
        if isinstance(stats.get(entity), dict):
            out.extend(stats[entity].get("per_branches", []))
    return out


def integers_in(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for v in value.values():
            yield from integers_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from integers_in(v)
    elif type(value) is int:
        yield value


# -- valid draws ---------------------------------------------------------------------------------


@given(payloads())
def test_official_draws_pass_the_checker_and_jsonschema(record: Any) -> None:
    text = json.dumps(record, ensure_ascii=False)
    assert OFFICIAL.check_text(text).valid, OFFICIAL.check_text(text).errors
    assert REFERENCE.is_valid(record)


@given(payloads(profile="strict"))
def test_strict_draws_break_no_rule_at_all(record: Any) -> None:
    result = STRICT.check_text(json.dumps(record, ensure_ascii=False))
    assert result.violations == (), result.violations
    for entity in record["stats"].values():
        rows = entity.get("per_branches")
        if rows:
            for field in ("total_created", "total_updated", "total_failed"):
                assert entity[field] == sum(row[field] for row in rows)
            names = [row["branch"] for row in rows]
            assert len(names) == len(set(names)) and all(n.strip() for n in names)
    assert record["files"] and len(record["files"]) == len(set(record["files"]))


@pytest.mark.parametrize("contract", CONTRACTS)
@pytest.mark.parametrize("profile", ["official", "strict"])
@settings(max_examples=30)
@given(data=st.data())
def test_every_contract_payload_passes_its_own_checker(contract: str, profile: str, data: st.DataObject) -> None:
    document = data.draw(payloads(contract, profile=profile))
    checker = Checker(REGISTRY, contract, profile=profile)
    result = checker.check_text(json.dumps(document))
    assert result.valid, result.errors
    if profile == "strict":
        assert result.violations == ()


def resolved(contract: str, status: str) -> Any:
    response = REGISTRY.get(contract).response(status)
    assert response is not None
    return REGISTRY.resolve(response.body)


@given(log_responses(profile="strict"))
def test_post_log_responses_are_stored_records_with_createtime(record: Any) -> None:
    assert jsonschema.Draft7Validator(resolved("connectors.post-log", "200")).is_valid(record)
    assert isinstance(record["createtime"], str)
    assert STRICT.check_document(record).violations == ()


@given(log_lists())
def test_log_lists_are_arrays_of_stored_records(page: Any) -> None:
    assert isinstance(page, list) and len(page) <= 25
    assert jsonschema.Draft7Validator(resolved("connectors.list-logs", "200")).is_valid(page)
    assert all("createtime" in record for record in page)


@given(account_stats(envelope=True), account_stats(envelope=False))
def test_account_stats_come_bare_and_enveloped(enveloped: Any, bare: Any) -> None:
    checker = Checker(REGISTRY, "apiv3.account-stats")
    assert checker.check_document(enveloped).envelope == "enveloped"
    assert checker.check_document(bare).envelope == "bare"
    assert enveloped["code"] == "ok"
    schema = jsonschema.Draft7Validator(resolved("apiv3.account-stats", "200"))
    assert schema.is_valid(enveloped["payload"]) and schema.is_valid(bare)


@given(response_bodies("connectors.post-log", "429"))
def test_error_responses_follow_the_api_v3_envelope(body: Any) -> None:
    assert Checker(REGISTRY, "apiv3.error").check_document(body).valid
    assert set(body) >= {"payload", "message", "code"}


# -- query parameters ------------------------------------------------------------------------------


def parameter_problems(contract: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """An independent reading of the parameter table: (pointer, rule) for each broken parameter."""
    endpoint = REGISTRY.get(contract).endpoint
    assert endpoint is not None
    out = []
    for p in endpoint.parameters:
        if p.name not in params:
            continue
        value = params[p.name]
        where = "/" + p.name
        if p.type == "integer":
            if type(value) is not int:
                out.append((where, "type"))
                continue
            if p.minimum is not None and value < p.minimum:
                out.append((where, "minimum"))
            if p.maximum is not None and value > p.maximum:
                out.append((where, "maximum"))
        if p.enum is not None and value not in p.enum:
            out.append((where, "enum"))
        if p.format == "date":
            try:
                date.fromisoformat(value)
                ok = len(value) == 10
            except ValueError:
                ok = False
            if not ok:
                out.append((where, "format"))
    return out


@pytest.mark.parametrize("contract", ["connectors.list-logs", "apiv3.account-stats", "connectors.post-log"])
@given(data=st.data())
def test_query_params_keep_to_the_parameter_table(contract: str, data: st.DataObject) -> None:
    params = data.draw(query_params(contract))
    endpoint = REGISTRY.get(contract).endpoint
    assert endpoint is not None
    assert set(params) <= {p.name for p in endpoint.parameters}
    assert parameter_problems(contract, params) == []


@given(invalid_query_params("connectors.list-logs"))
def test_invalid_query_params_break_exactly_the_labelled_parameter(bad: InvalidQuery) -> None:
    assert [(v.pointer, v.rule) for v in bad.violations] == parameter_problems("connectors.list-logs", bad.params)


def test_invalid_query_params_of_an_endpoint_with_nothing_to_break_fail_clearly() -> None:
    with pytest.raises(StrategyError, match="no query parameter with a constraint"):
        find(invalid_query_params("connectors.post-log"), lambda q: True)


# -- invalid draws ---------------------------------------------------------------------------------


def assert_exactly_labelled(bad: InvalidPayload, checker: Checker) -> None:
    labelled = {(v.pointer, v.rule) for v in bad.violations}
    found = errors_of(checker, bad.text)
    assert labelled, bad
    assert found == labelled, f"{bad.mutation}: labelled {labelled}, checker found {found}\n{bad.text[:2000]}"


@given(invalid_payloads())
def test_official_invalid_draws_fail_with_exactly_their_labels(bad: InvalidPayload) -> None:
    assert_exactly_labelled(bad, OFFICIAL)


@given(invalid_payloads(profile="strict"))
def test_strict_invalid_draws_fail_with_exactly_their_labels(bad: InvalidPayload) -> None:
    assert_exactly_labelled(bad, STRICT)


def catalogue_cases() -> list[Any]:
    return [pytest.param(profile, m, id=f"{profile}:{m.rule}:{m.pointer}")
            for profile in ("official", "strict") for m in mutations(profile=profile)]


@pytest.mark.parametrize(("profile", "mutation"), catalogue_cases())
@settings(max_examples=4)
@given(data=st.data())
def test_each_catalogue_entry_breaks_what_it_says(profile: str, mutation: Any, data: st.DataObject) -> None:
    bad = data.draw(invalid_payloads(profile=profile, only=[mutation]))
    assert bad.mutation == mutation
    assert_exactly_labelled(bad, CHECKERS[profile])
    assert {v.rule for v in bad.violations} == {mutation.rule} or mutation.rule == "pattern"


@pytest.mark.parametrize("contract", CONTRACTS[1:])
@pytest.mark.parametrize("profile", ["official", "strict"])
@settings(max_examples=10)
@given(data=st.data())
def test_endpoint_invalid_draws_fail_with_exactly_their_labels(contract: str, profile: str,
                                                               data: st.DataObject) -> None:
    bad = data.draw(invalid_payloads(contract, profile=profile))
    assert_exactly_labelled(bad, Checker(REGISTRY, contract, profile=profile))


def test_a_duplicate_key_lives_in_the_text_only() -> None:
    [entry] = [m for m in mutations(profile="strict") if m.rule == "no-duplicate-keys" and m.pointer == "/files"]
    bad = find(invalid_payloads(profile="strict", only=[entry]), lambda b: True,
               settings=settings(database=None, phases=[Phase.generate]))
    assert bad.text.count('"files"') == 2
    assert STRICT.check_document(bad.payload).violations == ()
    assert errors_of(STRICT, bad.text) == {("/files", "no-duplicate-keys")}


# -- coverage of the catalogue ---------------------------------------------------------------------


def schema_constraints(schema: dict[str, Any], pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every (pointer pattern, keyword) the official schema states: type, pattern, and each required name."""
    if "type" in schema:
        yield pointer, "type"
    if "pattern" in schema:
        yield pointer, "pattern"
    for name in schema.get("required", ()):
        yield f"{pointer}/{name}", "required"
    for name, sub in schema.get("properties", {}).items():
        yield from schema_constraints(sub, f"{pointer}/{name}")
    if isinstance(schema.get("items"), dict):
        yield from schema_constraints(schema["items"], f"{pointer}/*")


def test_the_catalogue_covers_every_constraint_of_the_official_schema() -> None:
    wanted = set(schema_constraints(PUBLISHED))
    covered = {(m.pointer, m.rule) for m in mutations()}
    missing = wanted - covered
    assert len(wanted) == 67
    assert not missing, f"{len(wanted) - len(missing)}/{len(wanted)} covered; missing: {sorted(missing)}"


def test_the_strict_catalogue_also_covers_every_strict_rule() -> None:
    strict_ids = {rule.id for rule in REGISTRY.get("connectors.log-record").strict}
    catalogue = mutations(profile="strict")
    assert strict_ids <= {m.rule for m in catalogue}, strict_ids - {m.rule for m in catalogue}
    assert set(schema_constraints(PUBLISHED)) <= {(m.pointer, m.rule) for m in catalogue}


def test_every_catalogue_entry_names_a_pointer_a_rule_and_what_breaks() -> None:
    for m in mutations(profile="strict"):
        assert m.pointer == "" or m.pointer.startswith("/")
        assert m.rule and m.description


# -- realism and shrinking ---------------------------------------------------------------------------


def test_shrinking_gives_a_small_readable_record() -> None:
    record = find(payloads(profile="strict"), lambda r: bool(branches_of(r)))
    assert record["files"] == ["customers-2026_11_20.csv"]
    assert record["processingtime"] == "2026-11-20T12:30:00+00:00"
    assert [row["branch"] for row in branches_of(record)] == ["Shopping Unicenter"]
    assert set(integers_in(record)) == {0}
    assert len(json.dumps(record)) < 500


def test_invalid_payloads_shrink_to_a_readable_case() -> None:
    bad = find(invalid_payloads(), lambda b: b.violations[0].rule == "pattern")
    [violation] = bad.violations
    assert violation.rule == "pattern" and violation.pointer in ("/processingtime", "/files/0")
    assert bad.payload["stats"] == {} and len(bad.text) < 120


@pytest.mark.parametrize(("what", "condition"), [
    ("fifty branches", lambda r: any(len(e.get("per_branches", [])) == 50 for e in r["stats"].values())),
    ("a 64-bit edge value", lambda r: INT64_MAX in set(integers_in(r))),
    ("a zero count", lambda r: 0 in set(integers_in(r))),
    ("an accented branch name", lambda r: any(set(b["branch"]) & set("áéíóúñÑã") for b in branches_of(r))),
    ("a branch name with a space", lambda r: any(" " in b["branch"] for b in branches_of(r))),
    ("a dated csv file", lambda r: any(f.startswith("customers-20") and f.endswith(".csv") for f in r["files"])),
])
def test_realistic_values_are_reachable(what: str, condition: Any) -> None:
    quick = settings(max_examples=3000, database=None, phases=[Phase.generate])  # reachability, not shrinking
    found = find(payloads(profile="strict"), condition, settings=quick)
    assert condition(found), what


@given(payloads(profile="strict"))
def test_strict_values_stay_realistic(record: Any) -> None:
    for rows in (e.get("per_branches", []) for e in record["stats"].values()):
        assert len(rows) <= 50
        assert all(row["branch"] in BRANCH_NAMES for row in rows)
    assert all(0 <= n <= INT64_MAX for n in integers_in(record))


# -- laziness ----------------------------------------------------------------------------------------


def test_an_unknown_contract_fails_at_draw_time_with_a_clear_message() -> None:
    strategy = payloads("connectors.nope")  # building it must not raise
    invalid = invalid_payloads("connectors.nope", profile="strict")
    with pytest.raises(StrategyError, match="unknown contract 'connectors.nope'"):
        find(strategy, lambda d: True)
    with pytest.raises(StrategyError, match="unknown contract"):
        find(invalid, lambda d: True)


def test_an_unknown_profile_fails_at_draw_time() -> None:
    strategy = payloads(profile="lenient")
    with pytest.raises(StrategyError, match="unknown profile 'lenient'"):
        find(strategy, lambda d: True)


def test_a_contract_the_generator_cannot_handle_fails_at_draw_time(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_text(
        "format: woowup-contract/1\nid: acme.odd\nkind: payload\ntitle: Odd\n"
        "source: {doc: Acme, section: Odd, url: 'https://example.com'}\n"
        "schema:\n  provenance: assumption\n  dialect: draft-07\n"
        "  document: {type: object, properties: {a: {oneOf: [{type: string}, {type: integer}]}}}\n",
        encoding="utf-8")
    registry = load_registry([tmp_path])
    strategy = payloads("acme.odd", registry=registry)
    with pytest.raises(StrategyError, match="'oneOf' at /a"):
        find(strategy, lambda d: True)


def test_a_user_registry_is_used(tmp_path: Path) -> None:
    (tmp_path / "code.yaml").write_text(
        "format: woowup-contract/1\nid: acme.code\nkind: payload\ntitle: Code\n"
        "source: {doc: Acme, section: Code, url: 'https://example.com'}\n"
        "schema:\n  provenance: assumption\n  dialect: draft-07\n"
        "  document: {type: object, required: [sku],\n"
        "             properties: {sku: {type: string, pattern: '^[A-Z]{3}-[0-9]{4}$'}}}\n",
        encoding="utf-8")
    registry = load_registry([tmp_path])
    checker = Checker(registry, "acme.code")
    schema = CompiledSchema(registry.get("acme.code").schema.document)  # type: ignore[union-attr]

    @given(payloads("acme.code", registry=registry), invalid_payloads("acme.code", registry=registry))
    def run(good: Any, bad: InvalidPayload) -> None:
        assert schema.is_valid(good) and checker.check_document(good).valid
        assert errors_of(checker, bad.text) == {(v.pointer, v.rule) for v in bad.violations}

    run()
    assert {(m.pointer, m.rule) for m in mutations("acme.code", registry=registry)} == {
        ("", "type"), ("/sku", "required"), ("/sku", "type"), ("/sku", "pattern")}
