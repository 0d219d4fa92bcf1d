"""``woowup-contract check``: options to settings, the run, the report and the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, TYPE_CHECKING, cast

from ..cli_common import open_output, registry_from
from ..report import Progress, use_colour
from ..exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from ..urls import http_url
from ._model import TOOL, ConnectionProblem, Settings, missing_check_extra
from ._report import write_report
from ._runner import embedded_mock, run_checks
from ._safety import MaskedStream, Masker, default_rate, parse_rate_limit

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Registry

# -- command line ---------------------------------------------------------------------------


def settings_from_args(args: argparse.Namespace, *, base_url: str, api_key: str, live: bool) -> Settings:
    rate = parse_rate_limit(args.rate_limit) if args.rate_limit is not None else (default_rate(base_url) if live
                                                                                  else None)
    if args.timeout is not None and not 0 < args.timeout < float("inf"):

        raise UsageError(f"--timeout: must be more than 0 seconds, got {args.timeout:g}")
    return Settings(
        base_url=base_url, api_key=api_key, live=live, allow_writes=bool(args.allow_writes),
        apiv3_base_url=getattr(args, "apiv3_base_url", None),
        max_examples=args.max_examples or (10 if live else 25), seed=args.seed, rate_per_minute=rate,
        timeout=args.timeout,
    )


def run_cli(args: argparse.Namespace, out: IO[str]) -> int:
    """``woowup-contract check``: exit 0 all pass, 1 a check failed, 2 usage or connection error."""
    missing = missing_check_extra()
    if missing:
        raise UsageError(missing)
    key = args.api_key if args.api_key is not None else os.environ.get("WOOWUP_API_KEY")
    mask = Masker(key)
    err = MaskedStream(sys.stderr, mask)
    registry = registry_from(args)
    if getattr(args, "apiv3_base_url", None):
        http_url(args.apiv3_base_url, what="--apiv3-base-url")
    if args.base_url is not None:
        http_url(args.base_url, what="--base-url")
        if not key:
            raise UsageError("no API key: pass --api-key or set WOOWUP_API_KEY")
        settings = settings_from_args(args, base_url=args.base_url, api_key=key, live=True)
        if settings.rate_per_minute and settings.rate_per_minute > 140:
            err.write(f"{TOOL}: warning: --rate-limit {args.rate_limit} is above WoowUp's 140 requests/minute\n")
        return _run_and_report(registry, settings, args, out, err, settings.base_url)
    with embedded_mock(registry) as mock:
        settings = settings_from_args(args, base_url=mock.base_url, api_key=mock.api_key, live=False)
        # the mock's own key is masked as well: a habit worth keeping in every output
        return _run_and_report(registry, settings, args, out, err, f"{mock.base_url}")
    raise UsageError("unreachable")  # pragma: no cover


def _run_and_report(registry: Registry, settings: Settings, args: argparse.Namespace, out: IO[str],
                    err: MaskedStream, target: str) -> int:
    mask = Masker(settings.api_key, args.api_key)
    err.mask = mask
    progress = Progress(cast(IO[str], err), every=0.1)  # a text stream in all but name
    verbosity = getattr(args, "verbosity", 0)
    if verbosity < 0:
        progress.enabled = False
    # anything a library prints while the run goes on (warnings, say) is masked too
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskedStream(saved[0], mask), MaskedStream(saved[1], mask)
    try:
        report = run_checks(registry, settings, target=target, progress=progress)
    except ConnectionProblem as exc:
        progress.close()
        err.write(f"{TOOL}: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        progress.close()
        raise
    except Exception:  # a bug of ours: say so, with the key masked even in the traceback
        import traceback

        progress.close()
        err.write(f"{TOOL}: internal error while checking {target}:\n{traceback.format_exc()}")
        return EXIT_USAGE
    finally:
        sys.stdout, sys.stderr = saved
    progress.close()
    colour = args.output is None and use_colour(out, getattr(args, "no_color", False))
    with open_output(args.output, out) as stream:
        write_report(report, args.format, cast(IO[str], MaskedStream(stream, mask)), verbosity=verbosity,
                     colour=colour)
    return EXIT_FAILED if report.failed else EXIT_OK
