"""Line and column of a JSON Pointer's value in the text it was parsed from.

Computed only for payloads that fail, so valid files stay on the fast path:
the locator walks the text with the C-accelerated decoder, skipping every
value it does not need instead of building a position-aware parse tree.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]

_decoder = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # (an empty match always succeeds)


def _skip_value(text: str, i: int) -> int:
    try:
        return _decoder.raw_decode(text, i)[1]
    except (ValueError, RecursionError):
        return len(text)


def offset_of(text: str, parts: list[str]) -> int:
    """Offset of the deepest value along ``parts`` that exists in ``text``.

    For a missing member this is the parent, which is where a person fixes it.
    With duplicate keys the last one wins, as in ``json.loads``.
    """
    i = _skip_ws(text, 0)
    if i < len(text) and text[i] == "\ufeff":
        i = _skip_ws(text, i + 1)
    for part in parts:
        if i >= len(text):
            break
        ch = text[i]
        if ch == "{":
            found = _find_member(text, i, part)
        elif ch == "[":
            found = _find_item(text, i, part)
        else:
            found = None
        if found is None:
            break
        i = found
    return i


def _find_member(text: str, i: int, name: str) -> int | None:
    i = _skip_ws(text, i + 1)
    found: int | None = None
    while i < len(text) and text[i] == '"':
        try:
            key, i = scanstring(text, i + 1)
        except ValueError:
            return found
        i = _skip_ws(text, i)
        if i >= len(text) or text[i] != ":":
            return found
        i = _skip_ws(text, i + 1)
        if key == name:
            found = i
        i = _skip_ws(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
        else:
            break
    return found


def _find_item(text: str, i: int, index: str) -> int | None:
    try:
        target = int(index)
    except ValueError:
        return None
    i = _skip_ws(text, i + 1)
    k = 0
    while i < len(text) and text[i] != "]":
        if k == target:
            return i
        i = _skip_ws(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
        else:
            return None
        k += 1
    return None


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
