"""The one JSON Schema engine: jsonschema-rs, configured for draft-07 contracts.

Every verdict and every schema error comes from here: the pointer from the error's
``instance_path``, the keyword from its kind, the message from jsonschema-rs (JSON
spelling: ``"integer"``, ``null``, ``true``). What this module adds is the contract
setting: ECMA-262 ``.`` (see ``ecma``), no ``format`` assertion (draft-07 leaves it
optional), bounded backtracking, and references resolved only to the draft-07
meta-schema (built into jsonschema-rs) and the schemas of loaded contracts, by ``$id``,
never over the network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import jsonschema_rs

from .ecma import translate_patterns
from .pointers import Parts, escape_key, pointer_from_parts

# fancy-regex gives up after this many backtracking steps (a few milliseconds): ``^(a+)+$``
# against a long near-miss answers at once instead of freezing a run or the mock.
BACKTRACK_LIMIT = 100_000
_PATTERN_OPTIONS = jsonschema_rs.FancyRegexOptions(backtrack_limit=BACKTRACK_LIMIT)
DRAFT7_META_SCHEMA = "http://json-schema.org/draft-07/schema#"


def _refuse(uri: str) -> Any:
    raise LookupError(f"{uri} is not the $id of a loaded contract schema (references never use the network)")


@dataclass(frozen=True)
class SchemaError:
    """One schema error: where (instance path), which keyword, and why."""

    parts: Parts
    keyword: str
    message: str
    # additionalProperties: the unexpected names (a report may point at the one it names)
    names: tuple[str, ...] = ()

    @property
    def pointer(self) -> str:
        return pointer_from_parts(self.parts)


class SchemaCompileError(ValueError):
    """A schema jsonschema-rs refuses: ``pointer`` is where in the schema document, ``ref`` the
    reference that resolves nowhere, when that is the problem."""

    def __init__(self, message: str, pointer: str = "", ref: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.ref = ref


class Resources:
    """The schemas a ``$ref`` may name besides its own document: loaded contracts' schemas by ``$id``."""

    def __init__(self, documents: Iterable[tuple[str, Any]] = ()) -> None:
        self.originals: dict[str, str] = {}  # rewritten pattern → the pattern as written
        # a contract schema is draft-07 unless its $schema says otherwise (cross-draft refs)
        self.documents = {uri: translate_patterns({"$schema": DRAFT7_META_SCHEMA, **doc} if isinstance(doc, dict)
                                                  else doc, self.originals) for uri, doc in documents}
        self._registry: Any = None

    def registry(self) -> Any:
        """The documents as one jsonschema-rs Registry (built once: it resolves every reference)."""
        if self._registry is None:
            self._registry = jsonschema_rs.Registry(list(self.documents.items()),
                                                    retriever=_refuse)
        return self._registry


_NO_RESOURCES = Resources()


class CompiledSchema:
    """``is_valid`` and ``errors`` for one draft-07 schema document."""

    def __init__(self, document: Any, resources: Resources | None = None) -> None:
        resources = resources if resources is not None else _NO_RESOURCES
        self.document = document
        self._originals = dict(resources.originals)
        translated = translate_patterns(document, self._originals)
        kwargs: dict[str, Any] = {"validate_formats": False, "retriever": _refuse,
                                  "pattern_options": _PATTERN_OPTIONS}
        if resources.documents:
            kwargs["registry"] = resources.registry()
        try:
            self._validator = jsonschema_rs.Draft7Validator(translated, **kwargs)
        except jsonschema_rs.ValidationError as exc:
            raise _compile_error(exc, document, self._originals) from None
        except (ValueError, RecursionError) as exc:  # "Recursion limit reached": nested too deep
            raise SchemaCompileError(f"the schema is nested too deep for the engine ({exc})") from None
        self._is_valid = self._validator.is_valid

    def is_valid(self, instance: Any) -> bool:
        try:
            return self._is_valid(instance)
        except UnicodeEncodeError:
            return self._is_valid(without_surrogates(instance))

    def errors(self, instance: Any) -> list[SchemaError]:
        try:
            return [self._error(e) for e in self.iter_raw(instance)]
        except UnicodeEncodeError:
            return self.errors(without_surrogates(instance))
        except ValueError:  # "Recursion limit reached": jsonschema-rs hands no deeper error back
            return [SchemaError(_deep_point(instance), "depth",
                                f"nested more than {ERROR_DEPTH} levels deep: the validator reports no error "
                                "inside a value this deep (the payload is invalid)")]

    def errors_with_paths(self, instance: Any) -> list[tuple[SchemaError, Any]]:
        """Each error with jsonschema-rs' own (its ``schema_path`` says which part of the schema failed)."""
        try:
            return [(self._error(e), e) for e in self.iter_raw(instance)]
        except UnicodeEncodeError:
            return self.errors_with_paths(without_surrogates(instance))
        except ValueError:
            return [(e, _NoPath()) for e in self.errors(instance)]

    def iter_raw(self, instance: Any) -> Iterator[Any]:
        """jsonschema-rs' own errors, for callers that need the schema path too."""
        return self._validator.iter_errors(instance)

    def _error(self, error: Any) -> SchemaError:
        return schema_error(error, self._originals)


def without_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate (JSON allows ``"\\ud800"``, Rust strings cannot hold it) as
    U+FFFD: one character for one, so lengths and ECMA ``.`` read the same."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


# jsonschema-rs judges any depth (is_valid), but hands errors back only from shallower values
ERROR_DEPTH = 250


class _NoPath:
    schema_path: list[Any] = []
    instance: Any = None


def _deep_point(instance: Any) -> Parts:
    """The path of the first value nested ERROR_DEPTH levels deep."""
    stack: list[tuple[Parts, Any]] = [((), instance)]
    while stack:
        parts, value = stack.pop()
        if len(parts) >= ERROR_DEPTH:
            return parts
        if isinstance(value, dict):
            stack.extend(reversed([(parts + (k,), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(parts + (i,), v) for i, v in enumerate(value)]))
    return ()


def schema_error(error: Any, originals: dict[str, str]) -> SchemaError:
    """One jsonschema-rs ValidationError as (parts, keyword, message)."""
    kind = error.kind
    name = kind.name
    parts = tuple(error.instance_path)
    message = error.message
    if name == "required":
        parts += (kind.property,)
        if error.schema_path and error.schema_path[-1] == "dependencies":
            name = "dependencies"
    elif name == "falseSchema":
        name = "false"
    elif name in ("pattern", "backtrackLimitExceeded"):
        pattern = json.dumps(originals.get(getattr(kind, "pattern", ""), getattr(kind, "pattern", "")))
        if name == "backtrackLimitExceeded" or "backtracking" in message:
            message = (f"{_shown(error.instance)}: {pattern} needs more than {BACKTRACK_LIMIT} backtracking steps "
                       "to decide, so the value is refused (too much backtracking)")
        else:
            message = f"{_shown(error.instance)} does not match {pattern}"
        name = "pattern"
    elif name in ("oneOfNotValid", "oneOfMultipleValid"):
        name = "oneOf"
    elif name == "additionalProperties":
        return SchemaError(parts, name, message, tuple(kind.unexpected))
    if message[:1] in ("{", "[") and isinstance(error.instance, (dict, list)):  # (a required property: never)
        whole = json.dumps(error.instance, ensure_ascii=False, separators=(",", ":"))
        if len(whole) > 80 and message.startswith(whole):
            message = _shown(error.instance) + message[len(whole):]
    return SchemaError(parts, name, message)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def _compile_error(exc: Any, document: Any, originals: dict[str, str]) -> SchemaCompileError:
    """Where in ``document`` jsonschema-rs' refusal points: a meta-schema error's instance path, or
    the ``$ref`` a resolution error names."""
    message = exc.message
    if exc.instance_path or not _is_reference_error(exc):
        path = tuple(originals.get(p, p) if isinstance(p, str) else p for p in exc.instance_path)
        return SchemaCompileError(f"not a valid draft-07 schema: {message}", pointer_from_parts(path))
    for pointer, ref in refs_in(document):
        target = ref.split("#", 1)
        if ref in message or (target[0] and target[0] in message) or (len(target) > 1 and target[1]
                                                                      and f"'{target[1]}'" in message):
            return SchemaCompileError(f"$ref {ref!r} resolves nowhere: {message}", pointer, ref)
    return SchemaCompileError(f"a $ref resolves nowhere: {message}")


def _is_reference_error(exc: Any) -> bool:
    return exc.kind.name == "referencing" or any(
        word in exc.message for word in ("$ref", "Pointer", "Anchor", "not present in a registry", "reference"))


def refs_in(document: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(pointer, value) of every ``$ref`` in a schema document, in document order."""
    stack = [(pointer, document)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                yield here + "/$ref", ref
            stack.extend(reversed([(f"{here}/{escape_key(k)}", v)
                                   for k, v in value.items() if k not in ("enum", "const")]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{here}/{i}", v) for i, v in enumerate(value)]))


_meta: Any = None


def meta_schema_errors(document: Any) -> list[SchemaError]:
    """Every way ``document`` breaks the draft-07 meta-schema (``format: regex`` asserted as ECMA-262)."""
    global _meta
    if _meta is None:
        _meta = jsonschema_rs.Draft7Validator({"$ref": DRAFT7_META_SCHEMA}, validate_formats=True,
                                              retriever=_refuse)
    try:
        return [_meta_error(schema_error(e, {}), e) for e in _meta.iter_errors(document)]
    except (ValueError, RecursionError) as exc:
        return [SchemaError((), "depth", f"the schema is nested too deep to check ({exc})")]


_TYPES = "array, boolean, integer, null, number, object, string"


def _meta_error(error: SchemaError, raw: Any) -> SchemaError:
    """The meta-schema's ``type`` is an anyOf of a name and a list of names: say which names exist."""
    if error.parts and error.parts[-1] == "type" and error.keyword == "anyOf":
        return SchemaError(error.parts, "type", f"{_shown(raw.instance)} is not a draft-07 type ({_TYPES})")
    return error


# -- what lint says about a schema ---------------------------------------------------------------

DRAFT7_KEYWORDS = frozenset({
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "readOnly", "writeOnly", "examples",
    "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern",
    "additionalItems", "items", "maxItems", "minItems", "uniqueItems", "contains", "maxProperties", "minProperties",
    "required", "additionalProperties", "definitions", "properties", "patternProperties", "dependencies",
    "propertyNames", "const", "enum", "type", "format", "contentMediaType", "contentEncoding", "if", "then", "else",
    "allOf", "anyOf", "oneOf", "not"})
_ONE = ("additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not", "if", "then", "else")
_MANY = ("allOf", "anyOf", "oneOf", "items")
_BY_NAME = ("properties", "patternProperties", "definitions", "dependencies")


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema object) of the schema and each subschema draft-07 defines, in document order."""
    stack = [(pointer, schema)]
    while stack:
        here, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield here, node
        found: list[tuple[str, Any]] = []
        for key, value in node.items():
            escaped = escape_key(key)
            if key in _MANY and isinstance(value, list):
                found.extend((f"{here}/{escaped}/{i}", v) for i, v in enumerate(value))
            elif key in _ONE:
                found.append((f"{here}/{escaped}", value))
            elif key in _BY_NAME and isinstance(value, dict):
                found.extend((f"{here}/{escaped}/{escape_key(n)}", v)
                             for n, v in value.items())
        stack.extend(reversed(found))


def schema_notes(schema: Any) -> list[tuple[str, str]]:
    """(pointer, what to know) for ``contracts lint``: keywords draft-07 does not define (every
    validator ignores them: a typo such as ``requried`` checks nothing), a ``$schema`` of another
    draft, and each ``format``, which the checker does not assert."""
    notes = []
    for pointer, node in subschemas(schema):
        for key in node:
            escaped = escape_key(key)
            if key not in DRAFT7_KEYWORDS:
                notes.append((f"{pointer}/{escaped}", f"{key!r} is not a draft-07 keyword: it is ignored, it checks "
                                                      "nothing"))
        dialect = node.get("$schema")
        if isinstance(dialect, str) and dialect.rstrip("#") != DRAFT7_META_SCHEMA.rstrip("#"):
            notes.append((f"{pointer}/$schema", f"$schema {dialect!r} is not draft-07: the contract is judged as "
                                                "draft-07"))
        if isinstance(node.get("format"), str):
            notes.append((f"{pointer}/format", f"format {node['format']!r} is not asserted (draft-07 leaves format "
                                               "assertion optional; it is an annotation here)"))
    return notes
