"""What one pytest process shares: the settings, the registry (loaded at most once) and one
Checker per (contract, profile), kept in ``config.stash``; and the hooks that set them up
and show them in the header."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._findings import FindingsReport
from ._settings import Settings, WoowupContractWarning, resolve_settings

if TYPE_CHECKING:
    from ..checker import Checker
    from ..loader import Registry


class Run:
    """The run's settings, and what is built from them on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._registry: Registry | None = None
        self._checkers: dict[tuple[str, str], Checker] = {}

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from ..loader import load_registry

            self._registry = load_registry(self.settings.contracts_dirs)
        return self._registry

    def checker(self, contract: str, profile: str) -> Checker:
        key = (contract, profile)
        checker = self._checkers.get(key)
        if checker is None:
            from ..checker import Checker

            checker = self._checkers[key] = Checker(self.registry, contract, profile=profile)  # type: ignore[arg-type]
        return checker


RUN_KEY = pytest.StashKey[Run]()


def run_of(config: pytest.Config) -> Run:
    """The run's state; default settings for a Config our ``pytest_configure`` never saw."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        run = config.stash[RUN_KEY] = Run(Settings())
    return run


def settings_of(config: pytest.Config) -> Settings:
    """The run's resolved settings (for modules that extend the plugin)."""
    return run_of(config).settings


def registry_of(config: pytest.Config) -> Registry:
    """The run's contract registry, loaded on first use."""
    return run_of(config).registry


def checker_of(config: pytest.Config, contract: str, profile: str = "official") -> Checker:
    """The run's cached Checker for (contract, profile)."""
    return run_of(config).checker(contract, profile)


def pytest_configure(config: pytest.Config) -> None:
    """Resolve the settings once; a project that set none of them gets no check and no warning."""
    if config.getoption("help", False):
        return
    run = config.stash[RUN_KEY] = Run(resolve_settings(config))
    config.pluginmanager.register(FindingsReport(), "woowup_contract-findings")
    if not run.settings.active:
        return
    _check_contracts(run)
    if not hasattr(config, "workerinput"):  # xdist workers: the controller warned already
        for pattern, origin in run.settings.selection:
            if not pattern.matches_a_file():
                config.issue_config_time_warning(WoowupContractWarning(
                    f"woowup-contract: {origin}: {pattern.shown(str(config.rootpath))} matches no file"),
                    stacklevel=2)


def _check_contracts(run: Run) -> None:
    """Every contract the settings name exists, and every contract file loads."""
    from ..loader import ContractError

    settings = run.settings
    try:
        registry = run.registry
    except ContractError as exc:
        raise pytest.UsageError(f"woowup-contract: broken contract: {exc}") from None
    wanted = [(settings.contract, settings.origins.get("contract", "the default contract"))]
    wanted += [(c, settings.origins["payload_contracts"]) for _, c in settings.payload_contracts]
    for contract_id, origin in wanted:
        if contract_id not in registry:
            raise pytest.UsageError(f"woowup-contract: {origin}: unknown contract {contract_id!r}; "
                                    f"known: {', '.join(sorted(c.id for c in registry))}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What a run needs to be reproduced; nothing in a project that does not use the plugin."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or not (run.settings.active or run.settings.base_url):
        return []
    from .. import __version__

    settings, rootdir = run.settings, str(config.rootpath)
    contracts = run.registry.describe() if settings.active else "bundled"
    lines = [f"woowup-contract {__version__}: contracts {contracts}; contract {settings.contract}; "
             f"profile {settings.profile}"]
    if settings.payload_globs:
        lines.append("woowup-contract payloads: " + ", ".join(g.shown(rootdir) for g in settings.payload_globs))
    for pattern, contract in settings.payload_contracts:
        lines.append(f"woowup-contract payloads {pattern.shown(rootdir)}: contract {contract}")
    if settings.base_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.base_url)
        host = url.netloc.rpartition("@")[2]  # never credentials written into the URL
        lines.append(f"woowup-contract api: {url.scheme}://{host} (from {settings.origins['base_url']})")
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None:
        lines.append(f"hypothesis seed: {seed} (--hypothesis-seed)")
    return lines
