"""Shared fixtures: the CLI run in process or as a real subprocess, the bundled registry, sample records.

The suite runs under one Hypothesis profile, ``woowup-suite``: derandomized (the same
examples on every run and every xdist worker), no example database, and none of the
timing health checks that a loaded 2-core machine trips without anything being wrong.

``run_cli`` follows check-jsonschema's acceptance ``run_line``: every run's
captured output goes into the assertion message, so a failing test shows
what the command actually printed. It calls the CLI's ``main`` in this process, with
its own binary stdin, stdout and stderr, environment and working directory, so a test
about what a command prints costs no interpreter start-up; ``run_module`` and
``run_script`` start a real process, for what only a process shows (its encoding, its
imports, the console script, signals).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import pytest
from hypothesis import HealthCheck, settings

from woowup_contract.loader import Registry, load_registry

settings.register_profile(
    "woowup-suite",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.load_profile("woowup-suite")

# Hypothesis keeps its character tables (the UTF-8 codec's alone takes seconds of CPU to build) under
# its storage directory, by default ``.hypothesis`` in the working directory. Every CLI process and
# pytester run here starts in a fresh temporary directory and would build them again: the whole run,
# its subprocesses included, shares the checkout's. It holds caches only; the profile keeps no
# example database.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(__file__).resolve().parents[1] / ".hypothesis"))

SCRIPT = Path(sys.executable).parent / "woowup-contract"

# A record the official schema accepts and the strict profile finds nothing in.
VALID_RECORD: dict[str, Any] = {
    "files": ["customers-2026_11_20.csv", "purchases-2026_11_20.csv"],
    "processingtime": "2026-11-20T03:15:00-03:00",
    "stats": {
        "customers": {
            "total_created": 3, "total_updated": 1, "total_failed": 0,
            "per_branches": [
                {"branch": "Palermo", "total_created": 2, "total_updated": 1, "total_failed": 0},
                {"branch": "Belgrano", "total_created": 1, "total_updated": 0, "total_failed": 0},
            ],
        },
        "purchases": {
            "total_created": 5, "total_updated": 0, "total_failed": 1, "total_revenue": 123456,
            "total_invoice_items": 12,
            "per_branches": [
                {"branch": "Palermo", "total_created": 5, "total_updated": 0, "total_failed": 1,
                 "total_revenue": 123456, "total_invoice_items": 12},
            ],
        },
        "products": {"total_created": 0, "total_updated": 7, "total_failed": 0},
        "branches": {"total_created": 0, "total_updated": 2},
    },
}


class CliRun(NamedTuple):
    """What one CLI run did; ``str()`` renders it for assertion messages."""

    returncode: int
    stdout: str
    stderr: str
    args: tuple[str, ...] = ()

    def __str__(self) -> str:
        return (f"\ncommand: {' '.join(self.args)}\nexit code: {self.returncode}\n"
                f"stdout:\n{textwrap.indent(self.stdout[:20000], '  ')}\n"
                f"stderr:\n{textwrap.indent(self.stderr[:20000], '  ')}")

    def json(self) -> dict[str, Any]:
        """The JSON report the run printed (a parse failure shows the run)."""
        try:
            report = json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"stdout is not JSON ({exc}):{self}") from None
        assert isinstance(report, dict), self
        return report

    def results(self) -> dict[str, dict[str, Any]]:
        """The JSON report's results by source."""
        return {r["source"]: r for r in self.json()["results"]}


RunCli = Callable[..., CliRun]


def _decode(data: bytes, what: str, args: Sequence[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # the CLI must always write UTF-8
        raise AssertionError(f"{what} of {' '.join(args)} is not UTF-8: {exc}\n{data[:2000]!r}") from None


def run_command(argv: Sequence[str], *, cwd: str | os.PathLike[str] | None = None,
                stdin: bytes | str | None = None, env: Mapping[str, str] | None = None,
                timeout: float = 120) -> CliRun:
    """Run ``argv`` with stdin given (or empty), stdout and stderr captured as UTF-8."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONBREAKPOINT", None)
    if env:
        full_env.update(env)
    data = stdin.encode("utf-8", "surrogatepass") if isinstance(stdin, str) else stdin
    proc = subprocess.run(list(argv), input=data if data is not None else b"", cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout, check=False)
    return CliRun(proc.returncode, _decode(proc.stdout, "stdout", argv), _decode(proc.stderr, "stderr", argv),
                  tuple(str(a) for a in argv))


@contextlib.contextmanager
def _process_state(cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None, unset: Sequence[str],
                   streams: tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]) -> Iterator[None]:
    """The working directory, environment and standard streams of one in-process run, put back after it."""
    saved_cwd, saved_env = os.getcwd(), dict(os.environ)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    try:
        if cwd is not None:
            os.chdir(cwd)
        for name in ("PYTHONBREAKPOINT", *unset):
            os.environ.pop(name, None)
        os.environ.update(env or {})
        sys.stdin, sys.stdout, sys.stderr = streams
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def run_in_process(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
                   stdin: bytes | str | None = None, env: Mapping[str, str] | None = None,
                   unset: Sequence[str] = ()) -> CliRun:
    """``woowup_contract.cli.main(args)`` as ``python -m woowup_contract`` would run it, with
    ``env`` added to the environment and the variables named in ``unset`` taken out of it.

    The streams are what a process on pipes gets: UTF-8, not terminals, stderr with
    ``backslashreplace``; the exit code is what the interpreter would exit with, and an
    escaping exception is printed to stderr as a traceback with exit code 1, so the
    suite's "no traceback" assertions hold here as they would in a process.
    """
    from woowup_contract.cli import main

    argv = [str(a) for a in args]
    data = stdin.encode("utf-8", "surrogatepass") if isinstance(stdin, str) else (stdin or b"")
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict"),
               io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict"),
               io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace"))
    with _process_state(cwd, env, unset, streams):
        try:
            code: object = main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException:  # what the interpreter does with an exception nothing caught
            traceback.print_exc(file=sys.stderr)
            code = 1
        for stream in streams[1:]:
            stream.flush()
    if code is None:
        returncode = 0
    elif isinstance(code, int):
        returncode = code
    else:  # sys.exit("message"): printed to stderr, exit code 1
        err_bytes.write(f"{code}\n".encode())
        returncode = 1
    return CliRun(returncode, _decode(out_bytes.getvalue(), "stdout", argv),
                  _decode(err_bytes.getvalue(), "stderr", argv), ("woowup-contract", *argv))


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli("validate", "x.json", cwd=..., stdin=..., env=...)`` → CliRun (unpacks as rc, out, err).

    Runs the CLI's ``main`` in this process (see ``run_in_process``); ``timeout`` is
    accepted for the callers that also run ``run_module`` and has no effect here.
    """

    def run(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None,
            stdin: bytes | str | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> CliRun:
        return run_in_process(args, cwd=cwd, stdin=stdin, env=env)

    return run


@pytest.fixture
def run_module() -> RunCli:
    """Like ``run_cli`` but as ``python -m woowup_contract`` in a subprocess, exactly as a user would."""

    def run(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None,
            stdin: bytes | str | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> CliRun:
        argv = [sys.executable, "-m", "woowup_contract", *map(str, args)]
        return run_command(argv, cwd=cwd, stdin=stdin, env=env, timeout=timeout)

    return run


@pytest.fixture
def run_script() -> RunCli:
    """Like ``run_cli`` but through the installed ``woowup-contract`` console script."""

    def run(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None,
            stdin: bytes | str | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 120) -> CliRun:
        return run_command([str(SCRIPT), *map(str, args)], cwd=cwd, stdin=stdin, env=env, timeout=timeout)

    return run


@pytest.fixture(scope="session", autouse=True)
def _outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite runs in a directory of its own. ``python -m woowup_contract`` puts the working
    directory first on ``sys.path``: started from the checkout, every CLI process the suite starts
    would import the checkout's sources, compiling them each time where bytecode is not written,
    instead of the package as installed, which is what a user runs."""
    saved = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(saved)


@pytest.fixture(scope="session")
def _plugin_paths_imported(registry: Registry) -> None:
    """Once a process, a short endpoint check against the embedded mock and a proxy's judge
    warmed up: what the plugin and the checks import only when a run needs it is then imported
    here. pytester drops every module an in-process run imported when the run ends, so each run
    would otherwise import (and rewrite the asserts of) the mock server, the proxy's judge and
    the schemathesis machinery again: 1 to 4 s a run on Python 3.10."""
    from woowup_contract.endpoints import Settings, embedded_mock, run_checks
    from woowup_contract.strategies import payloads  # noqa: F401 - the woowup_strategies fixture's
    from woowup_contract.traffic.judge import TrafficJudge

    with embedded_mock(registry) as mock:
        run_checks(registry, Settings(base_url=mock.base_url, api_key=mock.api_key, live=False, max_examples=1,
                                      seed=0, only=frozenset({"GET /v1/logs"})))
    TrafficJudge(registry).warm_up()


@pytest.fixture
def only_the_plugin(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """Arguments for a pytest run that loads this plugin and xdist by name and autoloads nothing,
    for runs that start processes (xdist workers, a pytest subprocess): an autoloading process also
    rewrites the asserts of every installed plugin's modules it imports, and Hypothesis' and
    schemathesis' are most of its start-up. The environment variable reaches the workers; the
    test's in-process runs after it see it too."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return ("-p", "woowup_contract.plugin", "-p", "xdist.plugin")


@pytest.fixture
def pytester(pytester: pytest.Pytester, _plugin_paths_imported: None) -> pytest.Pytester:
    """pytester, in a process where the plugin's lazily imported paths are imported already."""
    return pytester


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The bundled contracts, loaded once."""
    return load_registry()


@pytest.fixture
def record() -> dict[str, Any]:
    """A fresh copy of a fully valid record, to break one thing at a time."""
    return copy.deepcopy(VALID_RECORD)


@pytest.fixture
def payload_file(tmp_path: Path) -> Callable[..., Path]:
    """``payload_file("a.json", content)`` writes a dict/list (as JSON), str or bytes under tmp_path."""

    def write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_bytes(content.encode("utf-8", "surrogatepass"))
        else:
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        return path

    return write





@pytest.fixture
def python_json_error() -> Callable[[str], tuple[str, int, int]]:
    """``python_json_error(text)`` → what the running Python's ``json`` says about ``text``
    (message, line, column): CPython's words and columns change between versions, so a test
    that shows them derives them instead of pinning one version's."""

    def error(text: str) -> tuple[str, int, int]:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return exc.msg, exc.lineno, exc.colno
        raise AssertionError(f"{text!r} parses")

    return error
