"""The stack's Spark Connect server (`local/spark_connect.py`) is started for the spark engine
only: DuckDB, the local default, needs no JVM, and a configured `TAXI_SPARK_REMOTE` is used as
it is. (A started server is exercised by the `spark_connect` fixture's parity tests.)"""

import pytest

from taxi_platform.settings import ConfigError
from taxi_platform_dev.local import spark_connect


@pytest.mark.parametrize(
    ("engine", "remote"),
    [(None, None), ("duckdb", None), ("spark", "sc://spark-connect.example:15002")],
)
def test_no_server_without_the_spark_engine_or_with_one_configured(
    stack, monkeypatch, engine, remote
):
    for name, value in (("TAXI_ENGINE", engine), ("TAXI_SPARK_REMOTE", remote)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    spark_connect.start(stack)
    assert spark_connect.PROCESS_NAME not in stack.load().get("extra_processes", {})
    assert "TAXI_SPARK_REMOTE" not in stack.env()


def test_a_wrong_engine_stops_the_start_with_the_settings_message(stack, monkeypatch):
    """The server reads the engine as the code location's wiring does: a value no run could
    use is named here, before any JVM starts."""
    monkeypatch.delenv("TAXI_SPARK_REMOTE", raising=False)
    monkeypatch.setenv("TAXI_ENGINE", "presto")
    with pytest.raises(ConfigError, match=r"^TAXI_ENGINE='presto' is not one of duckdb, spark"):
        spark_connect.start(stack)
    assert spark_connect.PROCESS_NAME not in stack.load().get("extra_processes", {})
