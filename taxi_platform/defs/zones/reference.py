"""Parsing the TLC zone table (LocationID, Borough, Zone, service_zone).

Why strict: zone names are the DynamoDB counters' keys and zone IDs the trips' keys; a
mangled copy (re-quoted, renamed columns, duplicated IDs) must stop here with its reason.
"""

from __future__ import annotations

import io

import pandas as pd

EXPECTED_HEADER = ["LocationID", "Borough", "Zone", "service_zone"]
COLUMNS = ["location_id", "borough", "zone", "service_zone"]
# TLC's placeholders: not real places, never a pickup/dropoff zone for the models.
UNKNOWN_LOCATION_IDS = frozenset({264, 265})


class ZoneTableError(ValueError):
    """The zone table does not have the TLC shape."""


def parse_zone_table(data: bytes, source: str = "zone table") -> pd.DataFrame:
    """CSV bytes → a frame with `COLUMNS`, validated; errors name the source and the fix."""
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ZoneTableError(f"{source} is not a readable CSV ({exc})") from None
    header = [c.strip() for c in frame.columns]
    if header != EXPECTED_HEADER:
        raise ZoneTableError(
            f"{source} has columns {header}, expected {EXPECTED_HEADER}: "
            "use TLC's taxi_zone_lookup.csv"
        )
    frame.columns = COLUMNS
    ids = pd.to_numeric(frame["location_id"], errors="coerce")
    bad = frame.loc[ids.isna() | (ids <= 0) | (ids % 1 != 0), "location_id"].tolist()
    if bad:
        raise ZoneTableError(f"{source} has LocationIDs that are not positive integers: {bad[:5]}")
    frame["location_id"] = ids.astype("int32")
    duplicated = sorted(set(frame.loc[frame["location_id"].duplicated(), "location_id"]))
    if duplicated:
        raise ZoneTableError(f"{source} repeats LocationIDs {duplicated[:5]}")
    blank = frame.loc[frame["zone"].str.strip() == "", "location_id"].tolist()
    if blank:
        raise ZoneTableError(f"{source} has zones without a name (LocationIDs {blank[:5]})")
    return frame.sort_values("location_id", ignore_index=True)


def zone_names(frame: pd.DataFrame) -> set[str]:
    """Names the counters may use: every real zone (TLC's Unknown/Outside rows excluded)."""
    real = frame[~frame["location_id"].isin(UNKNOWN_LOCATION_IDS)]
    return set(real["zone"])
