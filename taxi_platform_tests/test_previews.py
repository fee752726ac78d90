"""The metadata previews' Markdown, against tables written out by hand."""

import datetime as dt

import pandas as pd

from taxi_platform.previews import markdown_preview


def test_preview_is_a_pipe_table_with_nulls_empty_and_pipes_escaped():
    frame = pd.DataFrame(
        {
            "zone_id": [4, 7],
            "adjacent_zone_ids": [[12, 13], []],
            "title": ["a | b", None],
            "ratio": [0.5, float("nan")],
            "at": [pd.Timestamp("2026-04-01 09:00", tz="UTC"), pd.NaT],
            "day": [dt.date(2026, 4, 1), dt.date(2026, 4, 2)],
        }
    )
    assert markdown_preview(frame) == (
        "| zone_id | adjacent_zone_ids | title | ratio | at | day |\n"
        "|---|---|---|---|---|---|\n"
        "| 4 | [12, 13] | a \\| b | 0.5 | 2026-04-01 09:00:00+00:00 | 2026-04-01 |\n"
        "| 7 | [] |  |  |  | 2026-04-02 |"
    )


def test_preview_of_no_rows_is_the_header():
    assert markdown_preview(pd.DataFrame({"a": []})) == "| a |\n|---|"
