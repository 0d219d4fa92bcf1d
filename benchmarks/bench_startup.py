"""What installing woowup-contract costs a project that does not use it: pytest's start-up.

    python benchmarks/bench_startup.py             # 15 interleaved runs per environment
    python benchmarks/bench_startup.py --runs 30 --workdir /tmp/startup-venvs

Three virtual environments, built once under ``--workdir`` with the same pytest and
Hypothesis versions as the running interpreter:

- bare:  pytest and Hypothesis only;
- core:  the same plus ``woowup-contract`` from this checkout (a regular, non-editable
  install, no extras) — what a project gets from ``pip install woowup-contract``;
- check: the same plus the ``check`` extra (schemathesis and its own pytest plugin),
  shown for what the extra costs, not held to the goal.

Each round runs ``python -m pytest -q`` once in each environment, in one unrelated
project with one test, in turn (bare, core, check, bare, ...) so machine load hits all
alike. The claim is the ratio of the medians, core over bare (goal: at most 1.15), and
that the output of the run is the same in both apart from the timing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.15
TEST = "def test_one():\n    assert 1 + 1 == 2\n"


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def build(workdir: Path, name: str, requirements: list[str]) -> Path:
    """A venv with ``requirements`` installed, reused when it already has them."""
    venv = workdir / name
    stamp = venv / "requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return _python(venv)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(_python(venv)), "-m", "pip", "install", "-q", *requirements], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return _python(venv)


def run_once(python: Path, project: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"pytest failed in {python}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, re.sub(r"in [0-9.]+s", "in Ns", proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "woowup-bench-startup")
    args = parser.parse_args(argv)

    base = [f"pytest=={version('pytest')}", f"hypothesis=={version('hypothesis')}"]
    args.workdir.mkdir(parents=True, exist_ok=True)
    envs = {
        "bare": build(args.workdir, "bare", base),
        "core": build(args.workdir, "core", [*base, str(ROOT)]),
        "check": build(args.workdir, "check", [*base, f"{ROOT}[check]"]),
    }
    times: dict[str, list[float]] = {name: [] for name in envs}
    outputs: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_one.py").write_text(TEST, encoding="utf-8")
        for name, python in envs.items():  # warm-up: byte-compile, fill the OS caches
            outputs[name] = run_once(python, project)[1]
        for _ in range(args.runs):
            for name, python in envs.items():
                times[name].append(run_once(python, project)[0])

    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"pytest {version('pytest')}, Hypothesis {version('hypothesis')}, Python "
          f"{sys.version.split()[0]}; `python -m pytest -q` in a one-test project, median of {args.runs}")
    for name in envs:
        print(f"  {name:<6} {medians[name]:6.3f} s  ({medians[name] / medians['bare']:.2f}x bare)")
    ratio = medians["core"] / medians["bare"]
    same = outputs["core"] == outputs["bare"]
    print(f"woowup-contract installed: {ratio:.2f}x the start-up without it (goal <= {GOAL}x); "
          f"output {'identical' if same else 'DIFFERENT'}")
    return 0 if ratio <= GOAL and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
