"""RFC 6901 JSON Pointers ↔ paths (tuples of keys and indices), shared by every module."""

from __future__ import annotations

Parts = tuple  # a tuple of str | int: the path of an instance location


def escape_key(key: str) -> str:
    """One object key as a pointer segment (RFC 6901): ``~`` → ``~0``, then ``/`` → ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


def pointer_from_parts(parts: Parts) -> str:
    """The pointer of a path: each key escaped, each index as its digits."""
    if not parts:
        return ""
    return "".join("/" + (str(p) if isinstance(p, int) else escape_key(p)) for p in parts)


def parts_from_pointer(pointer: str) -> list[str]:
    """The unescaped segments of a pointer (array indices stay strings)."""
    if pointer == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
