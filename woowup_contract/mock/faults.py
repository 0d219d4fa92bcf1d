"""What the mock does wrong on purpose: injected statuses, latency, a rate limit.

Parsed from the CLI's ``--fault 503:0.05``, ``--latency 200ms`` and
``--rate-limit 140/min`` (or the same values from Python and the admin path),
so every surface says a fault the same way.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..rates import RATE_SPELLING, RateLimit, parse_rate_limit

# how long an injected 429 or 503 asks the client to wait
DEFAULT_RETRY_AFTER = 1
RETRY_AFTER_STATUSES = frozenset({429, 503})

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\s*$")


@dataclass(frozen=True)
class Fault:
    """Answer ``status`` to a share ``probability`` of requests, before they are processed."""

    status: int
    probability: float

    def __str__(self) -> str:
        return f"{self.status}:{self.probability:g}"


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...] = ()
    latency: float = 0.0
    rate_limit: RateLimit | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"faults": [str(f) for f in self.faults], "latency": format_latency(self.latency),
                "rate_limit": str(self.rate_limit) if self.rate_limit else None}


def check_status(status: int) -> int:
    if not 400 <= status <= 599:
        raise ValueError(f"a fault status must be from 400 to 599, not {status}")
    return status


def parse_fault(value: Any) -> Fault:
    """``"503:0.05"``, ``(503, 0.05)`` or a Fault."""
    if isinstance(value, Fault):
        return Fault(check_status(value.status), value.probability)
    if isinstance(value, str):
        status_text, sep, p_text = value.strip().partition(":")
        if not sep or not status_text.isdigit():
            raise ValueError(f"a fault is STATUS:PROBABILITY, such as 503:0.05, not {value!r}")
        try:
            probability = float(p_text)
        except ValueError:
            raise ValueError(f"the probability in {value!r} is not a number") from None
        status = int(status_text)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        status, probability = int(value[0]), float(value[1])
    else:
        raise ValueError(f"a fault is STATUS:PROBABILITY, such as 503:0.05, not {value!r}")
    if not (0.0 <= probability <= 1.0) or math.isnan(probability):
        raise ValueError(f"a fault probability must be from 0 to 1, not {probability:g}")
    return Fault(check_status(status), probability)


def parse_faults(values: Iterable[Any]) -> tuple[Fault, ...]:
    faults = tuple(parse_fault(v) for v in values)
    if sum(f.probability for f in faults) > 1.0 + 1e-9:
        raise ValueError("the fault probabilities add up to more than 1")
    return faults


def parse_latency(value: Any) -> float:
    """Seconds from ``"200ms"``, ``"0.2s"`` or a number of seconds."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        raise ValueError("latency must be a duration such as 200ms or 1.5s")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if m is None:
            raise ValueError(f"latency must be a duration such as 200ms or 1.5s, not {value!r}")
        seconds = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    if not (0.0 <= seconds <= 600.0):
        raise ValueError("latency must be from 0 to 600 seconds")
    return seconds


def format_latency(seconds: float) -> str:
    return f"{seconds * 1000:g}ms"


def rate_limit_of(value: Any) -> RateLimit | None:
    """Each key's budget from the CLI, Python or the admin path: text as ``rates`` reads it
    (``"140/min"``, ``"none"``), a whole number per minute, a RateLimit, or None."""
    if value is None or isinstance(value, RateLimit):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError("a rate limit must allow at least 1 request")
        return RateLimit(value, 60.0)
    if not isinstance(value, str):
        raise ValueError(f"a rate limit is {RATE_SPELLING}, not {value!r}")
    try:
        return parse_rate_limit(value)
    except ValueError:
        raise ValueError(f"a rate limit is {RATE_SPELLING}, not {value!r}") from None


def make_plan(faults: Iterable[Any] = (), latency: Any = 0.0, rate_limit: Any = None) -> FaultPlan:
    return FaultPlan(parse_faults(faults), parse_latency(latency), rate_limit_of(rate_limit))


@dataclass
class FaultInjector:
    """Draws injected faults (seeded, thread-safe) and keeps each key's rate-limit window."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._windows: dict[int, deque[float]] = {}

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._windows.clear()

    def reset_windows(self) -> None:
        with self._lock:
            self._windows.clear()

    def draw(self) -> int | None:
        """The status of an injected fault for this request, or None."""
        faults = self.plan.faults
        if not faults:
            return None
        with self._lock:
            r = self._random.random()
        edge = 0.0
        for fault in faults:
            edge += fault.probability
            if r < edge:
                return fault.status
        return None

    def throttle(self, account: int) -> int | None:
        """None when the request may go on; else the seconds to wait (Retry-After)."""
        limit = self.plan.rate_limit
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(account, deque())
            while window and window[0] <= now - limit.period:
                window.popleft()
            if len(window) >= limit.limit:
                return max(1, math.ceil(window[0] + limit.period - now))
            window.append(now)
        return None
