"""Fixtures of the counters' pipeline tests (the pure-logic tests here need none of them)."""

import pytest

from taxi_platform_tests.counters.helpers import clear_counters, clear_tables


@pytest.fixture
def clean(stack, daily_stats_db):
    """Empty counter tables and empty `daily_stats_db` tables: the session stack is shared."""
    clear_counters()
    clear_tables(daily_stats_db)
    yield
    clear_counters()
