"""``woowup-contract proxy`` and ``woowup-contract traffic``: their options and what they run.

Only argparse at import: the command line stays quick to start whatever is installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, TYPE_CHECKING, Any, Callable

from ..exits import EXIT_FAILED, EXIT_OK, UsageError
from ..report import FORMATS

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry
    from .proxy import ProxyServer

SWITCH_INTERVAL = 0.0005  # seconds; the default 0.005 is a forward's whole budget


def add_parsers(sub: Any, common: argparse.ArgumentParser, positive_int: Callable[[str], int],
                port: Callable[[str], int]) -> None:
    """The ``proxy`` and ``traffic`` subcommands, on the main parser's subparsers."""
    p = sub.add_parser(
        "proxy", parents=[common], help="a validating proxy: forward to WoowUp (or the mock), judge every exchange",
        description="Point a connector's base URL at the proxy: every request is forwarded to --upstream with the "
                    "connector's own Authorization, the answer comes back unchanged, and both sides are judged "
                    "against the endpoint contracts. The first line on stdout is the proxy's URL; a line on "
                    "stderr for each violating exchange; on SIGINT or SIGTERM the report is written.",
        epilog="Exit codes: 0 no exchange violated a contract, 1 one did, 2 usage error or the upstream is "
               "unreachable at start.")
    p.add_argument("--upstream", required=True, metavar="URL",
                   help="where requests go: https://connectors.woowup.com, or a mock's URL")
    p.add_argument("--apiv3-upstream", metavar="URL", default=None,
                   help="where /apiv3/* goes when it is another host (live WoowUp: https://api.woowup.com; "
                        "default: --upstream)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=port, default=8081, help="port (default: %(default)s; 0 picks one)")
    p.add_argument("--format", choices=FORMATS, default="text", help="report format (default: %(default)s)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--record", metavar="FILE.har", help="write every exchange to a HAR 1.2 file (key redacted)")
    p.add_argument("--errors", action="store_true",
                   help="answer an invalid request with a 400 (the mock's envelope) and never forward it: "
                        "the safe mode against a live account")
    p.add_argument("--max-body", type=positive_int, default=10 * 1024 * 1024, metavar="BYTES",
                   help="largest request or response body passed through (default: 10485760, 10 MiB)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for the upstream per request (default: %(default)s)")
    p.set_defaults(func=run_proxy)

    p = sub.add_parser(
        "traffic", parents=[common], help="judge the exchanges recorded in HAR files",
        description="Judge every recorded exchange with the WoowUp endpoints, both sides, the way the proxy "
                    "does. Reads HAR 1.2 from the proxy (--record), browser devtools, mitmproxy or Charles. "
                    "Exchanges with other hosts are counted and skipped.",
        epilog="Exit codes: 0 no exchange violated a contract, 1 one did (or an entry cannot be read), "
               "2 usage error (a file that is missing or not HAR).")
    p.add_argument("files", nargs="+", metavar="FILE.har")
    p.add_argument("--api-host", action="append", default=[], metavar="HOST",
                   help="another host to judge, such as the mock's 127.0.0.1:8080 (default: the contracts' hosts, "
                        "connectors.woowup.com and api.woowup.com, and every entry the proxy recorded); repeatable")
    p.add_argument("--format", choices=FORMATS, default="text", help="report format (default: %(default)s)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.set_defaults(func=run_traffic)


def run_proxy(args: argparse.Namespace, out: IO[str]) -> int:
    """Serve until SIGINT or SIGTERM, then write the report (and the HAR)."""
    from ..cli_common import open_output, registry_from, stop_signals
    from ..urls import http_url

    upstream = http_url(args.upstream, what="--upstream")
    apiv3 = http_url(args.apiv3_upstream, what="--apiv3-upstream") if args.apiv3_upstream is not None else None
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be above 0, got {args.timeout:g}")
    registry = registry_from(args)
    _check_upstreams([upstream, apiv3], args.timeout)
    with open_output(args.output, out) as stream:
        if args.record:
            with open_output(args.record, out):
                pass  # an unwritable --record is said now, not at the end
        proxy = _start_proxy(registry, args, upstream, apiv3)
        with stop_signals() as stop:
            try:
                _announce(out, proxy.base_url, upstream, apiv3, errors=args.errors)
                while not stop.wait(0.2):
                    pass
            finally:
                proxy.stop()
        proxy.write_report(args.format, stream)
    if args.record:
        proxy.write_har(args.record)
    return EXIT_FAILED if proxy.verdicts.failed else EXIT_OK


def _check_upstreams(urls: list[str | None], timeout: float) -> None:
    """Each upstream answers before the proxy says it is listening: a wrong URL is a usage error now."""
    from ..endpoints import ConnectionProblem
    from .proxy import check_upstream

    for url in dict.fromkeys(u for u in urls if u):
        try:
            check_upstream(url, timeout)
        except ConnectionProblem as exc:
            raise UsageError(f"the upstream is unreachable: {exc}") from None


def _start_proxy(registry: Registry, args: argparse.Namespace, upstream: str, apiv3: str | None) -> ProxyServer:
    from ..mock.server import log_line
    from .proxy import ProxyServer

    err = sys.stderr
    proxy = ProxyServer(registry, upstream=upstream, apiv3_upstream=apiv3, host=args.host, port=args.port,
                        errors=args.errors, max_body=args.max_body, timeout=args.timeout,
                        log=lambda line: log_line(err, line))
    try:
        proxy.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    # the process is ours: hand the interpreter over often, so judging never holds a forward back long
    sys.setswitchinterval(SWITCH_INTERVAL)
    return proxy


def _announce(out: IO[str], base_url: str, upstream: str, apiv3: str | None, *, errors: bool) -> None:
    where = f"{upstream}" + (f", /apiv3/* to {apiv3}" if apiv3 else "")
    out.write(f"woowup-contract proxy: listening on {base_url}\n"
              f"  forwarding to {where}{' (invalid requests answered 400, not forwarded)' if errors else ''}\n"
              "  stop with Ctrl-C or SIGTERM: the report follows; one line per violating exchange on stderr\n")
    out.flush()


def run_traffic(args: argparse.Namespace, out: IO[str]) -> int:
    """Every entry of every file judged (or counted as another host's)."""
    from ..cli_common import open_output, registry_from
    from ..endpoints import MaskedStream
    from ..model import Violation
    from .har import read_har
    from .judge import TrafficJudge, TrafficResult, Verdicts
    from .proxy import KeyMask

    registry = registry_from(args)
    files = [(path, read_har(path)) for path in args.files]  # every file read before any verdict: a bad one is 2
    judge = TrafficJudge(registry)
    hosts = judge.hosts() | {h.lower() for h in args.api_host} | {h.lower().partition(":")[0] for h in args.api_host}
    verdicts = Verdicts()
    mask = KeyMask()  # a devtools HAR keeps the key in its headers: whatever it is, it is not printed
    for path, entries in files:
        name = os.path.basename(path) if len(files) == 1 else path
        for entry in entries:
            if entry.exchange is None:
                violation = Violation("", "har", "error", f"entry {entry.index} cannot be judged: {entry.problem}")
                verdicts.add([TrafficResult(source=f"{name}#{entry.index + 1} entry", violations=(violation,),
                                            exchange=entry.index + 1, side="request", path=name)])
                continue
            exchange = entry.exchange
            mask.learn(exchange.header("Authorization"))
            netloc = exchange.url.split("//", 1)[-1].split("/", 1)[0].rpartition("@")[2].lower()
            if not (entry.from_proxy or entry.host in hosts or netloc in hosts):
                verdicts.skipped += 1
                continue
            exchange.origin = name
            verdicts.add(judge.judge(exchange))
    with open_output(args.output, out) as stream:
        verdicts.write(args.format, MaskedStream(stream, mask))  # type: ignore[arg-type]
    return EXIT_FAILED if verdicts.failed else EXIT_OK
