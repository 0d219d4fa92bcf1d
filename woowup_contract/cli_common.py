"""What every sub-command shares: its contracts, where its output goes, its argparse types.

The command line (``cli.py``) builds the parser and dispatches; the sub-commands
(``generate``, ``mock``, ``check``, ``proxy``, ``traffic``, ``contracts openapi``)
import their helpers from here, never from the command line, so imports flow one way.
Only argparse and the exit codes at import: ``validate`` starts fast.
"""

from __future__ import annotations

import argparse
import signal
import threading
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Callable, Iterator

from .exits import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from types import FrameType

    from .loader import Registry

__all__ = ["non_negative_int", "open_output", "positive_int", "registry_from", "stop_signals"]


def registry_from(args: argparse.Namespace) -> Registry:
    """The bundled contracts plus every ``--contracts-dir``, in order (later wins)."""
    from .loader import load_registry

    return load_registry(args.contracts_dir)


@contextmanager
def open_output(path: str | None, default: IO[str]) -> Iterator[IO[str]]:
    """``-o FILE`` or ``default`` (stdout): FILE is opened now (a UsageError when it cannot be) and closed
    after; ``default`` is left open."""
    if path is None:
        yield default
        return
    try:
        stream = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    with stream:
        yield stream


def _int_at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}: {text!r}")
        return value

    return parse


positive_int = _int_at_least(1)
non_negative_int = _int_at_least(0)


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, for a command that serves until it is stopped; the
    previous handlers are back afterwards. Installed before the command says it is ready, so a
    signal sent as soon as it says so stops it cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
