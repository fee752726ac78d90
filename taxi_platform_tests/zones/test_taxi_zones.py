"""`taxi_zones` on the real lake (moto) and PostgreSQL, compared with the CSV read independently."""

import csv
import hashlib
from pathlib import Path

import dagster as dg
import pytest

from taxi_platform.defs.zones.reference import ZoneTableError, parse_zone_table, zone_names
from taxi_platform.defs.zones.taxi_zones import ZONES_KEY, taxi_zones, taxi_zones_match_lake
from taxi_platform_tests.support import checks, metadata

HEADER = b'"LocationID","Borough","Zone","service_zone"\n'


def assert_loaded_from(zone_csv: Path, postgres_db, lake) -> int:
    """`taxi_zones` and the lake's copy hold `zone_csv` (read here with csv); its row count."""
    with zone_csv.open(newline="") as handle:
        expected = [
            (int(r["LocationID"]), r["Borough"], r["Zone"], r["service_zone"])
            for r in csv.DictReader(handle)
        ]
    table = postgres_db.fetch_all("SELECT * FROM taxi_zones ORDER BY location_id")
    assert [tuple(r.values()) for r in table] == expected
    assert lake.get_bytes(ZONES_KEY) == zone_csv.read_bytes()
    return len(expected)


def test_taxi_zones_loads_the_tlc_table(resources, postgres_db, lake, zone_csv):
    result = dg.materialize([taxi_zones, taxi_zones_match_lake], resources=resources)
    assert result.success
    assert assert_loaded_from(zone_csv, postgres_db, lake) == 265
    assert metadata(result, taxi_zones)["dagster/row_count"] == 265
    assert {name: c.passed for name, c in checks(result).items()} == {"taxi_zones_match_lake": True}


def test_zone_names_exclude_tlc_placeholders(zone_csv):
    names = zone_names(parse_zone_table(zone_csv.read_bytes()))
    assert {"Midtown Center", "Seaport", "JFK Airport"} <= names
    assert "Outside of NYC" not in names and "Unknown" not in names


@pytest.mark.parametrize(
    "body,message",
    [
        (b"id,borough,zone\n1,a,b\n", "has columns"),
        (HEADER + b"1,a,b,c\n1,a,d,c\n", "repeats LocationIDs"),
        (HEADER + b"x,a,b,c\n", "not positive integers"),
        (HEADER + b"1,a,,c\n", "without a name"),
    ],
)
def test_bad_zone_tables_are_rejected_with_reason(body: bytes, message: str):
    with pytest.raises(ZoneTableError, match=message):
        parse_zone_table(body, source="upload.csv")


def test_the_shipped_zone_table_is_the_published_one(zone_csv):
    """taxi_platform/data/SOURCES.md records the TLC object this copy must equal."""
    data = zone_csv.read_bytes()
    assert (len(data), hashlib.md5(data).hexdigest()) == (12331, "c6064b7c144c716450641f769659d178")
    assert data.startswith(HEADER.replace(b"\n", b"\r\n"))
