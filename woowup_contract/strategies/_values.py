"""The public value types (StrategyError, Mutation, InvalidPayload, InvalidQuery) and the duplicate-key JSON writer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..model import ExpectedViolation


class StrategyError(ValueError):
    """The strategy cannot be built: unknown contract or profile, or a contract the generator cannot handle."""


# -- public value types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One constraint of a contract and how to break it: an entry of the catalogue.

    ``pointer`` is a pointer pattern (``*`` stands for any array index) of
    where the violation is reported, ``rule`` the rule the checker reports
    (a schema keyword such as ``type``/``pattern``/``required``, or a strict
    rule id), ``description`` what the broken payload does. Those three are
    the entry: they alone are shown and compared.

    How the generator breaks it: ``kind`` is the constraint kind (the schema
    keyword, or ``strict-`` + the strict rule's kind), ``location`` the
    schema location (property names, ``*`` for any item) of the value it
    changes, ``bound`` the ``minimum``/``maximum`` a bound entry crosses.
    """

    pointer: str
    rule: str
    description: str
    kind: str = field(default="", repr=False, compare=False)
    location: tuple[str, ...] = field(default=(), repr=False, compare=False)
    bound: int | float | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class InvalidPayload:
    """A payload that breaks one catalogue entry, with the violations the checker reports for it.

    ``violations`` holds ``(pointer, rule)`` pairs (``ExpectedViolation``),
    concrete pointers this time. ``text`` is the JSON text to send or write:
    the only place a duplicate-key violation exists (``payload`` is the
    parsed document, where the repeated key collapses): ``repeated_key`` says
    which object of ``payload`` repeats which key there, as (path, key).
    """

    payload: Any
    violations: tuple[ExpectedViolation, ...]
    mutation: Mutation
    repeated_key: tuple[tuple[Any, ...], str] | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.to_json()

    def to_json(self, *, ensure_ascii: bool = False, indent: int | None = None) -> str:
        """The JSON text (a duplicate-key payload is always written compact, its repeated key included)."""
        if self.repeated_key is None:
            return json.dumps(self.payload, ensure_ascii=ensure_ascii, indent=indent)
        return _dumps_with_duplicate(self.payload, *self.repeated_key, ensure_ascii=ensure_ascii)


@dataclass(frozen=True)
class InvalidQuery:
    """Query parameters where one parameter breaks its contract (``violations`` point at ``/NAME``)."""

    params: dict[str, Any]
    violations: tuple[ExpectedViolation, ...]
    description: str


def _dumps_with_duplicate(document: Any, at: tuple[Any, ...], key: str, *, ensure_ascii: bool = False) -> str:
    """JSON text of ``document`` where the object at ``at`` repeats ``key`` (same value)."""
    def dump(value: Any, here: tuple[Any, ...]) -> str:
        if type(value) is dict:
            items = [f"{json.dumps(k, ensure_ascii=ensure_ascii)}: {dump(v, here + (k,))}" for k, v in value.items()]
            if here == at:
                items.append(f"{json.dumps(key, ensure_ascii=ensure_ascii)}: {dump(value[key], here + (key,))}")
            return "{" + ", ".join(items) + "}"
        if type(value) is list:
            return "[" + ", ".join(dump(v, here + (i,)) for i, v in enumerate(value)) + "]"
        return json.dumps(value, ensure_ascii=ensure_ascii)

    return dump(document, ())
