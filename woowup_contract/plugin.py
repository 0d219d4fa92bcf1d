"""The pytest plugin: a connector's output files as test items, fixtures, reports CI reads.

Loaded (through the ``pytest11`` entry point) by every pytest run of every project that
installs the package, so it stays inert and cheap until a ``woowup_*`` setting asks for
it: no registry is loaded, nothing heavy is imported, and only files matching the
configured globs are ever collected. Settings are resolved once, in ``pytest_configure``,
into ``Settings`` kept in ``config.stash``; errors name the option, ini key or variable a
bad value came from.

Other modules add to the plugin through ``settings_of`` / ``registry_of`` / ``checker_of``
and may be hooked in with ``pytest_plugins``.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Sequence

import pytest

if TYPE_CHECKING:
    import requests

    from .checker import Checker
    from .loader import Registry
    from .model import Result, Violation
    from .sources import Payload

pytest_plugins = ["woowup_contract.plugin_endpoints", "woowup_contract.plugin_traffic"]

DEFAULT_CONTRACT = "connectors.log-record"
LINE_SUFFIXES = (".jsonl", ".ndjson")
FINDINGS_SECTION = "woowup-contract strict findings"
SUMMARY_LIMIT = 20

HELP = {
    "payloads": "glob of payload files to check, one test item per payload (JSONL/NDJSON: one per line); "
                "ini: one glob per line, relative to rootdir; the option repeats and replaces the ini globs",
    "contract": f"contract id the payloads are checked against (default: {DEFAULT_CONTRACT})",
    "payload_contracts": "lines 'GLOB = CONTRACT_ID': the files matching GLOB are payloads of that contract "
                         "(collected as woowup_payloads are; first match wins; others use woowup_contract)",
    "strict": "strict profile: the contracts' strict findings fail the payload instead of being reported "
              "in a summary at the end",
    "contracts_dir": "a directory of your own contract files (*.yaml) extending or overriding the bundled "
                     "ones; ini: one per line, relative to rootdir",
    "base_url": "point the woowup_api fixture at this API instead of the mock (default: $WOOWUP_BASE_URL)",
    "api_key": "API key for --woowup-base-url (default: $WOOWUP_API_KEY); never printed, no ini key",
}


class PayloadInvalid(AssertionError):
    """A payload breaks its contract; the message lists every violation with its pointer."""

    def __init__(self, results: Sequence[Result], contract: str, profile: str, source: str | None = None) -> None:
        self.results = tuple(results)
        self.contract = contract
        self.profile = profile
        super().__init__("\n".join(describe_result(r, contract, profile, source) for r in self.results
                                   if not r.valid))


class WoowupContractWarning(UserWarning):
    """A setting that is valid but probably not what was meant (a glob matching no file)."""


# -- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class PayloadGlob:
    """A glob as written, and the directory it is relative to ("" when it is absolute).

    Kept apart so that glob characters in the directory's own name stay literal.
    """

    base: str
    pattern: str

    @classmethod
    def parse(cls, base: str, pattern: str) -> PayloadGlob:
        pattern = _posix(os.path.expanduser(pattern.strip()))
        if pattern.startswith("/") or re.match(r"[A-Za-z]:/", pattern):
            return cls("", posixpath.normpath(pattern))
        base, rel = _posix(base).rstrip("/"), posixpath.normpath(pattern)
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


@dataclass(frozen=True)
class Settings:
    """Every plugin setting, resolved once; ``origins`` says where each came from."""

    payload_globs: tuple[PayloadGlob, ...] = ()
    contract: str = DEFAULT_CONTRACT
    payload_contracts: tuple[tuple[PayloadGlob, str], ...] = ()
    strict: bool = False
    contracts_dirs: tuple[str, ...] = ()
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def profile(self) -> str:
        return "strict" if self.strict else "official"

    @property
    def active(self) -> bool:
        """Whether this project uses the plugin's settings at all (else stay inert)."""
        return bool(self.payload_globs or self.payload_contracts or self.strict or self.contracts_dirs
                    or "contract" in self.origins)


def _ini_origin(config: pytest.Config, name: str) -> str:
    overrides = config.getoption("override_ini", None) or []
    if any(o.startswith(name + "=") for o in overrides):
        return f"ini key {name} (-o/--override-ini)"
    if config.inipath is not None:
        return f"ini key {name} in {config.inipath.name}"
    return f"ini key {name}"


def _ini_lines(config: pytest.Config, name: str) -> list[str]:
    return [line.strip() for line in config.getini(name) if line.strip()]


def _absolute(base: str, path: str) -> str:
    path = os.path.expanduser(path)
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


def resolve_settings(config: pytest.Config) -> Settings:
    """Options over ini keys over defaults; a bad value is a usage error naming its origin."""
    rootdir = str(config.rootpath)
    invocation = str(config.invocation_params.dir)
    origins: dict[str, str] = {}

    globs: list[PayloadGlob] = []
    option_globs = config.getoption("woowup_payloads")
    if option_globs:
        origins["payloads"] = "option --woowup-payloads"
        globs = [PayloadGlob.parse(invocation, g) for g in option_globs if g.strip()]
    elif _ini_lines(config, "woowup_payloads"):
        origins["payloads"] = _ini_origin(config, "woowup_payloads")
        globs = [PayloadGlob.parse(rootdir, g) for g in _ini_lines(config, "woowup_payloads")]

    contract = config.getoption("woowup_contract")
    if contract:
        origins["contract"] = "option --woowup-contract"
    else:
        contract = (config.getini("woowup_contract") or "").strip()
        if contract:
            origins["contract"] = _ini_origin(config, "woowup_contract")
    contract = contract.strip() or DEFAULT_CONTRACT

    mapping: list[tuple[PayloadGlob, str]] = []
    for line in _ini_lines(config, "woowup_payload_contracts"):
        pattern, sep, contract_id = line.rpartition("=")
        if not sep or not pattern.strip() or not contract_id.strip():
            raise pytest.UsageError(f"woowup-contract: {_ini_origin(config, 'woowup_payload_contracts')}: "
                                    f"{line!r} is not 'GLOB = CONTRACT_ID'")
        mapping.append((PayloadGlob.parse(rootdir, pattern), contract_id.strip()))
    if mapping:
        origins["payload_contracts"] = _ini_origin(config, "woowup_payload_contracts")

    strict = False
    if config.getoption("woowup_strict"):
        strict, origins["strict"] = True, "option --woowup-strict"
    else:
        try:
            strict = bool(config.getini("woowup_strict"))
        except (ValueError, TypeError, pytest.UsageError) as exc:  # the type of error depends on pytest's version
            raise pytest.UsageError(f"woowup-contract: {_ini_origin(config, 'woowup_strict')}: {exc} "
                                    "(use true or false)") from None
        if strict:
            origins["strict"] = _ini_origin(config, "woowup_strict")

    dirs: list[str] = []
    option_dirs = config.getoption("woowup_contracts_dir")
    if option_dirs:
        origins["contracts_dirs"] = "option --woowup-contracts-dir"
        dirs = [_absolute(invocation, d) for d in option_dirs]
    elif _ini_lines(config, "woowup_contracts_dir"):
        origins["contracts_dirs"] = _ini_origin(config, "woowup_contracts_dir")
        dirs = [_absolute(rootdir, d) for d in _ini_lines(config, "woowup_contracts_dir")]
    for d in dirs:
        if not os.path.isdir(d):
            raise pytest.UsageError(f"woowup-contract: {origins['contracts_dirs']}: {d} is not a directory")

    base_url = config.getoption("woowup_base_url")
    origins["base_url"] = "option --woowup-base-url"
    if not base_url:
        base_url, origins["base_url"] = os.environ.get("WOOWUP_BASE_URL") or None, "$WOOWUP_BASE_URL"
    if base_url is not None and not _is_http_url(base_url):
        raise pytest.UsageError(f"woowup-contract: {origins['base_url']}: expected an http:// or https:// URL")
    api_key = config.getoption("woowup_api_key")
    origins["api_key"] = "option --woowup-api-key"
    if not api_key:
        api_key, origins["api_key"] = os.environ.get("WOOWUP_API_KEY") or None, "$WOOWUP_API_KEY"

    return Settings(tuple(globs), contract, tuple(mapping), strict, tuple(dirs), base_url, api_key, origins)


def _is_http_url(text: str) -> bool:
    from urllib.parse import urlsplit

    try:
        url = urlsplit(text)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.hostname) and not any(c.isspace() for c in text)


# -- globs ---------------------------------------------------------------------------


def glob_regex(pattern: str) -> str:
    """A glob as a regex over '/'-separated paths: ``*``, ``?`` and ``[...]`` stay within one
    directory, ``**`` crosses directories (``**/`` also matches no directory at all)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            j = pattern.find("]", j)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:j]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                for special in ("\\", "^", "[", "]"):
                    body = body.replace(special, "\\" + special)
                out.append(f"[{'^/' if negate else ''}{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


class _Matcher:
    """Which collected files are payloads, and which contract each one uses."""

    def __init__(self, settings: Settings) -> None:
        flags = re.IGNORECASE if os.name == "nt" else 0
        # a 'GLOB = CONTRACT' line selects its files too: naming their contract says they are payloads;
        # but --woowup-payloads replaces every ini selection (a run narrowed on purpose)
        origin = settings.origins.get("payload_contracts", "ini key woowup_payload_contracts")
        by_option = settings.origins.get("payloads", "").startswith("option")
        self.globs: list[tuple[PayloadGlob, str]] = [
            *((g, settings.origins.get("payloads", "")) for g in settings.payload_globs),
            *(() if by_option else ((g, origin) for g, _ in settings.payload_contracts))]
        # one group per glob: the match says which glob selected the file
        self.selected = re.compile("|".join(f"({g.regex()})" for g, _ in self.globs),
                                   flags) if self.globs else None
        self.mapping = [(re.compile(g.regex(), flags), c) for g, c in settings.payload_contracts]
        self._mapping_offset = None if by_option else len(settings.payload_globs)
        self.default = settings.contract
        self.used: set[int] = set()  # indexes of the globs that selected a collected file

    def contract_for(self, path: str) -> str | None:
        """The contract id for ``path``, or None when it is not a payload file."""
        if self.selected is None:
            return None
        path = _posix(path)
        match = self.selected.fullmatch(path)
        if match is None:
            return None
        self.used.add((match.lastindex or 1) - 1)
        found = None
        for index, (rx, contract) in enumerate(self.mapping):
            if rx.fullmatch(path):
                if self._mapping_offset is not None:  # its glob selected a file, whichever group matched
                    self.used.add(self._mapping_offset + index)
                found = found or contract
        return found or self.default


# -- per-run state -----------------------------------------------------------------


@dataclass
class _Finding:
    nodeid: str
    text: str


class _State:
    """What one pytest process shares: settings, the registry (loaded at most once),
    one Checker per (contract, profile), strict findings, started mock servers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.matcher = _Matcher(settings)
        self._registry: Registry | None = None
        self._checkers: dict[tuple[str, str], Checker] = {}
        self.findings: list[_Finding] = []
        self.servers: list[Any] = []

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from .loader import load_registry

            self._registry = load_registry(self.settings.contracts_dirs)
        return self._registry

    def checker(self, contract: str, profile: str) -> Checker:
        key = (contract, profile)
        checker = self._checkers.get(key)
        if checker is None:
            from .checker import Checker

            checker = self._checkers[key] = Checker(self.registry, contract, profile=profile)  # type: ignore[arg-type]
        return checker


STATE_KEY = pytest.StashKey[_State]()


def _state(config: pytest.Config) -> _State:
    state = config.stash.get(STATE_KEY, None)
    if state is None:  # configured without our pytest_configure (a plugin-free Config)
        state = config.stash[STATE_KEY] = _State(Settings())
    return state


def settings_of(config: pytest.Config) -> Settings:
    """The run's resolved settings (for modules that extend the plugin)."""
    return _state(config).settings


def registry_of(config: pytest.Config) -> Registry:
    """The run's contract registry, loaded on first use."""
    return _state(config).registry


def checker_of(config: pytest.Config, contract: str, profile: str = "official") -> Checker:
    """The run's cached Checker for (contract, profile)."""
    return _state(config).checker(contract, profile)


# -- hooks: options, configure, header ------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("woowup-contract", "WoowUp connector payload contracts")
    group.addoption("--woowup-payloads", action="append", metavar="GLOB", dest="woowup_payloads",
                    help=HELP["payloads"])
    group.addoption("--woowup-contract", metavar="ID", dest="woowup_contract", help=HELP["contract"])
    group.addoption("--woowup-strict", action="store_true", default=None, dest="woowup_strict",
                    help=HELP["strict"])
    group.addoption("--woowup-contracts-dir", action="append", metavar="DIR", dest="woowup_contracts_dir",
                    help=HELP["contracts_dir"])
    group.addoption("--woowup-base-url", metavar="URL", dest="woowup_base_url", help=HELP["base_url"])
    group.addoption("--woowup-api-key", metavar="KEY", dest="woowup_api_key", help=HELP["api_key"])
    parser.addini("woowup_payloads", HELP["payloads"], type="linelist", default=[])
    parser.addini("woowup_contract", HELP["contract"], default="")
    parser.addini("woowup_payload_contracts", HELP["payload_contracts"], type="linelist", default=[])
    parser.addini("woowup_strict", HELP["strict"], type="bool", default=False)
    parser.addini("woowup_contracts_dir", HELP["contracts_dir"], type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("help", False):
        return
    settings = resolve_settings(config)
    state = config.stash[STATE_KEY] = _State(settings)
    config.pluginmanager.register(_FindingsReport(state), "woowup_contract-findings")
    if not settings.active:
        return
    _check_contracts(state)
    if not hasattr(config, "workerinput"):  # xdist workers: the controller warned already
        for pattern, origin in state.matcher.globs:
            if not pattern.matches_a_file():
                config.issue_config_time_warning(WoowupContractWarning(
                    f"woowup-contract: {origin}: {_shown(config, pattern)} matches no file"), stacklevel=2)


def _check_contracts(state: _State) -> None:
    from .loader import ContractError

    settings = state.settings
    try:
        registry = state.registry
    except ContractError as exc:
        raise pytest.UsageError(f"woowup-contract: broken contract: {exc}") from None
    wanted = [(settings.contract, settings.origins.get("contract", "the default contract"))]
    wanted += [(c, settings.origins["payload_contracts"]) for _, c in settings.payload_contracts]
    for contract_id, origin in wanted:
        if contract_id not in registry:
            raise pytest.UsageError(f"woowup-contract: {origin}: unknown contract {contract_id!r}; "
                                    f"known: {', '.join(sorted(c.id for c in registry))}")


def _shown(config: pytest.Config, pattern: PayloadGlob) -> str:
    """A glob relative to rootdir when it is inside it."""
    root = _posix(str(config.rootpath)).rstrip("/") + "/"
    path = pattern.path
    return path[len(root):] if path.startswith(root) else path


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What a run needs to be reproduced; nothing in a project that does not use the plugin."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or not (state.settings.active or state.settings.base_url):
        return []
    from . import __version__

    settings = state.settings
    contracts = state.registry.describe() if settings.active else "bundled"
    lines = [f"woowup-contract {__version__}: contracts {contracts}; contract {settings.contract}; "
             f"profile {settings.profile}"]
    if settings.payload_globs:
        lines.append("woowup-contract payloads: " + ", ".join(_shown(config, g) for g in settings.payload_globs))
    for pattern, contract in settings.payload_contracts:
        lines.append(f"woowup-contract payloads {_shown(config, pattern)}: contract {contract}")
    if settings.base_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.base_url)
        host = url.netloc.rpartition("@")[2]  # never credentials written into the URL
        lines.append(f"woowup-contract api: {url.scheme}://{host} (from {settings.origins['base_url']})")
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None:
        lines.append(f"hypothesis seed: {seed} (--hypothesis-seed)")
    return lines


# -- collection: payload files as test items ------------------------------------------


def pytest_collect_file(file_path: Any, parent: pytest.Collector) -> PayloadFile | None:
    state = parent.config.stash.get(STATE_KEY, None)
    if state is None or state.matcher.selected is None:
        return None
    contract = state.matcher.contract_for(os.fspath(file_path))
    if contract is None:
        return None
    node: PayloadFile = PayloadFile.from_parent(parent, path=file_path)
    node.contract = contract
    return node


def pytest_collection_finish(session: pytest.Session) -> None:
    """Warn about a glob whose files exist but were not collected (outside testpaths, say)."""
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is None or not state.matcher.globs or config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # paths named on the command line narrow the run on purpose
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get("workerid") != "gw0":
        return  # xdist: every worker collects the same; one says it
    import warnings

    for index, (pattern, origin) in enumerate(state.matcher.globs):
        if index not in state.matcher.used and pattern.matches_a_file():
            warnings.warn(WoowupContractWarning(
                f"woowup-contract: {origin}: {_shown(config, pattern)} matches files "
                "that pytest did not collect: add their folder to testpaths or to the command line"), stacklevel=1)


class PayloadFile(pytest.File):
    """A payload file: one item for a JSON file, one per non-blank line for JSONL/NDJSON.

    A line's item is named for its content (``payload-`` and 8 hex digits of its SHA-256,
    ``-2``… for a repeat), not its number: inserting a line above keeps every id, so
    ``--lf`` reruns the line that failed. The line number is shown in the location and
    the failure text.
    """

    contract: str = DEFAULT_CONTRACT

    def collect(self) -> Iterator[PayloadItem]:
        path = os.fspath(self.path)
        if not path.lower().endswith(LINE_SUFFIXES):
            # read when run, not when collected: collection stays as cheap as a file listing
            yield PayloadItem.from_parent(self, name="payload")
            return
        import hashlib

        from .sources import DEFAULT_MAX_BYTES, Unit, raw_lines, read_file

        handle: IO[bytes] | None = None
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is drained
        except OSError:
            items: Any = map(Unit.of, read_file(path))  # an error payload that says why
        else:
            items = raw_lines(handle, path, DEFAULT_MAX_BYTES)
        seen: dict[str, int] = {}
        try:
            for unit in items:
                payload = unit.read()
                if unit.data is None:  # a line too long, or no line at all: named by what it is
                    key = payload.error.rule if payload.error else "payload"
                else:
                    key = hashlib.sha256(unit.data).hexdigest()[:8]
                seen[key] = seen.get(key, 0) + 1
                name = f"payload-{key}" + (f"-{seen[key]}" if seen[key] > 1 else "")
                suffix = payload.source[len(path) + 1:] if payload.source.startswith(path + ":") else ""
                entry: PayloadItem = PayloadItem.from_parent(self, name=name)
                entry.payload, entry.line = payload, int(suffix) if suffix.isdigit() else None
                yield entry
        finally:
            if handle is not None:
                handle.close()


class PayloadItem(pytest.Item):
    """One payload checked against its file's contract."""

    payload: Payload | None = None
    line: int | None = None

    @property
    def source(self) -> str:
        """The file relative to rootdir, with ``:LINE`` for a JSONL line."""
        name = self.nodeid.rpartition("::")[0]
        return f"{name}:{self.line}" if self.line else name

    def runtest(self) -> None:
        state = _state(self.config)
        contract = self.parent.contract if isinstance(self.parent, PayloadFile) else state.settings.contract
        profile = state.settings.profile
        payload = self.payload
        if payload is None:
            from .sources import read_file

            payload = next(iter(read_file(os.fspath(self.path))))
        self.payload = None  # checked once; do not hold every document until the session ends
        result = state.checker(contract, profile).check(payload)
        if not result.valid:
            raise PayloadInvalid([result], contract, profile, self.source)
        if result.warnings:
            self.add_report_section("call", FINDINGS_SECTION, _violation_lines(result.warnings))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, PayloadInvalid):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, (self.line - 1 if self.line else None), self.source


# -- failure text ----------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe_result(result: Result, contract: str, profile: str, source: str | None = None) -> str:
    """The source, the contract and profile, then ``POINTER: MESSAGE`` per violation."""
    source = source or result.source
    name, _, line = source.rpartition(":")
    where = f"{name} line {line}" if name and line.isdigit() else source
    counts = _plural(len(result.errors), "error")
    if result.warnings:
        counts += ", " + _plural(len(result.warnings), "warning")
    from .report import one_line

    head = one_line(f"{where}: invalid {contract} payload ({profile} profile): {counts}")
    return head + "\n" + _violation_lines(result.violations)


def _violation_lines(violations: Sequence[Violation]) -> str:
    from .report import format_violations

    return format_violations(violations)


# -- strict findings summary ----------------------------------------------------------


class _FindingsReport:
    """Collects the strict findings of passing payloads and prints them at the end.

    It reads them from the reports' sections, so under xdist the controller sees the
    findings of every worker.
    """

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, content in report.sections:
            if FINDINGS_SECTION in name:
                self.state.findings.append(_Finding(report.nodeid, content))

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        by_node: dict[str, list[str]] = {}
        for finding in self.state.findings:
            by_node.setdefault(finding.nodeid, []).append(finding.text)
        if not by_node:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "woowup-contract strict findings (warnings, not failures)", yellow=True)
        nodeids = sorted(by_node)
        shown = nodeids if config.getoption("verbose", 0) > 0 else nodeids[:SUMMARY_LIMIT]
        for nodeid in shown:
            write(nodeid)
            for text in by_node[nodeid]:
                for line in text.splitlines():
                    write("  " + line)
        count = sum(1 for texts in by_node.values() for text in texts for line in text.splitlines()
                    if ": warning: " in line and not line.startswith(" "))
        more = len(nodeids) - len(shown)
        tail = f" ({more} more not shown; -v shows all)" if more else ""
        write(f"{_plural(count, 'strict finding')} in {_plural(len(by_node), 'test')}{tail}; "
              "--woowup-strict (ini woowup_strict = true) makes them failures")

    @pytest.hookimpl(trylast=True)  # after pytest's own teardown of the session fixtures
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Backstop: stop a mock server whose fixture teardown never ran."""
        for server in list(self.state.servers):
            try:
                server.close()
            finally:
                self.state.servers.remove(server)


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def woowup_contracts(pytestconfig: pytest.Config) -> Registry:
    """The contract registry of this run (bundled plus --woowup-contracts-dir), loaded once."""
    return _state(pytestconfig).registry


Validate = Callable[..., Any]


@pytest.fixture
def woowup_validate(request: pytest.FixtureRequest) -> Validate:
    """``woowup_validate(payload, contract="connectors.log-record", *, strict=False)``.

    ``payload`` is a parsed document (dict, list, ...), JSON text (str or bytes starting
    with ``{`` or ``[``) or a path. Raises ``PayloadInvalid`` (an AssertionError) listing
    every violation; returns the Result, warnings included, when the payload is valid (a
    list of Results for a JSONL/NDJSON path). Strict findings go to the end-of-run summary.
    """
    state = _state(request.config)
    node = request.node

    def validate(payload: Any, contract: str = DEFAULT_CONTRACT, *, strict: bool = False) -> Any:
        __tracebackhide__ = True
        from .sources import payload_from_bytes, payload_from_text, read_file

        profile = "strict" if strict else "official"
        checker = state.checker(contract, profile)
        many = False
        if isinstance(payload, os.PathLike) or (isinstance(payload, str) and not payload.lstrip().startswith(("{", "["))):
            path = os.fspath(payload)
            many = path.lower().endswith(LINE_SUFFIXES)
            results = [checker.check(p) for p in read_file(path)]
        elif isinstance(payload, str):
            results = [checker.check(payload_from_text("<text>", payload))]
        elif isinstance(payload, (bytes, bytearray)):
            results = [checker.check(payload_from_bytes("<bytes>", bytes(payload)))]
        else:
            results = [checker.check_document(payload)]
        if any(not r.valid for r in results):
            raise PayloadInvalid(results, contract, profile)
        for r in results:
            if r.warnings:
                node.add_report_section("call", FINDINGS_SECTION,
                                        f"{r.source} ({contract}):\n" + _violation_lines(r.warnings))
        return results if many else results[0]

    return validate


@pytest.fixture(scope="session")
def woowup_mock_options() -> dict[str, Any]:
    """Keyword arguments for the session's MockServer; override in a conftest.py,
    e.g. ``return {"envelope": True}``."""
    return {}


@pytest.fixture(scope="session")
def woowup_mock_server(pytestconfig: pytest.Config, woowup_contracts: Registry,
                       woowup_mock_options: dict[str, Any]) -> Iterator[Any]:
    """One mock of the WoowUp endpoints per session (per xdist worker) on 127.0.0.1."""
    from .mock.server import MockServer

    state = _state(pytestconfig)
    server = MockServer(woowup_contracts, **woowup_mock_options)
    server.start()
    state.servers.append(server)
    try:
        yield server
    finally:
        if server in state.servers:
            state.servers.remove(server)
        server.close()


@pytest.fixture
def woowup_mock(woowup_mock_server: Any, woowup_mock_options: dict[str, Any]) -> Iterator[Any]:
    """The session's mock server, emptied before each test (records, journal, and faults back
    to ``woowup_mock_options``); an error raised inside the server fails the test after it."""
    server = woowup_mock_server
    server.reset()
    server.set_faults(woowup_mock_options.get("faults", ()), latency=woowup_mock_options.get("latency", 0.0),
                      rate_limit=woowup_mock_options.get("rate_limit"))
    yield server
    server.check_errors()


@pytest.fixture
def woowup_api(request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    """A requests.Session for the WoowUp API: relative URLs go to the base URL, auth is set.

    It points at --woowup-base-url / $WOOWUP_BASE_URL (key from --woowup-api-key /
    $WOOWUP_API_KEY) when one is given, and at ``woowup_mock`` otherwise.
    """
    settings = _state(request.config).settings
    if settings.base_url:
        if not settings.api_key:
            pytest.fail(f"woowup_api: {settings.origins['base_url']} is set but there is no API key: "
                        "pass --woowup-api-key or set WOOWUP_API_KEY", pytrace=False)
        base_url, api_key = settings.base_url, settings.api_key
    else:
        mock = request.getfixturevalue("woowup_mock")
        base_url, api_key = mock.base_url, mock.api_key
    session = make_session(base_url, api_key)
    try:
        yield session
    finally:
        session.close()


def make_session(base_url: str, api_key: str | None) -> requests.Session:
    """A requests.Session that prefixes relative URLs with ``base_url`` and sends
    ``Authorization: Bearer <key>`` without ever showing the key in a repr."""
    import requests

    class _BearerKey(requests.auth.AuthBase):
        def __init__(self, key: str) -> None:
            self._key = key

        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.headers["Authorization"] = f"Bearer {self._key}"
            return r

        def __repr__(self) -> str:
            return "<Bearer API key (hidden)>"

    class WoowupSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.base_url = base_url.rstrip("/")
            if api_key:
                self.auth = _BearerKey(api_key)

        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
                    ) -> requests.Response:
            text = url.decode() if isinstance(url, bytes) else url
            if "://" not in text:
                text = self.base_url + "/" + text.lstrip("/")
            return super().request(method, text, *args, **kwargs)

        def __repr__(self) -> str:
            return f"<WoowupSession {self.base_url}>"

    return WoowupSession()
