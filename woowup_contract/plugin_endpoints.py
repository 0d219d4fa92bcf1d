"""pytest side of the endpoint checks: ``--woowup-endpoints`` adds one item per operation and check.

Inert unless ``--woowup-endpoints`` is given: nothing heavy is imported and no item
is added. With it, the items ("GET /v1/logs::auth_enforced", ...) are collected
after the project's own tests; the first one to run performs the whole check run
once (against ``--woowup-base-url`` / ``$WOOWUP_BASE_URL`` with ``--woowup-api-key``
/ ``$WOOWUP_API_KEY``, or the embedded mock) and every item reports its own
verdict from it. Against a live URL only GET operations run unless
``--woowup-endpoints-allow-writes`` is given, exactly as ``woowup-contract check``.

The options ``--woowup-base-url``, ``--woowup-api-key`` and ``--woowup-contracts-dir``
belong to the main plugin (``woowup_contract.plugin``); this module only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from .plugin import registry_of, settings_of
from .urls import is_http_url

if TYPE_CHECKING:
    from .endpoints import RunReport, Settings
    from .loader import Registry

MARKER = "woowup_endpoints"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("woowup-contract", "WoowUp connector payload contracts")
    group.addoption("--woowup-endpoints", action="store_true", default=False, dest="woowup_endpoints",
                    help="add the endpoint checks (one item per operation and check) against --woowup-base-url "
                         "or, without it, the embedded mock")
    group.addoption("--woowup-endpoints-allow-writes", action="store_true", default=False,
                    dest="woowup_endpoints_allow_writes",
                    help="against --woowup-base-url, also run POST /v1/log (records are tagged with the run id)")
    group.addoption("--woowup-endpoints-max-examples", type=int, default=None, metavar="N",
                    dest="woowup_endpoints_max_examples",
                    help="generated requests per operation and mode (default: 25 on the mock, 10 live)")
    group.addoption("--woowup-endpoints-seed", type=int, default=None, metavar="S", dest="woowup_endpoints_seed",
                    help="Hypothesis seed of the endpoint checks (default: random, shown in the header)")
    group.addoption("--woowup-endpoints-rate-limit", default=None, metavar="N/min",
                    dest="woowup_endpoints_rate_limit",
                    help="request budget against a live URL (default: 60/min; none against the mock)")
    group.addoption("--woowup-endpoints-apiv3-url", default=None, metavar="URL", dest="woowup_endpoints_apiv3_url",
                    help="where /apiv3/* lives when it is another host (live WoowUp: https://api.woowup.com)")


@dataclass
class _State:
    """The settings of the run, resolved at configure time; the run itself happens on first use."""

    base_url: str | None
    api_key: str | None
    allow_writes: bool
    max_examples: int | None
    seed: int
    rate_limit: str | None
    apiv3_url: str | None
    # the operations whose items are still selected after -k / -m (None: not known, all)
    only: frozenset[str] | None = None
    report: RunReport | None = None
    problem: str | None = None
    target: str = ""
    masks: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.base_url is not None

    def plan_settings(self) -> Settings:
        """Settings good enough to plan the items (which ones, which are skipped), before any server runs."""
        from .endpoints import Settings

        return Settings(base_url=self.base_url or "http://127.0.0.1", api_key=self.api_key or "-",
                        live=self.live, allow_writes=self.allow_writes, seed=self.seed)

    def run(self, config: pytest.Config) -> RunReport | None:
        """The whole check run, once; a problem that stops it is kept for every item to report."""
        if self.report is not None or self.problem is not None:
            return self.report
        from .endpoints import ConnectionProblem, Masker

        try:
            registry = registry_of(config)
            if self.live:
                self._run_live(registry)
            else:
                self._run_on_mock(registry)
        except ConnectionProblem as exc:
            self.problem = str(exc)
        except Exception as exc:  # a usage error or a broken contract: every item says it
            self.problem = Masker(self.api_key, *self.masks)(f"{type(exc).__name__}: {exc}")
        return self.report

    def _run_live(self, registry: Registry) -> None:
        from .endpoints import Settings, default_rate, parse_rate_limit, run_checks

        if not self.api_key:
            self.problem = "no API key for --woowup-base-url: pass --woowup-api-key or set WOOWUP_API_KEY"
            return
        rate = (parse_rate_limit(self.rate_limit) if self.rate_limit is not None
                else default_rate(str(self.base_url)))
        settings = Settings(base_url=str(self.base_url), api_key=self.api_key, live=True,
                            allow_writes=self.allow_writes, apiv3_base_url=self.apiv3_url,
                            max_examples=self.max_examples or 10, seed=self.seed, rate_per_minute=rate,
                            only=self.only)
        self.target = settings.base_url
        self.report = run_checks(registry, settings)

    def _run_on_mock(self, registry: Registry) -> None:
        from .endpoints import Settings, embedded_mock, run_checks

        with embedded_mock(registry) as mock:
            self.masks.append(mock.api_key)
            settings = Settings(base_url=mock.base_url, api_key=mock.api_key, live=False,
                                max_examples=self.max_examples or 25, seed=self.seed, only=self.only)
            self.target = f"{mock.base_url} (embedded mock)"
            self.report = run_checks(registry, settings, target=self.target)


STATE_KEY = pytest.StashKey[_State]()


@pytest.hookimpl(trylast=True)  # after the main plugin has resolved and checked its settings
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: an endpoint check added by --woowup-endpoints")
    if not config.getoption("woowup_endpoints", False):
        return
    from .endpoints import missing_check_extra

    missing = missing_check_extra()
    if missing:
        raise pytest.UsageError(f"woowup-contract: --woowup-endpoints: {missing}")
    main = settings_of(config)  # option, ini key or environment, as the main plugin resolved them
    _check_options(config, main.base_url)
    _check_distribution(config, main.base_url)
    if _xdist_loaded(config):
        config.pluginmanager.register(_XdistHooks(), "woowup_contract-endpoints-xdist")
    config.stash[STATE_KEY] = _State(
        base_url=main.base_url, api_key=main.api_key,
        allow_writes=bool(config.getoption("woowup_endpoints_allow_writes")),
        max_examples=config.getoption("woowup_endpoints_max_examples"), seed=_seed(config),
        rate_limit=config.getoption("woowup_endpoints_rate_limit"),
        apiv3_url=config.getoption("woowup_endpoints_apiv3_url"))


def _check_options(config: pytest.Config, base_url: str | None) -> None:
    """A bad value of an endpoint option is a usage error at start-up, not a failure of every item."""
    max_examples = config.getoption("woowup_endpoints_max_examples")
    if max_examples is not None and max_examples < 1:
        raise pytest.UsageError("woowup-contract: --woowup-endpoints-max-examples must be at least 1")
    for name, url in (("--woowup-base-url", base_url), ("--woowup-endpoints-apiv3-url",
                                                         config.getoption("woowup_endpoints_apiv3_url"))):
        if url is not None and not is_http_url(str(url)):
            raise pytest.UsageError(f"woowup-contract: {name}: expected an http:// or https:// URL")
    rate = config.getoption("woowup_endpoints_rate_limit")
    if rate is not None:
        from .endpoints import parse_rate_limit
        from .exits import UsageError

        try:
            parse_rate_limit(rate)
        except UsageError as exc:
            raise pytest.UsageError(f"woowup-contract: {exc}") from None


def _check_distribution(config: pytest.Config, base_url: str | None) -> None:
    """Under xdist without --dist loadgroup every worker runs the whole check: refused against
    a live API (it multiplies the request rate), a warning against the mock."""
    if _xdist_loaded(config) and config.getoption("numprocesses", None) \
            and config.getoption("dist", "no") not in ("loadgroup", "no"):
        why = ("under pytest-xdist, every worker that gets an endpoint item runs the whole check; "
               "add --dist loadgroup so that one worker runs them")
        if base_url is not None:
            raise pytest.UsageError(f"woowup-contract: --woowup-endpoints against {base_url}: {why}")
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"woowup-contract: {why}"), stacklevel=2)


def _xdist_loaded(config: pytest.Config) -> bool:
    """pytest-xdist is loaded, autoloaded (registered as ``xdist``) or named with ``-p xdist.plugin``
    (registered under that name): its hooks are known either way."""
    return hasattr(config.hook, "pytest_configure_node")


def _seed(config: pytest.Config) -> int:
    """--woowup-endpoints-seed, else the xdist controller's (the one in the header), else a new one."""
    seed = config.getoption("woowup_endpoints_seed")
    if seed is not None:
        return int(seed)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and SEED_KEY in workerinput:
        return int(workerinput[SEED_KEY])
    import secrets

    return secrets.randbelow(2**32)


SEED_KEY = "woowup_endpoints_seed"


class _XdistHooks:
    """Registered only where pytest-xdist is installed (its hook is unknown elsewhere): each
    worker gets the controller's seed in its ``workerinput``, as pytest-randomly sends its own,
    so the seed the header prints is the one every worker draws from."""

    def pytest_configure_node(self, node: Any) -> None:
        state = node.config.stash.get(STATE_KEY, None)
        if state is not None:
            node.workerinput[SEED_KEY] = state.seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return []
    target = state.base_url or "the embedded mock"
    writes = "writes allowed" if (state.allow_writes or not state.live) else "read-only"
    return [f"woowup-endpoints: {target} ({writes}), seed {state.seed} (--woowup-endpoints-seed to repeat)"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Append the endpoint items; first, so -k, -m and deselection see them like any other item."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    from .endpoints import planned_checks
    from .loader import ContractError

    try:
        plan = planned_checks(registry_of(config), state.plan_settings())
    except ContractError as exc:
        raise pytest.UsageError(f"woowup-contract: broken contract: {exc}") from None
    root = EndpointChecks.from_parent(session, name="woowup-endpoints", nodeid="woowup-endpoints")
    groups: dict[str, OperationChecks] = {}
    added: list[pytest.Item] = []
    for operation, check, _ in plan:
        if operation not in groups:
            groups[operation] = OperationChecks.from_parent(root, name=operation)
        item = EndpointCheckItem.from_parent(groups[operation], name=check, operation=operation, check=check)
        item.add_marker(MARKER)
        if _xdist_loaded(config):
            item.add_marker(pytest.mark.xdist_group("woowup-endpoints"))  # one run with --dist loadgroup
        added.append(item)
    # reported like collected items, so "collected N items" counts them
    result: list[pytest.Item | pytest.Collector] = list(added)
    config.hook.pytest_collectreport(report=pytest.CollectReport(root.nodeid, "passed", None, result))
    items.extend(added)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Exercise only the operations that kept an item after -k / -m: a run that selected one check
    of GET /v1/logs does not fuzz the other endpoints."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    state.only = frozenset(item.operation for item in session.items if isinstance(item, EndpointCheckItem))


class EndpointChecks(pytest.Collector):
    """The parent of the endpoint items; they are made in ``pytest_collection_modifyitems``."""

    def collect(self) -> list[pytest.Item]:
        return []


class OperationChecks(pytest.Collector):
    """One operation ("GET /v1/logs"): its checks are the items below it."""

    def collect(self) -> list[pytest.Item]:
        return []


class EndpointCheckFailed(AssertionError):
    """A check failed on an operation; the message lists the violations with their reproductions."""


class EndpointCheckItem(pytest.Item):
    def __init__(self, *, operation: str, check: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation = operation
        self.check = check

    def runtest(self) -> None:
        from .endpoints import CHECKS

        state = self.config.stash[STATE_KEY]
        report = state.run(self.config)
        if report is None:
            raise EndpointCheckFailed(f"the endpoint checks could not run: {state.problem}")
        outcome = report.outcome(self.operation, self.check)
        if outcome is None:
            pytest.skip(f"{self.operation} {self.check} was not run")
        if outcome.status == "skipped":
            pytest.skip(outcome.reason)
        if outcome.status == "failed":
            lines = [f"{self.operation}: {self.check} failed on {outcome.failures} of {outcome.requests} "
                     f"requests ({CHECKS[self.check]}), seed {report.settings.seed}"]
            from .report import format_violation

            for finding in outcome.findings:
                source = None if finding.source == self.operation else finding.source
                lines.extend("  " + line for line in format_violation(finding.violation, source))
            raise EndpointCheckFailed("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, EndpointCheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "woowup-endpoints", None, f"woowup endpoint check: {self.operation} {self.check}"
