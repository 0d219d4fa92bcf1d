"""A sample connector repository for the pre-commit hook and the Action, and what their runs
must report on it. Used by the suite and by ``.ci/pre-commit-try-repo``:

    python tests/acceptance/hook_sample.py DIR            # write the sample repository
    python tests/acceptance/hook_sample.py --check OUT RC # judge a hook run's output and exit code

22 payloads in 4 files (two .json, a .jsonl batch, an .ndjson batch with one bad line), and the
JSON files a repository also has (manifests, lock files, editor settings) that are not payloads.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "payloads"
PAYLOAD_FILES = ("payloads/daily-run.json", "payloads/catalog-sync.json", "payloads/batch.jsonl",
                 "payloads/retry.ndjson")
PAYLOADS = 22
BAD_LINE = 7  # of payloads/retry.ndjson
NOT_PAYLOADS: dict[str, Any] = {
    "package.json": {"name": "connector", "version": "1.0.0", "scripts": {"test": "jest"}},
    "package-lock.json": {"name": "connector", "lockfileVersion": 3, "packages": {}},
    "tsconfig.json": {"compilerOptions": {"strict": True, "target": "es2022"}},
    ".vscode/settings.json": {"editor.formatOnSave": True},
    "composer.json": {"require": {"php": ">=8.1"}},
}
SUMMARY = f"{PAYLOADS} payloads checked against connectors.log-record (official): {PAYLOADS - 1} valid, 1 invalid"


def _record(day: int) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / "valid" / "daily-run.json").read_text(encoding="utf-8"))
    record["files"] = [f"customers-2026_11_{day:02d}.csv"]
    record["processingtime"] = f"2026-11-{day:02d}T03:15:00-03:00"
    return record


def write(root: Path) -> Path:
    """The sample repository at ``root`` (a git repository, every file added)."""
    for name in ("daily-run.json", "catalog-sync.json"):
        target = root / "payloads" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((EXAMPLES / "valid" / name).read_bytes())
    lines = [json.dumps(_record(day)) for day in range(1, 11)]
    (root / "payloads" / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    retry = [copy.deepcopy(_record(day)) for day in range(11, 21)]
    retry[BAD_LINE - 1]["stats"]["purchases"]["total_revenue"] = 12345.67
    (root / "payloads" / "retry.ndjson").write_text("".join(json.dumps(r) + "\n" for r in retry), encoding="utf-8")
    for name, value in NOT_PAYLOADS.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    (root / "README.md").write_text("# connector\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def problems(output: str, returncode: int) -> list[str]:
    """What is wrong with a hook run on the sample: empty when it checked the payloads, only them."""
    found = []
    if returncode != 1:
        found.append(f"exit {returncode}, not 1 (the sample has a bad payload)")
    if SUMMARY not in output:
        found.append(f"no {SUMMARY!r} line")
    if not re.search(rf"payloads/retry\.ndjson:{BAD_LINE}: /stats/purchases/total_revenue", output):
        found.append(f"the bad line payloads/retry.ndjson:{BAD_LINE} is not reported")
    found += [f"{name} was judged as a payload" for name in NOT_PAYLOADS if name in output]
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        found = problems(Path(argv[1]).read_text(encoding="utf-8"), int(argv[2]))
        for line in found:
            print(f"hook run: {line}")
        print("hook run: as expected" if not found else "hook run: FAILED")
        return 1 if found else 0
    write(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
