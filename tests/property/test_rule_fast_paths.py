"""The quick verdicts behind the strict rules never change what a rule reports.

Three pieces, each against the plain code it stands in for:
- ``compile_selector``: one generated walk for many pointer patterns gives the
  values ``PointerPattern.values`` gives, pattern by pattern;
- ``overlay_at`` / ``merge_overlays``: when jsonschema-rs accepts a document
  under a rule's overlay, the rule finds nothing in it;
- the checker with every fast path on (gates, overlays, the compiled verdict)
  reports exactly what it reports with all of them off, in both profiles.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from woowup_contract import Checker, load_registry
from woowup_contract.draft7 import translate_schema_patterns
from woowup_contract.model import StrictRule
from woowup_contract.rules import (
    _NOT_STRIPPED,
    Context,
    PointerPattern,
    compile_rule,
    compile_selector,
    merge_overlays,
    overlay_at,
)
from woowup_contract.strategies import InvalidPayload, invalid_payloads, payloads

CI = settings(deadline=None)
KEYS = ["stats", "customers", "per_branches", "branch", "total_created", "total_x", "files", "0", "1", "10", "a",
        "ab", "processingtime", ""]
PATTERNS = ["", "/files", "/files/0", "/files/1", "/files/01", "/stats", "/stats/*", "/stats/*/total_*",
            "/stats/*/per_branches", "/stats/*/per_branches/*/branch", "/stats/*/per_branches/*/total_*",
            "/stats/customers/per_branches/1", "/stats/*/per_branches/?/branch", "/stats/[cp]*/total_created",
            "/*", "/*/*", "/1*", "/a*/1", "/a~1b", "/*/0/*", "/nothing/*"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                    st.sampled_from(["", " ", "\t", "\x1c", "\u3000", "Palermo", "a.csv", " x ", "\u2028"]),
                    st.text(max_size=4))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=5)),
    max_leaves=25,
)


def canonical(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in values)


@settings(CI, max_examples=600)
@given(documents, st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=6, unique=True))
def test_one_generated_walk_selects_what_each_pattern_selects(document: Any, patterns: list[str]) -> None:
    selected = compile_selector(patterns)(document)
    assert len(selected) == len(patterns)
    for pattern, values in zip(patterns, selected):
        assert canonical(values) == canonical(PointerPattern(pattern).values(document)), pattern


def test_the_selector_of_no_pattern_selects_nothing() -> None:
    assert compile_selector([])({"a": 1}) == []


def test_the_overlay_class_keeps_exactly_what_strip_keeps() -> None:
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    kept = set(re.findall(_NOT_STRIPPED, every))
    assert kept == {c for c in every if not c.isspace()}
    validator = jsonschema_rs.Draft7Validator({"pattern": _NOT_STRIPPED})
    spaces = [c for c in every if c.isspace()]
    assert len(spaces) > 20 and not any(validator.is_valid(c * 3) for c in spaces)
    assert validator.is_valid(" \u3000x\t")


# -- overlays ---------------------------------------------------------------------

def rule(kind: str, **options: Any) -> StrictRule:
    return StrictRule(id=kind, kind=kind, severity="warning", message="m", provenance="assumption", options=options)


RULES = [
    rule("minimum", at=["/stats/*/total_*", "/stats/*/per_branches/*/total_*"], minimum=0),
    rule("int64", at=["/stats/*/total_*", "/*"]),
    rule("min-length", at=["/stats/*/per_branches/*/branch", "/files/*"], min=1),
    rule("min-items", at=["/files", "/stats/*/per_branches"], min=1),
    rule("unique", at=["/files", "/*/0"]),
]


def compiled_overlay(schemas: list[dict[str, Any]]) -> Any:
    return jsonschema_rs.Draft7Validator(translate_schema_patterns(merge_overlays(schemas), end_of_input="$"),
                                         validate_formats=False)


@pytest.mark.parametrize("strict_rule", RULES, ids=lambda r: r.kind)
@settings(CI, max_examples=300)
@given(document=documents)
@example(document={"stats": {"c": {"total_x": -0.5, "per_branches": [{"total_y": -1, "branch": " \u3000"}]}}})
@example(document={"stats": {"c": {"total_x": 2**63, "per_branches": []}}, "files": ["a", "a", "\t"], "x": [1, 1]})
@example(document={"stats": [{"total_created": -(2**63) - 1}], "files": [], "1": [[], []]})
def test_a_document_the_overlay_accepts_has_no_finding(strict_rule: StrictRule, document: Any) -> None:
    compiled = compile_rule(strict_rule)
    assert compiled.overlay is not None
    located = [overlay_at(p, compiled.overlay) for p in compiled.patterns]
    assert all(o is not None for o in located)
    try:
        accepted = compiled_overlay(located).is_valid(document)  # type: ignore[arg-type]
    except Exception:  # a value Rust cannot hold: the checker asks Python instead
        return
    if accepted:
        assert compiled(document, Context()) == []


def test_merged_overlays_keep_every_constraint() -> None:
    merged = merge_overlays([overlay_at("/stats/*/total_*", {"minimum": 0}),  # type: ignore[list-item]
                             overlay_at("/stats/*/total_*", {"maximum": 10}),
                             overlay_at("/stats/customers/total_x", {"minimum": 5}),
                             overlay_at("/files", {"minItems": 1}), overlay_at("/files", {"uniqueItems": True})])
    validator = compiled_overlay([merged])
    assert validator.is_valid({"stats": {"a": {"total_y": 3}, "customers": {"total_x": 7}}, "files": ["a", "b"]})
    for bad in ({"stats": {"a": {"total_y": -1}}}, {"stats": {"a": {"total_y": 11}}},
                {"stats": {"customers": {"total_x": 4}}}, {"stats": [{"total_y": 11}]}, {"files": []},
                {"files": ["a", "a"]}):
        assert not validator.is_valid(bad), bad


@pytest.mark.parametrize("pattern", ["/files/01", "/stats/*/1*", "/stats/[ab]*", "/x/?"])
def test_places_json_schema_cannot_name_get_no_overlay(pattern: str) -> None:
    assert overlay_at(pattern, {"minimum": 0}) is None


# -- the checker, fast paths on and off --------------------------------------------

REGISTRY = load_registry()
CHECKERS = {profile: (Checker(REGISTRY, profile=profile, fast_path=False),
                      Checker(REGISTRY, profile=profile, fast_path=True)) for profile in ("official", "strict")}


def same_report(document: Any, profile: str) -> None:
    text = json.dumps(document, ensure_ascii=False)
    reference, fast = CHECKERS[profile]
    assert fast.check_text(text).violations == reference.check_text(text).violations, text[:1500]


@settings(CI, max_examples=700)
@given(invalid_payloads(profile="strict"))
def test_strict_findings_are_the_same_with_every_fast_path(bad: InvalidPayload) -> None:
    same_report(bad.payload, "strict")
    same_report(bad.payload, "official")


@settings(CI, max_examples=300)
@given(payloads(profile="strict"), documents, st.sampled_from(PATTERNS[1:]))
def test_a_value_dropped_anywhere_gets_the_same_findings(record: Any, value: Any, pattern: str) -> None:
    """Put an arbitrary value at every place a pattern names in a valid record."""
    record = json.loads(json.dumps(record))
    parts = PointerPattern(pattern).segments
    targets = [record]
    for literal, rx in parts[:-1]:
        nxt = []
        for t in targets:
            if isinstance(t, dict):
                nxt += [v for k, v in t.items() if (rx.match(k) if rx else k == literal)]
            elif isinstance(t, list):
                nxt += [v for i, v in enumerate(t) if (rx.match(str(i)) if rx else str(i) == literal)]
        targets = nxt
    last, rx = parts[-1]
    for t in targets:
        if isinstance(t, dict):
            for k in [k for k in t if (rx.match(k) if rx else k == last)] or ([last] if rx is None else []):
                t[k] = value
    same_report(record, "strict")
