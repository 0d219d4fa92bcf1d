"""Line and column of a JSON Pointer's value in the text it was parsed from.

Computed only for payloads that fail, so valid files stay on the fast path:
the locator walks the text with the C-accelerated decoder, skipping every
value it does not need instead of building a position-aware parse tree, and
jumps straight to a member's key where the parsed document proves the first
match is that key. All of a payload's pointers are located in one walk.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]

import orjson

_decoder = json.JSONDecoder()
# The C scanner behind raw_decode, called directly: (value, end), StopIteration where no value starts.
_scan_once = _decoder.scan_once  # type: ignore[attr-defined]  # (set by JSONDecoder.__init__)
_UNKNOWN: Any = object()  # no parsed document to consult
_WS = re.compile(r"[ \t\n\r]*")
# One match per member: a key without escapes (most keys), its colon, and the blanks up to its value;
# a key with an escape is read by ``scanstring``.
_MEMBER = re.compile(r'"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*')
# After a value: the comma and the blanks up to the next member or item (no match: the container ends).
_NEXT = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_WORD = re.compile(r"[A-Za-z0-9_]+")


def _skip_ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # (an empty match always succeeds)


def offset_of(text: str, parts: list[str]) -> int:
    """Offset of the deepest value along ``parts`` that exists in ``text``.

    For a missing member this is the parent, which is where a person fixes it.
    With duplicate keys the last one wins, as in ``json.loads``.
    """
    return offsets_of(text, [parts])[tuple(parts)]


def offsets_of(text: str, paths: Iterable[Sequence[str]], *, unique_keys: bool = False,
               document: Any = _UNKNOWN) -> dict[tuple[str, ...], int]:
    """``offset_of`` for several paths in one walk: the values a path passes by are skipped
    once for all the paths that share its prefix, not once per path.

    ``unique_keys``: the text is known to repeat no key in any object (the parser saw
    none), so an object is read only up to the last member a path needs, instead of to
    its end to find the last of a repeated key. ``document``: the text as parsed, which
    says which members exist, so an object is not read to its end for one that does not
    (a missing property, located at its parent).
    """
    trie: dict[str, Any] = {}
    wanted = [tuple(parts) for parts in paths]
    for parts in wanted:
        node = trie
        for part in parts:
            node = node.setdefault(part, {})
    i = _skip_ws(text, 0)
    if i < len(text) and text[i] == "\ufeff":
        i = _skip_ws(text, i + 1)
    found: dict[tuple[str, ...], int] = {}
    _walk(text, i, (), trie, found, unique_keys, document)
    out = {}
    for parts in wanted:
        deepest = parts
        while deepest not in found:  # () is always found
            deepest = deepest[:-1]
        out[parts] = found[deepest]
    return out


def _walk(text: str, i: int, here: tuple[str, ...], node: dict[str, Any], found: dict[tuple[str, ...], int],
          unique_keys: bool, value: Any = _UNKNOWN) -> None:
    found[here] = i
    if not node or i >= len(text):
        return
    ch = text[i]
    if ch == "{":
        if type(value) is dict:
            node = {name: rest for name, rest in node.items() if name in value}
            if not node:
                return
            only = _searched(text, i, value, node) if unique_keys and len(node) == 1 else None
            starts = only if only is not None else _find_members(text, i, node, unique_keys)
        else:
            starts = _find_members(text, i, node, unique_keys)
    elif ch == "[":
        starts = _find_items(text, i, node)
    else:
        return
    for name, start in starts.items():
        inner = _UNKNOWN
        if type(value) is dict:
            inner = value[name]
        elif type(value) is list and name.isdigit() and int(name) < len(value):
            inner = value[int(name)]
        _walk(text, start, here + (name,), node[name], found, unique_keys, inner)


def _searched(text: str, i: int, value: dict[str, Any], node: dict[str, Any]) -> dict[str, int] | None:
    """Where the one member ``node`` names starts, found by searching the text for its key instead
    of reading the members before it; None where the search cannot be trusted.

    Trusted when the key is a plain word, the object has no repeated key, no backslash comes
    before the match (every string there reads as written) and no string in the members before
    it (keys or values, at any depth, as the parser read them) holds the word: then the first
    ``"word"`` after the brace can only be the member's own key."""
    (name,) = node
    if not _WORD.fullmatch(name):
        return None
    before = []
    for key in value:
        if key == name:
            break
        if name in key:
            return None
        before.append(value[key])
    if before:
        try:
            if name.encode() in orjson.dumps(before):
                return None
        except orjson.JSONEncodeError:  # a number orjson cannot write: read the members instead
            return None
    at = text.find(f'"{name}"', i)
    if at == -1 or text.find("\\", i, at) != -1:
        return None
    colon = _COLON.match(text, at + len(name) + 2)
    return None if colon is None else {name: colon.end()}


def _find_members(text: str, i: int, names: dict[str, Any], unique_keys: bool = False) -> dict[str, int]:
    """Where the value of each member in ``names`` starts, reading the object at ``i`` member by
    member: each key and what follows it up to the value in one match, each value skipped by the
    C scanner."""
    i = _skip_ws(text, i + 1)
    found: dict[str, int] = {}
    wanted = len(names) if unique_keys else -1
    member = _MEMBER.match
    while True:
        m = member(text, i)
        if m is not None:
            key, i = m.group(1), m.end()
        else:  # a key with an escape, or no member here
            if i >= len(text) or text[i] != '"':
                return found
            try:
                key, i = scanstring(text, i + 1)
            except ValueError:
                return found
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ":":
                return found
            i = _skip_ws(text, i + 1)
        if key in names:
            found[key] = i  # a repeated key: the last one wins
            if len(found) == wanted:
                return found
        i = _next_start(text, i)
        if i < 0:
            return found


def _next_start(text: str, i: int) -> int:
    """Where the member or item after the value at ``i`` starts, past its comma; -1 where the
    value is broken or its container ends."""
    try:
        i = _scan_once(text, i)[1]
    except (StopIteration, ValueError, RecursionError):
        return -1
    m = _NEXT.match(text, i)
    return -1 if m is None else m.end()


def _find_items(text: str, i: int, indices: dict[str, Any]) -> dict[str, int]:
    targets: dict[int, str] = {}
    for index in indices:
        try:
            targets[int(index)] = index
        except ValueError:
            continue
    found: dict[str, int] = {}
    if not targets:
        return found
    last = max(targets)
    i = _skip_ws(text, i + 1)
    k = 0
    while i < len(text) and text[i] != "]":
        if k in targets:
            found[targets[k]] = i
            if k == last:
                return found
        i = _next_start(text, i)
        if i < 0:
            return found
        k += 1
    return found


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
