"""Line and column of a pointer's value in the text it was parsed from."""

from __future__ import annotations

import json

import pytest

from woowup_contract.pointers import parts_from_pointer
from woowup_contract.positions import line_column, offset_of, offsets_of

TEXT = """{
  "files": ["a.csv", "b \\"quoted\\" {not an object}.csv"],
  "processingtime": "2019-03-12T12:30:00Z",
  "stats": {
    "customers": {"total_created": 1, "per_branches": [
      {"branch": "Palermo"},
      {"branch": "Belgrano", "total_created": 7}
    ]}
  },
  "caf\\u00e9": {"a/b": {"m~n": true}}
}
"""


def where(text: str, pointer: str) -> tuple[int, int]:
    return line_column(text, offset_of(text, parts_from_pointer(pointer)))


def at(text: str, pointer: str) -> str:
    """The text from where the pointer is located, to check we landed on the value."""
    return text[offset_of(text, parts_from_pointer(pointer)):]


@pytest.mark.parametrize(("pointer", "line", "column", "starts"), [
    ("", 1, 1, "{"),
    ("/files", 2, 12, '["a.csv"'),
    ("/files/1", 2, 22, '"b \\"quoted'),
    ("/processingtime", 3, 21, '"2019'),
    ("/stats/customers/total_created", 5, 36, "1,"),
    ("/stats/customers/per_branches/1/total_created", 7, 47, "7}"),
    ("/stats/customers/per_branches/1", 7, 7, '{"branch": "Belgrano"'),
    ("/café/a~1b/m~0n", 10, 32, "true"),
])
def test_line_and_column_of_values(pointer: str, line: int, column: int, starts: str) -> None:
    assert where(TEXT, pointer) == (line, column)
    assert at(TEXT, pointer).startswith(starts)
    json.loads(TEXT)  # the fixture text is JSON


@pytest.mark.parametrize(("pointer", "parent"), [
    ("/stats/customers/per_branches/0/total_created", "/stats/customers/per_branches/0"),
    ("/stats/products", "/stats"),
    ("/stats/products/total_created", "/stats"),
    ("/files/9", "/files"),
    ("/missing", ""),
])
def test_a_missing_member_is_located_at_the_deepest_existing_parent(pointer: str, parent: str) -> None:
    assert where(TEXT, pointer) == where(TEXT, parent)


def test_a_pointer_through_a_scalar_stops_at_the_scalar() -> None:
    assert at(TEXT, "/processingtime/0").startswith('"2019')


def test_with_duplicate_keys_the_last_one_is_located_as_json_loads_keeps_it() -> None:
    text = '{"a": 1,\n "a": 2}'
    assert where(text, "/a") == (2, 7)


def test_columns_count_characters_not_bytes() -> None:
    text = '{"ñandú 🛍": "é", "x": 1}'
    assert where(text, "/x") == (1, 23)
    assert text[22] == "1"


def test_tabs_and_crlf() -> None:
    text = '{\r\n\t"a": {\r\n\t\t"b": 1\r\n\t}\r\n}\r\n'
    assert where(text, "/a/b") == (3, 8)
    assert where(text, "/a") == (2, 7)


def test_leading_whitespace_before_the_document() -> None:
    assert where('\n\n   {"a": 1}', "") == (3, 4)


def test_an_unparseable_sibling_does_not_break_the_locator() -> None:
    """A value the decoder cannot skip (too deep) ends the search at the parent, without raising."""
    deep = "[" * 100_000 + "]" * 100_000
    text = '{"deep": ' + deep + ', "x": 1}'
    assert where(text, "/x") == (1, 1)
    assert where(text, "/deep") == (1, 10)


def test_line_column_at_the_edges() -> None:
    assert line_column("", 0) == (1, 1)
    assert line_column("ab\ncd", 3) == (2, 1)
    assert line_column("ab\ncd", 5) == (2, 3)


def test_one_walk_finds_what_each_pointer_finds_alone() -> None:
    pointers = ["", "/files/1", "/processingtime", "/stats/customers/total_created",
                "/stats/customers/per_branches/1/total_created", "/stats/customers/per_branches/0/total_created",
                "/stats/customers/per_branches/7", "/stats/nothing/deeper", "/caf\u00e9/a~1b/m~0n", "/files/x"]
    together = offsets_of(TEXT, [parts_from_pointer(p) for p in pointers])
    assert len(together) == len(pointers)
    for pointer in pointers:
        parts = tuple(parts_from_pointer(pointer))
        assert together[parts] == offset_of(TEXT, list(parts)), pointer
    assert TEXT[together[("stats", "customers", "per_branches", "1", "total_created")]:].startswith("7}")
    assert TEXT[together[("stats", "nothing", "deeper")]:].startswith('{\n    "customers"')


def test_without_repeated_keys_the_walk_stops_at_the_member_it_needs() -> None:
    """The same offsets whether or not the walk reads each object to its end (the parser saw no repeated key)."""
    pointers = [parts_from_pointer(p) for p in ("/files/1", "/stats/customers/per_branches/1/total_created",
                                                "/processingtime", "/stats/missing", "/caf\u00e9/a~1b/m~0n")]
    assert offsets_of(TEXT, pointers, unique_keys=True) == offsets_of(TEXT, pointers)
    repeated = '{"a": 1, "b": {"c": 2}, "a": {"d": 3}}'
    assert repeated[offsets_of(repeated, [["a", "d"]])[("a", "d")]:].startswith("3}")  # the last "a" wins


@pytest.mark.parametrize(("text", "pointer", "starts"), [
    ('{"a": {"x": "stats"}, "stats": 1}', "/stats", "1}"),  # the word as an earlier value
    ('{"a": {"stats": 0}, "stats": 1}', "/stats", "1}"),  # the word as an earlier, nested key
    ('{"a": ["stats", {"b": "stats"}], "stats": 1}', "/stats", "1}"),
    ('{"a": 1, "st\\u0061ts": 2, "b": {"stats": 3}}', "/stats", "2,"),  # the key itself escaped
    ('{"a": "say \\"stats\\": 0", "stats": 1}', "/stats", "1}"),  # escaped quotes around the word
    ('{"total_stats": 0, "stats_x": 0, "stats": 1}', "/stats", "1}"),  # the word inside earlier keys
    ('{"a": 12, "b": "x12y", "12": 3}', "/12", "3}"),  # a word of digits
    ('{"a": 1e5, "e5": {"e": 2}}', "/e5/e", "2}"),
    ('{"big": 123456789012345678901234567890, "stats": 1}', "/stats", "1}"),  # a number orjson cannot write
    ('{\n  "stats" :\n  {"stats": 1}}', "/stats/stats", "1}"),
])
def test_a_member_found_by_its_key_is_the_member_itself(text: str, pointer: str, starts: str) -> None:
    """With no repeated key and the parsed document at hand, the one member wanted is found by
    searching for its key: never at an earlier string that reads the same."""
    located = offsets_of(text, [parts_from_pointer(pointer)], unique_keys=True, document=json.loads(text))
    assert text[located[tuple(parts_from_pointer(pointer))]:].startswith(starts)
