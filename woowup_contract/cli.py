"""The ``woowup-contract`` command line: the parser, and the dispatch to each sub-command.

parse → settings → build → execute: command functions return an exit code,
and only ``main`` exits. Each sub-command lives in its own module and takes its
shared helpers from ``cli_common`` and ``exits``; nothing imports this module but
``__main__`` and the console script, so imports flow one way. Heavy modules (hypothesis, schemathesis, requests,
werkzeug) are imported inside the commands that need them, so ``validate``
starts fast.

Exit codes: 0 success, 1 a payload or check failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Callable, Mapping, Sequence

from . import __version__
from .cli_common import non_negative_int, open_output, positive_int, positive_seconds, registry_from
from .exits import EXIT_FAILED, EXIT_USAGE, UsageError
from .report import FORMATS

__all__ = ["build_parser", "hypothesis_home", "main"]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--contracts-dir", action="append", default=[], metavar="DIR",
        help="a directory of your own contracts (*.yaml) that extends or overrides the bundled ones; repeatable",
    )

    # how a report talks: for the commands that write one
    talk = argparse.ArgumentParser(add_help=False)
    loudness = talk.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", dest="verbosity", action="store_const", const=-1, default=0,
                          help="text report: errors only (no warnings, hints, summary or progress line)")
    loudness.add_argument("--verbose", "-v", dest="verbosity", action="store_const", const=1,
                          help="text report: also a line for each valid payload")
    talk.add_argument("--no-color", "--no-colour", dest="no_color", action="store_true",
                      help="no colour, even on a terminal (colour is never used off a terminal or with NO_COLOR set)")

    parser = argparse.ArgumentParser(
        prog="woowup-contract",
        description="Check what a WoowUp connector sends and receives against WoowUp's API contracts.",
        epilog="Exit codes: 0 success, 1 a payload or check failed, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # validate ---------------------------------------------------------------------
    p = sub.add_parser(
        "validate", parents=[common, talk], help="validate payload files, folders, JSONL or stdin",
        description="Validate payloads against a contract. Inputs: files, directories (recursive: *.json, *.jsonl, "
                    "*.ndjson in any case, without generate's *.expected.json labels), globs, or - for stdin. "
                    "JSONL/NDJSON holds one payload per line.",
        epilog="Exit codes: 0 all valid (warnings allowed unless --strict), 1 a payload is invalid or unparseable, "
               "2 usage error (unknown contract, no input matched, missing or unreadable path).",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="file, directory, glob, or - for stdin")
    p.add_argument("--contract", default="connectors.log-record", metavar="ID",
                   help="contract id to validate against (default: %(default)s; see 'contracts list')")
    p.add_argument("--strict", action="store_true",
                   help="strict profile: the strict rules' findings are errors, not warnings")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="report format: text, json, junit, github (workflow annotations) or sarif (SARIF 2.1.0, "
                        "for code scanning) (default: %(default)s)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--max-bytes", type=positive_int, default=None, metavar="N",
                   help="largest payload read, a .json file or one JSONL line (default: 10485760, 10 MiB)")
    p.add_argument("--jobs", "-j", type=non_negative_int, default=0, metavar="N",
                   help="worker processes (default 0: chosen from the input size; 1: no workers)")
    p.set_defaults(func=cmd_validate)

    # contracts --------------------------------------------------------------------
    p = sub.add_parser("contracts", help="list, show, lint or export the contracts")
    csub = p.add_subparsers(dest="contracts_command", metavar="ACTION")
    c = csub.add_parser("list", parents=[common], help="the known contracts")
    c.set_defaults(func=_lazy("woowup_contract.lint", "run_list"))
    c = csub.add_parser("show", parents=[common], help="one contract: source, schema, examples, drift, rules")
    c.add_argument("id", metavar="ID")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=_lazy("woowup_contract.lint", "run_show"))
    c = csub.add_parser("lint", parents=[common],
                        help="check every contract (format, examples against their pinned verdicts, provenance) "
                             "and print the documentation drift table")
    c.set_defaults(func=_lazy("woowup_contract.lint", "run_lint"))
    c = csub.add_parser("openapi", parents=[common], help="write an OpenAPI 3 document of the endpoints")
    c.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    c.add_argument("--format", choices=("json", "yaml"), default=None,
                   help="json or yaml (default: from the --output suffix, else json)")
    c.set_defaults(func=_lazy("woowup_contract.openapi", "run_cli"))
    p.set_defaults(func=lambda args, out, parser=p: _missing_action(parser))  # bind this p, not the last one

    # generate ---------------------------------------------------------------------
    p = sub.add_parser("generate", parents=[common], help="generate valid or labelled invalid payloads",
                       description="Generate payloads from a contract with Hypothesis. The same seed gives the "
                                   "same files. Invalid payloads get NAME.expected.json beside them.")
    p.add_argument("--contract", default="connectors.log-record", metavar="ID")
    p.add_argument("-n", "--count", type=positive_int, default=10, metavar="N", help="how many (default: 10)")
    p.add_argument("--invalid", action="store_true", help="generate invalid payloads, labelled")
    p.add_argument("--profile", choices=("official", "strict"), default="official")
    p.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    p.add_argument("--out", default="-", metavar="DIR|-",
                   help="directory to write one file per payload, or - for JSONL on stdout (default)")
    p.set_defaults(func=_lazy("woowup_contract.generate", "run_cli"))

    # mock -------------------------------------------------------------------------
    p = sub.add_parser("mock", parents=[common], help="run the stateful mock of the WoowUp endpoints",
                       description="A stateful fake of POST /v1/log, GET /v1/logs and GET /apiv3/stats.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=non_negative_int, default=8080, help="port (default: %(default)s; 0 picks one)")
    p.add_argument("--db", metavar="FILE", help="SQLite file to keep records across restarts (default: in memory)")
    p.add_argument("--api-key", action="append", default=[], metavar="KEY",
                   help="an accepted API key, repeatable (default: one generated and printed at start)")
    p.add_argument("--envelope", action="store_true", help="answer /apiv3/stats inside the API v3 envelope")
    p.add_argument("--rate-limit", metavar="N/min", help="e.g. 140/min: answer 429 with Retry-After beyond it")
    p.add_argument("--fault", action="append", default=[], metavar="STATUS:P",
                   help="inject STATUS with probability P, e.g. 503:0.05; repeatable")
    p.add_argument("--latency", metavar="DURATION", help="added latency per request, e.g. 200ms")
    p.add_argument("--max-body", type=positive_int, default=1024 * 1024, metavar="BYTES",
                   help="largest accepted request body (default: 1 MiB)")
    p.add_argument("--seed", type=int, default=None, help="seed for random faults")
    p.add_argument("--replay", action="append", default=[], metavar="FILE.har",
                   help="serve the answers recorded in FILE.har to requests with the same method, path and query "
                        "(any order); everything else goes to the stateful mock; repeatable")
    p.add_argument("--admin-token", metavar="TOKEN", default=os.environ.get("WOOWUP_MOCK_ADMIN_TOKEN") or None,
                   help="the /_mock/* paths then need X-Mock-Admin-Token: TOKEN "
                        "(default: $WOOWUP_MOCK_ADMIN_TOKEN; never printed)")
    p.add_argument("--threads", type=positive_int, default=32, metavar="N",
                   help="worker threads, requests served at once (default: %(default)s)")
    p.add_argument("--head-timeout", type=positive_seconds, default=5.0, metavar="SECONDS",
                   help="time for a whole request head from its first byte, then 408 (default: %(default)s)")
    p.add_argument("--idle-timeout", type=positive_seconds, default=10.0, metavar="SECONDS",
                   help="silence before a body read or an idle connection is cut (default: %(default)s)")
    p.add_argument("--journal-bytes", type=positive_int, default=32 * 1024 * 1024, metavar="BYTES",
                   help="the journal's budget; the oldest entries go first (default: 32 MiB)")
    p.set_defaults(func=_lazy("woowup_contract.mock.server", "run_cli"))

    # check ------------------------------------------------------------------------
    p = sub.add_parser("check", parents=[common, talk], help="check endpoints (the embedded mock, or a live URL)",
                       description="Property-based checks of the endpoints against the contracts, with "
                                   "schemathesis. Without --base-url the embedded mock is started and checked.",
                       epilog="Exit codes: 0 all checks pass, 1 a check failed, 2 usage or connection error.")
    p.add_argument("--base-url", metavar="URL", help="the API to check (default: the embedded mock)")
    p.add_argument("--apiv3-base-url", metavar="URL", default=None,
                   help="where /apiv3/* lives when it is another host (live WoowUp: https://api.woowup.com; "
                        "default: --base-url)")
    p.add_argument("--api-key", metavar="KEY", default=None,
                   help="API key (default: $WOOWUP_API_KEY); never printed")
    p.add_argument("--allow-writes", action="store_true",
                   help="against --base-url, also run POST operations (records are tagged with the run id)")
    p.add_argument("--max-examples", type=positive_int, default=None, metavar="N",
                   help="generated requests per operation and mode, positive and negative "
                        "(default: 25 against the mock, 10 against a live URL)")
    p.add_argument("--seed", type=int, default=None,
                   help="Hypothesis seed (default: random; the report shows it, so a run can be repeated)")
    p.add_argument("--rate-limit", metavar="N/UNIT", default=None,
                   help="request budget with its unit, such as 140/min or 5/s; none for no limit (default: 60/min "
                        "against a remote URL, none against the mock or a URL on 127.0.0.1, localhost or [::1])")
    p.add_argument("--timeout", type=float, default=10.0, help="request timeout in seconds (default: %(default)s)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="report format: text, json, junit, github or sarif (default: %(default)s)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.set_defaults(func=_lazy("woowup_contract.endpoints", "run_cli"))

    from .traffic.cli import add_parsers  # proxy, traffic: their options live with them

    add_parsers(sub, common, positive_int, non_negative_int)
    return parser


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace, IO[str]], int]:
    def run(args: argparse.Namespace, out: IO[str]) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), name)(args, out))

    return run


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


# -- validate --------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, out: IO[str]) -> int:
    from .batch import validate_paths
    from .report import use_colour

    if not args.inputs:
        raise UsageError("no input given: name files, directories, globs, or - for stdin")
    registry = registry_from(args)
    contract = registry.get(args.contract)  # an unknown contract is said before -o FILE is created
    with open_output(args.output, out) as stream:
        return validate_paths(
            registry, args.inputs, contract=contract.id, strict=args.strict, fmt=args.format,
            stream=stream, max_bytes=args.max_bytes, jobs=args.jobs, verbosity=args.verbosity,
            colour=stream is out and use_colour(out, args.no_color),
        )


# -- entry point -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every line it prints, usage errors included, goes through the masking."""
    from .masking import MaskedStream, Masker, secrets_in_argv

    if argv is None:  # the program, in a process of its own (not a caller's, whose Hypothesis it would move)
        where = hypothesis_home(os.environ)
        if where is not None:
            os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = where
    argv = list(sys.argv[1:] if argv is None else argv)
    mask = Masker(*secrets_in_argv(argv, os.environ))
    saved = sys.stdout, sys.stderr
    sys.stderr = MaskedStream(sys.stderr, mask)
    if mask.forms:  # a key is in play: stdout too (else reports go out untouched, at full speed)
        sys.stdout = MaskedStream(sys.stdout, mask)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def hypothesis_home(environ: Mapping[str, str]) -> str | None:
    """Where the program's Hypothesis keeps its caches (the Unicode tables ``check`` needs, a second
    or more of CPU to build): the user's cache directory, shared by every run wherever it starts,
    and not the ``.hypothesis`` folder Hypothesis would leave in the working directory, a
    connector's repository. None when ``HYPOTHESIS_STORAGE_DIRECTORY`` already says where, or when
    there is no home to find one in (Hypothesis' own default then stands)."""
    if environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return None
    try:
        if sys.platform == "win32":
            base = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:  # the XDG base directories: a relative XDG_CACHE_HOME is to be ignored
            xdg = environ.get("XDG_CACHE_HOME", "")
            base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return str(base / "woowup-contract" / "hypothesis")


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from .loader import ContractError, UnknownContract

    out = sys.stdout
    if hasattr(out, "reconfigure"):
        # a console that cannot encode a branch name (cp1252, ascii) gets an escape, not a traceback
        out.reconfigure(errors="backslashreplace")
    try:
        return args.func(args, out)
    except UsageError as exc:
        _error(str(exc))
    except UnknownContract as exc:
        _error(str(exc))
    except ContractError as exc:
        _error(f"broken contract: {exc}")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (| head): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return EXIT_FAILED
    return EXIT_USAGE


def _error(message: str) -> None:
    sys.stderr.write(f"woowup-contract: error: {message}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
