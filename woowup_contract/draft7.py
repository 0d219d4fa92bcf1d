"""A draft-07 JSON Schema compiler: schema → plain Python closures.

Why not ``jsonschema`` at run time: importing it costs ~0.1 s and validating
a log record through it costs far more than parsing one, which is what a CI
gate over thousands of files feels. The compiled validator has two faces:

* ``is_valid(instance)`` — a fast boolean path with no pointer bookkeeping;
* ``errors(instance)`` — every error, as ``SchemaError`` (pointer parts,
  keyword, message), used only for payloads that fail.

Semantics follow ``jsonschema.Draft7Validator`` (no format assertion), except
``pattern``, which is ECMA-262 as the JSON Schema spec requires: ``.`` matches
no line terminator and ``$`` only matches at the very end (see ``ecma_regex``).
The differential property test pins this equivalence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

Parts = tuple  # a tuple of str | int: the path of an instance location

LINE_TERMINATORS = "\n\r\u2028\u2029"
# literal characters, so the class reads the same in Python's re and in Rust's regex
_NOT_TERMINATOR = "[^" + LINE_TERMINATORS + "]"

# Python's \d, \w are Unicode-aware; ECMA's (without the u flag) are ASCII.
_ECMA_ESCAPES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
}


def translate_ecma(pattern: str, *, end_of_input: str = r"\Z") -> str:
    """Rewrite an ECMA-262 pattern so a Python (or Rust) engine reads it with ECMA semantics.

    Translates the constructs where the dialects disagree on the same text: ``.``
    (ECMA excludes every line terminator, Python only ``\\n``), ``$`` (ECMA: end of
    input only; Python also before a final ``\\n``) and the ASCII classes
    ``\\d \\D \\w \\W``. ``end_of_input`` is what ``$`` becomes: ``\\Z`` for
    Python, ``$`` for engines whose ``$`` already means end of input.
    """
    out: list[str] = []
    in_class = False
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in _ECMA_ESCAPES:
                rep = _ECMA_ESCAPES[nxt]
                out.append(rep[1:-1] if in_class and not rep.startswith("[^") else rep)
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == ".":
            out.append(_NOT_TERMINATOR)
        elif ch == "$":
            out.append(end_of_input)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def ecma_regex(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 pattern to a Python regex with ECMA semantics."""
    return re.compile(translate_ecma(pattern))


def translate_schema_patterns(schema: Any, *, end_of_input: str) -> Any:
    """A copy of ``schema`` with every ``pattern`` / ``patternProperties`` key translated."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                out[key] = translate_ecma(value, end_of_input=end_of_input)
            elif key == "patternProperties" and isinstance(value, dict):
                out[key] = {translate_ecma(k, end_of_input=end_of_input): translate_schema_patterns(
                    v, end_of_input=end_of_input) for k, v in value.items()}
            elif key in ("enum", "const", "default", "examples"):
                out[key] = value
            else:
                out[key] = translate_schema_patterns(value, end_of_input=end_of_input)
        return out
    if isinstance(schema, list):
        return [translate_schema_patterns(v, end_of_input=end_of_input) for v in schema]
    return schema


def pointer_from_parts(parts: Parts) -> str:
    """RFC 6901: ``~`` → ``~0``, ``/`` → ``~1``."""
    if not parts:
        return ""
    return "".join(
        "/" + (str(p) if isinstance(p, int) else p.replace("~", "~0").replace("/", "~1"))
        for p in parts
    )


def parts_from_pointer(pointer: str) -> list[str]:
    if pointer == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


@dataclass(frozen=True)
class SchemaError:
    """One schema error: where (instance path), which keyword, and why."""

    parts: Parts
    keyword: str
    message: str

    @property
    def pointer(self) -> str:
        return pointer_from_parts(self.parts)


def _is_integer(x: Any) -> bool:
    t = type(x)
    return (t is int) or (t is float and x.is_integer())


def _is_number(x: Any) -> bool:
    t = type(x)
    return t is int or t is float


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "object": lambda x: type(x) is dict,
    "array": lambda x: type(x) is list,
    "string": lambda x: type(x) is str,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
}


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if _is_number(a) and _is_number(b):
        return a == b
    return a == b


def _repr(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


class SchemaCompileError(ValueError):
    """The schema itself is not a usable draft-07 schema."""


Check = Callable[[Any], bool]
Collect = Callable[[Any, Parts], Iterator[SchemaError]]


class CompiledSchema:
    """``is_valid`` and ``errors`` for one draft-07 schema document."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._root = schema
        self._refs: dict[str, tuple[list[Check], list[Collect]]] = {}
        self.is_valid: Check
        self._collect: Collect
        self.is_valid, self._collect = self._compile(schema)

    def errors(self, instance: Any) -> list[SchemaError]:
        return list(self._collect(instance, ()))

    # -- compilation -------------------------------------------------------

    def _compile(self, schema: Any) -> tuple[Check, Collect]:
        if schema is True or schema == {}:
            return (lambda x: True), (lambda x, p: iter(()))
        if schema is False:
            return (lambda x: False), (
                lambda x, p: iter((SchemaError(p, "false", "False schema does not allow " + _repr(x)),))
            )
        if not isinstance(schema, Mapping):
            raise SchemaCompileError(f"a schema must be an object or a boolean, not {_repr(schema)}")
        if "$ref" in schema:
            # draft-07: siblings of $ref are ignored
            return self._compile_ref(schema["$ref"])

        checks: list[Check] = []
        collects: list[Collect] = []
        for keyword, value in schema.items():
            builder = getattr(self, "_kw_" + keyword.replace("$", "_"), None)
            if builder is None:
                continue
            built = builder(value, schema)
            if built is not None:
                checks.append(built[0])
                collects.append(built[1])

        if not checks:
            return (lambda x: True), (lambda x, p: iter(()))
        if len(checks) == 1:
            is_valid = checks[0]
        else:
            checks_t = tuple(checks)

            def is_valid(x: Any) -> bool:
                for c in checks_t:
                    if not c(x):
                        return False
                return True

        collects_t = tuple(collects)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            for c in collects_t:
                yield from c(x, p)

        return is_valid, collect

    def _compile_ref(self, ref: str) -> tuple[Check, Collect]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaCompileError(f"only local $ref are supported, not {_repr(ref)}")
        slot = self._refs.get(ref)
        if slot is None:
            slot = ([], [])
            self._refs[ref] = slot
            target: Any = self._root
            for part in parts_from_pointer(ref[1:]):
                try:
                    target = target[int(part)] if isinstance(target, list) else target[part]
                except (KeyError, IndexError, ValueError, TypeError):
                    raise SchemaCompileError(f"$ref {ref} points nowhere") from None
            c, k = self._compile(target)
            slot[0].append(c)
            slot[1].append(k)
        checks, collects = slot
        return (lambda x: checks[0](x)), (lambda x, p: collects[0](x, p))

    # -- keywords (names are _kw_<keyword>) ----------------------------------

    def _kw_type(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        names = [value] if isinstance(value, str) else list(value)
        for name in names:
            if name not in _TYPE_CHECKS:
                raise SchemaCompileError(f"unknown type {name!r}")
        if len(names) == 1:
            check = _TYPE_CHECKS[names[0]]
        else:
            fns = tuple(_TYPE_CHECKS[n] for n in names)

            def check(x: Any) -> bool:
                return any(f(x) for f in fns)

        shown = _repr(value)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if not check(x):
                yield SchemaError(p, "type", f"{_repr(x)} is not of type {shown}")

        return check, collect

    def _kw_required(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        names = tuple(value)

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            for n in names:
                if n not in x:
                    return False
            return True

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is dict:
                for n in names:
                    if n not in x:
                        yield SchemaError(p + (n,), "required", f"{n!r} is a required property")

        return check, collect

    def _kw_properties(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        compiled = [(name, *self._compile(sub)) for name, sub in value.items()]
        pairs = tuple((n, c) for n, c, _ in compiled)
        collects = tuple((n, k) for n, _, k in compiled)

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            for name, c in pairs:
                if name in x and not c(x[name]):
                    return False
            return True

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is dict:
                for name, k in collects:
                    if name in x:
                        yield from k(x[name], p + (name,))

        return check, collect

    def _kw_patternProperties(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        compiled = tuple((ecma_regex(pat), *self._compile(sub)) for pat, sub in value.items())

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            for rx, c, _ in compiled:
                for key, v in x.items():
                    if rx.search(key) and not c(v):
                        return False
            return True

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is dict:
                for rx, _, k in compiled:
                    for key, v in x.items():
                        if rx.search(key):
                            yield from k(v, p + (key,))

        return check, collect

    def _kw_additionalProperties(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        known = frozenset(schema.get("properties", {}) or {})
        patterns = tuple(ecma_regex(p) for p in (schema.get("patternProperties") or {}))
        c, k = self._compile(value)

        def extras(x: dict[str, Any]) -> list[str]:
            return [key for key in x if key not in known and not any(r.search(key) for r in patterns)]

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            return all(c(x[key]) for key in extras(x))

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is not dict:
                return
            extra = extras(x)
            if value is False:
                if extra:
                    names = ", ".join(repr(e) for e in extra)
                    verb = "was" if len(extra) == 1 else "were"
                    yield SchemaError(
                        p + (extra[0],) if len(extra) == 1 else p,
                        "additionalProperties",
                        f"Additional properties are not allowed ({names} {verb} unexpected)",
                    )
                return
            for key in extra:
                yield from k(x[key], p + (key,))

        return check, collect

    def _kw_propertyNames(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        c, k = self._compile(value)

        def check(x: Any) -> bool:
            return type(x) is not dict or all(c(key) for key in x)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is dict:
                for key in x:
                    for e in k(key, p):
                        yield SchemaError(p, "propertyNames", e.message)

        return check, collect

    def _kw_dependencies(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        deps: list[tuple[str, tuple[str, ...] | None, Check | None, Collect | None]] = []
        for name, dep in value.items():
            if isinstance(dep, list):
                deps.append((name, tuple(dep), None, None))
            else:
                c, k = self._compile(dep)
                deps.append((name, None, c, k))

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            for name, names, c, _ in deps:
                if name in x:
                    if names is not None and any(n not in x for n in names):
                        return False
                    if c is not None and not c(x):
                        return False
            return True

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is not dict:
                return
            for name, names, _, k in deps:
                if name not in x:
                    continue
                if names is not None:
                    for n in names:
                        if n not in x:
                            yield SchemaError(p + (n,), "dependencies", f"{n!r} is a dependency of {name!r}")
                elif k is not None:
                    yield from k(x, p)

        return check, collect

    def _kw_items(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        if isinstance(value, list):
            compiled = tuple(self._compile(sub) for sub in value)

            def check(x: Any) -> bool:
                return type(x) is not list or all(c(v) for (c, _), v in zip(compiled, x))

            def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
                if type(x) is list:
                    for i, ((_, k), v) in enumerate(zip(compiled, x)):
                        yield from k(v, p + (i,))

            return check, collect
        c, k = self._compile(value)

        def check_all(x: Any) -> bool:
            if type(x) is not list:
                return True
            for v in x:
                if not c(v):
                    return False
            return True

        def collect_all(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is list:
                for i, v in enumerate(x):
                    yield from k(v, p + (i,))

        return check_all, collect_all

    def _kw_additionalItems(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect] | None:
        items = schema.get("items")
        if not isinstance(items, list):
            return None  # ignored unless items is an array
        start = len(items)
        c, k = self._compile(value)

        def check(x: Any) -> bool:
            return type(x) is not list or all(c(v) for v in x[start:])

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is not list:
                return
            if value is False and len(x) > start:
                yield SchemaError(p, "additionalItems", "Additional items are not allowed")
                return
            for i in range(start, len(x)):
                yield from k(x[i], p + (i,))

        return check, collect

    def _kw_contains(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        c, _ = self._compile(value)

        def check(x: Any) -> bool:
            return type(x) is not list or any(c(v) for v in x)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if not check(x):
                yield SchemaError(p, "contains", f"{_repr(x)} does not contain items matching the given schema")

        return check, collect

    def _kw_pattern(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        if value in ("^(.*)$", "^.*$"):
            # the official schema's single-line pattern: no regex needed
            def matches(s: str) -> bool:
                return not ("\n" in s or "\r" in s or "\u2028" in s or "\u2029" in s)
        else:
            try:
                search = ecma_regex(value).search
            except re.error as exc:
                raise SchemaCompileError(f"pattern {value!r} is not a valid regular expression: {exc}") from None

            def matches(s: str) -> bool:
                return search(s) is not None

        def check(x: Any) -> bool:
            return type(x) is not str or matches(x)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if type(x) is str and not matches(x):
                yield SchemaError(p, "pattern", f"{_repr(x)} does not match {value!r}")

        return check, collect

    def _bound(self, keyword: str, value: Any, applies: Callable[[Any], bool], measure: Callable[[Any], Any],
               ok: Callable[[Any, Any], bool], message: str) -> tuple[Check, Collect]:
        def check(x: Any) -> bool:
            return not applies(x) or ok(measure(x), value)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if applies(x) and not ok(measure(x), value):
                yield SchemaError(p, keyword, message.format(x=_repr(x), v=value))

        return check, collect

    def _kw_minimum(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("minimum", v, _is_number, lambda x: x, lambda a, b: a >= b,
                           "{x} is less than the minimum of {v}")

    def _kw_maximum(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("maximum", v, _is_number, lambda x: x, lambda a, b: a <= b,
                           "{x} is greater than the maximum of {v}")

    def _kw_exclusiveMinimum(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("exclusiveMinimum", v, _is_number, lambda x: x, lambda a, b: a > b,
                           "{x} is less than or equal to the minimum of {v}")

    def _kw_exclusiveMaximum(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("exclusiveMaximum", v, _is_number, lambda x: x, lambda a, b: a < b,
                           "{x} is greater than or equal to the maximum of {v}")

    def _kw_multipleOf(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        def ok(x: Any, d: Any) -> bool:
            if isinstance(d, float) or isinstance(x, float):
                try:
                    q = x / d
                    return math.isfinite(q) and q == int(q)
                except (OverflowError, ZeroDivisionError):
                    return False
            return x % d == 0

        return self._bound("multipleOf", v, _is_number, lambda x: x, ok, "{x} is not a multiple of {v}")

    def _kw_minLength(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("minLength", v, lambda x: type(x) is str, len, lambda a, b: a >= b,
                           "{x} is too short")

    def _kw_maxLength(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("maxLength", v, lambda x: type(x) is str, len, lambda a, b: a <= b,
                           "{x} is too long")

    def _kw_minItems(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("minItems", v, lambda x: type(x) is list, len, lambda a, b: a >= b,
                           "{x} should be non-empty" if v == 1 else "{x} is too short")

    def _kw_maxItems(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("maxItems", v, lambda x: type(x) is list, len, lambda a, b: a <= b,
                           "{x} is too long")

    def _kw_minProperties(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("minProperties", v, lambda x: type(x) is dict, len, lambda a, b: a >= b,
                           "{x} does not have enough properties")

    def _kw_maxProperties(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect]:
        return self._bound("maxProperties", v, lambda x: type(x) is dict, len, lambda a, b: a <= b,
                           "{x} has too many properties")

    def _kw_uniqueItems(self, v: Any, s: Mapping[str, Any]) -> tuple[Check, Collect] | None:
        if not v:
            return None

        def unique(x: list[Any]) -> bool:
            for i in range(len(x)):
                for j in range(i + 1, len(x)):
                    if json_equal(x[i], x[j]):
                        return False
            return True

        return self._bound("uniqueItems", v, lambda x: type(x) is list, lambda x: x, lambda a, b: unique(a),
                           "{x} has non-unique elements")

    def _kw_enum(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        options = list(value)

        def check(x: Any) -> bool:
            return any(json_equal(x, o) for o in options)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if not check(x):
                yield SchemaError(p, "enum", f"{_repr(x)} is not one of {_repr(options)}")

        return check, collect

    def _kw_const(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        def check(x: Any) -> bool:
            return json_equal(x, value)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if not check(x):
                yield SchemaError(p, "const", f"{_repr(value)} was expected")

        return check, collect

    def _kw_allOf(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        compiled = tuple(self._compile(sub) for sub in value)

        def check(x: Any) -> bool:
            return all(c(x) for c, _ in compiled)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            for _, k in compiled:
                yield from k(x, p)

        return check, collect

    def _best_branch(self, compiled: tuple[tuple[Check, Collect], ...], x: Any, p: Parts) -> list[SchemaError]:
        """The branch with the fewest (then deepest) errors: best match, not every branch."""
        best: list[SchemaError] | None = None
        for _, k in compiled:
            errs = list(k(x, p))
            if best is None or (len(errs), -max((len(e.parts) for e in errs), default=0)) < (
                len(best), -max((len(e.parts) for e in best), default=0)
            ):
                best = errs
        return best or []

    def _kw_anyOf(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        compiled = tuple(self._compile(sub) for sub in value)

        def check(x: Any) -> bool:
            return any(c(x) for c, _ in compiled)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if not check(x):
                detail = self._best_branch(compiled, x, p)
                why = f" (closest: {detail[0].pointer or '/'}: {detail[0].message})" if detail else ""
                yield SchemaError(p, "anyOf", f"{_repr(x)} is not valid under any of the given schemas{why}")

        return check, collect

    def _kw_oneOf(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        compiled = tuple(self._compile(sub) for sub in value)

        def count(x: Any) -> int:
            return sum(1 for c, _ in compiled if c(x))

        def check(x: Any) -> bool:
            return count(x) == 1

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            n = count(x)
            if n == 0:
                detail = self._best_branch(compiled, x, p)
                why = f" (closest: {detail[0].pointer or '/'}: {detail[0].message})" if detail else ""
                yield SchemaError(p, "oneOf", f"{_repr(x)} is not valid under any of the given schemas{why}")
            elif n > 1:
                yield SchemaError(p, "oneOf", f"{_repr(x)} is valid under each of {n} of the given schemas")

        return check, collect

    def _kw_not(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect]:
        c, _ = self._compile(value)

        def check(x: Any) -> bool:
            return not c(x)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            if c(x):
                yield SchemaError(p, "not", f"{_repr(x)} should not be valid under {_repr(value)}")

        return check, collect

    def _kw_if(self, value: Any, schema: Mapping[str, Any]) -> tuple[Check, Collect] | None:
        c_if, _ = self._compile(value)
        then = self._compile(schema["then"]) if "then" in schema else None
        else_ = self._compile(schema["else"]) if "else" in schema else None
        if then is None and else_ is None:
            return None

        def branch(x: Any) -> tuple[Check, Collect] | None:
            return then if c_if(x) else else_

        def check(x: Any) -> bool:
            b = branch(x)
            return b is None or b[0](x)

        def collect(x: Any, p: Parts) -> Iterator[SchemaError]:
            b = branch(x)
            if b is not None:
                yield from b[1](x, p)

        return check, collect
