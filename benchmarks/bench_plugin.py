"""The pytest plugin against a plain parametrized test, on the same payload files.

    python benchmarks/bench_plugin.py             # 10,000 files, 5 interleaved runs each
    python benchmarks/bench_plugin.py --count 2000 --runs 3
    python benchmarks/bench_plugin.py --tb-no     # both with --tb=no: no failure rendering

Two whole pytest processes per round, collection included, in the same directory:

- plugin: ``pytest --woowup-payloads 'payloads/*.json' payloads`` (one item per file,
  checked by woowup-contract's Checker, official profile, strict findings summarised);
- plain:  ``pytest test_plain.py`` with ``@pytest.mark.parametrize`` over the same files,
  each test reading the file and asserting that ``jsonschema.Draft7Validator`` reports no
  error — what a team would write without the plugin.

The data are realistic log records (1–20 branches, ~10% invalid, varied defects) from
``benchmarks/data.py``, so the figure matches the other benchmarks. Runs alternate
(plugin, plain, plugin, ...) so machine load hits both alike; the claim is the ratio of
the medians. ``run()`` returns the figures as a dict for ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

SCHEMA = HERE.parent / "tests" / "fixtures" / "published" / "log-record.schema.json"
GOAL = 1.2

PLAIN_TEST = '''\
"""What a connector team writes without the plugin: one parametrized test per payload file."""
import glob
import json
import os

import pytest
from jsonschema import Draft7Validator

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "schema.json"), encoding="utf-8") as handle:
    VALIDATOR = Draft7Validator(json.load(handle))


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join("payloads", "*.json"))))
def test_payload(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    errors = ["/" + "/".join(map(str, e.absolute_path)) + ": " + e.message
              for e in VALIDATOR.iter_errors(document)]
    assert not errors, "\\n".join(errors)
'''


def prepare(count: int, seed: int = 7) -> Path:
    """The working directory: payloads/, schema.json, test_plain.py and an empty pytest.ini
    (so the repository's own pytest settings do not apply)."""
    work = HERE / ".data" / f"plugin-{count}-{seed}"
    data.write_files(work / "payloads", count, seed=seed)
    (work / "schema.json").write_text(SCHEMA.read_text(encoding="utf-8"), encoding="utf-8")
    (work / "test_plain.py").write_text(PLAIN_TEST, encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return work


COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist"]
COMMANDS = {
    "plugin": [*COMMON, "--woowup-payloads", "payloads/*.json", "payloads"],
    "plain": [*COMMON, "test_plain.py"],
}


def _outcome(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|error|errors)", last)}


def run_once(name: str, work: Path, extra: tuple[str, ...] = ()) -> tuple[float, dict[str, int]]:
    """Wall time of one whole pytest process and its outcome counts."""
    cmd = [sys.executable, "-m", "pytest", *COMMANDS[name], *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return seconds, _outcome(proc.stdout)


def run(quick: bool = False, *, count: int = 10_000, runs: int | None = None, seed: int = 7,
        extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Time both ways interleaved; the figures as a dict (seconds, outcomes, ratio).

    ``extra`` is added to both command lines, e.g. ``("--tb=no",)`` to leave the rendering
    of the failures (tracebacks for the plain test, violation lines for the plugin) out.
    """
    runs = runs or (3 if quick else 5)
    work = prepare(count, seed)
    times: dict[str, list[float]] = {"plugin": [], "plain": []}
    outcomes: dict[str, dict[str, int]] = {}
    run_once("plugin", work, extra)  # warm the file cache and the bytecode caches before timing
    for _ in range(runs):
        for name in ("plugin", "plain"):
            seconds, outcome = run_once(name, work, extra)
            times[name].append(seconds)
            outcomes[name] = outcome
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "files": count,
        "runs": runs,
        "plugin_s": {"median": medians["plugin"], "min": min(times["plugin"]), "max": max(times["plugin"])},
        "plain_s": {"median": medians["plain"], "min": min(times["plain"]), "max": max(times["plain"])},
        "ratio": medians["plugin"] / medians["plain"],
        "goal": GOAL,
        "outcomes": outcomes,
        "commands": {name: "pytest " + " ".join((*args, *extra)) for name, args in COMMANDS.items()},
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="payload files (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs of each (default: %(default)s)")
    parser.add_argument("--tb-no", action="store_true",
                        help="add --tb=no to both runs: compare collection and checking without failure rendering")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(count=args.count, runs=args.runs, extra=("--tb=no",) if args.tb_no else ())
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name in ("plugin", "plain"):
        s = figures[f"{name}_s"]
        print(f"{name:>6}: median {s['median']:.2f} s (min {s['min']:.2f}, max {s['max']:.2f}) "
              f"over {figures['runs']} runs; outcome {figures['outcomes'][name]}")
    verdict = "meets" if figures["ratio"] <= GOAL else "misses"
    print(f"ratio plugin / plain: {figures['ratio']:.2f}x on {figures['files']} files ({verdict} the goal of "
          f"<= {GOAL}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
