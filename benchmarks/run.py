"""One command for every speed figure in the README.

    python benchmarks/run.py            # everything (100,000-file runs included)
    python benchmarks/run.py --quick    # 10,000 files only, fewer runs

It prepares its data deterministically (benchmarks/data.py), installs the peer
tools in their own venvs under benchmarks/.venvs when they are missing, runs the
tools interleaved (ours, peer, ours, peer, ...) so that load on the machine hits
both alike, and prints median / min / max and the ratio to the peer measured in
the same run. Whole processes are timed: start-up is part of what a CI gate pays.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
VENVS = HERE / ".venvs"
sys.path.insert(0, str(HERE))

import data  # noqa: E402

PEERS = {"check-jsonschema": "check-jsonschema==0.39.0"}
SCHEMA = ROOT / "tests" / "fixtures" / "published" / "log-record.schema.json"


@dataclass
class Figure:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self, peer: "Figure | None" = None, unit: str = "s") -> str:
        s = self.seconds
        ratio = f"{peer.median / self.median:.1f}× faster" if peer is not None else ""
        rss = f"{max(self.rss_kb) / 1024:.0f} MiB" if any(self.rss_kb) else ""
        return (f"| {self.name} | {statistics.median(s):.3f} | {min(s):.3f} | {max(s):.3f} | {rss} | {ratio} |")


def tool(name: str) -> list[str]:
    """The peer's executable, installed in its own venv on first use."""
    found = shutil.which(name)
    venv = VENVS / name
    exe = venv / "bin" / name
    if exe.exists():
        return [str(exe)]
    if found and os.environ.get("BENCH_USE_PATH_PEERS"):
        return [found]
    print(f"installing {PEERS[name]} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", PEERS[name]], check=True)
    return [str(exe)]


@functools.lru_cache(maxsize=None)
def ours_cached() -> tuple[str, ...]:
    """woowup-contract installed from this checkout into its own venv, as a user gets it: a regular
    (not editable) install, with the byte code pip compiles, like the peers'. Reinstalled when the
    sources change."""
    venv = VENVS / "woowup-contract"
    exe = venv / "bin" / "woowup-contract"
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "woowup_contract").rglob("*"), *(ROOT / "contracts").rglob("*"),
                        ROOT / "pyproject.toml"]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    stamp = venv / ".source-digest"
    if exe.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return (str(exe),)
    if not exe.exists():
        print(f"installing woowup-contract into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)], check=True)
    else:
        print(f"reinstalling woowup-contract into {venv} (sources changed) ...", file=sys.stderr)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "--force-reinstall",
                        str(ROOT)], check=True)
    stamp.write_text(digest.hexdigest())
    return (str(exe),)


def ours() -> list[str]:
    return list(ours_cached())


# Peak RSS survives exec: a command forked straight from this (large) harness would report at
# least the harness' own size. GNU time forks the command from its own small process and
# reports the command's peak (its worker processes included, as they are waited for).
GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def timed(cmd: list[str], cwd: Path | None = None, stdout: int | None = subprocess.DEVNULL) -> tuple[float, int, bytes]:
    """Wall time, peak RSS (KB; 0 when GNU time is missing) of the command, and its stdout."""
    rss_file = None
    if GNU_TIME is not None:
        rss_file = DATA / f".rss-{os.getpid()}"
        cmd = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE if stdout is None else stdout,
                            stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout is not None else b""
    proc.wait()
    elapsed = time.perf_counter() - start
    rss = 0
    if rss_file is not None:
        try:
            rss = int(rss_file.read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            rss = 0
    return elapsed, rss, out


def warm(*paths: Path) -> None:
    """Read the data once before timing, so no tool pays for a cold page cache the next one does not."""
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.iterdir() if p.is_file()]
        for file in files:
            with open(file, "rb") as handle:
                while handle.read(1 << 20):
                    pass


def interleaved(figures: list[tuple[Figure, list[str], Path | None]], runs: int) -> None:
    for _ in range(runs):
        for figure, cmd, cwd in figures:
            seconds, rss, _ = timed(cmd, cwd)
            figure.seconds.append(seconds)
            figure.rss_kb.append(rss)


FLOOR = """
import json, os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    if n.endswith('.json'):
        with open(os.path.join(d, n), 'rb') as f:
            json.loads(f.read())
"""
FLOOR_ORJSON = FLOOR.replace("import json,", "import orjson as json,")


def peer_command(cjs: list[str], directory: Path) -> list[str]:
    """check-jsonschema on every file of ``directory``: names go through xargs, which splits them
    into as few runs as the system's argument limit allows (one for 10,000 files, a few for 100,000)."""
    listing = directory / ".names"
    if not listing.exists():
        listing.write_text("\n".join(sorted(n for n in os.listdir(directory) if n.endswith(".json"))) + "\n")
    return ["xargs", "-d", "\n", "-a", str(listing)] + cjs + ["--schemafile", str(SCHEMA)]


def verdicts_agree(directory: Path, cjs: list[str]) -> str:
    """Our failing files against check-jsonschema's, on every file."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    _, _, raw = timed(ours() + ["validate", ".", "--format", "json"], directory, stdout=None)
    report = json.loads(raw)
    our_bad = {os.path.basename(r["source"]) for r in report["results"] if not r["valid"]}
    _, _, raw = timed(peer_command(cjs, directory) + ["-o", "json"], directory, stdout=None)
    peer_bad: set[str] = set()
    decoder = json.JSONDecoder()
    text, i = raw.decode("utf-8"), 0
    while i < len(text.rstrip()):  # one JSON document per xargs batch
        i = len(text) - len(text[i:].lstrip())
        peer, i = decoder.raw_decode(text, i)
        peer_bad |= {os.path.basename(e["filename"]) for e in peer.get("errors", [])}
        peer_bad |= {os.path.basename(e["filename"]) for e in peer.get("parse_errors", [])}
    if our_bad == peer_bad:
        return f"agree on all {len(names)} files ({len(our_bad)} invalid)"
    return (f"DISAGREE: {len(our_bad - peer_bad)} only we reject, {len(peer_bad - our_bad)} only "
            f"check-jsonschema rejects (e.g. {sorted(our_bad ^ peer_bad)[:3]})")


def bench_validate(count: int, runs: int, cjs: list[str], lines: list[str], invalid_ratio: float = 0.1
                   ) -> dict[str, Figure]:
    """``invalid_ratio`` 1.0: a folder of invalid files only, what a connector following the
    documented example (created instead of total_created) produces."""
    kind = "invalid " if invalid_ratio == 1.0 else ""
    directory = data.write_files(DATA / f"files-{kind.strip() or 'mixed'}-{count}", count, invalid_ratio=invalid_ratio)
    warm(directory)
    ours_auto = Figure(f"woowup-contract validate, {count:,} {kind}files")
    ours_one = Figure(f"woowup-contract validate --jobs 1, {count:,} {kind}files")
    peer = Figure(f"check-jsonschema --schemafile, {count:,} {kind}files")
    floor = Figure(f"floor: read + json.loads, one process, {count:,} {kind}files")
    figures = [
        (ours_auto, ours() + ["validate", ".", "--format", "json", "-o", os.devnull], directory),
        (ours_one, ours() + ["validate", ".", "--jobs", "1", "--format", "json", "-o", os.devnull], directory),
        (peer, peer_command(cjs, directory), directory),
        (floor, [sys.executable, "-c", FLOOR, str(directory)], None),
    ]
    try:
        import orjson  # noqa: F401

        floor_or = Figure(f"floor: read + orjson.loads, one process, {count:,} {kind}files")
        figures.append((floor_or, [sys.executable, "-c", FLOOR_ORJSON, str(directory)], None))
    except ImportError:
        floor_or = None
    interleaved(figures, runs)
    lines.append(ours_auto.row(peer))
    lines.append(ours_one.row(peer))
    lines.append(peer.row())
    lines.append(floor.row())
    if floor_or is not None:
        lines.append(floor_or.row())
    lines.append(f"| → {peer.median / ours_auto.median:.1f}× check-jsonschema (goal ≥ 10×); "
                 f"wall time / floor: {ours_auto.median / floor.median:.2f}× (goal ≤ 2×); "
                 f"verdicts: {verdicts_agree(directory, cjs)} | | | | | |")
    return {"ours": ours_auto, "ours1": ours_one, "peer": peer, "floor": floor}


def bench_single(runs: int, cjs: list[str], lines: list[str]) -> None:
    directory = data.write_files(DATA / "files-1", 1)
    one = str(directory / "record-000000.json")
    a = Figure("woowup-contract validate one.json")
    b = Figure("check-jsonschema on one file")
    interleaved([(a, ours() + ["validate", one], None), (b, cjs + ["--schemafile", str(SCHEMA), one], None)],
                runs)
    lines.append(a.row(b))
    lines.append(b.row())
    lines.append(f"| → latency ratio: {a.median / b.median:.2f}× of check-jsonschema's (goal ≤ 0.5×) | | | | | |")


def bench_jsonl(count: int, runs: int, lines: list[str]) -> None:
    path = data.write_jsonl(DATA / f"records-{count}.jsonl", count)
    warm(path)
    f = Figure(f"woowup-contract validate, one JSONL file of {count:,} records")
    interleaved([(f, ours() + ["validate", str(path), "--format", "json", "-o", os.devnull], None)], runs)
    lines.append(f.row())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 files only, 3 runs")
    parser.add_argument("--runs", type=int, default=None, help="interleaved runs per figure (default 5, quick 3)")
    parser.add_argument("--files", type=int, default=10_000, help="files in the mixed and invalid-only folders "
                                                                   "(default %(default)s)")
    parser.add_argument("--only", choices=("validate", "generate", "plugin", "mock"), action="append",
                        help="run only these groups (repeatable)")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    groups = set(args.only or ("validate", "generate", "plugin", "mock"))
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; date {time.strftime('%Y-%m-%d')}; {runs} interleaved runs per figure.",
        "",
        "| figure | median s | min s | max s | peak RSS | vs peer |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    if "validate" in groups:
        cjs = tool("check-jsonschema")
        ten = bench_validate(args.files, runs, cjs, lines)
        bench_validate(args.files, runs, cjs, lines, invalid_ratio=1.0)
        if not args.quick:
            hundred = bench_validate(100_000, max(1, runs // 2), cjs, lines)
            growth = hundred["ours"].median / ten["ours"].median
            lines.append(f"| → 100,000 / 10,000 files time: {growth:.1f}× (goal ≤ 11×); peak RSS "
                         f"{max(ten['ours'].rss_kb) / 1024:.0f} → {max(hundred['ours'].rss_kb) / 1024:.0f} MiB | | | | | |")
            bench_jsonl(100_000, max(1, runs // 2), lines)
        bench_single(max(runs, 10), cjs, lines)
    extra: dict[str, dict] = {}
    for group, module in (("generate", "bench_generate"), ("plugin", "bench_plugin"), ("mock", "bench_mock")):
        if group not in groups or not (HERE / f"{module}.py").exists():
            continue
        mod = __import__(module)
        try:
            extra[group] = mod.run(quick=args.quick) if "quick" in inspect.signature(mod.run).parameters \
                else mod.run()
        except Exception as exc:  # a broken peer install must not hide the other figures
            extra[group] = {"error": f"{type(exc).__name__}: {exc}"}
    text = "\n".join(lines) + "\n"
    for group, figures in extra.items():
        text += f"\n{group}: " + json.dumps(figures, indent=2, default=str) + "\n"
    print(text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
