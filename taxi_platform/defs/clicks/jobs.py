"""Named jobs of the clicks assets (automation runs them as their days complete): runs named
for what they build in the UI's run list, and what `taxi-platform demo` launches."""

import dagster as dg

from taxi_platform.defs.clicks import click_events, marts

click_events_job = dg.define_asset_job(
    "click_events_job",
    selection=[click_events.click_events],
    description="Silver `click_events` of UTC days from their 24 bronze hours.",
)
gold_marts_job = dg.define_asset_job(
    "gold_marts_job",
    selection=[marts.gold_marts],
    description="The Gold marts of UTC days, one engine run for a range of days.",
)
