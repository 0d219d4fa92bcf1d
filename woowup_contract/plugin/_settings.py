"""Every plugin setting: its option and ini key with one help string, resolved once per run.

Options win over ini keys, ini keys over defaults (the API's URL and key fall back to
the environment instead, and have no ini key). An option's paths are relative to where
pytest was started, an ini key's to rootdir. A bad value is a usage error that names the
option, ini key or variable it came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from ..urls import is_http_url
from ._globs import PayloadGlob

DEFAULT_CONTRACT = "connectors.log-record"

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


class WoowupContractWarning(UserWarning):
    """A setting that is valid but probably not what was meant (a glob matching no file)."""


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

    @property
    def payloads_by_option(self) -> bool:
        """--woowup-payloads replaces every ini selection: a run narrowed on purpose."""
        return self.origins.get("payloads", "").startswith("option")

    @property
    def selection(self) -> tuple[tuple[PayloadGlob, str], ...]:
        """The globs that select payload files, each with where it came from.

        A 'GLOB = CONTRACT' line selects its files too (naming their contract says they are
        payloads), unless --woowup-payloads narrowed the run.
        """
        chosen = tuple((g, self.origins.get("payloads", "")) for g in self.payload_globs)
        if self.payloads_by_option:
            return chosen
        origin = self.origins.get("payload_contracts", "ini key woowup_payload_contracts")
        return chosen + tuple((g, origin) for g, _ in self.payload_contracts)


def resolve_settings(config: pytest.Config) -> Settings:
    """Options over ini keys over defaults; a bad value is a usage error naming its origin."""
    globs, globs_from = _payload_globs(config)
    contract, contract_from = _contract(config)
    mapping, mapping_from = _payload_contracts(config)
    strict, strict_from = _strict(config)
    dirs, dirs_from = _contracts_dirs(config)
    base_url, base_url_from = _option_or_env(config, "woowup_base_url", "WOOWUP_BASE_URL")
    if base_url is not None and not is_http_url(base_url):
        raise pytest.UsageError(f"woowup-contract: {base_url_from}: expected an http:// or https:// URL")
    api_key, api_key_from = _option_or_env(config, "woowup_api_key", "WOOWUP_API_KEY")
    origins = {name: origin for name, origin in (
        ("payloads", globs_from), ("contract", contract_from), ("payload_contracts", mapping_from),
        ("strict", strict_from), ("contracts_dirs", dirs_from), ("base_url", base_url_from),
        ("api_key", api_key_from)) if origin is not None}
    return Settings(globs, contract, mapping, strict, dirs, base_url, api_key, origins)


def _ini_origin(config: pytest.Config, name: str) -> str:
    overrides = config.getoption("override_ini", None) or []
    if any(o.startswith(name + "=") for o in overrides):
        return f"ini key {name} (-o/--override-ini)"
    if config.inipath is not None:
        return f"ini key {name} in {config.inipath.name}"
    return f"ini key {name}"


def _ini_lines(config: pytest.Config, name: str) -> list[str]:
    return [line.strip() for line in config.getini(name) if line.strip()]


def _option_name(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _option_or_ini_lines(config: pytest.Config, name: str) -> tuple[list[str], str, str | None]:
    """The repeated option's values, else the ini key's lines; the directory they are relative
    to (where pytest started, or rootdir) and where they came from (None: neither is set)."""
    values = config.getoption(name)
    if values:
        return values, str(config.invocation_params.dir), f"option {_option_name(name)}"
    lines = _ini_lines(config, name)
    if lines:
        return lines, str(config.rootpath), _ini_origin(config, name)
    return [], "", None


def _payload_globs(config: pytest.Config) -> tuple[tuple[PayloadGlob, ...], str | None]:
    values, base, origin = _option_or_ini_lines(config, "woowup_payloads")
    return tuple(PayloadGlob.parse(base, g) for g in values if g.strip()), origin


def _contract(config: pytest.Config) -> tuple[str, str | None]:
    value = config.getoption("woowup_contract")
    if value:
        return value.strip() or DEFAULT_CONTRACT, "option --woowup-contract"
    value = (config.getini("woowup_contract") or "").strip()
    if value:
        return value, _ini_origin(config, "woowup_contract")
    return DEFAULT_CONTRACT, None


def _payload_contracts(config: pytest.Config) -> tuple[tuple[tuple[PayloadGlob, str], ...], str | None]:
    origin = _ini_origin(config, "woowup_payload_contracts")
    mapping: list[tuple[PayloadGlob, str]] = []
    for line in _ini_lines(config, "woowup_payload_contracts"):
        pattern, sep, contract_id = line.rpartition("=")
        if not sep or not pattern.strip() or not contract_id.strip():
            raise pytest.UsageError(f"woowup-contract: {origin}: {line!r} is not 'GLOB = CONTRACT_ID'")
        mapping.append((PayloadGlob.parse(str(config.rootpath), pattern), contract_id.strip()))
    return tuple(mapping), (origin if mapping else None)


def _strict(config: pytest.Config) -> tuple[bool, str | None]:
    if config.getoption("woowup_strict"):
        return True, "option --woowup-strict"
    origin = _ini_origin(config, "woowup_strict")
    try:
        strict = bool(config.getini("woowup_strict"))
    except (ValueError, TypeError, pytest.UsageError) as exc:  # the type of error depends on pytest's version
        raise pytest.UsageError(f"woowup-contract: {origin}: {exc} (use true or false)") from None
    return strict, (origin if strict else None)


def _contracts_dirs(config: pytest.Config) -> tuple[tuple[str, ...], str | None]:
    values, base, origin = _option_or_ini_lines(config, "woowup_contracts_dir")
    dirs = tuple(os.path.normpath(os.path.join(base, os.path.expanduser(d))) for d in values)
    for d in dirs:
        if not os.path.isdir(d):
            raise pytest.UsageError(f"woowup-contract: {origin}: {d} is not a directory")
    return dirs, origin


def _option_or_env(config: pytest.Config, dest: str, variable: str) -> tuple[str | None, str]:
    """The option's value, else the environment variable's (None when neither is set), and
    where it came from."""
    value = config.getoption(dest)
    if value:
        return value, f"option {_option_name(dest)}"
    return os.environ.get(variable) or None, f"${variable}"

