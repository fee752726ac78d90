"""A week's rhythm for the simulators: how busy each local hour is, weekdays and weekends.

Why: flat traffic makes flat charts. The dispatch server and the log API are busiest at
rush hours and quiet at night, in the business time zone (`TAXI_TIMEZONE`, where the
company and most users are), and weekends differ from weekdays. A `DailyRhythm` turns an
instant into a factor whose mean over a whole week is 1, so a simulator's rate stays "the
mean over a week" whatever the shape; the hours are the local clock hours of `tz`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

HOURS = 24
WEEKEND = frozenset({5, 6})  # Saturday, Sunday (datetime.weekday())


@dataclass(frozen=True)
class DailyRhythm:
    """Relative activity by local hour on weekdays and on weekends (any scale: only the
    shape counts), and how much a weekend day carries relative to a weekday."""

    weekday: tuple[float, ...]
    weekend: tuple[float, ...]
    weekend_volume: float
    tz: str = "Asia/Seoul"

    def __post_init__(self) -> None:
        for name in ("weekday", "weekend"):
            levels = getattr(self, name)
            if len(levels) != HOURS or min(levels) < 0 or not sum(levels):
                raise ValueError(f"{name}: give 24 non-negative hourly levels, not all 0")
        if self.weekend_volume <= 0:
            raise ValueError(f"weekend_volume must be > 0, got {self.weekend_volume}")
        ZoneInfo(self.tz)  # an unknown zone fails here, not at the first instant

    def in_zone(self, tz: str) -> DailyRhythm:
        """The same shape on the clock of another time zone."""
        return DailyRhythm(self.weekday, self.weekend, self.weekend_volume, tz)

    @cached_property
    def _factors(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        # A weekday's hours share one unit of volume, a weekend day's `weekend_volume`;
        # dividing by the mean hourly volume of a week makes the week's mean factor 1.
        days = 7 - len(WEEKEND) + len(WEEKEND) * self.weekend_volume
        mean = days / (7 * HOURS)
        weekday = tuple(level / sum(self.weekday) / mean for level in self.weekday)
        weekend = tuple(
            level / sum(self.weekend) * self.weekend_volume / mean for level in self.weekend
        )
        return weekday, weekend

    def factor(self, at: datetime) -> float:
        """Activity at `at` relative to the week's mean (timezone-aware instants only)."""
        if at.utcoffset() is None:
            raise ValueError(f"naive datetime {at.isoformat()}: give a time zone")
        local = at.astimezone(ZoneInfo(self.tz))
        weekday, weekend = self._factors
        return (weekend if local.weekday() in WEEKEND else weekday)[local.hour]


# Taxi dispatches in Seoul: a late-night peak after the last trains, the morning and evening
# commutes on weekdays; weekends sleep in, stay busy all afternoon and into the night.
DISPATCH_RHYTHM = DailyRhythm(
    weekday=(
        *(5.0, 3.5, 2.2, 1.4, 1.0, 1.2, 2.5, 5.5, 7.0, 5.5, 4.2, 4.3),
        *(4.6, 4.4, 4.3, 4.5, 5.0, 6.3, 7.4, 6.8, 5.6, 5.8, 6.4, 6.0),
    ),
    weekend=(
        *(6.0, 5.0, 3.6, 2.4, 1.6, 1.2, 1.3, 1.8, 2.5, 3.2, 4.0, 4.6),
        *(5.0, 5.2, 5.3, 5.3, 5.3, 5.4, 5.6, 5.5, 5.2, 5.3, 5.6, 5.8),
    ),
    weekend_volume=0.85,
)

# Clinicians searching the literature: a morning peak as clinics open, a lunch dip, the
# afternoon, reading at home in the evening; nights nearly silent; weekends at half volume.
CLICK_RHYTHM = DailyRhythm(
    weekday=(
        *(1.2, 0.7, 0.4, 0.3, 0.3, 0.5, 1.2, 2.8, 5.5, 8.0, 8.5, 7.0),
        *(4.5, 6.0, 7.0, 6.8, 6.0, 4.8, 3.5, 4.2, 5.5, 5.8, 4.0, 2.2),
    ),
    weekend=(
        *(1.5, 0.9, 0.5, 0.3, 0.3, 0.3, 0.5, 1.0, 2.0, 3.5, 4.5, 4.8),
        *(4.2, 4.3, 4.5, 4.4, 4.2, 3.8, 3.5, 4.0, 5.0, 5.2, 3.8, 2.4),
    ),
    weekend_volume=0.45,
)
