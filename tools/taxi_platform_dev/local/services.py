"""Companions started beside the stack for `dev` and `demo`: every domain's `companion.start`,
and the Spark Connect server when the SQL models run on Spark (`local/spark_connect.py`).

Each starts a process and registers its PID with the stack so `stack down` stops it.
"""

from __future__ import annotations

from taxi_platform_dev.domains import tool_modules
from taxi_platform_dev.local import spark_connect
from taxi_platform_dev.local.stack import Stack


def start_companions(stack: Stack) -> None:
    for companion in tool_modules("companion"):
        companion.start(stack)
    spark_connect.start(stack)
