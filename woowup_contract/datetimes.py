"""ISO-8601 date-times with an offset: the strict ``datetime`` rule and the mock's store read them alike.

A ``processingtime`` the strict profile accepts is one the mock can file and filter by,
because both ask this one function.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_iso_datetime"]

_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:(Z)|([+-])(\d{2}):?(\d{2}))\Z", re.ASCII
)


def parse_iso_datetime(text: str) -> datetime | None:
    """ISO-8601 date-time with an offset (``Z`` or ``±hh:mm``); None when it is not one."""
    m = _ISO_DATETIME.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = m.groups()
    try:
        offset = timedelta(0)
        if not zulu:
            if int(oh) > 23 or int(om) > 59:
                return None
            offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
                        tzinfo=timezone(offset))
    except ValueError:
        return None
