"""Request budgets, written the same way for every command: ``140/min``, ``5/s``, ``90/h`` or ``none``.

``check --rate-limit`` paces the requests it sends; ``mock --rate-limit`` (and the mock's
Python API and admin path) answers 429 beyond it. Both read the budget here, so a spelling
one accepts the other accepts too. The count is a whole number of at least 1, and the unit is
required: a bare ``5`` is refused, since 5 a second and 5 a minute differ 60 times.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RATE_SPELLING", "RateLimit", "parse_rate_limit"]

RATE_SPELLING = "N/min, N/s or N/h with a whole N > 0, such as 140/min or 5/s (or none)"
_PERIODS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
            "h": 3600.0, "hour": 3600.0}
_PERIOD_NAMES = {1.0: "s", 60.0: "min", 3600.0: "h"}


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests per ``period`` seconds."""

    limit: int
    period: float

    def __str__(self) -> str:
        return f"{self.limit}/{_PERIOD_NAMES.get(self.period, f'{self.period:g}s')}"

    @property
    def per_minute(self) -> float:
        return self.limit * 60.0 / self.period


def parse_rate_limit(text: str) -> RateLimit | None:
    """``"140/min"`` → RateLimit(140, 60.0); ``"none"`` → None (no limit); anything else a ValueError
    that says the spelling. Case and the spaces around the parts do not matter."""
    raw = text.strip().lower()
    if raw == "none":
        return None
    count, sep, unit = raw.partition("/")
    count, unit = count.strip(), unit.strip()
    if not sep or unit not in _PERIODS or not (count.isascii() and count.isdigit()) or int(count) < 1:
        raise ValueError(f"expected {RATE_SPELLING}, got {text!r}")
    return RateLimit(int(count), _PERIODS[unit])
