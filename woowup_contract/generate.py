"""``woowup-contract generate``: payload fixtures from the strategies, for connectors in any language.

The same seed gives the same files (with the same versions of this package
and of Hypothesis): the strategies are driven by a seeded Hypothesis run in
its generate phase only, with no example database, so nothing from earlier
runs or from the user's Hypothesis profile leaks in.

Output: one file per payload in a directory (``payload-0001.json``, ...; an
invalid payload gets ``payload-0001.expected.json`` beside it with the
violations the validator will report; an earlier run's payload-*.json files in
that directory are removed first, nothing else is), or JSONL on stdout with ``--out -``
(valid: one payload per line, ready for ``validate -``; invalid: one
``{"name", "mutation", "violations", "payload"}`` object per line).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from typing import IO, Any

from .cli_common import registry_from
from .exits import EXIT_OK, UsageError

_MAX_ROUNDS = 50


def collect(strategy: Any, count: int, seed: int) -> list[Any]:
    """``count`` values of ``strategy``, always the same ones for the same seed."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as fix_seed

    values: list[Any] = []
    for round_ in range(_MAX_ROUNDS):
        batch: list[Any] = []
        wanted = count - len(values)

        @fix_seed(seed * 1_000_003 + round_)
        @settings(parent=settings.get_profile("default"), max_examples=wanted, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                  derandomize=False, print_blob=False, report_multiple_bugs=False)
        @given(strategy)
        def draw(value: Any) -> None:
            batch.append(value)  # noqa: B023 -- called right below, in this iteration

        draw()
        values.extend(batch[:wanted])
        if len(values) >= count or not batch:
            break  # a contract with fewer distinct payloads than asked for gives what it has
    return values


def _escape_separators(text: str) -> str:
    # U+2028/2029 are valid inside JSON strings but split lines in some readers
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _expected(contract: str, profile: str, name: str, bad: Any) -> dict[str, Any]:
    return {
        "contract": contract,
        "profile": profile,
        "payload": name,
        "valid": False,
        "mutation": {"pointer": bad.mutation.pointer, "rule": bad.mutation.rule,
                     "description": bad.mutation.description},
        "violations": [{"pointer": v.pointer, "rule": v.rule, "severity": "error"} for v in bad.violations],
    }


def _prepare_directory(path: str) -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"cannot write to {path}: it exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to {path}: {exc.strerror or exc}") from None
    if not os.path.isdir(path):
        raise UsageError(f"cannot write to {path}: not a directory")


# what generate writes, and so all it ever removes: payload-0001.json, payload-0001.expected.json, ...
_OWN_OUTPUT = re.compile(r"payload-\d{4,}(?:\.expected)?\.json")


def _clear_own_outputs(path: str) -> None:
    """Remove an earlier run's payloads (and labels), so a smaller or valid run leaves none behind;
    every other file in the folder is left alone."""
    try:
        names = os.listdir(path)
    except OSError as exc:
        raise UsageError(f"cannot list {path}: {exc.strerror or exc}") from None
    for name in names:
        full = os.path.join(path, name)
        if _OWN_OUTPUT.fullmatch(name) and os.path.isfile(full) and not os.path.islink(full):
            try:
                os.remove(full)
            except OSError as exc:
                raise UsageError(f"cannot remove the earlier output {full}: {exc.strerror or exc}") from None


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def run_cli(args: argparse.Namespace, out: IO[str]) -> int:
    from .strategies import StrategyError, invalid_payloads, payloads

    registry = registry_from(args)
    registry.get(args.contract)  # an unknown id is a usage error before anything is generated
    to_stdout = args.out == "-"
    if not to_stdout:
        _prepare_directory(args.out)
    if args.invalid:
        strategy = invalid_payloads(args.contract, profile=args.profile, registry=registry)
    else:
        strategy = payloads(args.contract, profile=args.profile, registry=registry)
    try:
        values = collect(strategy, args.count, args.seed)
    except StrategyError as exc:
        raise UsageError(str(exc)) from None
    width = max(4, len(str(len(values))))
    names = [f"payload-{i:0{width}d}" for i in range(1, len(values) + 1)]

    if to_stdout:
        for name, value in zip(names, values):
            if args.invalid:
                head = _expected(args.contract, args.profile, name, value)
                line = (f'{{"name": {json.dumps(name)}, "mutation": {json.dumps(head["mutation"])}, '
                        f'"violations": {json.dumps(head["violations"])}, '
                        f'"payload": {value.to_json(ensure_ascii=True)}}}')
            else:
                line = json.dumps(value, ensure_ascii=True)
            out.write(line + "\n")
        return EXIT_OK

    _clear_own_outputs(args.out)
    for name, value in zip(names, values):
        path = os.path.join(args.out, name + ".json")
        if args.invalid:
            _write(path, _escape_separators(value.to_json(indent=2)) + "\n")
            expected = _expected(args.contract, args.profile, name + ".json", value)
            _write(os.path.join(args.out, name + ".expected.json"),
                   json.dumps(expected, ensure_ascii=False, indent=2) + "\n")
        else:
            _write(path, _escape_separators(json.dumps(value, ensure_ascii=False, indent=2)) + "\n")
    kind = "invalid" if args.invalid else "valid"
    out.write(f"wrote {len(values)} {kind} {args.contract} payloads ({args.profile} profile, seed {args.seed}) "
              f"to {args.out}\n")
    return EXIT_OK
