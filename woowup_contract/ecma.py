"""ECMA-262 ``pattern`` semantics on top of jsonschema-rs.

jsonschema-rs reads a pattern as ECMA-262 (ASCII ``\\d \\w``, ECMA ``\\s``, ``$`` at the
very end, Python-only syntax such as ``(?i)`` or ``\\A`` refused) except for ``.``,
which in its Rust engines matches ``\\r``, U+2028 and U+2029. ECMA's ``.`` matches no
line terminator, and the official schema's ``^(.*)$`` relies on it to refuse a
``"Palermo\\r"`` read from a CRLF file; ``\\b``/``\\B``, which look at Unicode word
characters where ECMA looks at ASCII ones; and ``\\d \\w \\s`` in a pattern that needs the
backtracking engine (lookaround, backreferences), which reads them as Unicode classes.
``for_engine`` spells those constructs out; everything else is the engine's own reading.

``python_regex`` is for generating strings only (Hypothesis' ``from_regex`` needs a
Python pattern); verdicts always come from the engine (``matcher``).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

LINE_TERMINATORS = "\n\r\u2028\u2029"
# ECMA-262 escapes: the rewritten pattern is still an ECMA pattern
ECMA_DOT = "[^\\n\\r\\u2028\\u2029]"


def _rewrite(pattern: str, dot: str, escapes: dict[str, str], end: str | None,
             outside: dict[str, str] | None = None) -> str:
    out: list[str] = []
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            rep = escapes.get(nxt) if in_class or outside is None or nxt not in outside else outside[nxt]
            if rep is None or (in_class and rep.startswith("[^")):  # a negated class cannot nest
                out.append(pattern[i: i + 2])
            else:
                out.append(rep[1:-1] if in_class else rep)
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)  # in ECMA-262 a ] right after [ or [^ closes the class: nothing to skip
        elif ch == ".":
            out.append(dot)
        elif ch == "$" and end is not None:
            out.append(end)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


_WORD = "[A-Za-z0-9_]"
# ECMA-262 WhiteSpace and LineTerminator: what its \s matches
_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
# jsonschema-rs reads these as ECMA does in its linear engine, but not in the backtracking one
# it takes for lookaround and backreferences: spelt out, they read the same in both.
_CLASSES = {"d": "[0-9]", "D": "[^0-9]", "w": _WORD, "W": "[^A-Za-z0-9_]", "s": f"[{_SPACE}]", "S": f"[^{_SPACE}]"}
# ECMA's \b and \B look at ASCII word characters (its \w); the Rust engines' at Unicode ones
_BOUNDARIES = {
    "b": f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))",
    "B": f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))",
}


def for_engine(pattern: str) -> str:
    """The pattern jsonschema-rs must be given to read ``pattern`` as ECMA-262 does.

    A negated class escape inside a class (``[\\Wa]``) stays as written: jsonschema-rs reads
    it as ECMA does unless the pattern also needs lookaround or a backreference."""
    if "." not in pattern and "\\" not in pattern:
        return pattern
    return _rewrite(pattern, ECMA_DOT, _CLASSES, None, _BOUNDARIES)


def translate_patterns(schema: Any, originals: dict[str, str]) -> Any:
    """A copy of a draft-07 schema with every ``pattern`` and ``patternProperties`` key passed
    through ``for_engine``; ``originals`` maps each rewritten pattern back to what was written."""
    if isinstance(schema, list):
        return [translate_patterns(s, originals) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = _engine(value, originals)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {_engine(k, originals): translate_patterns(v, originals) for k, v in value.items()}
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: translate_patterns(v, originals) for k, v in value.items()}
        elif key in _SUBSCHEMAS:
            out[key] = translate_patterns(value, originals)
        else:  # enum, const, default, examples, unknown keywords: data, not schemas
            out[key] = value
    return out


_SCHEMA_MAPS = frozenset({"properties", "definitions", "dependencies"})
_SUBSCHEMAS = frozenset({"additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not",
                         "if", "then", "else", "allOf", "anyOf", "oneOf"})


def _engine(pattern: str, originals: dict[str, str]) -> str:
    rewritten = for_engine(pattern)
    originals[rewritten] = pattern
    return rewritten


@functools.lru_cache(maxsize=256)
def matcher(pattern: str) -> Callable[[str], bool]:
    """``search(text)`` with the checker's own reading of ``pattern`` (jsonschema-rs)."""
    import jsonschema_rs

    validator = jsonschema_rs.Draft7Validator({"pattern": for_engine(pattern)}, validate_formats=False)
    return validator.is_valid


# Python's \d, \w are Unicode-aware; ECMA's are ASCII.
_PYTHON_ESCAPES = {"d": "[0-9]", "D": "[^0-9]", "w": "[A-Za-z0-9_]", "W": "[^A-Za-z0-9_]"}


def python_regex(pattern: str) -> re.Pattern[str]:
    """A Python regex close enough to ``pattern`` to generate matching strings from (Hypothesis)."""
    return re.compile(_rewrite(pattern, "[^" + LINE_TERMINATORS + "]", _PYTHON_ESCAPES, r"\Z"))
