"""The pytest plugin: a connector's output files as test items, fixtures, reports CI reads.

Loaded (through the ``pytest11`` entry point) by every pytest run of every project that
installs the package, so it stays inert and cheap until a ``woowup_*`` setting asks for
it: no registry is loaded, nothing heavy is imported, and only files matching the
configured globs are ever collected.

This module is the plugin pytest registers; its hooks and fixtures live in the modules
named for their concern, and are gathered here (not registered one by one through
``pytest_plugins``: pytest would warn that it cannot rewrite the asserts of modules this
one has imported already):

- ``_settings``: options and ini keys, resolved once into ``Settings``;
- ``_run``: the run's state in ``config.stash`` (settings, registry, checkers), the header;
- ``_collect``: payload files as test items;
- ``_fixtures``, ``_mock``, ``_api``: the fixtures (``_mock`` also stops a leaked server);
- ``_findings`` (registered at configure time): failure text and the strict findings summary.

The endpoint checks (``woowup_contract.plugin_endpoints``) and the proxy fixture
(``woowup_contract.plugin_traffic``) extend it through ``settings_of`` / ``registry_of``.
"""

from __future__ import annotations

from ._api import make_session, woowup_api
from ._collect import PayloadFile, PayloadItem, pytest_collect_file, pytest_collection_finish
from ._findings import PayloadInvalid, describe_result
from ._fixtures import woowup_contracts, woowup_validate
from ._globs import PayloadGlob, glob_regex
from ._mock import pytest_sessionfinish, woowup_mock, woowup_mock_options, woowup_mock_server
from ._run import checker_of, pytest_configure, pytest_report_header, registry_of, settings_of
from ._settings import DEFAULT_CONTRACT, Settings, WoowupContractWarning, pytest_addoption, resolve_settings

pytest_plugins = ["woowup_contract.plugin_endpoints", "woowup_contract.plugin_traffic"]

__all__ = [
    # the public API
    "DEFAULT_CONTRACT",
    "PayloadFile",
    "PayloadGlob",
    "PayloadInvalid",
    "PayloadItem",
    "Settings",
    "WoowupContractWarning",
    "checker_of",
    "describe_result",
    "glob_regex",
    "make_session",
    "registry_of",
    "resolve_settings",
    "settings_of",
    # what pytest finds here: hooks, in the order they run, and fixtures
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
    "pytest_collect_file",
    "pytest_collection_finish",
    "pytest_sessionfinish",
    "woowup_api",
    "woowup_contracts",
    "woowup_mock",
    "woowup_mock_options",
    "woowup_mock_server",
    "woowup_validate",
]
