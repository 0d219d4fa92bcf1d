"""Payload readers: files, directories, globs, JSONL/NDJSON and stdin.

A read or parse failure is a value (``Payload.error``), never an exception:
one bad file must not hide the others.
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator

import orjson

from .model import Violation

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PAYLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = (".jsonl", ".ndjson")
# the labels `generate --invalid` writes beside each payload: never payloads in a folder walk
EXPECTED_SUFFIX = ".expected.json"
_GLOB_CHARS = "*?["


@dataclass
class Payload:
    """One document to check, or the reason it could not be read."""

    source: str
    path: str | None = None
    text: str | None = None
    document: Any = None
    error: Violation | None = None
    line_offset: int = 0
    # objects parsed with the same key twice: (the dict, the repeated keys)
    duplicates: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    # a read error (missing, unreadable path) is a usage problem, not a payload verdict
    unreadable: bool = False


class ParseFailure(ValueError):
    def __init__(self, message: str, line: int = 1, column: int = 1, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


# Every Python words it the same and puts it at the bracket after the comma.
TRAILING_COMMA = "trailing comma (JSON allows none before } or ])"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str, data: bytes | None = None) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]]:
    """Parse one JSON document (``data``: the same text as UTF-8, when the caller has it); keep
    track of duplicate keys (json.loads drops them)."""
    if text.startswith("\ufeff"):
        raise ParseFailure(
            "the text starts with a UTF-8 byte order mark (BOM); JSON sent to the API must not",
            hint="save the file as UTF-8 without BOM",
        )
    if not text.strip():
        raise ParseFailure("empty: no JSON document")
    document = _quick_parse(text.encode("utf-8", "surrogatepass") if data is None else data)
    if document is not _UNSURE:
        return document, []
    return _parse_tracking_duplicates(text)


_UNSURE = object()
# a byte → "0" for a digit, " " otherwise: a run of 19 digits is a number orjson may not hold exactly
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_NUMBER = b"0" * 19


def _quick_parse(data: bytes) -> Any:
    """The document by orjson (C speed), or ``_UNSURE`` when only ``json`` can say: a text it
    refuses (the error messages are json's), one that may repeat a key, or one with a number
    orjson may round (an integer past 64 bits becomes a float there).

    Whether a key repeats, from two counts: the text has a ``:`` after every key and maybe some
    inside strings; the document written back by orjson has one per key it kept and the strings'
    own. With no key dropped the counts are equal (unless a colon is escaped as ``\\u003a``, which
    the written-back document spells as a plain colon); a dropped key removes at least its own."""
    try:
        document = orjson.loads(data)
        again = orjson.dumps(document)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # the encoder nests less deep than the decoder
        return _UNSURE
    if data.count(b":") != again.count(b":") or (b"\\" in data and b"\\u003" in data) \
            or _LONG_NUMBER in data.translate(_DIGITS):
        return _UNSURE
    return document


def _decode_failure(text: str, exc: json.JSONDecodeError) -> ParseFailure:
    """The failure to report for a decode error: a trailing comma named as one, at the comma
    on every Python, and a hint when the text looks like JSONL."""
    message, line, column = exc.msg, exc.lineno, exc.colno
    if message.startswith("Illegal trailing comma"):  # Python 3.13+: at the comma; older: at the bracket
        from .positions import line_column

        line, column = line_column(text, _after_blanks(text, exc.pos + 1))
        message = TRAILING_COMMA
    elif message.startswith(("Expecting property name", "Expecting value")) and _trailing_comma(text, exc.pos):
        message = TRAILING_COMMA
    hint = None
    if message == "Extra data" and "\n" in text[:exc.pos]:
        hint = "this looks like JSONL, one payload per line: name the file .jsonl or .ndjson"
    return ParseFailure(f"invalid JSON: {message}", line, column, hint)


def _parse_tracking_duplicates(text: str) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]]:
    duplicates: list[tuple[dict[str, Any], list[str]]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            repeated = []
            for key, _ in items:
                if key in seen and key not in repeated:
                    repeated.append(key)
                seen.add(key)
            duplicates.append((obj, repeated))
        return obj

    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _decode_failure(text, exc) from None
    except ValueError as exc:  # NaN / Infinity
        line, column = _constant_position(text)
        raise ParseFailure(f"invalid JSON: {exc} (NaN and Infinity are not JSON numbers)", line, column) from None
    except RecursionError:
        raise ParseFailure(_TOO_DEEP) from None
    # CPython before 3.13 stops near its recursion limit; 3.13 parses any depth. One limit for all:
    # counting brackets is cheap, and only a text with that many of them is walked.
    if text.count("[") + text.count("{") > MAX_NESTING and _depth_over(document, MAX_NESTING):
        raise ParseFailure(_TOO_DEEP)
    return document, duplicates


MAX_NESTING = 990  # levels of arrays and objects; about where CPython 3.10-3.12's parser gives up
_TOO_DEEP = "invalid JSON: nesting too deep to parse"


def _depth_over(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (an explicit stack: no recursion)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


def _after_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _trailing_comma(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    return j >= 0 and text[j] == "," and pos < len(text) and text[pos] in "}]"


# a string literal (skipped: "NaNa.csv" is no NaN), or the constant itself
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.S)


def _constant_position(text: str) -> tuple[int, int]:
    from .positions import line_column

    for match in _CONSTANT.finditer(text):
        if match.group(1):
            return line_column(text, match.start(1))
    return (1, 1)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        if b"\x00" in data[:8192]:
            what = "binary data, not JSON text"
        else:
            what = "not UTF-8 text"
        raise ParseFailure(
            f"{what}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
            line,
            column,
            hint="JSON must be encoded as UTF-8 (RFC 8259); re-encode the file" if what == "not UTF-8 text" else None,
        ) from None


def _error(rule: str, message: str, line: int | None = None, column: int | None = None,
           hint: str | None = None) -> Violation:
    return Violation(pointer="", rule=rule, severity="error", message=message, hint=hint, line=line, column=column)


def payload_from_text(source: str, text: str, *, path: str | None = None, line_offset: int = 0,
                      data: bytes | None = None) -> Payload:
    payload = Payload(source=source, path=path, text=text, line_offset=line_offset)
    try:
        payload.document, payload.duplicates = parse_json(text, data)
    except ParseFailure as exc:
        payload.error = _error("parse", exc.message, exc.line + line_offset, exc.column, exc.hint)
    return payload


def payload_from_bytes(source: str, data: bytes, *, path: str | None = None, line_offset: int = 0) -> Payload:
    try:
        text = _decode(data)
    except ParseFailure as exc:
        return Payload(source=source, path=path,
                       error=_error("parse", exc.message, exc.line + line_offset, exc.column, exc.hint))
    return payload_from_text(source, text, path=path, line_offset=line_offset, data=data)


def _too_large(source: str, path: str | None, size: str, max_bytes: int) -> Payload:
    return Payload(source=source, path=path, error=_error(
        "size", f"{size} is over the limit of {max_bytes} bytes; not read",
        hint="raise --max-bytes if the payload is meant to be this large"))


def _unreadable(source: str, message: str) -> Payload:
    return Payload(source=source, path=source, error=_error("read", message), unreadable=True)


class Refused(str):
    """A path met in a folder walk or a glob that is never read: not a regular file (a FIFO would
    block, a device never ends), or a folder the walk could not list. ``reason`` says which."""

    reason: str = ""

    def __new__(cls, path: str, reason: str) -> Refused:
        self = super().__new__(cls, path)
        self.reason = reason
        return self

    def __reduce__(self) -> Any:  # keeps its reason through worker processes
        return (Refused, (str(self), self.reason))


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def is_lines(path: str) -> bool:
    """Whether a path holds JSONL (one payload per line), by its suffix in any case."""
    return path.lower().endswith(LINE_SUFFIXES)


def _open_failure(exc: OSError) -> str:
    """Why a path could not be opened, in the report's words."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):  # where directories cannot be opened at all
        return "is a directory"
    return f"cannot read: {exc.strerror or exc}"


def read_file(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Payload]:
    """The payloads of one file: one for JSON, one per non-blank line for JSONL/NDJSON.

    A path named on the command line may be a FIFO or a device: it is read, but never more
    than ``max_bytes`` in all."""
    if isinstance(path, Refused):
        yield _unreadable(str(path), path.reason)
        return
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        yield _unreadable(path, _open_failure(exc))
        return
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            yield _unreadable(path, "is a directory")
            return
        regular = stat.S_ISREG(info.st_mode)
        if is_lines(path) and regular:
            with os.fdopen(fd, "rb", closefd=False) as handle:
                yield from _read_lines(handle, path, max_bytes)
            return
        if info.st_size > max_bytes:
            yield _too_large(path, path, f"the file is {info.st_size} bytes, which", max_bytes)
            return
        data = _read_all(fd, info.st_size, max_bytes, regular=regular)
    except OSError as exc:
        yield _unreadable(path, f"cannot read: {exc.strerror or exc}")
        return
    finally:
        os.close(fd)
    if data is None:  # grew while we read it, or a pipe or device with more to say
        yield _too_large(path, path, "the file", max_bytes)
        return
    if is_lines(path):  # a FIFO or device of JSONL: its lines, from what was read within the limit
        import io

        yield from _read_lines(io.BytesIO(data), path, max_bytes)
        return
    yield payload_from_bytes(path, data, path=path)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_all(fd: int, size: int, max_bytes: int, regular: bool = False) -> bytes | None:
    """Everything up to EOF, or None past ``max_bytes``. Asks for the size ``fstat`` gives (plus one
    byte, to see EOF) rather than for ``max_bytes``, which would allocate that much for every file."""
    chunks = []
    total = 0
    want = size + 1 if size else 65536  # pipes and /proc files report 0
    while True:
        asked = min(want, max_bytes + 1 - total)
        chunk = os.read(fd, asked)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            return None
        if regular and size and len(chunk) < asked:
            break  # a regular file reads short only at its end: no need to ask again
        want = 65536
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@dataclass(frozen=True)
class Unit:
    """One payload to read and check, in input order: what ``validate`` hands out, read the same
    way (``read``) in one process and in worker processes.

    A JSON file is named by its path and read where it is checked; a JSONL line carries its
    bytes (a file is split into lines where it is listed); a payload read already (standard
    input, a line over the limit, a path that is refused) carries it as is."""

    source: str
    path: str | None = None
    data: bytes | None = None  # a JSONL line, read but not parsed
    line_offset: int = 0
    payload: Payload | None = None

    @classmethod
    def of(cls, payload: Payload) -> Unit:
        return cls(payload.source, payload.path, payload=payload)

    def read(self, max_bytes: int = DEFAULT_MAX_BYTES) -> Payload:
        if self.payload is not None:
            return self.payload
        if self.data is not None:
            return payload_from_bytes(self.source, self.data, path=self.path, line_offset=self.line_offset)
        [payload] = read_file(self.source, max_bytes)  # a JSON file: one payload
        return payload


def raw_lines(handle: IO[bytes], path: str, max_bytes: int, name: str | None = None) -> Iterator[Unit]:
    """The non-blank lines of a JSONL stream, unparsed (so parsing can happen elsewhere);
    over-long lines and an empty stream come out as units holding their error payload."""
    name = name or path
    number = 0
    seen_any = False
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            break
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            # skip the rest of an over-long line without holding it
            while True:
                rest = handle.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            seen_any = True
            yield Unit.of(_too_large(f"{name}:{number}", path, "the line", max_bytes))
            continue
        if not line.strip():
            continue
        seen_any = True
        # without its line break, a parse error at the end of the line stays on this line
        yield Unit(f"{name}:{number}", path, line[:-1] if line.endswith(b"\n") else line, number - 1)
    if not seen_any:
        yield Unit.of(Payload(source=name, path=path, error=_error("parse", "empty: no JSON document on any line",
                                                                   1, 1)))


def _read_lines(handle: IO[bytes], path: str, max_bytes: int, name: str | None = None) -> Iterator[Payload]:
    for unit in raw_lines(handle, path, max_bytes, name):
        yield unit.read(max_bytes)


def iter_units(files: Iterable[str | None], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Unit]:
    """The work the inputs hold, in input order: a unit per JSON file (read where it is checked),
    per JSONL line (read here), per payload read here (stdin, a refused path)."""
    for path in files:
        if path is None:
            yield from map(Unit.of, read_stdin(max_bytes))
        elif isinstance(path, Refused):
            yield from map(Unit.of, read_file(path, max_bytes))
        elif is_lines(path):
            if not os.path.isfile(path):  # a FIFO or device named on the command line: bounded read
                yield from map(Unit.of, read_file(path, max_bytes))
                continue
            try:
                handle = open(path, "rb")
            except OSError:
                yield from map(Unit.of, read_file(path, max_bytes))  # reports why
                continue
            with handle:
                yield from raw_lines(handle, path, max_bytes)
        else:
            yield Unit(path, path)


def read_stdin(max_bytes: int = DEFAULT_MAX_BYTES, stream: IO[bytes] | None = None) -> Iterator[Payload]:
    """stdin holds one JSON document, or JSONL (one per line) when it holds several."""
    if stream is None:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # `validate - <&-`: Python sets sys.stdin to None
            yield _unreadable("<stdin>", "standard input is closed; pipe or redirect a payload into it")
            return
    try:
        data = stream.read(max_bytes + 1)
    except (OSError, ValueError) as exc:  # EBADF, EISDIR (`< folder`), a closed stream
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield _unreadable("<stdin>", f"cannot read standard input: {reason}")
        return
    if len(data) > max_bytes:
        yield _too_large("<stdin>", None, "standard input", max_bytes)
        return
    single = payload_from_bytes("<stdin>", data)
    if single.error is not None and _is_extra_data(data):
        import io

        yield from _read_lines(io.BytesIO(data), "<stdin>", max_bytes, name="<stdin>")
        return
    yield single


def _is_extra_data(data: bytes) -> bool:
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        return exc.msg == "Extra data"
    except (ValueError, RecursionError):
        return False
    return False


# Below a directory given on the command line, these hold tools' files, not payloads.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv"})


def _walk(directory: str) -> Iterator[str]:
    """Payload files below a folder. Only regular files are read: anything else with a payload
    name, and every folder that cannot be listed, comes out as a ``Refused`` path."""
    failed: list[OSError] = []
    for root, dirs, names in os.walk(directory, onerror=failed.append):
        while failed:
            error = failed.pop(0)
            yield Refused(error.filename or root, f"cannot read the folder: {error.strerror or error}")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(names):
            lower = name.lower()  # out/A.JSON is a payload too
            if lower.endswith(PAYLOAD_SUFFIXES) and not lower.endswith(EXPECTED_SUFFIX):
                yield _checked(os.path.join(root, name))
    for error in failed:
        yield Refused(error.filename or directory, f"cannot read the folder: {error.strerror or error}")


def _checked(path: str) -> str:
    """``path``, or a Refused path when it is not a regular file (symlinks followed)."""
    try:
        kind = _not_regular(os.stat(path).st_mode)
    except OSError:
        return path  # gone or unreadable: read_file says why
    if kind is None:
        return path
    return Refused(path, f"is {kind}; only regular files are read from folders and globs")


def iter_inputs(inputs: Iterable[str], unmatched: list[str]) -> Iterator[str | None]:
    """The files the CLI inputs name, lazily, in order (``None`` stands for stdin); patterns and
    directories that match nothing are appended to ``unmatched`` as the walk reaches them.

    A path that does not exist and has no glob characters is kept, so the
    reader reports it as missing next to the other results. Only one
    directory's listing is held at a time (sorted, for a stable order).
    """
    for item in inputs:
        if item == "-":
            yield None
        elif os.path.isdir(item):
            found = False
            for path in _walk(item):
                found = True
                yield path
            if not found:
                unmatched.append(item)
        elif os.path.exists(item) or not any(c in item for c in _GLOB_CHARS):
            yield item
        else:
            found = False
            for match in sorted(glob.glob(item, recursive=True)):
                for path in _walk(match) if os.path.isdir(match) else (_checked(match),):
                    found = True
                    yield path
            if not found:
                unmatched.append(item)


def iter_payloads(files: Iterable[str | None], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Payload]:
    for unit in iter_units(files, max_bytes):
        yield unit.read(max_bytes)
