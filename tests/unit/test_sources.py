"""Payload readers: a read or parse failure is a value with a clear message, never an exception."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable
from typing import Any

import pytest

from woowup_contract.sources import (
    Payload,
    ParseFailure,
    iter_inputs,
    iter_payloads,
    parse_json,
    payload_from_bytes,
    read_file,
    read_stdin,
)

RECORD = '{"files": ["a.csv"], "processingtime": "2019-03-12T12:30:00Z", "stats": {}}'


def only(payloads: list[Payload]) -> Payload:
    assert len(payloads) == 1, payloads
    return payloads[0]


def error_of(payload: Payload) -> tuple[str, str, int | None, int | None]:
    assert payload.error is not None, payload
    e = payload.error
    return e.rule, e.message, e.line, e.column


# -- parse_json ------------------------------------------------------------------------


def test_duplicate_keys_stay_visible() -> None:
    document, duplicates = parse_json('{"a": 1, "b": {"c": 1, "c": 2, "c": 3}, "a": 4}')
    assert document == {"a": 4, "b": {"c": 3}}
    assert [(obj, keys) for obj, keys in duplicates] == [({"c": 3}, ["c"]), (document, ["a"])]
    assert duplicates[0][0] is document["b"]


@pytest.mark.parametrize(("text", "column"), [
    ('{"a": NaN}', 7), ('{"a": Infinity}', 7), ('{"a": -Infinity}', 7), ('[1,\n NaN]', 2),
    # the words inside strings are not the constant
    ('{"f": "NaN and -Infinity", "a": Infinity}', 33), ('{"f": "a\\"NaN", "n": NaN}', 22),
])
def test_nan_and_infinity_are_not_json(text: str, column: int) -> None:
    with pytest.raises(ParseFailure) as info:
        parse_json(text)
    assert "NaN and Infinity are not JSON numbers" in info.value.message
    assert info.value.column == column


def test_a_byte_order_mark_is_refused_with_a_hint() -> None:
    with pytest.raises(ParseFailure) as info:
        parse_json("\ufeff" + RECORD)
    assert "byte order mark" in info.value.message
    assert info.value.hint == "save the file as UTF-8 without BOM"


@pytest.mark.parametrize("text", ["", " ", "\n\t\r\n"])
def test_empty_text(text: str) -> None:
    with pytest.raises(ParseFailure, match="empty: no JSON document"):
        parse_json(text)


@pytest.mark.parametrize(("text", "line", "column"), [
    ('{"a": 1,}', 1, 9),
    ('[1, 2,\n]', 2, 1),
    ('{"a": [1,\n\t ]}', 2, 3),
])
def test_a_trailing_comma_is_named_and_placed_the_same_on_every_python(text: str, line: int, column: int) -> None:
    """Python 3.13 words it differently and places it at the comma; the report stays the same."""
    with pytest.raises(ParseFailure) as info:
        parse_json(text)
    assert info.value.message == "invalid JSON: trailing comma (JSON allows none before } or ])"
    assert (info.value.line, info.value.column) == (line, column)


@pytest.mark.parametrize("text", [
    '{"a": 1\n"b": 2}', "{'a': 1}", '{"a": tru}', '{"a": 1} {"b": 2}', '{"a": "tab\there"}',
])
def test_malformed_json_says_what_and_where(text: str, python_json_error: Callable[[str], tuple[str, int, int]]) -> None:
    message, line, column = python_json_error(text)
    with pytest.raises(ParseFailure) as info:
        parse_json(text)
    assert info.value.message == f"invalid JSON: {message}"
    assert (info.value.line, info.value.column) == (line, column)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_nesting_100000_deep_is_a_parse_error_not_a_crash(text: str) -> None:
    with pytest.raises(ParseFailure, match="nesting too deep"):
        parse_json(text)


def test_lone_surrogate_escapes_parse() -> None:
    document, _ = parse_json('{"files": ["\\ud800"]}')
    assert document["files"] == ["\ud800"]


# -- bytes ---------------------------------------------------------------------------


def test_non_utf8_text_names_the_byte_and_where() -> None:
    payload = payload_from_bytes("x.json", b'{\n  "branch": "Caf\xe9"}')
    rule, message, line, column = error_of(payload)
    assert (rule, line, column) == ("parse", 2, 17)
    assert message == "not UTF-8 text: byte 0xe9 at offset 18 is not valid UTF-8"
    assert payload.error is not None and "UTF-8" in (payload.error.hint or "")


def test_binary_data_is_called_binary() -> None:
    rule, message, _, _ = error_of(payload_from_bytes("x.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff"))
    assert rule == "parse"
    assert message.startswith("binary data, not JSON text")


def test_utf8_bytes_decode_to_a_document() -> None:
    payload = payload_from_bytes("x.json", '{"branch": "Córdoba"}'.encode())
    assert payload.error is None and payload.document == {"branch": "Córdoba"}
    assert payload.text == '{"branch": "Córdoba"}'


# -- files ---------------------------------------------------------------------------


def test_a_json_file_is_one_payload(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(RECORD)
    payload = only(list(read_file(str(path))))
    assert (payload.source, payload.path, payload.error) == (str(path), str(path), None)
    assert payload.document["files"] == ["a.csv"]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_jsonl_is_one_payload_per_line_numbered_from_1(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / ("batch" + suffix)
    path.write_text(f"{RECORD}\n\n   \n[1]\n{{bad\n{RECORD}")
    payloads = list(read_file(str(path)))
    assert [p.source for p in payloads] == [f"{path}:1", f"{path}:4", f"{path}:5", f"{path}:6"]
    assert [p.line_offset for p in payloads] == [0, 3, 4, 5]
    assert payloads[0].error is None and payloads[1].document == [1]
    assert error_of(payloads[2])[0::2] == ("parse", 5)
    assert payloads[3].error is None


def test_a_jsonl_line_cut_short_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text(RECORD + '\n{"files":\n')
    payloads = list(read_file(str(path)))
    assert error_of(payloads[1]) == ("parse", "invalid JSON: Expecting value", 2, 10)


def test_crlf_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(f"{RECORD}\r\n{RECORD}\r\n".encode())
    assert [p.error for p in read_file(str(path))] == [None, None]


def test_an_over_long_jsonl_line_is_refused_and_the_next_lines_still_read(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("w") as handle:
        handle.write(RECORD + "\n")
        handle.write('{"files": ["' + "x" * 3_000_000 + '"]}\n')
        handle.write(RECORD + "\n")
    payloads = list(read_file(str(path), max_bytes=len(RECORD) + 10))
    assert [p.source for p in payloads] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert payloads[0].error is None and payloads[2].error is None
    rule, message, _, _ = error_of(payloads[1])
    assert rule == "size"
    assert message == f"the line is over the limit of {len(RECORD) + 10} bytes; not read"


def test_a_line_of_exactly_max_bytes_is_read(tmp_path: Path) -> None:
    path = tmp_path / "exact.jsonl"
    path.write_text(RECORD + "\n")
    assert only(list(read_file(str(path), max_bytes=len(RECORD)))).error is None
    assert error_of(only(list(read_file(str(path), max_bytes=len(RECORD) - 1))))[0] == "size"


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_jsonl_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    assert error_of(only(list(read_file(str(path))))) == ("parse", "empty: no JSON document on any line", 1, 1)


def test_a_file_over_max_bytes_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A 16 GiB sparse file: reading it whole would exhaust memory; the size alone refuses it."""
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024**3)
    rule, message, line, _ = error_of(only(list(read_file(str(path)))))
    assert rule == "size" and line is None
    assert message == f"the file is {16 * 1024**3} bytes, which is over the limit of 10485760 bytes; not read"


def test_a_file_of_exactly_max_bytes_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(RECORD)
    assert only(list(read_file(str(path), max_bytes=len(RECORD)))).error is None
    assert error_of(only(list(read_file(str(path), max_bytes=len(RECORD) - 1))))[0] == "size"


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    payload = only(list(read_file(str(tmp_path / "nope.json"))))
    assert payload.unreadable
    assert error_of(payload) == ("read", "no such file", None, None)


def test_a_directory_is_unreadable(tmp_path: Path) -> None:
    payload = only(list(read_file(str(tmp_path))))
    assert payload.unreadable
    assert error_of(payload)[:2] == ("read", "is a directory")


def test_a_file_whose_read_fails_is_unreadable(tmp_path: Path) -> None:
    """/proc/self/mem opens but cannot be read at offset 0, even as root (chmod 000 does not stop root)."""
    link = tmp_path / "mem.json"
    link.symlink_to("/proc/self/mem")
    payload = only(list(read_file(str(link))))
    assert payload.unreadable
    assert error_of(payload)[:2] == ("read", "cannot read: Input/output error")


@pytest.mark.parametrize("size", [0, 1, 70_000, 200_000])
def test_a_pipe_that_reports_no_size_is_read_to_the_end(tmp_path: Path, size: int) -> None:
    """A FIFO (or /dev/stdin, /proc files) says its size is 0: it is read until EOF, and still held to the limit."""
    document = json.dumps({"files": ["a.csv"], "padding": "x" * size})
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(document,))
    writer.start()
    payload = only(list(read_file(str(fifo))))
    writer.join()
    assert payload.error is None and payload.document == json.loads(document)
    writer = threading.Thread(target=lambda: _write_ignoring_a_closed_pipe(fifo, document))
    writer.start()
    payload = only(list(read_file(str(fifo), max_bytes=len(document) - 1)))
    writer.join()
    assert error_of(payload)[:2] == ("size", f"the file is over the limit of {len(document) - 1} bytes; not read")


def _write_ignoring_a_closed_pipe(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except BrokenPipeError:  # the reader stopped at the limit
        pass


def test_a_file_that_grows_while_it_is_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fstat said small, the read found more: the limit still holds."""
    path = tmp_path / "a.json"
    path.write_text(RECORD)
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 10, *info[7:]))

    monkeypatch.setattr(os, "fstat", stale_fstat)
    payload = only(list(read_file(str(path), max_bytes=len(RECORD) - 1)))
    assert error_of(payload)[:2] == ("size", f"the file is over the limit of {len(RECORD) - 1} bytes; not read")
    assert only(list(read_file(str(path), max_bytes=len(RECORD)))).document == json.loads(RECORD)


# -- stdin ---------------------------------------------------------------------------


def stdin(data: bytes, max_bytes: int = 10 * 1024 * 1024) -> list[Payload]:
    return list(read_stdin(max_bytes, io.BytesIO(data)))


def test_stdin_with_one_document() -> None:
    payload = only(stdin(json.dumps(json.loads(RECORD), indent=2).encode()))
    assert (payload.source, payload.error) == ("<stdin>", None)


def test_stdin_with_several_lines_is_jsonl() -> None:
    payloads = stdin(f"{RECORD}\n\n{RECORD}\n{{bad\n".encode())
    assert [p.source for p in payloads] == ["<stdin>:1", "<stdin>:3", "<stdin>:4"]
    assert error_of(payloads[2])[0::2] == ("parse", 4)


def test_stdin_that_is_not_json_at_all(python_json_error: Callable[[str], tuple[str, int, int]]) -> None:
    assert error_of(only(stdin(b"{bad")))[:2] == ("parse", f"invalid JSON: {python_json_error('{bad')[0]}")
    assert error_of(only(stdin(b"")))[:2] == ("parse", "empty: no JSON document")


def test_stdin_over_max_bytes() -> None:
    payload = only(stdin(b" " * 100 + b"{}", max_bytes=50))
    assert error_of(payload)[:2] == ("size", "standard input is over the limit of 50 bytes; not read")


# -- expanding inputs ------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ["a.json", "b.jsonl", "c.ndjson", "notes.txt", "sub/d.json", "sub/deeper/e.json", "sub/x.yaml",
                 "empty/.keep"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    return tmp_path


def expand(inputs: list[str]) -> tuple[list[str | None], list[str]]:
    unmatched: list[str] = []
    files = list(iter_inputs(inputs, unmatched))
    return files, unmatched


def test_inputs_are_walked_as_they_are_consumed(tree: Path) -> None:
    """Nothing is listed ahead: a pattern further on is known to match nothing only once the walk gets there."""
    unmatched: list[str] = []
    walk = iter_inputs([str(tree / "sub"), str(tree / "nothing-*.json")], unmatched)
    assert next(walk) == str(tree / "sub" / "d.json")
    assert unmatched == []
    assert list(walk) == [str(tree / "sub" / "deeper" / "e.json")]
    assert unmatched == [str(tree / "nothing-*.json")]


def test_directories_are_walked_recursively_for_payload_suffixes(tree: Path) -> None:
    files, unmatched = expand([str(tree)])
    assert [os.path.relpath(f, tree) for f in files if f] == [
        "a.json", "b.jsonl", "c.ndjson", "sub/d.json", "sub/deeper/e.json"]
    assert unmatched == []


def test_globs_and_recursive_globs(tree: Path) -> None:
    files, _ = expand([str(tree / "*.json*")])
    assert [os.path.basename(f) for f in files if f] == ["a.json", "b.jsonl"]
    files, _ = expand([str(tree / "**" / "*.json")])
    assert [os.path.relpath(f, tree) for f in files if f] == ["a.json", "sub/d.json", "sub/deeper/e.json"]


def test_what_matches_nothing_is_listed(tree: Path) -> None:
    files, unmatched = expand([str(tree / "nothing-*.json"), str(tree / "empty"), str(tree / "a.json")])
    assert files == [str(tree / "a.json")]
    assert unmatched == [str(tree / "nothing-*.json"), str(tree / "empty")]


def test_a_missing_plain_path_is_kept_to_be_reported(tree: Path) -> None:
    files, unmatched = expand([str(tree / "missing.json")])
    assert (files, unmatched) == ([str(tree / "missing.json")], [])


def test_dash_is_stdin_in_its_place(tree: Path) -> None:
    files, _ = expand([str(tree / "a.json"), "-", str(tree / "c.ndjson")])
    assert files == [str(tree / "a.json"), None, str(tree / "c.ndjson")]


def test_iter_payloads_keeps_the_input_order(tree: Path) -> None:
    files = [str(tree / "sub/d.json"), str(tree / "missing.json"), str(tree / "a.json")]
    assert [p.source for p in iter_payloads(files)] == files


# -- what is not a regular file -------------------------------------------------------------


def _validate(*args: str, stdin: Any = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "woowup_contract", "validate", *args], stdin=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fifo_in_a_folder_is_reported_and_never_opened(tmp_path: Path, jobs: str) -> None:
    (tmp_path / "good.json").write_text(RECORD)
    os.mkfifo(tmp_path / "stuck.json")  # opening it would block until a writer comes
    done = _validate(str(tmp_path), "--jobs", jobs)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "stuck.json" in done.stdout and "is a FIFO (named pipe); only regular files are read" in done.stdout
    assert "2 payloads checked" in done.stdout and "1 valid" in done.stdout  # good.json still checked


def test_a_device_met_in_a_glob_is_reported_and_never_read(tmp_path: Path) -> None:
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    (tmp_path / "random.jsonl").symlink_to("/dev/urandom")
    done = _validate(str(tmp_path / "*.jsonl"))
    assert done.returncode == 2
    assert done.stdout.count("is a character device") == 2 and len(done.stdout) < 4000


def test_a_device_named_on_the_command_line_is_read_within_max_bytes(tmp_path: Path) -> None:
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    done = _validate(str(tmp_path / "zero.jsonl"), "--max-bytes", "100000")
    assert done.returncode == 1 and "over the limit of 100000 bytes" in done.stdout and len(done.stdout) < 4000


def test_a_fifo_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "in.json"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "woowup_contract", "validate", str(fifo)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(fifo, "w") as writer:
        writer.write(RECORD)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, out + err
    assert "1 payload checked" in out and "1 valid" in out


def test_a_closed_stdin_is_a_clear_error() -> None:
    import shlex

    done = subprocess.run(f"{shlex.quote(sys.executable)} -m woowup_contract validate - <&-", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "standard input is closed" in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_stdin_that_fails_to_read_is_a_clear_error() -> None:
    """(Python itself refuses to start on a folder as stdin; a read that fails, such as EIO
    from a hung-up terminal, reaches the reader.)"""

    class Failing(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

    payload = only(list(read_stdin(stream=Failing())))  # type: ignore[arg-type]
    assert payload.unreadable and error_of(payload)[1] == "cannot read standard input: Input/output error"


def test_a_chmod_000_folder_in_the_walk_is_exit_2_naming_it(tmp_path: Path) -> None:
    """A real unreadable folder. chmod 000 stops every user but root, whose capabilities
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH read past it: as root, the CLI process runs without
    those two (util-linux's setpriv drops them from its bounding set), so the walk meets a folder
    it truly cannot list. (Running it as 'nobody' cannot work here: the interpreter lives under
    /root, which only root may enter.)"""
    import shutil
    import stat

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to run the CLI as root without reading past chmod 000"
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.json").write_text(RECORD)
    locked = tmp_path / "ok" / "locked"
    locked.mkdir()
    (locked / "hidden.json").write_text(RECORD)
    locked.chmod(0)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "woowup_contract", "validate", str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
    finally:
        locked.chmod(stat.S_IRWXU)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{locked}: (root): cannot read the folder: Permission denied [read]" in done.stdout, done.stdout
    assert "1 valid" in done.stdout and "hidden.json" not in done.stdout
    assert "Traceback" not in done.stderr


def test_a_folder_the_walk_cannot_list_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """os.walk reports a folder it cannot list through onerror; the walk turns it into a refused path.
    In process, where the suite may run as root (who reads every folder), the failure is injected
    where os.walk meets it; the test above makes a real one in a CLI process."""
    from woowup_contract import sources

    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    [refused] = list(iter_inputs([str(tmp_path)], []))
    assert isinstance(refused, sources.Refused) and refused.endswith("locked")
    assert only(list(read_file(refused))).unreadable
    assert "cannot read the folder: Permission denied" in error_of(only(list(read_file(refused))))[1]
