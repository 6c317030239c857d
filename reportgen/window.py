"""--since / --until: which requests a report covers, as an instant range [start, end).

A bound is a date (a calendar day in the report's time zone: --since takes its start, --until
its end, so both days are included), a date and time (no offset = the report's time zone), or
a span back from now: 30d, 12h, 2w."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .config import ConfigError

RELATIVE = re.compile(r"(\d{1,5})\s*([hdw])")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def iso(self) -> dict[str, str | None]:
        return {"since": self.start.isoformat() if self.start else None,
                "until": self.end.isoformat() if self.end else None}


def parse_bound(text: str, zone: ZoneInfo, now: datetime, is_until: bool) -> datetime:
    text = text.strip()
    relative = RELATIVE.fullmatch(text)
    if relative:
        return now - timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        moment = datetime.combine(day + timedelta(days=1) if is_until else day, time(), zone)
        return moment
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        name = "--until" if is_until else "--since"
        raise ConfigError(f"{name} {text!r} is not a date (2026-10-01), a time (2026-10-01T12:00) "
                          "or a span back from now (30d, 12h, 2w)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def resolve(since: str | None, until: str | None, timezone: str, now: datetime) -> Window:
    zone = ZoneInfo(timezone)
    window = Window(parse_bound(since, zone, now, False) if since else None,
                    parse_bound(until, zone, now, True) if until else None)
    if window.start and window.end and window.start >= window.end:
        raise ConfigError(f"the window is empty: since {window.start.isoformat()} is not before "
                          f"until {window.end.isoformat()}")
    return window
