"""The globs that name payload files, matched against collected paths without listing the disk."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass


def posix(path: str) -> str:
    """``path`` with '/' separators, the only ones the globs know."""
    return path.replace(os.sep, "/") if os.sep != "/" else path


def glob_regex(pattern: str) -> str:
    """A glob as a regex over '/'-separated paths: ``*``, ``?`` and ``[...]`` stay within one
    directory, ``**`` crosses directories (``**/`` also matches no directory at all)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            regex, i = _one(pattern, i)
            out.append(regex)
    return "".join(out)


def _one(pattern: str, i: int) -> tuple[str, int]:
    """The regex of the single glob token at ``i`` (not ``**``), and the index after it."""
    c = pattern[i]
    if c == "*":
        return "[^/]*", i + 1
    if c == "?":
        return "[^/]", i + 1
    if c == "[":
        return _bracket(pattern, i)
    return re.escape(c), i + 1


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """``[...]`` at ``i`` as a character class that never matches '/'; a '[' never closed is literal."""
    n = len(pattern)
    j = i + 1
    if j < n and pattern[j] in "!^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    j = pattern.find("]", j)
    if j < 0:
        return re.escape("["), i + 1
    body = pattern[i + 1:j]
    negate = body[:1] in ("!", "^")
    body = body[1:] if negate else body
    for special in ("\\", "^", "[", "]"):
        body = body.replace(special, "\\" + special)
    return f"[{'^/' if negate else ''}{body}]", j + 1


@dataclass(frozen=True)
class PayloadGlob:
    """A glob as written, and the directory it is relative to ("" when it is absolute).

    Kept apart so that glob characters in the directory's own name stay literal.
    """

    base: str
    pattern: str

    @classmethod
    def parse(cls, base: str, pattern: str) -> PayloadGlob:
        pattern = posix(os.path.expanduser(pattern.strip()))
        if pattern.startswith("/") or re.match(r"[A-Za-z]:/", pattern):
            return cls("", posixpath.normpath(pattern))
        base, rel = posix(base).rstrip("/"), posixpath.normpath(pattern)
        while rel == ".." or rel.startswith("../"):
            base, rel = posixpath.dirname(base), rel[3:]
        return cls(base, rel or ".")

    @property
    def path(self) -> str:
        return f"{self.base}/{self.pattern}" if self.base else self.pattern

    def regex(self) -> str:
        return (re.escape(self.base) + "/" if self.base else "") + glob_regex(self.pattern)

    def matches_a_file(self) -> bool:
        import glob

        pattern = (glob.escape(self.base) + "/" if self.base else "") + self.pattern
        return any(os.path.isfile(p) for p in glob.iglob(pattern, recursive=True))

    def shown(self, rootdir: str) -> str:
        """The glob relative to ``rootdir`` when it is inside it: how messages name it."""
        root = posix(rootdir).rstrip("/") + "/"
        return self.path[len(root):] if self.path.startswith(root) else self.path
