"""Everything the gold domain contributes to the code location: Silver and the Gold marts."""

import dagster as dg

from taxi_platform.gold.click_events import click_events
from taxi_platform.gold.marts import gold_marts

defs = dg.Definitions(assets=[click_events, gold_marts])
