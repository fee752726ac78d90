"""Both simulators follow a week's rhythm on the business time zone's clock, reproducibly.

Why a week: the shape has three parts (nights against rush hours, weekdays against weekends,
the weekly mean the rate promises) and only a whole week shows all three. The volumes are
counted here from what the simulators emit (the records' `inDate`, the counters' increments)
with pandas, by the local hour of the zone, not through the rhythm's own factors; the
thresholds are the shapes' stated ratios with room for the noise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from taxi_platform.settings import zones_csv_default
from taxi_platform_dev.domains.counters.simulator import DEFAULT_RATE, TrafficModel, load_zone_rows
from taxi_platform_dev.domains.logs.simulator import (
    RETURNING_SHARE,
    LogApiSimulator,
    SimulatorConfig,
)
from taxi_platform_dev.domains.rhythm import CLICK_RHYTHM, DISPATCH_RHYTHM, DailyRhythm

SEOUL = "Asia/Seoul"
MONDAY = datetime(2026, 11, 23, tzinfo=ZoneInfo(SEOUL))  # a week from Monday 00:00 in Seoul
WEEK_WINDOWS = 7 * 24 * 20  # 3-minute windows
MEAN_RECORDS = 20


def click_log(rhythm: DailyRhythm | None, seed: int = 5, returning: float = 0.0):
    config = SimulatorConfig(
        start=MONDAY.astimezone(UTC),
        seed=seed,
        records_per_window=MEAN_RECORDS,
        rhythm=rhythm,
        returning_share=returning,
    )
    return LogApiSimulator(config)


def by_local_hour(times: pd.Series, counts: pd.Series, tz: str) -> pd.DataFrame:
    """Volume per (is weekend, local hour), averaged over the days of each kind."""
    local = pd.to_datetime(times, utc=True).dt.tz_convert(tz)
    frame = pd.DataFrame(
        {"day": local.dt.date, "weekend": local.dt.dayofweek >= 5, "hour": local.dt.hour}
    )
    frame["n"] = counts.to_numpy()
    per_day = frame.groupby(["weekend", "day", "hour"])["n"].sum().reset_index()
    return per_day.groupby(["weekend", "hour"])["n"].mean().unstack("hour")


@pytest.fixture(scope="module")
def clicks_week() -> pd.DataFrame:
    source = click_log(CLICK_RHYTHM, returning=RETURNING_SHARE)
    records = [r for k in range(WEEK_WINDOWS) for r in source.window_records(k)]
    return pd.DataFrame(
        {"inDate": [r["inDate"] for r in records], "session_id": [r["session_id"] for r in records]}
    )


def test_click_logs_sleep_at_night_and_peak_in_the_rush_hours(clicks_week):
    hours = by_local_hour(clicks_week["inDate"], pd.Series(1, index=clicks_week.index), SEOUL)
    weekday = hours.loc[False]
    night, morning, evening = weekday[2:5].mean(), weekday[9:11].mean(), weekday[20:22].mean()
    assert morning > 10 * night, (night, morning)  # levels 0.3–0.4 against 8.0–8.5
    assert evening > 5 * night, (night, evening)
    assert weekday.idxmin() in (3, 4) and weekday.idxmax() in (9, 10, 11)


def test_click_logs_on_weekends_are_about_half_a_weekday(clicks_week):
    local = pd.to_datetime(clicks_week["inDate"], utc=True).dt.tz_convert(SEOUL)
    per_day = local.dt.date.value_counts().sort_index()
    assert len(per_day) == 7
    weekdays, weekend = per_day.iloc[:5].mean(), per_day.iloc[5:].mean()
    assert 0.38 < weekend / weekdays < 0.52, (weekdays, weekend)  # stated: 0.45


def test_click_log_rate_is_the_weekly_mean(clicks_week):
    assert abs(len(clicks_week) - MEAN_RECORDS * WEEK_WINDOWS) < 0.02 * MEAN_RECORDS * WEEK_WINDOWS


def test_returning_sessions_come_back_less_and_less(clicks_week):
    """Sessions by first-seen UTC day and days since: what the cohort chart reads."""
    day = pd.to_datetime(clicks_week["inDate"], utc=True).dt.floor("D")
    visits = pd.DataFrame({"session": clicks_week["session_id"], "day": day}).drop_duplicates()
    first = visits.groupby("session")["day"].transform("min")
    visits["since"] = (visits["day"] - first).dt.days
    cohort = visits[first == first.min()]  # the week's first day, which every day follows
    returning = cohort.groupby("since")["session"].nunique() / cohort["session"].nunique()
    assert 0.03 < returning[1] < 0.5, returning.to_dict()
    assert returning[1] > returning[5] > 0, returning.to_dict()
    # Without returning visits, a session is one visit: never seen in two windows.
    plain = click_log(CLICK_RHYTHM)
    sessions = [{r["session_id"] for r in plain.window_records(k)} for k in range(0, 200, 20)]
    assert sum(map(len, sessions)) == len(set().union(*sessions))


def test_click_log_rhythm_follows_the_business_time_zone():
    """The same shape on New York's clock: its quiet hours are New York's night."""
    source = click_log(CLICK_RHYTHM.in_zone("America/New_York"))
    monday = 14 * 20  # window 0 is Sunday 10:00 in New York: 14 h later, Monday 00:00
    day = range(monday, monday + 24 * 20)
    in_dates = pd.Series([r["inDate"] for k in day for r in source.window_records(k)])
    ny = pd.to_datetime(in_dates, utc=True).dt.tz_convert("America/New_York").dt.hour
    counts = ny.value_counts()
    assert counts.get(3, 0) * 10 < counts[10], counts.sort_index().to_dict()


def test_click_logs_same_seed_same_windows_other_seed_other():
    one, again, other = click_log(CLICK_RHYTHM), click_log(CLICK_RHYTHM), click_log(CLICK_RHYTHM, 6)
    windows = [0, 61, 200, 3000]
    assert [one.window_records(k) for k in windows] == [again.window_records(k) for k in windows]
    assert [one.window_size(k) for k in windows] != [other.window_size(k) for k in windows]


@pytest.fixture(scope="module")
def dispatch_week() -> pd.DataFrame:
    model = TrafficModel(load_zone_rows(zones_csv_default()), seed=4)
    starts = [MONDAY + timedelta(hours=h) for h in range(7 * 24)]
    dispatches = [
        sum(e["dispatch"] for e in model.increments(at, at + timedelta(hours=1))) for at in starts
    ]
    return pd.DataFrame({"start": starts, "dispatches": dispatches})


def test_dispatches_quiet_at_night_busy_at_the_commutes(dispatch_week):
    hours = by_local_hour(dispatch_week["start"], dispatch_week["dispatches"], SEOUL)
    weekday, weekend = hours.loc[False], hours.loc[True]
    assert weekday[8] > 4 * weekday[4] and weekday[18] > 4 * weekday[4]  # levels 7.0, 7.4 vs 1.0
    assert weekend[8] < weekday[8] / 2  # weekends sleep in (2.5 vs 7.0)
    # The business day starts at 03:00: among its quietest hours, not in a spike.
    assert weekday[3] < weekday.sort_values().iloc[4]


def test_dispatch_rate_is_the_weekly_mean_per_minute(dispatch_week):
    expected = DEFAULT_RATE * 7 * 1440
    assert abs(dispatch_week["dispatches"].sum() - expected) < 5 * expected**0.5


def test_dispatches_same_seed_same_traffic():
    zones = load_zone_rows(zones_csv_default())
    hour = (MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=9))
    assert TrafficModel(zones, seed=4).increments(*hour) == TrafficModel(zones, 4).increments(*hour)
    assert TrafficModel(zones, seed=4).increments(*hour) != TrafficModel(zones, 5).increments(*hour)


def test_a_rhythm_names_its_mistakes():
    with pytest.raises(ValueError, match="24 non-negative"):
        DailyRhythm(weekday=(1.0,) * 23, weekend=(1.0,) * 24, weekend_volume=1.0)
    with pytest.raises(ValueError, match="weekend_volume"):
        DailyRhythm(weekday=(1.0,) * 24, weekend=(1.0,) * 24, weekend_volume=0)
    with pytest.raises(ValueError, match="naive"):
        DISPATCH_RHYTHM.factor(datetime(2026, 1, 1))
