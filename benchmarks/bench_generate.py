"""Valid log records per second: woowup_contract.strategies vs schemathesis' own generator.

Both generators get the same schema (the published log-record schema; for
schemathesis wrapped as the JSON request body of ``POST /v1/log`` in an
OpenAPI 3 document, positive mode) and the same harness: a Hypothesis
``@given`` run with a fixed seed, the generate phase only, no database, no
deadline, timed in process CPU seconds. Each drawn document is then checked with ``jsonschema.Draft7Validator``
outside the timed section; only valid ones count. The rounds alternate so a
busy machine slows both sides alike.

Run: ``python benchmarks/bench_generate.py [--examples N] [--rounds R]``.
A harness imports ``run(examples=..., rounds=...)``, which returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "tests" / "fixtures" / "published" / "log-record.schema.json"


def _published_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _collect(strategy: Any, examples: int, seed: int, pick: Callable[[Any], Any]) -> tuple[list[Any], float]:
    """Run ``strategy`` through the same Hypothesis harness; return the documents and the seconds taken."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fix_seed

    out: list[Any] = []

    @fix_seed(seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value: Any) -> None:
        out.append(pick(value))

    start = time.process_time()  # CPU time: a busy shared machine slows the wall clock, not this
    draw()
    return out, time.process_time() - start


def ours_strategy() -> Any:
    from woowup_contract.strategies import payloads

    return payloads("connectors.log-record", profile="official")


def schemathesis_strategy(schema: dict[str, Any]) -> Any:
    import schemathesis
    from schemathesis import GenerationMode

    body = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "definitions")}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "WoowUp connectors", "version": "1"},
        "paths": {"/v1/log": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "stored"}},
        }}},
    }
    operation = schemathesis.openapi.from_dict(document)["/v1/log"]["POST"]
    return operation.as_strategy(generation_mode=GenerationMode.POSITIVE)


def run(examples: int = 500, rounds: int = 3, seed: int = 1) -> dict[str, Any]:
    """Generate ``examples`` documents per side per round; the figures as a dict (rates are medians)."""
    import jsonschema
    import schemathesis

    from woowup_contract import __version__

    schema = _published_schema()
    validator = jsonschema.Draft7Validator(schema)
    sides = {
        "woowup_contract": (ours_strategy(), lambda doc: doc),
        "schemathesis": (schemathesis_strategy(schema), lambda case: case.body),
    }
    rates: dict[str, list[float]] = {name: [] for name in sides}
    counts: dict[str, list[tuple[int, int]]] = {name: [] for name in sides}
    sizes: dict[str, list[int]] = {name: [] for name in sides}
    for strategy, pick in sides.values():  # warm-up: schema compilation, caches
        _collect(strategy, 20, seed, pick)
    for r in range(rounds):
        for name, (strategy, pick) in sides.items():
            documents, seconds = _collect(strategy, examples, seed + r, pick)
            valid = sum(1 for d in documents if validator.is_valid(d))
            rates[name].append(valid / seconds)
            counts[name].append((len(documents), valid))
            sizes[name].extend(len(json.dumps(d)) for d in documents)
    ours = statistics.median(rates["woowup_contract"])
    theirs = statistics.median(rates["schemathesis"])
    return {
        "examples_per_round": examples,
        "rounds": rounds,
        "woowup_contract_version": __version__,
        "schemathesis_version": schemathesis.__version__,
        "woowup_contract_per_second": round(ours, 1),
        "schemathesis_per_second": round(theirs, 1),
        "ratio": round(ours / theirs, 1),
        "rates": {k: [round(v, 1) for v in vs] for k, vs in rates.items()},
        "drawn_and_valid": counts,
        # how much each side makes per record: a generator of smaller records would look faster
        "mean_json_bytes": {k: round(statistics.mean(v)) for k, v in sizes.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="documents per side per round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.examples, args.rounds, args.seed)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"valid log records per second ({args.examples} per side per round, {args.rounds} rounds, median)")
    print(f"  woowup_contract.strategies.payloads : {figures['woowup_contract_per_second']:>9.1f}")
    print(f"  schemathesis {figures['schemathesis_version']} (positive mode)  : "
          f"{figures['schemathesis_per_second']:>9.1f}")
    print(f"  ratio                               : {figures['ratio']:>9.1f}x")
    size = figures["mean_json_bytes"]
    print(f"  mean record size (JSON bytes)       : {size['woowup_contract']} vs {size['schemathesis']}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
