"""What a sensor sees of a system the platform reads but does not write (the items of a
DynamoDB table, the newest TLC month in the lake), recorded as `AssetObservation`s of that
system's external `AssetSpec`: Dagster's way to report on external assets from a sensor, so
the asset's page shows the figures and when they changed.

Only changes are recorded: the sensor's cursor keeps the figures it last reported, so a
table that holds the same items for a week adds no event every few minutes. `taxi-platform
demo` evaluates the sensors tagged `OBSERVES` once, with no cursor, and records what they saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import dagster as dg

OBSERVES = {"taxi/observes": "sources"}

Figures = Mapping[str, int | str]


def observation_result(observed: Mapping[dg.AssetKey, Figures], cursor: str | None):
    """The observations of the assets whose figures differ from those in `cursor`, and the
    cursor holding every figure now."""
    last = json.loads(cursor) if cursor else {}
    now = {key.to_user_string(): dict(figures) for key, figures in observed.items()}
    events = [
        dg.AssetObservation(asset_key=key, metadata=dict(figures))
        for key, figures in observed.items()
        if last.get(key.to_user_string()) != now[key.to_user_string()]
    ]
    cursor = json.dumps(now, sort_keys=True)
    if not events:
        return dg.SensorResult(cursor=cursor, skip_reason="nothing changed since the last look")
    return dg.SensorResult(asset_events=events, cursor=cursor)
