"""The plugin's glob semantics: what ``woowup_payloads`` selects, compared with ``glob.glob``.

``*``, ``?`` and ``[...]`` stay inside one directory; ``**/`` spans any number of
directories, none included — the same answer ``glob.glob(..., recursive=True)`` gives
for the files on disk, without listing the disk.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

import pytest

from woowup_contract.plugin import PayloadGlob, glob_regex

FILES = [
    "out/a.json", "out/b.jsonl", "out/ab.json", "out/x/a.json", "out/x/y/a.json", "out/[odd].json",
    "other/a.json", "a.json", "out/a.json.bak", "out/1.json", "out/c.ndjson",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    return root


@pytest.mark.parametrize("pattern", [
    "out/*.json", "out/*", "out/**/*.json", "**/*.json", "out/**", "out/?.json", "out/a?.json",
    "out/[ab].json", "out/[!a].json", "out/[0-9].json", "*.json", "out/x/*/a.json", "out/*.*json",
    "out/[[]odd].json",
])
def test_a_glob_selects_the_files_glob_glob_finds(tree: Path, pattern: str) -> None:
    expected = {os.path.relpath(p, tree) for p in glob.glob(str(tree / pattern), recursive=True)
                if os.path.isfile(p)}
    rx = re.compile(glob_regex(pattern))
    assert {f for f in FILES if rx.fullmatch(f)} == expected


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("out/*.json", "out/x/a.json", False),
    ("out/**/*.json", "out/a.json", True),
    ("out/**/*.json", "out/x/y/a.json", True),
    ("out/a.json", "out/a.json", True),
    ("out/a.json", "out/a_json", False),
    ("out/[unclosed.json", "out/[unclosed.json", True),
])
def test_glob_regex_cases(pattern: str, path: str, matches: bool) -> None:
    assert (re.fullmatch(glob_regex(pattern), path) is not None) is matches


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("[]]", "]", True),
    ("[!]]", "a", True),
    ("[!]]", "]", False),
    ("[a-c]", "b", True),
    ("[!a-c]", "/", False),
])
def test_character_classes_follow_fnmatch_rules(pattern: str, path: str, matches: bool) -> None:
    assert (re.fullmatch(glob_regex(pattern), path) is not None) is matches


@pytest.mark.parametrize(("base", "pattern", "path", "glob_path"), [
    ("/repo", "out/*.json", "/repo/out/a.json", "/repo/out/*.json"),
    ("/repo", "./out/*.json", "/repo/out/a.json", "/repo/out/*.json"),
    ("/repo/sub", "../out/*.json", "/repo/out/a.json", "/repo/out/*.json"),
    ("/repo", "/data/**/*.jsonl", "/data/x/b.jsonl", "/data/**/*.jsonl"),
    ("/work/[team] repo", "out/*.json", "/work/[team] repo/out/a.json", "/work/[team] repo/out/*.json"),
])
def test_a_relative_glob_is_anchored_at_its_directory_taken_literally(
        base: str, pattern: str, path: str, glob_path: str) -> None:
    parsed = PayloadGlob.parse(base, pattern)
    assert parsed.path == glob_path
    assert re.fullmatch(parsed.regex(), path)
    assert not re.fullmatch(parsed.regex(), "/work/t repo/out/a.json")


def test_glob_characters_in_the_directory_name_stay_literal_on_disk(tmp_path: Path) -> None:
    base = tmp_path / "[team] repo"
    (base / "out").mkdir(parents=True)
    assert not PayloadGlob.parse(str(base), "out/*.json").matches_a_file()
    (base / "out" / "a.json").write_text("{}")
    assert PayloadGlob.parse(str(base), "out/*.json").matches_a_file()
    assert not PayloadGlob.parse(str(base), "out/*.jsonl").matches_a_file()
