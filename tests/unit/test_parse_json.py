"""Parsing a payload: the document ``json`` would build, and every repeated key seen.

Payloads are parsed by orjson, and re-parsed by ``json`` with a pairs hook whenever a key
may repeat or a number may not fit orjson exactly. These cases are the ones that decide
which parser answers: a repeat the cheap test must not miss, and values orjson would
change.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from woowup_contract import Checker, load_registry
from woowup_contract.sources import parse_json, payload_from_text


def repeats(text: str) -> list[list[str]]:
    """The repeated keys of each object, as json's pairs hook sees them (the reference)."""
    found: list[list[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        repeated = [k for i, k in enumerate(keys) if k in keys[:i]]
        if repeated:
            found.append(list(dict.fromkeys(repeated)))
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


def seen(text: str) -> tuple[Any, list[list[str]]]:
    document, duplicates = parse_json(text)
    return document, [keys for _, keys in duplicates]


def test_a_repeated_key_is_seen_when_values_hold_colons() -> None:
    # the time's colons outnumber the one dropped key: a count of colons alone would miss it
    text = '{"processingtime": "2026-01-01T10:30:00-03:00", "files": ["a:b"], "files": ["c"]}'
    assert seen(text) == ({"processingtime": "2026-01-01T10:30:00-03:00", "files": ["c"]}, [["files"]])


def test_a_repeated_key_is_seen_when_a_colon_is_escaped() -> None:
    # "\u003a" is a colon the text does not spell: the kept value's makes up for the dropped key's
    text = '{"k": "\\u003a", "k": "\\u003a"}'
    assert seen(text) == ({"k": ":"}, [["k"]])


def test_repeated_keys_deep_inside_are_seen() -> None:
    text = '{"stats": {"customers": {"per_branches": [{"branch": "A", "branch": "B", "total_created": 1}]}}}'
    assert seen(text)[1] == [["branch"]]


def test_an_integer_past_64_bits_stays_exact() -> None:
    document, _ = seen('{"total_revenue": 18446744073709551616, "n": -9223372036854775809}')
    assert document == {"total_revenue": 18446744073709551616, "n": -9223372036854775809}
    assert type(document["total_revenue"]) is int


def test_values_orjson_refuses_parse_as_json_parses_them() -> None:
    for text in ('[1e400, -1e400]', '"\\ud800"', "[" * 300 + "]" * 300):
        assert seen(text) == (json.loads(text), [])


def test_the_int64_rule_sees_a_big_integer() -> None:
    checker = Checker(load_registry(), profile="strict")
    text = json.dumps({"files": ["a.csv"], "stats": {"customers": {"total_created": 2**64}}})
    result = checker.check(payload_from_text("big", text))
    assert ("/stats/customers/total_created", "int64") in {(v.pointer, v.rule) for v in result.violations}


_keys = st.sampled_from(["a", "b", "a:b", ":"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                     st.text(alphabet=":ab\\\"\u2028 ", max_size=4))


@st.composite
def json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON texts whose objects may repeat keys, with colons in keys and strings, escaped or not."""
    kind = draw(st.integers(0, 2 if depth < 3 else 0))
    if kind == 0:
        text = json.dumps(draw(_scalars), ensure_ascii=draw(st.booleans()))
        return text.replace(":", "\\u003a") if draw(st.booleans()) and text.startswith('"') else text
    if kind == 1:
        return "[" + ",".join(draw(st.lists(json_texts(depth + 1), max_size=3))) + "]"
    members = draw(st.lists(st.tuples(_keys, json_texts(depth + 1)), max_size=4))
    return "{" + ", ".join(f"{json.dumps(k)} : {v}" for k, v in members) + "}"


@settings(max_examples=150, deadline=None)
@given(json_texts())
def test_the_document_and_the_repeats_are_json_s(text: str) -> None:
    document, duplicates = seen(text)
    assert json.dumps(document, sort_keys=True) == json.dumps(json.loads(text), sort_keys=True)
    assert sorted(duplicates) == sorted(repeats(text))
