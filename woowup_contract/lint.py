"""``contracts lint`` and ``contracts show``: the contracts checked, and shown to people."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import IO, Any, Iterable

from .checker import Checker
from .cli_common import registry_from
from .engine import schema_notes
from .loader import (
    ContractError,
    Registry,
    check_file,
    contract_dirs,
    contract_files,
    line_for,
    load_registry,
    read_yaml,
)
from .exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .model import Contract, Endpoint, Example, Parameter


def example_problems(registry: Registry, contract: Contract, example: Example) -> list[str]:
    """How a documented example departs from its pinned verdict and violations (empty: it holds)."""
    result = Checker(registry, contract.id).check_text(example.raw, example.name)
    errors = result.errors
    if any(v.rule == "parse" for v in errors):
        verdict = "unparseable"
    else:
        verdict = "valid" if result.valid else "invalid"
    problems = []
    if verdict != example.verdict:
        problems.append(f"pinned {example.verdict}, but it is {verdict}")
    got = {(v.pointer, v.rule): v for v in errors}
    want = {(v.pointer, v.rule): v for v in example.violations}
    for key in sorted(set(want) - set(got)):
        problems.append(f"pinned violation {key[0] or '(root)'} [{key[1]}] does not occur")
    for key in sorted(set(got) - set(want)):
        problems.append(f"violation {key[0] or '(root)'} [{key[1]}] is not pinned")
    for key in sorted(set(got) & set(want)):
        pinned = want[key]
        if pinned.line is not None and (pinned.line, pinned.column) != (got[key].line, got[key].column):
            problems.append(f"{key[0] or '(root)'} [{key[1]}] pinned at {pinned.line}:{pinned.column}, "
                            f"found at {got[key].line}:{got[key].column}")
    return problems


def lint(extra_dirs: Iterable[str], out: IO[str]) -> int:
    extra_dirs = list(extra_dirs)
    broken: list[ContractError] = []
    for directory, _ in contract_dirs(extra_dirs):
        for file in contract_files(directory):
            errors, _ = check_file(file)
            broken.extend(errors)
    if broken:
        for err in broken:
            out.write(f"{err}\n")
        out.write(f"{len(broken)} problem(s) in contract files\n")
        return EXIT_USAGE
    registry = load_registry(extra_dirs)
    for contract in registry:
        write_schema_notes(contract, out)
    failures = 0
    examples = 0
    for contract in registry:
        for example in contract.examples:
            examples += 1
            problems = example_problems(registry, contract, example)
            status = "ok" if not problems else "FAIL"
            out.write(f"{status:<4}  {contract.id} example {example.name}: pinned {example.verdict}"
                      f"{'' if not example.violations else f' with {len(example.violations)} violation(s)'}"
                      f" ({example.provenance})\n")
            for p in problems:
                out.write(f"      {p}\n")
            failures += bool(problems)
    out.write("\nDocumentation drift pinned by the contracts:\n\n")
    write_drift_table(registry, out)
    out.write(f"\n{len(registry.contracts)} contracts, {examples} documented examples, "
              f"{failures} not as pinned\n")
    return EXIT_OK if failures == 0 else EXIT_FAILED


def write_schema_notes(contract: Contract, out: IO[str]) -> None:
    """Warnings about a contract's schema that do not stop it from loading (unknown keywords, ...)."""
    if contract.schema is None:
        return
    notes = schema_notes(contract.schema.document)
    if not notes:
        return
    _, lines = read_yaml(contract.path, Path(contract.path).read_text(encoding="utf-8"))
    for pointer, note in notes:
        line = lines.get("/schema/document" + pointer + "#key") or line_for(lines, "/schema/document" + pointer)
        kind = "note" if " is not asserted " in note else "warning"
        out.write(f"{kind}: {contract.path}{f':{line}' if line else ''}: schema {pointer or '/'}: {note}\n")


def drift_rows(registry: Registry) -> list[tuple[str, ...]]:
    return [(c.id, d.field, d.where, d.documented, d.official, d.resolution)
            for c in registry for d in c.drift]


def write_drift_table(registry: Registry, out: IO[str]) -> None:
    header = ("contract", "field", "where", "the page says", "the schema says", "resolution")
    rows = drift_rows(registry)
    out.write("| " + " | ".join(header) + " |\n")
    out.write("|" + "|".join(" --- " for _ in header) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n")


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def show_contract(registry: Registry, contract: Contract, fmt: str, out: IO[str]) -> int:
    """``contracts show``: the whole contract as JSON, or its parts as lines a person reads."""
    if fmt == "json":
        out.write(json.dumps(_jsonable(contract), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    w = out.write
    w(f"{contract.id} — {contract.title}\n")
    w(f"  kind: {contract.kind}; file: {contract.path}\n")
    w(f"  source: {contract.source.doc}, \"{contract.source.section}\" ({contract.source.url})\n")
    if contract.schema is not None:
        w(f"  schema: {contract.schema.dialect}, {contract.schema.provenance}\n")
    if contract.endpoint is not None:
        _show_endpoint(contract.id, contract.endpoint, out)
    for ex in contract.examples:
        w(f"  example {ex.name} ({ex.provenance}): pinned {ex.verdict}\n")
        for v in ex.violations:
            w(f"    {v.pointer or '(root)'} [{v.rule}]\n")
    for d in contract.drift:
        w(f"  drift {d.id}: {d.field}: the page says {d.documented}; {d.official} → {d.resolution}\n")
    for rule in contract.strict:
        w(f"  strict {rule.id} ({rule.kind}, {rule.severity}, {rule.provenance}): {rule.message}\n")
    for h in contract.hints:
        cond = ", ".join(f"{k}={v!r}" for k, v in (("rule", h.rule), ("pointer", h.pointer),
                                                    ("sibling", h.sibling), ("value", h.value_matches)) if v)
        w(f"  hint when {cond}: {h.say}\n")
    return EXIT_OK


def _show_endpoint(contract_id: str, e: Endpoint, out: IO[str]) -> None:
    w = out.write
    w(f"  endpoint: {e.method} {e.host}{e.path} ({e.provenance})\n")
    if e.auth is not None:
        w(f"  auth: {e.auth.header}: {' or '.join(e.auth.schemes)} ({e.auth.provenance})\n")
    for p in e.parameters:
        limits = _parameter_limits(p)
        w(f"    {p.location} {p.name}: {p.type}{' (' + '; '.join(limits) + ')' if limits else ''}"
          f" [{p.provenance}]\n")
    w(f"  request body: {json.dumps(e.request_body) if e.request_body is not None else 'none'}\n")
    for r in e.responses:
        env = f", envelope {'required' if r.envelope.required else 'optional'}" if r.envelope else ""
        w(f"    {r.status}: {r.description} [{r.provenance}{env}]\n")
    w(f"  validate --contract {contract_id} checks: "
      f"{'the request body' if e.payload == 'request' else 'the ' + e.payload + ' response body'}\n")


def _parameter_limits(p: Parameter) -> list[str]:
    """A parameter's default, bounds, values and format, as ``contracts show`` lists them."""
    limits = [f"default {p.default}"] if p.default is not None else []
    if p.minimum is not None:
        limits.append(f"min {p.minimum}")
    if p.maximum is not None:
        limits.append(f"max {p.maximum}")
    if p.enum:
        limits.append("one of " + ", ".join(p.enum))
    if p.format:
        limits.append(p.format)
    return limits


# -- the command line: contracts list | show | lint ------------------------------------------


def run_list(args: argparse.Namespace, out: IO[str]) -> int:
    """``contracts list``: one line per known contract, with its file when it is not bundled."""
    registry = registry_from(args)
    width = max(len(c.id) for c in registry)
    for c in registry:
        where = "" if c.bundled else f"  [{c.path}]"
        out.write(f"{c.id.ljust(width)}  {c.kind:<8}  {c.title}{where}\n")
    return EXIT_OK


def run_show(args: argparse.Namespace, out: IO[str]) -> int:
    """``contracts show ID [--format text|json]``."""
    registry = registry_from(args)
    return show_contract(registry, registry.get(args.id), args.format, out)


def run_lint(args: argparse.Namespace, out: IO[str]) -> int:
    """``contracts lint``."""
    return lint(args.contracts_dir, out)
